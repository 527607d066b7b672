"""Fees of a dossier, counter and online payments, gateway callbacks and settlement.

Amounts are always computed by the server: the fee is frozen on the dossier from its declared
data when it is submitted or received at the counter (``freeze_fees``, calculation in
``app.payments.fees``); dossiers older than that rule owe the flat sum of their fee items.
A payment settles at most once (a conditional UPDATE from ``pending``), so replayed or
concurrent callbacks change nothing; settling issues the electronic receipt in the same
transaction. Starting an online payment again while one is still pending reuses it
(``start_payment``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session, object_session

from app import events
from app.accounts.models import User
from app.calendar import service as calendar_service
from app.catalog.models import FeeItem
from app.config import get_settings
from app.db import utcnow
from app.dossiers import service as dossier_service
from app.dossiers.models import FINAL_STATUSES, Dossier
from app.errors import Conflict, Forbidden, NotFound
from app.i18n_markers import N_
from app.payments import fees as fee_rules
from app.payments import vnpay
from app.payments.events import PaymentSettled
from app.payments.models import ONLINE_METHODS, Payment
from app.postal import service as postal_service
from app.text import url_origin

log = logging.getLogger(__name__)
METHOD_LABELS = {
    "cash": N_("Tiền mặt"),
    "transfer": N_("Chuyển khoản"),
    "sandbox": N_("Cổng thanh toán thử nghiệm"),
    "vnpay": N_("VNPay"),
}
# What the payer sees of a payment's status (the API keeps the codes).
STATUS_LABELS = {
    "pending": N_("Chưa hoàn tất"),
    "paid": N_("Đã thanh toán"),
    "failed": N_("Không thành công"),
    "cancelled": N_("Đã hủy"),
}
# A pending online payment is offered again for this long. VNPay refuses a payment URL after
# its vnp_ExpireDate (GATEWAY_EXPIRY after the payment was made), so one reused at the end of
# the window still leaves the payer five minutes at the bank.
REUSE_WINDOW = timedelta(minutes=10)
GATEWAY_EXPIRY = timedelta(minutes=vnpay.EXPIRE_MINUTES)


def _rowcount(result: Any) -> int:
    """Rows matched by an UPDATE (a CursorResult)."""
    return int(result.rowcount)


def _flat_items(dossier: Dossier) -> list[dict[str, Any]]:
    """Dossiers without a frozen fee (submitted before fees were frozen): the flat amounts."""
    return [
        {"name": f.name, "amount": f.amount}
        for f in dossier.version.fees
        if f.amount > 0 and f.channel in (None, dossier.channel)
    ]


def fee_lines(dossier: Dossier) -> list[dict[str, Any]]:
    """The dossier's fee lines (name, amount, quantity text, explanation), free ones left out:
    the frozen ones, else the flat items."""
    if dossier.fee_lines is None:
        return [{**i, "quantity_text": "", "explanation": ""} for i in _flat_items(dossier)]
    return [dict(li) for li in dossier.fee_lines if int(li.get("amount", 0)) > 0]


def fee_items(dossier: Dossier) -> list[dict[str, Any]]:
    """What the payment and its receipt list: each fee's name (with its quantities, e.g.
    "(5 trang × 2 bản)") and amount."""
    return [
        {
            "name": (
                f"{li['name']} ({li['quantity_text']})" if li.get("quantity_text") else li["name"]
            )[:255],
            "amount": int(li["amount"]),
        }
        for li in fee_lines(dossier)
    ]


def fees_total(dossier: Dossier) -> int:
    """What the dossier's fees come to: the frozen figure, else the flat sum."""
    if dossier.fee_amount is not None:
        return dossier.fee_amount
    return sum(int(i["amount"]) for i in _flat_items(dossier))


