"""Due times after a change of the working calendar, and how a dossier's date was computed.

``on_calendar_changed`` (subscribed to ``CalendarChanged`` by ``app.wiring``) runs in the
transaction of the change: every open dossier with a due time at or after the changed day is
read in batches, its due times are computed again under the old and the new calendar, and
where they differ the new ones are written, with a system line in the dossier's history
(old and new times) and, when the appointment (``due_at``) moved, a notice to the applicant.

- The appointment: from reception, or from the resubmission that ended the last supplement
  request (Decree 118/2025 Art. 19: the full legal time starts again), the procedure's working
  days and ``due_time_rule``. A dossier whose date was moved by an apology (form 04) keeps
  that explicit date, which was promised in a signed letter; only its legal date
  (``original_due_at``, what the indicators compare with) follows the calendar.
- An open step keeps the working time it was given (measured under the old calendar between
  its start and its due time), laid again on the new calendar; the answer window of an online
  dossier (Art. 17) is the first step's.
- A dossier waiting for a supplement: its supplement deadline (Art. 19).

See docs/decisions/0022-confirmed-calendar-and-recomputed-dues.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import events
from app.accounts.models import User
from app.audit import service as audit_service
from app.calendar import explain as calendar_explain
from app.calendar import service as calendar_service
from app.calendar.events import CalendarChanged
from app.db import utcnow
from app.dossiers import service as dossier_service
from app.dossiers.events import AppointmentMoved
from app.dossiers.models import Dossier, DossierEvent, StepRun
from app.formatting import format_datetime
from app.notifications.models import Notice, OutboxMessage

BATCH = 500
ACTION = "recompute_due"
# Statuses whose dossiers have no due time that could still move.
CLOSED = ("draft", "completed", "rejected", "withdrawn", "stopped")
# What a batch writes, forgotten by the session once flushed.
WRITTEN = (DossierEvent, Notice, OutboxMessage)


@dataclass
class Recomputed:
    """What one calendar change moved."""

    examined: int = 0
    moved: int = 0  # dossiers with at least one due time moved
    appointments: int = 0  # of which the appointment (due_at): the applicant was told


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def legal_start(dossier: Dossier) -> datetime | None:
    """Where the legal time of a received dossier is counted from: reception, or the
    resubmission that answered the last supplement request (Art. 19)."""
    if dossier.received_at is None:
        return None
    again = dossier.resubmitted_at
    return again if again is not None and again > dossier.received_at else dossier.received_at


def _recompute_one(
    dossier: Dossier,
    runs: list[StepRun],
    before: calendar_service.WorkCalendar,
    after: calendar_service.WorkCalendar,
) -> dict[str, tuple[datetime | None, datetime | None]]:
    """Move the due times of one dossier; returns {field: (old, new)} of what moved."""
    moved: dict[str, tuple[datetime | None, datetime | None]] = {}
    start = legal_start(dossier)
    holds = dossier.status != "supplement_requested" and dossier.result_ready_at is None
    if start is not None and holds and dossier.due_at is not None:
        days = dossier.version.processing_days
        old_legal = before.due_after_working_days(start, days)
        new_legal = after.due_after_working_days(start, days)
        if old_legal != new_legal:
            if dossier.extension_count == 0:
                moved["due_at"] = (dossier.due_at, new_legal)
                dossier.due_at = new_legal
            # An apology's date (form 04) stays; the legal date follows the calendar.
            if dossier.original_due_at != new_legal:
                moved["original_due_at"] = (dossier.original_due_at, new_legal)
                dossier.original_due_at = new_legal
        processing = after.reception_start(start)
        if dossier.processing_started_at is not None and processing != before.reception_start(
            start
        ):
            dossier.processing_started_at = processing
    if dossier.status == "supplement_requested" and dossier.supplement_requested_at:
        asked = dossier.supplement_requested_at
        old_limit = before.supplement_deadline(asked)
        new_limit = after.supplement_deadline(asked)
        if old_limit != new_limit and dossier.supplement_due_at is not None:
            moved["supplement_due_at"] = (dossier.supplement_due_at, new_limit)
            dossier.supplement_due_at = new_limit
    for run in runs:
        hours = before.working_hours_between(run.started_at, run.due_at)
        if hours <= 0:
            continue  # due at its start (a counter reception) or a past moment: nothing to lay
        new_due = after.add_working_hours(run.started_at, hours)
        if new_due == run.due_at:
            continue
        old_due = run.due_at
        run.due_at = new_due
        if dossier.step_due_at == old_due:
            moved["step_due_at"] = (old_due, new_due)
            dossier.step_due_at = new_due
        if dossier.status == "submitted" and dossier.answer_due_at == old_due:
            moved["answer_due_at"] = (old_due, new_due)
            dossier.answer_due_at = new_due
    return moved


def _recompute_batch(
    session: Session,
    dossiers: Sequence[Dossier],
    runs: dict[int, list[StepRun]],
    before: calendar_service.WorkCalendar,
    after: calendar_service.WorkCalendar,
    reason: str,
    now: datetime,
    result: Recomputed,
    written: list[object],
    announced: list[AppointmentMoved],
) -> None:
    """Move the due times of one batch; a history line for each dossier that moved, and the
    event that tells its applicant when its appointment did."""
    for dossier in dossiers:
        result.examined += 1
        moved = _recompute_one(dossier, runs.get(dossier.id, []), before, after)
        if not moved:
            continue
        result.moved += 1
        data = {key: {"from": _iso(old), "to": _iso(new)} for key, (old, new) in moved.items()}
        comment = reason
        if "due_at" in moved:
            old, new = moved["due_at"]
            comment = f"{reason}. Ngày hẹn trả: {format_datetime(old)} → {format_datetime(new)}"
        written.append(
            dossier_service.record(
                session, dossier, None, ACTION, dossier.status, comment, data, at=now, lazy=True
            )
        )
        if "due_at" in moved:
            old, new = moved["due_at"]
            assert old is not None and new is not None
            result.appointments += 1
            announced.append(AppointmentMoved(dossier, old, new, reason))


def recompute_due_times(
    session: Session,
    before: calendar_service.WorkCalendar,
    since: datetime,
    reason: str,
    *,
    batch: int = BATCH,
) -> Recomputed:
    """Recompute the due times at or after ``since`` of every open dossier, in batches (see
    the module's docstring); the caller's transaction holds every change."""
    after = calendar_service.get_calendar(session)
    now = utcnow()
    result = Recomputed()
    due_after = or_(
        Dossier.due_at >= since,
        Dossier.original_due_at >= since,
        Dossier.step_due_at >= since,
        Dossier.answer_due_at >= since,
        Dossier.supplement_due_at >= since,
    )
    # Dossiers the caller already holds stay in its session; the others leave it batch by batch.
    held = {id(obj) for obj in session.identity_map.values()}
    last_id = 0
    while True:
        ids = list(
            session.scalars(
                select(Dossier.id)
                .where(Dossier.id > last_id, Dossier.status.not_in(CLOSED), due_after)
                .order_by(Dossier.id)
                .limit(batch)
            )
        )
        if not ids:
            break
        last_id = ids[-1]
        dossiers = session.scalars(select(Dossier).where(Dossier.id.in_(ids))).unique().all()
        runs: dict[int, list[StepRun]] = {}
        for run in session.scalars(
            select(StepRun)
            .where(StepRun.dossier_id.in_(ids), StepRun.finished_at.is_(None))
            .order_by(StepRun.id)
        ):
            runs.setdefault(run.dossier_id, []).append(run)
        # The applicants' accounts in one statement (the notices read them from the session).
        # (Held here: the session's identity map keeps only what is referenced.)
        applicants = {d.applicant_id for d in dossiers if d.applicant_id is not None}
        accounts = list(session.scalars(select(User).where(User.id.in_(applicants))))
        announced: list[AppointmentMoved] = []
        written: list[object] = []
        # One flush per batch, not one per lazy load of a step or an account.
        with session.no_autoflush:
            _recompute_batch(
                session, dossiers, runs, before, after, reason, now, result, written, announced
            )
            for moved_event in announced:
                events.publish(session, moved_event)
        # The history lines, notices and e-mails of the batch (an e-mail holds its body).
        written += [obj for obj in session.new if isinstance(obj, WRITTEN)]
        session.flush()
        del accounts
        # The batch is written: let the session forget it, so memory stays flat.
        done: list[object] = [*dossiers, *written]
        done += [run for group in runs.values() for run in group]
        for obj in done:
            if id(obj) not in held and obj in session:
                session.expunge(obj)
    return result


def on_calendar_changed(session: Session, event: CalendarChanged) -> None:
    """Recompute the due times the change may move; one audit entry sums it up."""
    result = recompute_due_times(session, event.before, event.since, event.what)
    audit_service.record(
        session,
        "calendar.due_recomputed",
        actor=event.actor,
        object_type="calendar",
        object_id=event.since.date().isoformat(),
        details={
            "what": event.what,
            "examined": result.examined,
            "moved": result.moved,
            "appointments": result.appointments,
        },
    )


# --- how was this date computed -------------------------------------------------------------


@dataclass(frozen=True)
class Suspension:
    requested_at: datetime
    resubmitted_at: datetime | None


@dataclass(frozen=True)
class Extension:
    at: datetime
    reason: str


@dataclass(frozen=True)
class DossierDueExplanation:
    """The staff page's "how was this date computed" section."""

    due: calendar_explain.DueExplanation | None
    legal_start: datetime | None
    restarted: bool  # counted from a resubmission, not from reception
    suspensions: list[Suspension] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    recomputations: list[tuple[datetime, str]] = field(default_factory=list)
    due_at: datetime | None = None
    original_due_at: datetime | None = None


def explain_dossier(session: Session, dossier: Dossier) -> DossierDueExplanation | None:
    """Reception, the cut-off, the counted and skipped days, the supplement suspensions, the
    extensions and the recomputations after calendar changes; None before reception."""
    start = legal_start(dossier)
    if start is None:
        return None
    cal = calendar_service.get_calendar(session)
    due = calendar_explain.explain_due(cal, start, dossier.version.processing_days)
    suspensions: list[Suspension] = []
    extensions: list[Extension] = []
    recomputations: list[tuple[datetime, str]] = []
    for event in dossier.events:
        if event.action == "request_supplement":
            suspensions.append(Suspension(event.at, None))
        elif event.action == "resubmit" and suspensions and suspensions[-1].resubmitted_at is None:
            suspensions[-1] = Suspension(suspensions[-1].requested_at, event.at)
        elif event.action == "extend":
            extensions.append(Extension(event.at, event.comment))
        elif event.action == ACTION:
            recomputations.append((event.at, event.comment))
    return DossierDueExplanation(
        due=due,
        legal_start=start,
        restarted=start != dossier.received_at,
        suspensions=suspensions,
        extensions=extensions,
        recomputations=recomputations,
        due_at=dossier.due_at,
        original_due_at=dossier.original_due_at,
    )
