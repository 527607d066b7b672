"""How a due time was computed (SPEC §5): the reception moment, whether the Art. 18 cut-off
moved the start, the rule of the clock time, the working days counted and the days skipped
with their reason. Read by the staff dossier page ("how was this date computed")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.calendar.service import EXTRA_DAY_OFF_NAME, WorkCalendar

# Why a day has no working time.
SKIP_REASONS = ("weekend", "holiday", "admin_day_off")


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str  # SKIP_REASONS
    name: str  # the holiday's name, the admin's note; empty for a weekend


@dataclass(frozen=True)
class DueExplanation:
    received_at: datetime
    start: datetime  # when processing time starts
    cutoff_hour: time
    cutoff_moved: bool  # received after the cut-off or outside working hours: a later day
    due_time_rule: str  # same_time | end_of_day
    days: float  # the legal time in working days
    hours: float  # the working hours between the start and the due time
    counted: list[date]  # the working days the period runs over
    skipped: list[SkippedDay]  # the days without working time between reception and the end
    due_at: datetime


def skip_reason(cal: WorkCalendar, d: date) -> SkippedDay | None:
    """Why ``d`` has no working time (None when it has some)."""
    if cal.is_working_day(d):
        return None
    override = cal.overrides.get(d)
    if override is not None and override.kind == "day_off":
        return SkippedDay(d, "admin_day_off", override.note or EXTRA_DAY_OFF_NAME)
    name = cal.holidays(d.year).days_off.get(d)
    if name is not None and override is None:
        return SkippedDay(d, "holiday", name)
    return SkippedDay(d, "weekend", "")


def explain_due(cal: WorkCalendar, received_at: datetime, days: float) -> DueExplanation:
    """The steps of ``cal.due_after_working_days(received_at, days)``, for people."""
    received = cal.local(received_at)
    start = cal.reception_start(received)
    due = cal.due_after_working_days(received, days)
    counted: list[date] = []
    skipped: list[SkippedDay] = []
    d = received.date()
    while d <= due.date():
        reason = skip_reason(cal, d)
        if reason is not None:
            skipped.append(reason)
        elif d >= start.date():
            counted.append(d)
        d += timedelta(days=1)
    return DueExplanation(
        received_at=received,
        start=start,
        cutoff_hour=cal.rules.cutoff_hour,
        cutoff_moved=cal.cutoff_moved(received),
        due_time_rule=cal.rules.due_time_rule,
        days=days,
        hours=round(cal.working_hours_between(start, due), 2),
        counted=counted,
        skipped=skipped,
        due_at=due,
    )