def compute_fees(dossier: Dossier) -> fee_rules.Fees:
    """The fees of the dossier's declared data now (InvalidInput naming a bad quantity)."""
    rules = fee_rules.rules_of(dossier.version.fees)
    return fee_rules.compute(rules, dossier.form_data or {}, dossier.channel)


def freeze_fees(session: Session, dossier: Dossier) -> None:
    """Freeze the fee from the declared data (submission, counter reception, a resubmission).
    Once something has been paid the figure stays: the receipt is issued for it."""
    if paid_total(session, dossier.id) > 0:
        return
    computed = compute_fees(dossier)
    # The result by post (issue 24) is paid with the fees, as a line of its own.
    postal = postal_service.fee_lines(session, dossier)
    dossier.fee_amount = computed.amount + sum(int(li["amount"]) for li in postal)
    dossier.fee_lines = computed.lines + postal


def paid_total(session: Session, dossier_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.dossier_id == dossier_id, Payment.status == "paid"
            )
        )
        or 0
    )


def outstanding(session: Session, dossier: Dossier) -> int:
    """What the dossier still owes (never below 0)."""
    return max(0, fees_total(dossier) - paid_total(session, dossier.id))


def fees_column() -> ColumnElement[int]:
    """``fees_total`` as a column of a dossier query: the frozen fee, else the flat items."""
    flat = (
        select(func.coalesce(func.sum(FeeItem.amount), 0))
        .where(
            FeeItem.version_id == Dossier.version_id,
            FeeItem.amount > 0,
            or_(FeeItem.channel.is_(None), FeeItem.channel == Dossier.channel),
        )
        .scalar_subquery()
    )
    return func.coalesce(Dossier.fee_amount, flat)


def outstanding_column() -> ColumnElement[int]:
    """``outstanding`` as a column of a dossier query (same rules as ``fees_total`` and
    ``paid_total``), so a list of dossiers learns what each still owes in its own statement
    instead of two more per dossier. Negative when overpaid: compare with 0."""
    paid = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.dossier_id == Dossier.id, Payment.status == "paid")
        .scalar_subquery()
    )
    return (fees_column() - paid).label("outstanding")


def needs_payment_now(session: Session, dossier: Dossier, moment: str) -> bool:
    """The process requires payment at ``moment`` and fees remain unpaid."""
    return dossier.version.payment_moment == moment and outstanding(session, dossier) > 0


def hold_for_payment(dossier: Dossier, resume: str) -> None:
    """Park the dossier in awaiting_payment; it resumes at ``resume`` once paid."""
    dossier.resume_status = resume
    dossier.status = "awaiting_payment"


def _is_cashier(user: User, dossier: Dossier) -> bool:
    return user.has_role("cashier") and user.agency_id in (
        dossier.agency_id,
        dossier.handling_agency_id,
    )


def vnpay_configured() -> bool:
    """The VNPay gateway is offered only with a merchant code and a hash secret."""
    settings = get_settings()
    return bool(settings.vnpay_tmn_code and settings.vnpay_hash_secret)


def gateway_origins() -> list[str]:
    """Origins of the external gateways the payer's browser is sent to (scheme, host, port),
    for the pages' Content-Security-Policy; none when only the built-in sandbox is on."""
    origin = url_origin(get_settings().vnpay_url) if vnpay_configured() else None
    return [origin] if origin else []


def _pending_to_reuse(
    session: Session, dossier: Dossier, method: str, amount: int
) -> Payment | None:
    """The pending online payment of this dossier and method to send the payer to again, so
    that a second click or a reload does not pile up payments.

    The newest one is reused if it asks for exactly ``amount`` (what is owed now) and is younger
    than ``REUSE_WINDOW``. Those of the method that ask for another amount (the fees changed)
    or are past ``GATEWAY_EXPIRY`` (the gateway no longer takes them) are cancelled. One
    between the two ages is left pending, since the payer may still be paying it in another
    tab (settling any payment cancels the others), and the caller makes a new one."""
    pending = session.scalars(
        select(Payment)
        .where(
            Payment.dossier_id == dossier.id,
            Payment.method == method,
            Payment.status == "pending",
        )
        .order_by(Payment.id.desc())
    ).all()
    now = utcnow()
    reuse = None
    for payment in pending:
        age = now - payment.created_at
        if payment.amount != amount or age >= GATEWAY_EXPIRY:
            _update_pending(session, payment, status="cancelled")
        elif reuse is None and age < REUSE_WINDOW:
            reuse = payment
    return reuse


