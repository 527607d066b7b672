"""Refunds: a fee is collected for a service rendered, so what was paid for a dossier that is
then rejected, stopped or withdrawn is paid back (SPEC §6).

What is due back is the dossier's settled payments that no refund has paid back yet, whatever
the fees are computed to be now. A cashier (or an agency admin) of the receiving agency records
the refund of one payment, in full: in cash or by transfer at the counter, or through the
gateway the payment came from (the built-in sandbox answers at once; VNPay's merchant API is
called). A refund the gateway refuses is kept ``failed`` with its message and may be tried
again; one that succeeds publishes ``RefundRecorded``, on which the receipt is cancelled with
the reason, the applicant told and the audit log appended, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import events
from app.accounts import service as account_service
from app.accounts.models import User
from app.config import get_settings
from app.db import utcnow
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.i18n_markers import N_
from app.payments import service as payment_service
from app.payments import vnpay
from app.payments.events import RefundRecorded
from app.payments.models import ONLINE_METHODS, REFUND_METHODS, Payment, Refund

# A fee is owed back once the dossier ends without the service (Decree 118/2025; the fee law).
REFUNDABLE_STATUSES = ("rejected", "stopped", "withdrawn")
METHOD_LABELS = {
    "cash": N_("Tiền mặt"),
    "transfer": N_("Chuyển khoản"),
    "gateway": N_("Hoàn qua cổng thanh toán"),
}
STATUS_LABELS = {
    "pending": N_("Đang xử lý"),
    "refunded": N_("Đã hoàn trả"),
    "failed": N_("Không thành công"),
}


def refunds_of(session: Session, dossier_id: int) -> list[Refund]:
    """Every refund of the dossier, failed ones included, oldest first."""
    return list(
        session.scalars(select(Refund).where(Refund.dossier_id == dossier_id).order_by(Refund.id))
    )


def _unrefunded(session: Session, dossier_id: int) -> list[Payment]:
    """Settled payments of the dossier that no refund has paid back (nor is paying back)."""
    covered = select(Refund.payment_id).where(
        Refund.dossier_id == dossier_id, Refund.status != "failed"
    )
    return list(
        session.scalars(
            select(Payment)
            .where(
                Payment.dossier_id == dossier_id,
                Payment.status == "paid",
                Payment.id.not_in(covered),
            )
            .order_by(Payment.id)
        )
    )


def due_payments(session: Session, dossier: Dossier) -> list[Payment]:
    """The payments to pay back: all of them once the dossier ended without the service;
    otherwise those paid beyond its fees (a second online attempt the bank also took), the
    newest first, each in full."""
    unrefunded = _unrefunded(session, dossier.id)
    if dossier.status in REFUNDABLE_STATUSES:
        return unrefunded
    excess = sum(p.amount for p in unrefunded) - payment_service.fees_total(dossier)
    extra = []
    for payment in reversed(unrefunded):
        if 0 < payment.amount <= excess:
            extra.append(payment)
            excess -= payment.amount
    return extra


def refund_due(session: Session, dossier: Dossier) -> int:
    """What is owed back to the applicant now (VND)."""
    return sum(p.amount for p in due_payments(session, dossier))


def refunded(session: Session, dossier_id: int) -> list[Refund]:
    """The refunds paid back, oldest first."""
    return [r for r in refunds_of(session, dossier_id) if r.status == "refunded"]


def by_receipt(session: Session, receipt_ids: list[int]) -> dict[int, Refund]:
    """The refunds that cancelled these receipts, by receipt id."""
    if not receipt_ids:
        return {}
    rows = session.scalars(select(Refund).where(Refund.receipt_id.in_(receipt_ids)))
    return {r.receipt_id: r for r in rows if r.receipt_id is not None}


@dataclass(frozen=True)
class Awaiting:
    """A dossier of the counter's list with money to pay back."""

    dossier: Dossier
    amount: int
    online: bool  # some of it was paid through a gateway, which can pay it back


def awaiting_refund(
    session: Session, agency_id: int, dossier_ids: list[int] | None = None, limit: int = 100
) -> list[Awaiting]:
    """Dossiers of the agency that still owe money back (one statement): those that ended
    without the service (all they paid), then those paid beyond their fees (the excess); the
    earliest first; or only ``dossier_ids`` among them."""
    covered = exists().where(Refund.payment_id == Payment.id, Refund.status != "failed")
    due = (
        select(
            Payment.dossier_id.label("dossier_id"),
            func.sum(Payment.amount).label("amount"),
            func.max(case((Payment.method.in_(ONLINE_METHODS), 1), else_=0)).label("online"),
        )
        .where(Payment.status == "paid", ~covered)
        .group_by(Payment.dossier_id)
        .subquery()
    )
    ended = Dossier.status.in_(REFUNDABLE_STATUSES)
    fees = payment_service.fees_column()
    amount = case((ended, due.c.amount), else_=due.c.amount - fees)
    stmt = (
        select(Dossier, amount, due.c.online)
        .join(due, due.c.dossier_id == Dossier.id)
        .where(Dossier.agency_id == agency_id, or_(ended, due.c.amount > fees))
        .order_by(case((ended, 0), else_=1), Dossier.finished_at, Dossier.id)
        .limit(limit)
    )
    if dossier_ids is not None:
        stmt = stmt.where(Dossier.id.in_(dossier_ids))
    return [
        Awaiting(dossier=d, amount=int(amount or 0), online=bool(online))
        for d, amount, online in session.execute(stmt)
    ]


