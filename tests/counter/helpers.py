"""Shared steps of the counter tests: a working day ahead, the demo agency's bands."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.calendar import service as calendar_service
from app.db import utcnow

PHO_HIEN = "000.00.51.H31"
BIRTH = "1.001193"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def next_working_day(session: Session, after: date | None = None) -> date:
    today = after or utcnow().astimezone(TZ).date()
    return calendar_service.get_calendar(session).next_working_day(today)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), TZ)


def next_saturday() -> date:
    today = utcnow().astimezone(TZ).date()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)