def start_payment(
    session: Session,
    dossier: Dossier,
    user: User,
    method: str,
    ip: str = "",
    now: datetime | None = None,
) -> Payment:
    """Record a counter payment (settled at once) or open an online one (pending); an online
    payment still pending for the same dossier, method and amount is returned again instead
    of a new one (see ``_pending_to_reuse``)."""
    if dossier.status in ("draft", *FINAL_STATUSES) and not (
        dossier.status == "completed" and outstanding(session, dossier) > 0
    ):
        raise Conflict(N_("Hồ sơ ở trạng thái này không nhận thanh toán."))
    if dossier.status == "withdrawal_requested":
        # Decree 118/2025 Art. 21: the applicant asked to withdraw; a fee now would be owed back.
        raise Conflict(N_("Hồ sơ đang chờ chấp nhận rút, không nhận thanh toán."))
    if method in ONLINE_METHODS:
        if not dossier_service.is_owner(user, dossier):
            raise Forbidden(N_("Chỉ người nộp hồ sơ thanh toán trực tuyến."))
    elif not _is_cashier(user, dossier):
        raise Forbidden(N_("Chỉ cán bộ thu phí của cơ quan ghi nhận thanh toán tại quầy."))
    amount = outstanding(session, dossier)
    if amount <= 0:
        raise Conflict(N_("Hồ sơ không còn khoản phí, lệ phí nào phải nộp."))
    if method == "vnpay" and not vnpay_configured():
        raise Conflict(N_("Cổng VNPay chưa được cấu hình."))
    if method == "sandbox" and not get_settings().sandbox_enabled:
        raise Conflict(N_("Cổng thanh toán thử nghiệm không được bật trên hệ thống này."))
    if method in ONLINE_METHODS:
        pending = _pending_to_reuse(session, dossier, method, amount)
        if pending is not None:
            return pending
    payment = Payment(
        dossier_id=dossier.id,
        method=method,
        amount=amount,
        items=fee_items(dossier),
        status="pending",
        txn_ref=f"{dossier.id}-{secrets.token_hex(6)}",
        created_by_id=user.id,
        created_at=now or utcnow(),
    )
    session.add(payment)
    session.flush()
    if method not in ONLINE_METHODS:
        settle(session, payment, user, gateway_txn="", data={"ip": ip}, now=now)
    return payment


def redirect_url(payment: Payment, ip: str = "") -> str | None:
    """Where to send the payer for an online payment still pending."""
    if payment.status != "pending" or payment.method not in ONLINE_METHODS:
        return None
    base = get_settings().base_url.rstrip("/")
    if payment.method == "sandbox":
        return f"/thanh-toan/sandbox/{payment.txn_ref}"
    settings = get_settings()
    # The payer reads the order at the bank: it names the dossier by its code, not our id.
    session = object_session(payment)
    dossier = session.get(Dossier, payment.dossier_id) if session is not None else None
    reference = dossier.code if dossier is not None and dossier.code else str(payment.dossier_id)
    return vnpay.payment_url(
        base_url=settings.vnpay_url,
        tmn_code=settings.vnpay_tmn_code,
        secret=settings.vnpay_hash_secret,
        txn_ref=payment.txn_ref,
        amount_vnd=payment.amount,
        order_info=f"Thanh toan phi ho so {reference}",
        return_url=f"{base}/thanh-toan/ket-qua",
        ip=ip,
        created=payment.created_at,
    )


