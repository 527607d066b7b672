"""The period of the statistics: local days of the portal's time zone, parsed from the query
string (at most a year), and their bounds in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.config import get_settings
from app.db import utcnow
from app.errors import InvalidInput
from app.formatting import parse_query_day
from app.i18n_markers import N_

# --- period ------------------------------------------------------------------------------------

MAX_PERIOD_DAYS = 366


def tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(tz()).date()


def default_period(now: datetime | None = None) -> tuple[date, date]:
    """The current year up to today."""
    today = local_today(now)
    return today.replace(month=1, day=1), today


def parse_period(date_from: str | None, date_to: str | None) -> tuple[date, date]:
    """The period of the query string. Nothing given: the current year up to today; only
    ``to``: from the first of January of its year; only ``from``: up to today (at most a year).
    """
    first, last = default_period()
    end = parse_query_day(date_to, "to") if date_to else None
    if date_from:
        start = parse_query_day(date_from, "from")
    else:
        start = end.replace(month=1, day=1) if end else first
    if end is None:
        end = min(max(last, start), start + timedelta(days=MAX_PERIOD_DAYS - 1))
    if end < start:
        raise InvalidInput(
            N_("Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."), fields={"to": "before from"}
        )
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(
            N_("Kỳ thống kê dài tối đa 366 ngày."), fields={"to": f"at most {MAX_PERIOD_DAYS} days"}
        )
    return start, end


def bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the local days from ``date_from`` to ``date_to`` included."""
    zone = tz()
    start = datetime.combine(date_from, time(0), zone)
    end = datetime.combine(date_to + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_starts(today: date, months: int = 12) -> list[date]:
    """First days of the last ``months`` months (oldest first, ending with today's month),
    followed by the first day of the next month."""
    first = today.year * 12 + today.month - 1 - (months - 1)
    return [date((first + i) // 12, (first + i) % 12 + 1, 1) for i in range(months + 1)]
