"""VNPay payments whose result never arrived: the worker asks VNPay (``querydr``) about them.

Attempts this portal cancelled (a newer attempt was made, or another one settled) are asked
about as well: one the bank did pay is recorded, and the excess owed back.

A VNPay payment still pending ``PORTAL_VNPAY_QUERY_AFTER_MINUTES`` after it was made (its IPN
lost, refused or not final) is asked about, and again every as many minutes until it is
``PORTAL_VNPAY_QUERY_GIVE_UP_HOURS`` old. A signed answer about that payment with response 00,
status 00 and the payment's amount settles it through the IPN's path
(``payment_service.conclude``: receipt, notice, audit); status 02 fails it; anything else
leaves it pending with the answer recorded. The time of a believed answer is kept
(``last_queried_at``). An answer with a wrong checksum, a time-out or a refused connection
changes nothing: the payment is asked about again on the next pass.

No transaction is open while VNPay is called: the payments due are read first, then each
answer is applied in a short transaction of its own. A pass asks about
``PORTAL_VNPAY_QUERY_BATCH`` payments at most and stops after ``MAX_UNANSWERED_PER_PASS``
calls without a usable answer (VNPay is down: the next pass tries again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, get_settings
from app.db import begin_write, utcnow
from app.payments import service as payment_service
from app.payments import vnpay
from app.payments.models import Payment

log = logging.getLogger(__name__)
MAX_UNANSWERED_PER_PASS = 3


@dataclass(frozen=True)
class Due:
    """A pending VNPay payment to ask about (read before the call, no session kept)."""

    id: int
    txn_ref: str
    created_at: datetime


def due_for_query(session: Session, settings: Settings, now: datetime) -> list[Due]:
    """Pending VNPay payments old enough to ask about and not given up, those never asked
    (or asked longest ago) first."""
    after = timedelta(minutes=settings.vnpay_query_after_minutes)
    give_up = timedelta(hours=settings.vnpay_query_give_up_hours)
    rows = session.execute(
        select(Payment.id, Payment.txn_ref, Payment.created_at)
        .where(
            # Cancelled ones too: an attempt voided here may have been paid at the bank.
            Payment.status.in_(("pending", "cancelled")),
            Payment.method == "vnpay",
            Payment.created_at <= now - after,
            Payment.created_at > now - give_up,
            or_(Payment.last_queried_at.is_(None), Payment.last_queried_at <= now - after),
        )
        .order_by(Payment.last_queried_at.asc().nulls_first(), Payment.id)
        .limit(settings.vnpay_query_batch)
    )
    return [Due(id=r.id, txn_ref=r.txn_ref, created_at=r.created_at) for r in rows]


def apply_answer(
    session: Session, payment_id: int, answer: vnpay.QueryAnswer, now: datetime
) -> str:
    """Apply VNPay's believed answer to the payment (if still pending); returns the verdict
    applied: PAID, FAILED or UNSETTLED."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.status not in ("pending", "cancelled"):
        return vnpay.UNSETTLED
    session.execute(
        update(Payment)
        .where(Payment.id == payment_id)
        .values(last_queried_at=now)
        .execution_options(synchronize_session=False)
    )
    verdict = answer.verdict
    if verdict == vnpay.PAID and answer.amount != payment.amount * 100:
        log.warning(
            "VNPay querydr: payment %s reported paid with vnp_Amount %s instead of %s; "
            "left pending for a cashier",
            payment_id,
            answer.amount,
            payment.amount * 100,
        )
        verdict = vnpay.UNSETTLED
    if payment.status == "cancelled" and verdict != vnpay.PAID:
        return vnpay.UNSETTLED  # cancelled here and not paid there: nothing to record
    data = {**answer.data, "source": "querydr"}
    if not payment_service.conclude(session, payment, verdict, answer.transaction_no, data):
        return vnpay.UNSETTLED
    return verdict


def _ask(settings: Settings, due: Due, now: datetime) -> vnpay.QueryAnswer:
    body = vnpay.query_request(
        tmn_code=settings.vnpay_tmn_code,
        secret=settings.vnpay_hash_secret,
        txn_ref=due.txn_ref,
        paid_created=due.created_at,
        now=now,
    )
    values = vnpay.post(settings.vnpay_api_url, body, settings.vnpay_api_timeout_seconds)
    try:
        return vnpay.read_query_answer(
            values,
            settings.vnpay_hash_secret,
            tmn_code=settings.vnpay_tmn_code,
            txn_ref=due.txn_ref,
        )
    except vnpay.UntrustedAnswer as exc:
        # What is logged names the payment and VNPay's code, never the secret nor a checksum.
        raise vnpay.UntrustedAnswer(
            f"{exc} (vnp_ResponseCode={values.get('vnp_ResponseCode', '')[:8]!r})"
        ) from None


def reconcile_vnpay(factory: sessionmaker[Session], now: datetime | None = None) -> dict[str, int]:
    """One pass over the pending VNPay payments due for a query; counts by outcome."""
    counts = {"paid": 0, "failed": 0, "pending": 0, "unanswered": 0}
    if not payment_service.vnpay_configured():
        return counts
    settings = get_settings()
    now = now or utcnow()
    with factory() as session:
        due = due_for_query(session, settings, now)
    for item in due:
        if counts["unanswered"] >= MAX_UNANSWERED_PER_PASS:
            break
        try:
            answer = _ask(settings, item, now)
        except (vnpay.Unanswered, vnpay.UntrustedAnswer) as exc:
            counts["unanswered"] += 1
            log.warning("VNPay querydr for payment %s: %s; asked again next pass", item.id, exc)
            continue
        with factory.begin() as session:
            begin_write(session)
            verdict = apply_answer(session, item.id, answer, now)
        counts[verdict] += 1
    return counts
