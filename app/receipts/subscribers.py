"""Receipts react to payments: every settled payment gets its e-receipt (Decree 123/2020
Art. 32) in the payment's transaction; handlers registered by ``app.wiring``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.payments.events import PaymentSettled
from app.receipts import service


def on_payment_settled(session: Session, event: PaymentSettled) -> None:
    """Number the receipt now; its PDF is drawn and signed after the commit (ADR 0014)."""
    service.issue_receipt(session, event.payment, event.collector, now=event.payment.paid_at)
