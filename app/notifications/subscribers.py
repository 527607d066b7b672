"""What the applicant is told when something happens: handlers of domain events, registered
by ``app.wiring``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.dossiers.events import DossierChanged
from app.notifications import service
from app.payments.events import PaymentSettled
from app.receipts import service as receipt_service


def on_dossier_changed(session: Session, event: DossierChanged) -> None:
    """Notify the applicant of the actions that concern them."""
    service.after_action(session, event.dossier, event.action, comment=event.comment)


def on_payment_settled(session: Session, event: PaymentSettled) -> None:
    """Tell the applicant the fees are paid, with a link to the receipt."""
    payment = event.payment
    service.notify(
        session,
        event.dossier,
        "paid",
        extra={
            "amount": payment.amount,
            "method": payment.method,
            "receipt_id": receipt_service.receipt_id(session, payment),
        },
    )
