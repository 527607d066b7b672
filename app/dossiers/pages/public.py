"""Public pages: the dossier lookup (/tra-cuu) and the verification of an issued document
(/xac-minh/{token}, the QR code on every generated PDF)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.deps import client_ip
from app.agencies.models import Agency
from app.config import get_settings
from app.documents import service as document_service
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.errors import DomainError
from app.i18n_markers import N_
from app.ratelimit import lookup_limiter
from app.receipts.models import Receipt
from app.signing import service as signing_service
from app.web import render, translator
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


@router.get("/tra-cuu")
def lookup_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    code: str | None = None,
    secret: str | None = None,
) -> Response:
    """Public lookup by dossier code and lookup secret (or phone): status and timeline only."""
    _ = translator(request)
    code_text = (code or "").strip()[:60]
    secret_text = (secret or "").strip()[:20]
    errors: dict[str, str] = {}
    message = ""
    result = None
    status_code = 200
    if code is not None or secret is not None:
        if not code_text:
            errors["code"] = _("Vui lòng nhập mã hồ sơ.")
        if not secret_text:
            errors["secret"] = _("Vui lòng nhập mã tra cứu hoặc số điện thoại.")
        if errors:
            status_code = 422
        else:
            try:
                lookup_limiter.hit(
                    f"lookup:{client_ip(request)}",
                    get_settings().lookup_rate_limit,
                    LOOKUP_TOO_MANY,
                )
                found = dossier_service.lookup(session, code_text, secret_text)
                result = dossier_service.lookup_read(found)
            except DomainError as exc:
                # Rendered, not raised: the attempt must be committed for the limit to hold.
                message, status_code = _(exc.detail), exc.status_code
    return render(
        request,
        "dossiers/lookup.html",
        {
            "code": code_text,
            "secret": secret_text,
            "errors": errors,
            "message": message,
            "result": result,
            "action_labels": workflow.ACTION_LABELS,
        },
        status_code=status_code,
    )


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
    if doc.kind in ("receipt", "result"):
        # The stored file is checked as any validator would: intact, and a trusted chain.
        signature = signing_service.validate_pdf(pdf, signing_service.trust_roots_pem(session))
    receipt_status = None
    if doc.kind == "receipt" and (doc.context or {}).get("receipt_id"):
        receipt = session.get(Receipt, int(doc.context["receipt_id"]))
        receipt_status = receipt.status if receipt else None
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
            "receipt_status": receipt_status,
            "result": (doc.context or {}).get("result") if doc.kind == "result" else None,
        },
    )
