"""Payment endpoints of the JSON API, and VNPay's IPN callback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from app.accounts.deps import client_ip
from app.config import get_settings
from app.db import MAX_ID
from app.dossiers import service as dossier_service
from app.payments import refunds, schemas, service
from app.payments.models import Payment, Refund
from app.receipts import service as receipt_service
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1", tags=["payments"])


def payment_read(session: Session, payment: Payment, ip: str = "") -> schemas.PaymentRead:
    return schemas.PaymentRead(
        payment_id=payment.id,
        dossier_id=payment.dossier_id,
        method=payment.method,
        status=payment.status,
        amount=payment.amount,
        items=[schemas.PaymentItem(**i) for i in payment.items],
        redirect_url=service.redirect_url(payment, ip),
        receipt_id=receipt_service.receipt_id(session, payment),
        created_at=payment.created_at,
        paid_at=payment.paid_at,
    )


@router.post("/dossiers/{dossier_id}/payments", response_model=schemas.PaymentRead, status_code=201)
def create_payment(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    data: schemas.PaymentCreate,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.PaymentRead:
    """Pay the dossier's outstanding fees: `cash`/`transfer` by a cashier (settled at once,
    receipt issued), `sandbox`/`vnpay` by the applicant (follow `redirect_url`; a recent online
    payment of the same method still pending for the same amount is returned again)."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    payment = service.start_payment(session, dossier, user, data.method, client_ip(request))
    return payment_read(session, payment, client_ip(request))


@router.get("/dossiers/{dossier_id}/payments", response_model=schemas.PaymentList)
def list_payments(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.PaymentList:
    """Payments of a dossier and what remains to be paid."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    return schemas.PaymentList(
        items=[
            payment_read(session, p, client_ip(request))
            for p in service.for_dossier(session, dossier.id)
        ],
        outstanding=service.outstanding(session, dossier),
        refund_due=refunds.refund_due(session, dossier),
    )


def refund_read(refund: Refund) -> schemas.RefundRead:
    return schemas.RefundRead(
        refund_id=refund.id,
        dossier_id=refund.dossier_id,
        payment_id=refund.payment_id,
        receipt_id=refund.receipt_id,
        amount=refund.amount,
        method=refund.method,
        status=refund.status,
        reason=refund.reason,
        message=refund.message,
        gateway_ref=refund.gateway_ref,
        created_at=refund.created_at,
        refunded_at=refund.refunded_at,
    )


@router.post("/dossiers/{dossier_id}/refunds", response_model=schemas.RefundRead, status_code=201)
def create_refund(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    data: schemas.RefundCreate,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.RefundRead:
    """Pay back the fees of a rejected, stopped or withdrawn dossier (a cashier or agency admin
    of the receiving agency): `cash`, `transfer`, or `gateway` (the payment's online gateway).
    The receipt is cancelled with the reason. A refusal of the gateway is answered with
    `status` `failed` and its `message`; the receipt stays valid and the refund may be retried."""
    dossier = refunds.dossier_to_refund(session, user, dossier_id)
    refund = refunds.record_refund(
        session, dossier, user, data.method, data.reason, client_ip(request)
    )
    return refund_read(refund)


@router.get("/dossiers/{dossier_id}/refunds", response_model=list[schemas.RefundRead])
def list_refunds(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> list[schemas.RefundRead]:
    """Refunds of a dossier (failed attempts included)."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    return [refund_read(r) for r in refunds.refunds_of(session, dossier.id)]


@router.get("/payments/{payment_id}", response_model=schemas.PaymentRead)
def get_payment(
    payment_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.PaymentRead:
    """One payment (its dossier's owner or authorised staff)."""
    return payment_read(session, service.get_visible(session, user, payment_id), client_ip(request))


@router.get("/payments/vnpay/ipn", response_model=schemas.IpnAnswer, tags=["public"])
def vnpay_ipn(request: Request, session: SessionDep) -> JSONResponse:
    """VNPay's server-to-server callback: verified, amount-checked and idempotent."""
    params = {k: v for k, v in request.query_params.items()}
    try:
        code, message = service.handle_callback(session, params, get_settings().vnpay_hash_secret)
    except Exception:  # VNPay needs an answer in its own format whatever happened
        session.rollback()
        service.log.exception("VNPay IPN failed")
        code, message = "99", "Unknown error"
    return JSONResponse({"RspCode": code, "Message": message})
