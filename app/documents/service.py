"""Issuing documents: content frozen at issue time, PDF rendered once and stored, QR-verifiable."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.config import get_settings
from app.db import utcnow
from app.documents import numbering, render
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier, DossierFile
from app.errors import DomainError, NotFound
from app.formatting import PAPER_KINDS
from app.i18n_markers import N_
from app.payments import service as payment_service
from app.signing import service as signing_service
from app.storage import service as storage

log = logging.getLogger(__name__)

# The signature field of an administrative form (02–05), signed with the agency's certificate.
FORM_SIGNATURE_FIELD = "ChuKySoCoQuan"
TITLES = {
    "form_01": N_("Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    "form_02": N_("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "form_03": N_("Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
    "form_04": N_("Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"),
    "form_05": N_("Thông báo dừng giải quyết hồ sơ"),
    "form_06": N_("Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    "form_07": N_("Sổ theo dõi hồ sơ"),
    "receipt": N_("Biên lai thu phí, lệ phí"),
    "result": N_("Kết quả giải quyết thủ tục hành chính"),
}
# The kinds the portal signs with the agency's certificate (receipts: app/receipts/stored.py,
# results: app/documents/results.py, forms 02–05: ``pdf_bytes`` below); forms 01, 06 and 07
# are issued unsigned.
SIGNED_KINDS = ("receipt", "result", *numbering.NUMBERED_KINDS)
_DATE_KEYS = ("period_from", "period_to")
# Downloaded PDFs are named by what they are, then by the dossier's code (finding m22).
FILE_STEMS = {
    "form_01": "giay-tiep-nhan",
    "form_02": "phieu-yeu-cau-bo-sung",
    "form_03": "phieu-tu-choi",
    "form_04": "van-ban-xin-loi-gia-han",
    "form_05": "thong-bao-dung-giai-quyet",
    "form_06": "phieu-kiem-soat",
    "form_07": "so-theo-doi-ho-so",
    "result": "ket-qua",
}


def receipt_file_name(series: str, number_text: str) -> str:
    """``bien-lai-AA-26E-0000001.pdf``: a receipt is named by its series and number."""
    return f"bien-lai-{series}-{number_text}.pdf"


def dossier_label(dossier: Dossier) -> str:
    """The dossier's code, or ``ho-so-<id>`` before it has one."""
    return dossier.code or f"ho-so-{dossier.id}"


def download_name(doc: Document, dossier: Dossier) -> str:
    """The file name of a document's PDF for every download, the staff's and the citizen's:
    ``giay-tiep-nhan-<code>.pdf``, ``ket-qua-<code>.pdf``, ``bien-lai-<series>-<number>.pdf``."""
    if doc.kind == "receipt":
        fields = (doc.context or {}).get("receipt") or {}
        return receipt_file_name(str(fields.get("series", "")), str(fields.get("number", "")))
    stem = FILE_STEMS.get(doc.kind, doc.kind.replace("_", "-"))
    return f"{stem}-{dossier_label(dossier)}.pdf"


def file_download_name(row: DossierFile, dossier: Dossier) -> str:
    """A result file is named like the result document; the applicant's own files keep the
    names they were uploaded with."""
    if row.purpose != "result":
        return row.filename
    suffix = PurePath(row.filename).suffix.lower() or ".pdf"
    return f"{FILE_STEMS['result']}-{dossier_label(dossier)}{suffix}"


