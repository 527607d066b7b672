"""What the applicant (or the account holder) is told when something happens: handlers of
domain events, registered by ``app.wiring``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts.events import FORGOT_PAGE, PasswordResetRequested
from app.config import get_settings
from app.dossiers.events import AppointmentMoved, DossierChanged
from app.notifications import service
from app.payments.events import PaymentSettled, RefundRecorded
from app.receipts import service as receipt_service


def on_dossier_changed(session: Session, event: DossierChanged) -> None:
    """Notify the applicant of the actions that concern them."""
    service.after_action(session, event.dossier, event.action, comment=event.comment)


def on_appointment_moved(session: Session, event: AppointmentMoved) -> None:
    """Tell the applicant the appointed return date moved with the working calendar."""
    service.notify(
        session,
        event.dossier,
        "rescheduled",
        extra={
            "old_due_at": event.old_due_at,
            "new_due_at": event.new_due_at,
            "reason": event.reason,
        },
        flush=False,  # the recomputation writes its batch with one flush
    )


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


def on_refund_recorded(session: Session, event: RefundRecorded) -> None:
    """Tell the applicant the fees were paid back, how, when and why."""
    refund = event.refund
    service.notify(
        session,
        event.dossier,
        "refunded",
        extra={
            "amount": refund.amount,
            "method": refund.method,
            "reason": refund.reason,
            "refunded_at": refund.refunded_at,
        },
    )


def on_password_reset_requested(session: Session, event: PasswordResetRequested) -> None:
    """E-mail the single-use reset link (through the outbox, like every mail)."""
    base = get_settings().base_url.rstrip("/")
    service.account_mail(
        session,
        event.user,
        "password_reset",
        {
            "link": base + event.path,
            "forgot_url": base + FORGOT_PAGE,
            "expires_at": event.expires_at,
            "minutes": event.minutes,
        },
    )
