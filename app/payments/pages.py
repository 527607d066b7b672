"""Payment pages: choosing a method, the built-in sandbox bank, the gateway return page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.accounts.deps import client_ip
from app.accounts.models import User
from app.config import get_settings
from app.db import utcnow
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.errors import DomainError, Forbidden, NotFound
from app.i18n_markers import N_
from app.payments import service
from app.payments.models import Payment
from app.receipts import service as receipt_service
from app.web import render, translator, verify_csrf
from app.web.deps import CurrentUser, OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)


def _online_methods() -> list[str]:
    sandbox = ["sandbox"] if get_settings().sandbox_enabled else []
    return sandbox + (["vnpay"] if service.vnpay_configured() else [])


def _sandbox_payment(session: Session, txn_ref: str, user: User | None) -> Payment:
    """The sandbox payment behind a test-bank page: only where the sandbox is on, and only for
    the payer who opened it (nobody else may confirm or cancel it)."""
    payment = service.by_txn_ref(session, txn_ref[:40])
    if payment is None or payment.method != "sandbox" or not get_settings().sandbox_enabled:
        raise NotFound(N_("Không tìm thấy giao dịch."))
    if user is None or payment.created_by_id != user.id:
        raise Forbidden(N_("Chỉ người nộp hồ sơ đã mở giao dịch này được xác nhận thanh toán."))
    return payment


def _choice_page(
    request: Request, session: Session, dossier: Dossier, error: str = "", status_code: int = 200
) -> Response:
    return render(
        request,
        "payments/choose.html",
        {
            "dossier": dossier,
            "items": service.fee_lines(dossier),
            "outstanding": service.outstanding(session, dossier),
            "payments": service.for_dossier(session, dossier.id),
            "methods": _online_methods(),
            "method_labels": service.METHOD_LABELS,
            "status_labels": service.STATUS_LABELS,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/ho-so/{dossier_id}/thanh-toan")
def choose(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    dossier = dossier_service.get_visible(session, user, dossier_id)
    return _choice_page(request, session, dossier)


@router.post("/ho-so/{dossier_id}/thanh-toan", dependencies=[Depends(verify_csrf)])
async def start(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await request.form()
    method = str(form.get("method", ""))
    dossier = dossier_service.get_visible(session, user, dossier_id)
    if method not in _online_methods():
        _ = translator(request)
        return _choice_page(
            request, session, dossier, _("Vui lòng chọn hình thức thanh toán."), 422
        )
    try:
        payment = await run_in_threadpool(
            service.start_payment, session, dossier, user, method, client_ip(request)
        )
    except DomainError as exc:
        return _choice_page(
            request, session, dossier, translator(request)(exc.detail), exc.status_code
        )
    target = service.redirect_url(payment, client_ip(request))
    assert target is not None
    return RedirectResponse(target, status_code=303)


@router.get("/thanh-toan/sandbox/{txn_ref}")
def sandbox_page(
    txn_ref: str,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
) -> Response:
    """The built-in test bank: shows the order and lets the payer confirm or cancel."""
    payment = _sandbox_payment(session, txn_ref, user)
    dossier = session.get(Dossier, payment.dossier_id)
    return render(request, "payments/sandbox.html", {"payment": payment, "dossier": dossier})


@router.post("/thanh-toan/sandbox/{txn_ref}", dependencies=[Depends(verify_csrf)])
async def sandbox_decide(
    txn_ref: str, request: Request, session: SessionDep, user: OptionalUser
) -> Response:
    """The test bank's decision, sent back signed like a real gateway's callback."""
    form = await request.form()
    approve = form.get("decision") == "confirm"

    def decide() -> dict[str, str]:
        payment = _sandbox_payment(session, txn_ref, user)
        params = service.sandbox_callback_params(payment, approve, utcnow())
        # The bank notifies the merchant server-to-server (as VNPay's IPN) ...
        service.handle_callback(session, params, service.sandbox_secret())
        return params

    # Settling is blocking database work (the receipt's PDF comes later, ADR 0014): off the loop.
    params = await run_in_threadpool(decide)
    # ... and sends the payer back to the merchant's return page.
    return RedirectResponse("/thanh-toan/ket-qua?" + urlencode(params), status_code=303)


@router.get("/thanh-toan/ket-qua")
def gateway_return(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
) -> Response:
    """Return page for the payer; the payment itself is settled by the callback (IPN). A
    payment that did not go through offers "Thử lại" while the dossier still owes fees."""
    params = dict(request.query_params)
    secret = (
        service.sandbox_secret()
        if params.get("vnp_TmnCode") == "SANDBOX"
        else get_settings().vnpay_hash_secret
    )
    valid = service.verify_signature(params, secret)
    payment = service.by_txn_ref(session, params.get("vnp_TxnRef", "")[:40]) if valid else None
    approved = params.get("vnp_ResponseCode") == "00"
    retry = False
    if payment is not None:
        service.record_refusal(session, params, secret)
        dossier = session.get(Dossier, payment.dossier_id)
        retry = (
            payment.status in ("failed", "cancelled")
            and dossier is not None
            and service.outstanding(session, dossier) > 0
        )
    receipt_id = receipt_service.receipt_id(session, payment) if payment else None
    return render(
        request,
        "payments/result.html",
        {
            "valid": valid,
            "payment": payment,
            "receipt_id": receipt_id,
            "approved": approved,
            "retry": retry,
        },
        status_code=200 if valid else 400,
    )