def can_refund(session: Session, user: User | None, dossier: Dossier) -> bool:
    """A cashier of the receiving agency (the receipt's issuer), or an agency admin above it."""
    if user is None or not user.is_staff or user.agency_id is None:
        return False
    if user.has_role("cashier") and user.agency_id == dossier.agency_id:
        return True
    return user.has_role("agency_admin") and dossier.agency_id in (
        account_service.agency_subtree_ids(session, user.agency_id)
    )


FORBIDDEN = N_("Chỉ cán bộ thu phí hoặc quản trị viên của cơ quan tiếp nhận hồ sơ được hoàn phí.")


def dossier_to_refund(session: Session, user: User | None, dossier_id: int) -> Dossier:
    """The dossier a refund is asked for. An officer of another agency is told they may not
    (403); anyone else who may not see the dossier learns nothing of it (404)."""
    if user is not None and user.is_staff:
        dossier = session.get(Dossier, dossier_id)
        if dossier is None or dossier.status == "draft":
            raise NotFound(N_("Không tìm thấy hồ sơ."))
        if not can_refund(session, user, dossier):
            raise Forbidden(FORBIDDEN)
        return dossier
    return dossier_service.get_visible(session, user, dossier_id)


def _payment_to_refund(session: Session, dossier: Dossier, method: str) -> Payment:
    due = due_payments(session, dossier)
    if not due:
        done = refunded(session, dossier.id)
        if done:
            raise Conflict(N_("Phí, lệ phí của hồ sơ này đã được hoàn trả."))
        raise Conflict(N_("Hồ sơ không có khoản phí, lệ phí nào phải hoàn trả."))
    if method != "gateway":
        return due[0]
    online = [p for p in due if p.method in ONLINE_METHODS]
    if not online:
        raise InvalidInput(
            N_("Khoản phí được nộp tại quầy nên không hoàn qua cổng thanh toán được."),
            fields={"method": "not online"},
        )
    return online[0]


def _clean_reason(reason: str | None) -> str:
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise InvalidInput(N_("Cần nêu lý do hoàn phí."), fields={"reason": "required"})
    return cleaned[:1000]


def _claim(session: Session, refund: Refund) -> None:
    """Insert the refund; a second refund of the same payment is stopped by the database."""
    try:
        with session.begin_nested():
            session.add(refund)
            session.flush()
    except IntegrityError:
        raise Conflict(N_("Phí, lệ phí của hồ sơ này đã được hoàn trả.")) from None


def _gateway(payment: Payment, refund: Refund, user: User, ip: str, now: datetime) -> None:
    """Ask the payment's gateway to pay back; sets the refund's status and reference."""
    if payment.method == "sandbox":
        refund.status = "refunded"
        refund.gateway_ref = f"SBR{now:%Y%m%d%H%M%S}{refund.id}"
        refund.gateway_data = {"vnp_ResponseCode": "00", "vnp_Message": "Sandbox refund"}
        return
    settings = get_settings()
    body = vnpay.refund_request(
        tmn_code=settings.vnpay_tmn_code,
        secret=settings.vnpay_hash_secret,
        txn_ref=payment.txn_ref,
        amount_vnd=payment.amount,
        transaction_no=payment.gateway_txn,
        paid_created=payment.created_at,
        created_by=user.email,
        ip=ip,
        order_info=f"Hoan phi ho so {payment.dossier_id}",
        now=now,
    )
    answer = vnpay.call_refund(
        settings.vnpay_api_url,
        body,
        settings.vnpay_hash_secret,
        settings.vnpay_api_timeout_seconds,
    )
    refund.gateway_data = {**answer.data, "vnp_RequestId": body["vnp_RequestId"]}
    if answer.ok:
        refund.status = "refunded"
        refund.gateway_ref = answer.reference[:60]
    else:
        refund.status = "failed"
        refund.message = " ".join(p for p in (answer.code, answer.message) if p)[:1000]


def record_refund(
    session: Session,
    dossier: Dossier,
    user: User,
    method: str,
    reason: str | None,
    ip: str = "",
    now: datetime | None = None,
) -> Refund:
    """Pay back the oldest payment still due of a rejected, stopped or withdrawn dossier
    (``now`` for replayed histories). Returns the refund, ``refunded`` or (a gateway's refusal)
    ``failed``."""
    if not can_refund(session, user, dossier):
        raise Forbidden(FORBIDDEN)
    if method not in REFUND_METHODS:
        raise InvalidInput(
            N_("Chọn hình thức hoàn trả: tiền mặt, chuyển khoản hoặc qua cổng thanh toán."),
            fields={"method": "invalid"},
        )
    cleaned = _clean_reason(reason)
    payment = _payment_to_refund(session, dossier, method)
    if method == "gateway" and payment.method == "vnpay" and not payment_service.vnpay_configured():
        raise Conflict(N_("Cổng VNPay chưa được cấu hình."))
    now = now or utcnow()
    refund = Refund(
        dossier_id=dossier.id,
        payment_id=payment.id,
        amount=payment.amount,
        method=method,
        reason=cleaned,
        status="pending",
        message="",
        gateway_ref="",
        gateway_data={},
        created_by_id=user.id,
        created_at=now,
    )
    _claim(session, refund)
    if method == "gateway":
        _gateway(payment, refund, user, ip, now)
    else:
        refund.status = "refunded"
    if refund.status == "refunded":
        refund.refunded_at = now
    session.flush()
    if refund.status == "refunded":
        events.publish(
            session, RefundRecorded(refund=refund, payment=payment, dossier=dossier, actor=user)
        )
    return refund
