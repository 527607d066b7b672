"""The audit log's handlers of domain events, registered by ``app.wiring`` after every other
handler: the lock on the chain's head is taken last (docs/decisions/0006-audit-chain.md)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit import service
from app.dossiers.events import DossierChanged
from app.payments.events import PaymentSettled
from app.receipts import service as receipt_service


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