def settle(
    session: Session,
    payment: Payment,
    collector: User | None,
    *,
    gateway_txn: str,
    data: Mapping[str, Any],
    now: datetime | None = None,
    voided_too: bool = False,
) -> bool:
    """Mark a pending payment paid and release the dossier, once only; the receipt, the notice
    and the audit entry come from the subscribers of ``PaymentSettled``. ``now``: the moment
    of payment (the demo history replays past moments). ``voided_too``: also an attempt this
    portal cancelled (the gateway's word that it took the money)."""
    now = now or utcnow()
    claimable = ("pending", "cancelled") if voided_too else ("pending",)
    claimed = _rowcount(
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status.in_(claimable))
            .values(
                status="paid",
                paid_at=now,
                gateway_txn=gateway_txn[:60],
                gateway_data=dict(data),
            )
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        return False
    session.refresh(payment)
    dossier = session.get(Dossier, payment.dossier_id)
    assert dossier is not None
    # Other pending online attempts for the same fees are void now.
    session.execute(
        update(Payment)
        .where(
            Payment.dossier_id == dossier.id, Payment.status == "pending", Payment.id != payment.id
        )
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    if dossier.status == "awaiting_payment" and outstanding(session, dossier) == 0:
        before = dossier.status
        dossier.status = dossier.resume_status or "processing"
        dossier.resume_status = None
        if dossier.status == "submitted" and dossier.answer_due_at is None:
            dossier.answer_due_at = calendar_service.get_calendar(session).answer_due_at(now)
            dossier.step_due_at = dossier.answer_due_at
        dossier_service.record(
            session,
            dossier,
            collector,
            "payment",
            before,
            data={"payment_id": payment.id},
            at=now,
        )
    else:
        dossier_service.record(
            session,
            dossier,
            collector,
            "payment",
            dossier.status,
            data={"payment_id": payment.id},
            at=now,
        )
    session.flush()
    events.publish(session, PaymentSettled(payment=payment, dossier=dossier, collector=collector))
    return True


def _update_pending(session: Session, payment: Payment, **values: Any) -> bool:
    """Change a payment that is still pending (once only: False when it no longer is)."""
    changed = _rowcount(
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status == "pending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(payment)
    return changed == 1


def fail(session: Session, payment: Payment, data: Mapping[str, Any]) -> bool:
    """Mark a pending payment failed with what the gateway said, once only."""
    return _update_pending(session, payment, status="failed", gateway_data=dict(data))


def by_txn_ref(session: Session, txn_ref: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.txn_ref == txn_ref))


def for_dossier(session: Session, dossier_id: int) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment).where(Payment.dossier_id == dossier_id).order_by(Payment.id)
        )
    )


def get_visible(session: Session, user: User, payment_id: int) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound(N_("Không tìm thấy giao dịch."))
    dossier_service.get_visible(session, user, payment.dossier_id)
    return payment


# --- gateways -------------------------------------------------------------------------------


