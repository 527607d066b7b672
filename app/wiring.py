"""Start-up wiring: who reacts to what. Called once by every entry point (the web app, the
``portal`` command, the worker, the tests) before any service runs; calling it again is
harmless.

The order of the subscriptions is the order handlers run in within a transaction: the
receipt is numbered first (the notice and the audit entry name it), the audit log last
(docs/decisions/0006-audit-chain.md, 0016-domain-events.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, configure_mappers

from app import events
from app.accounts.events import LoginThrottleStarted, PasswordResetRequested
from app.audit import subscribers as audit_subscribers
from app.calendar import service as calendar_service
from app.calendar.events import CalendarChanged
from app.docstore import subscribers as docstore_subscribers
from app.documents import render, renderer
from app.documents import service as document_service
from app.dossiers.events import AppointmentMoved, DossierChanged
from app.feedback import service as feedback_service
from app.formatting import format_money
from app.national import subscribers as national_subscribers
from app.notifications import service as notification_service
from app.notifications import subscribers as notification_subscribers
from app.par import figures as par_figures
from app.payments.events import PaymentSettled, RefundRecorded
from app.receipts import pdf as receipt_pdf
from app.receipts import stored as receipt_stored
from app.receipts import subscribers as receipt_subscribers
from app.receipts.events import ReceiptCancelled, ReceiptReplaced
from app.stats import tallies
from app.telemetry import outbox as telemetry_outbox
from app.workflow import due_dates


def wire() -> None:
    """Register every event handler and the domains' plug-ins."""
    events.subscribe(PaymentSettled, receipt_subscribers.on_payment_settled)
    events.subscribe(RefundRecorded, receipt_subscribers.on_refund_recorded)
    # What reception accepted and the returned results enter the applicant's document store.
    events.subscribe(DossierChanged, docstore_subscribers.on_dossier_changed)
    events.subscribe(DossierChanged, notification_subscribers.on_dossier_changed)
    events.subscribe(AppointmentMoved, notification_subscribers.on_appointment_moved)
    events.subscribe(AppointmentMoved, national_subscribers.on_appointment_moved)
    # A calendar change moves the due times of open dossiers (before the audit entry of it).
    events.subscribe(CalendarChanged, due_dates.on_calendar_changed)
    events.subscribe(PaymentSettled, notification_subscribers.on_payment_settled)
    events.subscribe(RefundRecorded, notification_subscribers.on_refund_recorded)
    events.subscribe(PasswordResetRequested, notification_subscribers.on_password_reset_requested)
    # The national portal's outbox (SPEC §11), written with the change.
    events.subscribe(DossierChanged, national_subscribers.on_dossier_changed)
    events.subscribe(DossierChanged, audit_subscribers.on_dossier_changed)
    events.subscribe(PaymentSettled, audit_subscribers.on_payment_settled)
    events.subscribe(RefundRecorded, audit_subscribers.on_refund_recorded)
    events.subscribe(ReceiptCancelled, audit_subscribers.on_receipt_cancelled)
    events.subscribe(ReceiptReplaced, audit_subscribers.on_receipt_replaced)
    events.subscribe(LoginThrottleStarted, audit_subscribers.on_login_throttle_started)
    events.mark_wired()
    # The PAR index may score "feedback answered on time" (SPEC §12–13).
    par_figures.register_figure(
        par_figures.FEEDBACK_ON_TIME, par_figures.FEEDBACK_ON_TIME_LABEL, _feedback_on_time
    )
    # The indicator counters follow every flush of a dossier's rows (ADR 0010, 0016).
    tallies.install()
    # A receipt's PDF is drawn and signed by receipts; the other documents are forms.
    document_service.register_maker("receipt", receipt_stored.stored_pdf)
    renderer.warm_up_with(render.warm_up, receipt_pdf.warm_up)
    # Outbox rows carry the id of the request that wrote them to the worker's log lines.
    telemetry_outbox.install()


def warm_up() -> None:
    """What the first request after a start would pay otherwise: the holiday calendars of
    this year and the next (the ``holidays`` package imports every country on first use,
    about a second; a payment or a submission computes a deadline), the mappers, the notices'
    templates and the money format. The renderer process is started separately
    (``renderer.prestart``)."""
    year = datetime.now(UTC).year
    for each in (year, year + 1):
        calendar_service.vietnam_holidays(each)
    configure_mappers()  # the tables' relationships, otherwise set up by the first query
    notification_service.warm_up()
    format_money(0)  # the locale data of money amounts


def _feedback_on_time(
    session: Session, agency_ids: Sequence[int], start: date, end: date
) -> par_figures.FigureValue:
    """Feedback answered on time as a PAR figure (0 % when nothing was due)."""
    answered = feedback_service.on_time_rate(session, agency_ids, start, end)
    return par_figures.FigureValue(answered.rate or 0.0, answered.on_time, answered.total)
