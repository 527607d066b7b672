"""The audit log's handlers of domain events, registered by ``app.wiring`` after every other
handler: the lock on the chain's head is taken last (docs/decisions/0006-audit-chain.md)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts.events import LoginThrottleStarted
from app.audit import service
from app.dossiers.events import DossierChanged
from app.payments.events import PaymentSettled, RefundRecorded
from app.receipts import service as receipt_service
from app.receipts.events import ReceiptCancelled, ReceiptReplaced
from app.receipts.models import Receipt


def on_dossier_changed(session: Session, event: DossierChanged) -> None:
    """``dossier.<action>``: who moved which dossier from which status to which."""
    dossier = event.dossier
    service.record(
        session,
        f"dossier.{event.action}",
        actor=event.actor,
        object_type="dossier",
        object_id=dossier.id,
        details={"code": dossier.code, "from": event.before, "to": dossier.status},
    )


def on_payment_settled(session: Session, event: PaymentSettled) -> None:
    """``payment.settled``: amount, method, gateway transaction and the receipt issued."""
    payment, dossier = event.payment, event.dossier
    service.record(
        session,
        "payment.settled",
        actor=event.collector,
        object_type="payment",
        object_id=payment.id,
        details={
            "dossier_id": dossier.id,
            "code": dossier.code,
            "amount": payment.amount,
            "method": payment.method,
            "gateway_txn": payment.gateway_txn,
            "receipt_id": receipt_service.receipt_id(session, payment),
        },
    )


def on_refund_recorded(session: Session, event: RefundRecorded) -> None:
    """``payment.refunded``: how much was paid back, how, why, and the receipt cancelled."""
    refund, dossier = event.refund, event.dossier
    service.record(
        session,
        "payment.refunded",
        actor=event.actor,
        object_type="payment",
        object_id=event.payment.id,
        details={
            "dossier_id": dossier.id,
            "code": dossier.code,
            "refund_id": refund.id,
            "amount": refund.amount,
            "method": refund.method,
            "reason": refund.reason,
            "gateway_ref": refund.gateway_ref,
            "receipt_id": refund.receipt_id,
        },
    )


def _receipt(receipt: Receipt) -> dict[str, object]:
    return {
        "number": receipt.number,
        "template_symbol": receipt.template_symbol,
        "series": receipt.series,
        "amount": receipt.amount,
        "dossier_id": receipt.dossier_id,
    }


def on_receipt_cancelled(session: Session, event: ReceiptCancelled) -> None:
    """``receipt.cancelled``: which receipt (kept with its number), by whom, why."""
    service.record(
        session,
        "receipt.cancelled",
        actor=event.actor,
        object_type="receipt",
        object_id=event.receipt.id,
        details={**_receipt(event.receipt), "reason": event.reason},
    )


def on_receipt_replaced(session: Session, event: ReceiptReplaced) -> None:
    """``receipt.replaced``: the original, the number that replaces it, by whom, why."""
    service.record(
        session,
        "receipt.replaced",
        actor=event.actor,
        object_type="receipt",
        object_id=event.original.id,
        details={
            **_receipt(event.original),
            "reason": event.reason,
            "replacement_id": event.replacement.id,
            "replacement_number": event.replacement.number,
        },
    )


def on_login_throttle_started(session: Session, event: LoginThrottleStarted) -> None:
    """``login.throttled``: logins to an e-mail began to be refused, until when and why."""
    service.record(
        session,
        "login.throttled",
        object_type="user",
        object_id=event.user.id if event.user is not None else event.email[:60],
        details={
            "email": event.email,
            "scope": event.scope,
            "ip": event.ip,
            "until": event.until.isoformat(timespec="seconds"),
            "failures": event.failures,
        },
    )
