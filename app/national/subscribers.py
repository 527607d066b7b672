"""The national portal hears of every action on a dossier: a handler of ``DossierChanged``,
registered by ``app.wiring``, queues the messages in the action's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.dossiers.events import AppointmentMoved, DossierChanged
from app.national import service


def on_dossier_changed(session: Session, event: DossierChanged) -> None:
    """Queue the dossier and its progress entry for the national portal (outbox)."""
    service.queue_action(
        session, event.dossier, event.actor, event.action, event.before, event.comment
    )


def on_appointment_moved(session: Session, event: AppointmentMoved) -> None:
    """The appointment (NgayHenTra) moved with the working calendar: send the dossier again."""
    service.queue_appointment(session, event.dossier)
