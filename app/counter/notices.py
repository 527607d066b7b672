"""What the citizen is told about their appointment: one function, so that the channel a
citizen chooses (e-mail, SMS, …) applies through the notification service like every notice."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.counter.models import Booking
from app.notifications import service as notification_service

KINDS = ("booking_confirmed", "booking_cancelled", "booking_reminder")


def tell(session: Session, user: User, booking: Booking, kind: str) -> None:
    """An in-app notice and an e-mail (through the outbox) about ``booking``."""
    notification_service.account_notice(
        session,
        user,
        kind,
        {
            "code": booking.code,
            "agency": booking.agency.name,
            "address": booking.agency.address,
            "procedure": booking.procedure_name,
            "start": booking.start,
            "end": booking.end,
        },
        link=f"/dat-lich/{booking.code}",
    )