def sandbox_secret() -> str:
    """The built-in sandbox bank signs its callbacks like VNPay, with a derived secret."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"motcua-sandbox-gateway", hashlib.sha256).hexdigest()


def record_unsettled(session: Session, payment: Payment, data: Mapping[str, Any]) -> bool:
    """Keep what the gateway reported about a payment that stays pending (its codes), so that
    a cashier can see why; the payment itself does not change."""
    return _update_pending(session, payment, gateway_data=dict(data))


def conclude(
    session: Session, payment: Payment, verdict: str, gateway_txn: str, data: Mapping[str, Any]
) -> bool:
    """Apply a gateway's verified verdict on a pending payment (the IPN's and the worker's
    querydr's one path): settle it (receipt, notice, audit by ``PaymentSettled``), fail it, or
    record the codes and leave it pending. False when the payment was no longer pending."""
    if verdict == vnpay.PAID:
        # Also an attempt cancelled here (a newer one was made, or another settled first): the
        # bank took that money, so it is recorded with its receipt; what is paid beyond the
        # fees is owed back (refunds.due_payments).
        return settle(session, payment, None, gateway_txn=gateway_txn, data=data, voided_too=True)
    if verdict == vnpay.FAILED:
        return fail(session, payment, data)
    return record_unsettled(session, payment, data)


def handle_callback(session: Session, params: Mapping[str, str], secret: str) -> tuple[str, str]:
    """Process a VNPay-protocol callback (IPN); returns VNPay's (RspCode, Message).

    In VNPay's order: the signature (97), the order (01), the amount (04), whether it was
    already concluded (02). Then the payment settles only when both vnp_ResponseCode and
    vnp_TransactionStatus are 00, fails on a declined payment (status 02), and otherwise stays
    pending with the codes recorded and answer 99, so that VNPay notifies again (00: recorded)."""
    if not verify_signature(params, secret):
        return vnpay.INVALID_SIGNATURE
    payment = by_txn_ref(session, str(params.get("vnp_TxnRef", ""))[:40])
    if payment is None:
        return vnpay.ORDER_NOT_FOUND
    if vnpay.amount_of(str(params.get("vnp_Amount", ""))) != payment.amount * 100:
        return vnpay.INVALID_AMOUNT
    verdict = vnpay.ipn_verdict(
        str(params.get("vnp_ResponseCode", "")), str(params.get("vnp_TransactionStatus", ""))
    )
    # A cancelled attempt that the bank did pay is still money received (``conclude``).
    if payment.status != "pending" and not (
        payment.status == "cancelled" and verdict == vnpay.PAID
    ):
        return vnpay.ALREADY_CONFIRMED
    data = {k: str(v) for k, v in params.items() if k != "vnp_SecureHash"}
    changed = conclude(session, payment, verdict, str(params.get("vnp_TransactionNo", "")), data)
    if not changed:  # a concurrent callback or the worker concluded it meanwhile
        return vnpay.ALREADY_CONFIRMED
    if verdict == vnpay.UNSETTLED:
        log.info(
            "payment %s stays pending: vnp_ResponseCode=%r vnp_TransactionStatus=%r",
            payment.id,
            data.get("vnp_ResponseCode", "")[:8],
            data.get("vnp_TransactionStatus", "")[:8],
        )
        return vnpay.NOT_FINAL
    return vnpay.CONFIRMED


def record_refusal(session: Session, params: Mapping[str, str], secret: str) -> None:
    """The payer came back from the gateway with a signed refusal (cancelled at the bank, card
    declined): fail the pending payment now, as its IPN will (that one is then answered
    "already confirmed"), so that trying again makes a new payment. Only a definite failure
    counts (the IPN's rule); success is left to the IPN: only the server-to-server callback
    settles (§6)."""
    if params.get("vnp_ResponseCode") != "00":
        handle_callback(session, params, secret)


def verify_signature(params: Mapping[str, str], secret: str) -> bool:
    return vnpay.verify(params, secret)


def sandbox_callback_params(payment: Payment, approve: bool, now: datetime) -> dict[str, str]:
    """What the sandbox bank sends back after the payer confirmed or cancelled."""
    params = {
        "vnp_TmnCode": "SANDBOX",
        "vnp_TxnRef": payment.txn_ref,
        "vnp_Amount": str(payment.amount * 100),
        "vnp_ResponseCode": "00" if approve else "24",
        "vnp_TransactionStatus": "00" if approve else "02",
        "vnp_TransactionNo": f"SB{now:%Y%m%d%H%M%S}{payment.id}",
        "vnp_BankCode": "SANDBOX",
        "vnp_PayDate": now.astimezone(vnpay.TZ).strftime("%Y%m%d%H%M%S"),
    }
    params["vnp_SecureHash"] = vnpay.sign(params, sandbox_secret())
    return params