def verify_url(token: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/xac-minh/{token}"


def _freeze(value: Any) -> Any:
    """JSON-safe copy: datetimes and dates become ISO strings."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_freeze(v) for v in value]
    return value


def _thaw(value: Any, key: str = "") -> Any:
    """Inverse of ``_freeze`` for the keys that hold moments (``*_at``) or dates."""
    if isinstance(value, dict):
        return {k: _thaw(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_thaw(v, key) for v in value]
    if isinstance(value, str) and value:
        if key.endswith("_at"):
            return datetime.fromisoformat(value)
        if key in _DATE_KEYS:
            return date.fromisoformat(value)
    return value


def thaw(context: dict[str, Any]) -> dict[str, Any]:
    """A frozen context back with its moments and dates as objects, ready to render."""
    thawed: dict[str, Any] = _thaw(context)
    return thawed


def dossier_context(dossier: Dossier) -> dict[str, Any]:
    applicant = dossier.applicant or {}
    provided = {f.component_code for f in dossier_service.active_files(dossier)}
    base = get_settings().base_url.rstrip("/")
    return {
        "code": dossier.code or "",
        "procedure_code": dossier.version.code,
        "procedure_name": dossier.version.name,
        "channel_label": dossier_service.CHANNEL_LABELS.get(dossier.channel, dossier.channel),
        "applicant_name": applicant.get("full_name", ""),
        "applicant_id_number": applicant.get("id_number", ""),
        "applicant_phone": applicant.get("phone", ""),
        "applicant_address": applicant.get("address", ""),
        "applicant_email": applicant.get("email", ""),
        "submitted_at": dossier.submitted_at,
        "resubmitted_at": dossier.resubmitted_at,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "lookup_secret": dossier.lookup_secret,
        "lookup_url": f"{base}/tra-cuu",
        # Where the applicant's account sees the dossier and sends a supplement (form 02).
        "page_url": f"{base}/ho-so/{dossier.id}" if dossier.applicant_id else "",
        "components": [
            {
                "name": c.name,
                "copies": c.copies,
                "paper_kind_label": PAPER_KINDS.get(c.paper_kind, c.paper_kind),
                "provided": c.code in provided,
            }
            for c in dossier.version.components
        ],
        "fees_total": payment_service.fees_total(dossier),
        "fee_lines": payment_service.fee_lines(dossier),
        "result_name": dossier.version.result,
    }


def issue(
    session: Session,
    dossier: Dossier,
    kind: str,
    officer: User | None,
    extra: dict[str, Any] | None = None,
    title: str | None = None,
    now: datetime | None = None,
) -> Document:
    """Record a document with its content frozen at ``now`` (the moment of the action); the
    PDF is rendered on first download."""
    agency = dossier.agency  # the receiving one-stop shop issues the forms
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    context: dict[str, Any] = {
        "doc": {
            "kind": kind,
            "title": title or TITLES[kind],
            "issued_at": now,
            "verify_url": verify_url(token),
            "number": None,
        },
        "agency": {
            "name": agency.name,
            "code": agency.code,
            "address": agency.address,
            "phone": agency.phone,
            "parent_name": agency.parent.name if agency.parent else None,
        },
        "dossier": dossier_context(dossier),
        "officer": {"name": officer.full_name if officer else "", "title": ""},
        "extra": extra or {},
    }
    if kind in numbering.NUMBERED_KINDS:
        # An administrative document (Decree 30/2020/NĐ-CP): numbered in this transaction.
        fields = numbering.issue_fields(session, agency, kind, officer, now)
        context["doc"].update(number=fields["number"], administrative=True)
        context["agency"].update(
            abbreviation=fields["abbreviation"],
            place=fields["place"],
            # A people's committee heads its own header: no governing authority line above it.
            parent_name=None
            if agency.level in ("province", "commune")
            else (agency.parent.name if agency.parent else None),
        )
        context["officer"] = dict(fields["signer"])
    doc = Document(
        dossier_id=dossier.id,
        agency_id=agency.id,
        kind=kind,
        title=title or TITLES[kind],
        context=_freeze(context),
        verify_token=token,
        created_at=now,
        created_by_id=officer.id if officer else None,
    )
    session.add(doc)
    session.flush()
    return doc


def attach_file_document(
    session: Session,
    dossier: Dossier,
    kind: str,
    title: str,
    sha256: str,
    size: int,
    officer: User | None,
    *,
    verify_token: str | None = None,
    number: str | None = None,
    context: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Document:
    """A document that is a stored file (a signed result), verifiable like the others; its
    ``verify_token`` when the file already carries the QR code of it."""
    doc = Document(
        dossier_id=dossier.id,
        agency_id=dossier.agency_id,
        kind=kind,
        title=title,
        context=context or {},
        sha256=sha256,
        size=size,
        verify_token=verify_token or secrets.token_urlsafe(32),
        number=number,
        created_at=now or utcnow(),
        created_by_id=officer.id if officer else None,
    )
    session.add(doc)
    session.flush()
    return doc


PdfMaker = Callable[[Session, Document], bytes]
# Kinds whose PDF is made by their own domain (a receipt is drawn and signed by receipts),
# registered at start-up by ``app.wiring``; the other kinds are forms laid out from templates.
_MAKERS: dict[str, PdfMaker] = {}
# How long after its issue such a document's PDF is waited for (a receipt is drawn and signed
# in well under a second; on a busy machine, or behind a queue of them, in a few).
PDF_WAIT = timedelta(seconds=30)


def register_maker(kind: str, maker: PdfMaker) -> None:
    """Let a domain make (and store) the PDF of its own kind of document."""
    _MAKERS[kind] = maker


def pdf_pending(doc: Document | None, now: datetime | None = None) -> bool:
    """Whether the PDF of a document made by its own domain after the commit (a receipt,
    docs/decisions/0014) is still expected from the background thread: its pages say so and
    look again shortly. Past ``PDF_WAIT`` the job was dropped or its process stopped, and the
    pages link to the PDF, which the first download makes. Forms are made on first download
    and are never pending."""
    if doc is None or doc.sha256 or doc.kind not in _MAKERS:
        return False
    return (now or utcnow()) - doc.created_at < PDF_WAIT


def pending_ids(documents: list[Document]) -> set[int]:
    """The documents of a list whose PDF is still being made (``pdf_pending``)."""
    now = utcnow()
    return {doc.id for doc in documents if pdf_pending(doc, now)}


def pdf_bytes(session: Session, doc: Document) -> bytes:
    """The stored PDF; rendered from the frozen context the first time it is asked for.

    Two first downloads at once both render, but only the first stored PDF is kept and
    served from then on (the other request returns that one too). A receipt whose PDF was
    not stored after its payment committed is laid out and signed by the receipts service
    (docs/decisions/0014-receipt-pdf-after-commit.md)."""
    if doc.sha256:
        return storage.read_bytes(doc.sha256)
    maker = _MAKERS.get(doc.kind)
    if maker is not None:
        return maker(session, doc)
    context = _thaw(doc.context)
    if (context.get("doc") or {}).get("administrative"):
        data = _signed_form(session, doc, context)
    else:
        data = render.render_pdf(doc.kind, context)
    digest = storage.write_bytes(data)
    stored = session.execute(
        update(Document)
        .where(Document.id == doc.id, Document.sha256.is_(None))
        .values(sha256=digest, size=len(data))
        .execution_options(synchronize_session=False)
    )
    if int(getattr(stored, "rowcount", 0)) == 1:
        set_committed_value(doc, "sha256", digest)
        set_committed_value(doc, "size", len(data))
        return data
    session.refresh(doc, ["sha256", "size"])
    assert doc.sha256 is not None  # another request stored it first
    return storage.read_bytes(doc.sha256)


def _can_sign_now(session: Session, agency_id: int | None) -> bool:
    if agency_id is None:
        return False
    try:
        cert = signing_service.active_certificate(session, agency_id)
    except NotFound:
        return False
    return cert.not_before <= utcnow() <= cert.not_after


def _signed_form(session: Session, doc: Document, context: dict[str, Any]) -> bytes:
    """An administrative form (02–05) laid out and signed (PAdES) with the agency's
    certificate, its signature block saying so; laid out without that line and left unsigned
    when the agency has no certificate it can sign with (the form is never withheld)."""
    if _can_sign_now(session, doc.agency_id):
        assert doc.agency_id is not None
        signed_context = {**context, "signature": {"digital": True}}
        pdf = render.render_pdf(doc.kind, signed_context)
        officer = context.get("officer") or {}
        agency = context.get("agency") or {}
        try:
            return signing_service.sign_pdf(
                session,
                doc.agency_id,
                pdf,
                field_name=FORM_SIGNATURE_FIELD,
                reason=str((context.get("doc") or {}).get("title") or doc.title),
                location=str(agency.get("place") or ""),
                signer_name=str(officer.get("name") or agency.get("name") or ""),
                visible=False,
            )
        except DomainError as exc:  # expired meanwhile, unreadable bundle …
            log.warning("form %s of agency %s stored unsigned: %s", doc.id, doc.agency_id, exc)
    return render.render_pdf(doc.kind, context)


def number_of(doc: Document) -> str | None:
    """A document's number: an electronic result's (``GKS-26-000123``) or an administrative
    form's (``05/TB-UBND``, kept with its frozen content)."""
    frozen = ((doc.context or {}).get("doc") or {}).get("number")
    return doc.number or (str(frozen) if frozen else None)


def for_dossier(session: Session, dossier_id: int) -> list[Document]:
    return list(
        session.scalars(
            select(Document).where(Document.dossier_id == dossier_id).order_by(Document.id)
        )
    )


def by_token(session: Session, token: str) -> Document:
    doc = session.scalar(select(Document).where(Document.verify_token == token))
    if doc is None:
        raise NotFound(N_("Không tìm thấy văn bản. Mã xác minh không đúng."))
    return doc
