"""Receipts react to payments: every settled payment gets its e-receipt (Decree 123/2020
Art. 32) in the payment's transaction, and a refunded payment's receipt is cancelled with the
refund's reason; handlers registered by ``app.wiring``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.payments.events import PaymentSettled, RefundRecorded
from app.receipts import service
from app.receipts.models import Receipt


def on_payment_settled(session: Session, event: PaymentSettled) -> None:
    """Number the receipt now; its PDF is drawn and signed after the commit (ADR 0014)."""
    service.issue_receipt(session, event.payment, event.collector, now=event.payment.paid_at)


def on_refund_recorded(session: Session, event: RefundRecorded) -> None:
    """Cancel the refunded payment's valid receipt (kept with its number, counted as cancelled
    in the usage report) with the refund's reason, and link it to the refund."""
    receipt = session.scalar(
        select(Receipt)
        .where(Receipt.payment_id == event.payment.id, Receipt.status == "issued")
        .order_by(Receipt.id.desc())
        .limit(1)
    )
    if receipt is None:
        return
    service.cancel_receipt(
        session, receipt, event.actor, event.refund.reason, now=event.refund.refunded_at
    )
    event.refund.receipt_id = receipt.id
    session.flush()
