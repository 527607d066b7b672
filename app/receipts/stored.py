"""A receipt's PDF as issued: laid out from the frozen context of its document, signed with
the agency's certificate in the collector's signature box, and stored once — after the issuing
transaction commits, off the request, or by its first reader
(docs/decisions/0014-receipt-pdf-after-commit.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.agencies.models import Agency
from app.config import get_settings
from app.db import begin_write, utcnow
from app.documents import service as document_service
from app.documents.models import Document
from app.errors import DomainError, NotFound
from app.receipts import pdf as receipt_pdf
from app.signing import service as signing_service
from app.storage import service as storage

log = logging.getLogger(__name__)

FIELD_NAME = "ChuKyNguoiThuTien"
SIGN_REASON = "Thu phí, lệ phí"


# --- signing ---------------------------------------------------------------------------------


def _signature(session: Session, agency_id: int, signer_name: str) -> dict[str, str] | None:
    """What the signature box of a receipt about to be signed shows (who signs, as whom,
    when), or None when the agency has no certificate that can sign now."""
    try:
        cert = signing_service.active_certificate(session, agency_id)
    except NotFound:
        return None
    now = utcnow()
    agency = session.get(Agency, agency_id)
    if agency is None:
        return None
    if not cert.not_before <= now <= cert.not_after:
        log.warning("receipt of agency %s stored unsigned: certificate not valid now", agency_id)
        return None
    local_now = now.astimezone(ZoneInfo(get_settings().timezone))
    return {
        "agency": agency.name,
        "signer": signer_name or agency.name,
        "signed_at": receipt_pdf.signing_moment(local_now),
    }


def _sign(
    session: Session,
    agency_id: int,
    pdf: bytes,
    *,
    signer_name: str = "",
    location: str = "",
    box: tuple[float, float, float, float] = receipt_pdf.SIGNATURE_BOX,
) -> tuple[bytes, bool]:
    """The receipt, whose signature box already shows who signs and when (``_signature``),
    signed with the agency's active certificate in that box; or unchanged and False when the
    certificate cannot be used after all (a receipt is never refused for want of a signature,
    since the fee has already been collected)."""
    try:
        signed = signing_service.sign_pdf(
            session,
            agency_id,
            pdf,
            field_name=FIELD_NAME,
            reason=SIGN_REASON,
            location=location,
            signer_name=signer_name,
            box=box,
            page=0,
            page_appearance=True,
        )
    except DomainError as exc:  # expired certificate, unreadable bundle …
        log.warning("receipt of agency %s stored unsigned: %s", agency_id, exc.detail)
        return pdf, False
    return signed, True


# --- the PDF, after the commit -------------------------------------------------------------------

# Test hook: when set, called with the document's id in this process after its receipt was laid
# out and before it is signed and stored (tests block it to show that no lock is held by then).
# Always None in the application.
render_hook: Callable[[int], None] | None = None


def _render_signed(session: Session, doc: Document) -> tuple[bytes, bool]:
    """Lay out the receipt from the document's frozen context and sign it (when the agency
    has a usable certificate), with no write of this session."""
    context = document_service.thaw(doc.context or {})
    fields = context.get("receipt") or {}
    agency = context.get("agency") or {}
    signer_name = fields.get("collector_name") or agency.get("name") or ""
    signature = (
        _signature(session, doc.agency_id, signer_name) if doc.agency_id is not None else None
    )
    rendered = receipt_pdf.render_receipt({**context, "signature": signature})
    if render_hook is not None:
        render_hook(doc.id)
    if signature is None or doc.agency_id is None:
        return rendered.pdf, False
    signed, ok = _sign(
        session,
        doc.agency_id,
        rendered.pdf,
        signer_name=signer_name,
        location=agency.get("address") or "",
    )
    if not ok:  # the box must not claim a signature the file does not have
        return receipt_pdf.render_receipt(context).pdf, False
    return signed, True


def _store(session: Session, doc: Document, data: bytes, signed: bool) -> bytes:
    """Store a rendered receipt unless another transaction stored one first (conditional
    UPDATE on ``sha256 IS NULL``); the PDF the document has from then on is returned."""
    digest = storage.write_bytes(data)
    context = {**(doc.context or {}), "signed": signed}
    result = session.execute(
        update(Document)
        .where(Document.id == doc.id, Document.sha256.is_(None))
        .values(sha256=digest, size=len(data), context=context)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0)) == 1:
        set_committed_value(doc, "sha256", digest)
        set_committed_value(doc, "size", len(data))
        set_committed_value(doc, "context", context)
        return data
    session.refresh(doc, ["sha256", "size", "context"])
    assert doc.sha256 is not None  # another transaction stored it first
    return storage.read_bytes(doc.sha256)


def stored_pdf(session: Session, doc: Document) -> bytes:
    """A receipt document's PDF as issued. Normally stored just after the payment committed;
    if that did not happen (the process stopped in between, or the caller's transaction was
    not really committed), it is laid out, signed and stored now, in ``session``'s transaction
    (a GET on SQLite turns into a write transaction only at the UPDATE, ADR 0013)."""
    if doc.sha256:
        return storage.read_bytes(doc.sha256)
    data, signed = _render_signed(session, doc)
    return _store(session, doc, data, signed)


def store_after_commit(engine: Engine, document_id: int) -> None:
    """The after-commit step of an issue: render and sign with no transaction holding a lock,
    then store in a short write transaction. A failure leaves the document pending for the
    first reader (``stored_pdf``); the payment is committed and stays so."""
    try:
        with Session(bind=engine, expire_on_commit=False) as session:
            doc = session.get(Document, document_id)
            if doc is None or doc.kind != "receipt" or doc.sha256:
                return  # rolled back with a savepoint, or stored meanwhile by a reader
            data, signed = _render_signed(session, doc)
            session.commit()  # ends the read transaction before waiting for a write lock
            begin_write(session)
            _store(session, doc, data, signed)
            session.commit()
    except Exception as exc:
        log.warning(
            "receipt PDF of document %s not stored after the commit (%s); "
            "it will be made when first read",
            document_id,
            type(exc).__name__,
        )
