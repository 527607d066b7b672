"""What happens to the working calendar, as events: the calendar admin publishes
``CalendarChanged`` in the transaction of the change; the workflow recomputes the due times of
the open dossiers (app/workflow/due_dates.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.accounts.models import User
from app.calendar.service import WorkCalendar


@dataclass(frozen=True)
class CalendarChanged:
    """A day override or a rule that moves due times changed. Due times at or after ``since``
    may move; ``before`` is the calendar as it was, ``what`` says what changed (for the
    history, in Vietnamese)."""

    before: WorkCalendar
    since: datetime
    actor: User | None
    what: str
