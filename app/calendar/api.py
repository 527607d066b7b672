"""Working-time calendar endpoints of the JSON API."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Query

from app.calendar import schemas, service
from app.errors import InvalidInput
from app.i18n_markers import N_
from app.web.deps import SessionDep

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])

# An unencoded "+07:00" in a query string arrives as " 07:00".
_SPACED_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def _parse_moment(value: str, calendar: service.WorkCalendar) -> datetime:
    try:
        moment = datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1+\2", value.strip()))
    except ValueError:
        raise InvalidInput(
            N_("from phải là thời điểm theo ISO 8601, ví dụ 2026-02-13T09:00:00+07:00."),
            fields={"from": "ISO 8601 datetime"},
        ) from None
    # The lunar holidays of the library end in 2100; a due date must stay inside them.
    if not 2000 <= moment.year <= 2099:
        raise InvalidInput(N_("from phải trong các năm 2000–2099."), fields={"from": "2000..2099"})
    if moment.tzinfo is None:
        return moment.replace(tzinfo=calendar.tz)
    return calendar.local(moment)


@router.get("/due-date", response_model=schemas.DueDateRead)
def due_date(
    session: SessionDep,
    from_: str = Query(
        alias="from",
        max_length=40,
        description="Reception moment, ISO 8601; without an offset it is Vietnam time",
    ),
    days: float = Query(ge=0, le=365, allow_inf_nan=False, description="Working days"),
) -> schemas.DueDateRead:
    """Due time of a legal time in working days for a dossier received at `from`."""
    calendar = service.get_calendar(session)
    received_at = _parse_moment(from_, calendar)
    start = calendar.reception_start(received_at)
    # Counted in days: due_time_rule decides the clock time (Civil Code 2015 Art. 147–148).
    due_at = calendar.due_after_working_days(received_at, days)
    return schemas.DueDateRead(from_=received_at, start=start, days=days, due_at=due_at)


@router.get("/holidays", response_model=schemas.HolidaysRead)
def holidays(session: SessionDep, year: int = Query(ge=2000, le=2100)) -> schemas.HolidaysRead:
    """Public holidays, make-up working days and administrator overrides of a year."""
    items = [
        schemas.CalendarDayRead(
            date=d.day, name=d.name, kind=d.kind, override=d.override, origin=d.origin
        )
        for d in service.get_calendar(session).holidays_for_year(year)
    ]
    confirmed = service.year_confirmation(session, year) is not None
    return schemas.HolidaysRead(year=year, confirmed=confirmed, items=items)
