"""Public pages: the dossier lookup (/tra-cuu) and the verification of an issued document
(/xac-minh/{token}, the QR code on every generated PDF)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.accounts.deps import client_ip
from app.agencies.models import Agency
from app.config import get_settings
from app.documents import service as document_service
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.errors import DomainError
from app.i18n_markers import N_
from app.ratelimit import LimitReached, lookup_limiter
from app.receipts.models import Receipt
from app.signing import service as signing_service
from app.web import render, translator, verify_csrf
from app.web.deps import OptionalUser, SessionDep
from app.workflow import service as workflow

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "form_01": N_("Mẫu số 01 — Thông tư 03/2025/TT-VPCP"),
    "form_02": N_("Mẫu số 02 — Thông tư 03/2025/TT-VPCP"),
    "form_03": N_("Mẫu số 03 — Thông tư 03/2025/TT-VPCP"),
    "form_04": N_("Mẫu số 04 — Thông tư 03/2025/TT-VPCP"),
    "form_05": N_("Mẫu số 05 — Thông tư 03/2025/TT-VPCP"),
    "form_06": N_("Mẫu số 06 — Thông tư 03/2025/TT-VPCP"),
    "form_07": N_("Mẫu số 07 — Thông tư 03/2025/TT-VPCP"),
    "receipt": N_("Biên lai điện tử thu phí, lệ phí"),
    "result": N_("Kết quả giải quyết thủ tục hành chính"),
}
LOOKUP_WINDOW = timedelta(minutes=10)
LOOKUP_TOO_MANY = N_("Tra cứu quá nhiều lần, vui lòng thử lại sau ít phút.")


# --- public lookup and verification ------------------------------------------------------


def _lookup_page(
    request: Request,
    code: str = "",
    secret: str = "",
    errors: dict[str, str] | None = None,
    message: str = "",
    result: object = None,
    status_code: int = 200,
) -> Response:
    response = render(
        request,
        "dossiers/lookup.html",
        {
            "code": code,
            "secret": secret,
            "errors": errors or {},
            "message": message,
            "result": result,
            "action_labels": workflow.ACTION_LABELS,
        },
        status_code=status_code,
    )
    # The answer to a lookup is nobody else's: not kept by a cache, not sent on as Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/tra-cuu")
def lookup_page(
    request: Request,
    user: OptionalUser,
    code: str | None = None,
) -> Response:
    """The public lookup form; ``?code=`` fills in the dossier code. The secret is never read
    from the address (history, logs, Referer): the form posts it."""
    return _lookup_page(request, code=(code or "").strip()[:60])


@router.post("/tra-cuu", dependencies=[Depends(verify_csrf)])
async def lookup_submit(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
) -> Response:
    """Public lookup by dossier code and lookup secret (SPEC §3: a phone number is no secret):
    status and timeline only."""
    _ = translator(request)
    form = await request.form()
    code_text = str(form.get("code", "")).strip()[:60]
    secret_text = str(form.get("secret", "")).strip()[:20]
    errors: dict[str, str] = {}
    if not code_text:
        errors["code"] = _("Vui lòng nhập mã hồ sơ.")
    if not secret_text:
        errors["secret"] = _("Vui lòng nhập mã tra cứu.")
    if errors:
        return _lookup_page(request, code_text, "", errors, status_code=422)

    def work() -> Response:
        try:
            lookup_limiter.hit(
                f"lookup:{client_ip(request)}", get_settings().lookup_rate_limit, LOOKUP_TOO_MANY
            )
            found = dossier_service.lookup(session, code_text, secret_text)
        except DomainError as exc:
            # Rendered, not raised: the attempt must be committed for the limit to hold.
            text = exc.message(_) if isinstance(exc, LimitReached) else _(exc.detail)
            return _lookup_page(request, code_text, "", message=text, status_code=exc.status_code)
        return _lookup_page(request, code_text, "", result=dossier_service.lookup_read(found))

    return await run_in_threadpool(work)


@router.get("/xac-minh/{token}")
def verify_document(
    token: str,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
) -> Response:
    """Public verification of an issued document (the QR code on every generated PDF)."""
    doc = document_service.by_token(session, token[:64])
    pdf = document_service.pdf_bytes(session, doc)  # renders and stores it the first time
    signature = None
    if doc.kind in document_service.SIGNED_KINDS:
        # The stored file is checked as any validator would: intact, and a trusted chain.
        signature = signing_service.validate_pdf(pdf, signing_service.trust_roots_pem(session))
    receipt_status = None
    if doc.kind == "receipt" and (doc.context or {}).get("receipt_id"):
        receipt = session.get(Receipt, int(doc.context["receipt_id"]))
        receipt_status = receipt.status if receipt else None
    # What the banner may say: "valid" only for what can be verified (probe finding L7).
    if receipt_status in ("cancelled", "replaced"):
        verdict = "void"
    elif signature is None or signature["ok"]:
        verdict = "valid"
    elif signature["signatures"]:
        verdict = "bad_signature"
    else:
        verdict = "unsigned"
    agency = session.get(Agency, doc.agency_id) if doc.agency_id else None
    dossier = session.get(Dossier, doc.dossier_id) if doc.dossier_id else None
    frozen = (doc.context or {}).get("dossier") or {}
    issued: date | datetime = doc.created_at
    return render(
        request,
        "dossiers/verify.html",
        {
            "doc": doc,
            "kind_label": KIND_LABELS.get(doc.kind, doc.kind),
            "agency_name": agency.name if agency else "",
            "dossier_code": frozen.get("code") or (dossier.code if dossier else "") or "",
            "issued_at": issued,
            "signature": signature,
            "verdict": verdict,
            "result": (doc.context or {}).get("result") if doc.kind == "result" else None,
            # An administrative form's number (Số: 12/TB-UBND), kept with its frozen content.
            "form_number": document_service.number_of(doc) or "",
        },
    )
