"""Working time and deadlines (SPEC §5): weekly schedule, public holidays, admin overrides.

Conventions, everywhere in this module:

- Inputs are timezone-aware datetimes (a naive one is a programming error: ``ValueError``).
  Every datetime returned is aware in the portal's local zone (``Settings.timezone``,
  Asia/Ho_Chi_Minh, +07:00); the UTCDateTime columns store it as UTC.
- Working time is the union of the half-open periods ``[start, end)`` of each working day.
  A duration ends at the *earliest* moment it is used up, so it may end exactly at the end
  of a period (Monday 07:30 + 7.5 h is Monday 17:00, not Tuesday 07:30).
- Precedence for a day: admin override, then the holiday library (days off and the
  make-up working Saturdays it knows), then the weekly schedule.
- Working days are counted in fractions of each day's working time: one working day from
  Monday 09:00 is Tuesday 09:00, half a day from Monday 07:30 is Monday 11:30 (with the
  default schedule this equals adding ``days × 7.5`` working hours).

See docs/decisions/0002-working-time.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from functools import lru_cache
from time import monotonic
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from sqlalchemy import Date, String, Text, cast, null, select, union_all
from sqlalchemy.orm import Session

from app.calendar.models import OVERRIDE_KINDS, CalendarOverride, CalendarYear, RuleSetting
from app.config import get_settings
from app.db import JSONType, utcnow
from app.errors import InvalidInput, NotFound
from app.i18n_markers import N_

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LIMIT_UNITS = ("calendar_days", "working_days")
DUE_TIME_RULES = ("same_time", "end_of_day")

_OFFICE_HOURS = [["07:30", "11:30"], ["13:30", "17:00"]]

# The rule numbers that change with each decree (61/2018, 107/2021, 118/2025, 367/2025 ...).
# Rows of rule_settings override these defaults key by key.
DEFAULT_RULES: dict[str, Any] = {
    # Art. 18: received after this hour → counted from the next working day.
    "cutoff_hour": "15:00",
    # Art. 17: an online dossier is answered within this many working hours.
    "answer_window_hours": 8,
    # Art. 19: a supplement is requested within this many working days of reception.
    "supplement_window_days": 3,
    # Art. 19: a supplement not provided within this limit stops the dossier (form 05).
    "supplement_limit_days": 15,
    "supplement_limit_unit": "calendar_days",
    # Decree 118/2025 (guide once): a dossier gets at most this many supplement requests.
    "max_supplement_requests": 1,
    # Form 04: the appointment date may be moved this many times ...
    "max_extensions": 1,
    # ... by an apology issued at least this many working days before the due time.
    "apology_lead_days": 1,
    # A period counted in days from reception ends at the same clock time (``same_time``) or
    # at the close of its last working day (``end_of_day``, Civil Code 2015 Art. 147–148).
    "due_time_rule": "same_time",
    # SPEC §12: feedback and complaints are answered within this many working days.
    "feedback_answer_days": 10,
    "schedule": {day: (_OFFICE_HOURS if day not in ("sat", "sun") else []) for day in WEEKDAYS},
}

# A long run of days without working time means a broken configuration, not a long Tết.
MAX_IDLE_DAYS = 366
# Days whose working periods a calendar remembers (about ten years).
_MEMO_DAYS = 4000
_CACHE_KEY = "app.calendar.work_calendar"
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

Period = tuple[time, time]
DayPeriods = tuple[Period, ...]
Schedule = tuple[DayPeriods, ...]  # indexed by date.weekday(): 0 Monday … 6 Sunday
Interval = tuple[datetime, datetime]


# --- rule settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """The parsed rule settings; field names are the keys of ``DEFAULT_RULES``."""

    cutoff_hour: time
    answer_window_hours: float
    supplement_window_days: float
    supplement_limit_days: int
    supplement_limit_unit: str
    max_supplement_requests: int
    max_extensions: int
    apology_lead_days: float
    due_time_rule: str
    feedback_answer_days: float
    schedule: Schedule


def _bad(key: str, message: str) -> InvalidInput:
    return InvalidInput(N_("Giá trị thiết lập không hợp lệ."), fields={key: message})


def _clock(key: str, value: Any) -> time:
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise _bad(key, "HH:MM")
    return time(int(match.group(1)), int(match.group(2)))


def _number(key: str, value: Any, *, positive: bool, integer: bool = False) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(key, "number")
    if integer and not float(value).is_integer():
        raise _bad(key, "integer")
    if value < 0 or (positive and value == 0):
        raise _bad(key, "> 0" if positive else ">= 0")
    return int(value) if integer else float(value)


def _schedule(key: str, value: Any) -> Schedule:
    if not isinstance(value, dict) or not set(value) <= set(WEEKDAYS):
        raise _bad(key, "{mon..sun: [[HH:MM, HH:MM], ...]}")
    days: list[DayPeriods] = []
    for name in WEEKDAYS:
        raw = value.get(name, [])
        if not isinstance(raw, list):
            raise _bad(key, f"{name}: list of [start, end]")
        periods: list[Period] = []
        for item in raw:
            if not isinstance(item, list | tuple) or len(item) != 2:
                raise _bad(key, f"{name}: list of [start, end]")
            start, end = _clock(key, item[0]), _clock(key, item[1])
            if start >= end or (periods and start < periods[-1][1]):
                raise _bad(key, f"{name}: periods must be ordered and not overlap")
            periods.append((start, end))
        days.append(tuple(periods))
    if not any(days):
        raise _bad(key, "at least one working period")
    return tuple(days)


def _due_time_rule(key: str, value: Any) -> str:
    if value not in DUE_TIME_RULES:
        raise _bad(key, " | ".join(DUE_TIME_RULES))
    return str(value)


def _unit(key: str, value: Any) -> str:
    if value not in LIMIT_UNITS:
        raise _bad(key, " | ".join(LIMIT_UNITS))
    return str(value)


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "cutoff_hour": _clock,
    "answer_window_hours": lambda k, v: _number(k, v, positive=True),
    "supplement_window_days": lambda k, v: _number(k, v, positive=True),
    "supplement_limit_days": lambda k, v: _number(k, v, positive=True, integer=True),
    "supplement_limit_unit": _unit,
    "max_supplement_requests": lambda k, v: _number(k, v, positive=True, integer=True),
    "max_extensions": lambda k, v: _number(k, v, positive=False, integer=True),
    "apology_lead_days": lambda k, v: _number(k, v, positive=False),
    "due_time_rule": _due_time_rule,
    "feedback_answer_days": lambda k, v: _number(k, v, positive=True),
    "schedule": _schedule,
}


def parse_rules(values: Mapping[str, Any]) -> Rules:
    """Typed rules from raw values (defaults for missing keys); InvalidInput on a bad one."""
    merged = {**DEFAULT_RULES, **values}
    unknown = set(merged) - set(_PARSERS)
    if unknown:
        raise InvalidInput(
            N_("Không có thiết lập này."), fields={k: "unknown setting" for k in sorted(unknown)}
        )
    return Rules(**{key: parse(key, merged[key]) for key, parse in _PARSERS.items()})


def default_rules() -> Rules:
    return parse_rules({})


def rule_values(session: Session) -> dict[str, Any]:
    """The raw value of every rule: the defaults overridden by the rule_settings table."""
    rows = session.scalars(select(RuleSetting)).all()
    return {**DEFAULT_RULES, **{row.key: row.value for row in rows if row.key in _PARSERS}}


def get_rules(session: Session) -> Rules:
    """The rules in force (the cached calendar's, so one request sees one set)."""
    return get_calendar(session).rules


def set_rule(session: Session, key: str, value: Any) -> RuleSetting:
    """Store a rule value after checking it; takes effect for the next calendar loaded."""
    if key not in _PARSERS:
        raise InvalidInput(N_("Không có thiết lập này."), fields={key: "unknown setting"})
    _PARSERS[key](key, value)
    row = session.scalar(select(RuleSetting).where(RuleSetting.key == key))
    if row is None:
        row = RuleSetting(key=key, value=value)
        session.add(row)
    else:
        row.value = value
        row.updated_at = utcnow()
    session.flush()
    _changed(session)
    return row


def reset_rule(session: Session, key: str) -> None:
    """Go back to the default value of a rule."""
    row = session.scalar(select(RuleSetting).where(RuleSetting.key == key))
    if row is not None:
        session.delete(row)
        session.flush()
    _changed(session)


# --- holidays and overrides --------------------------------------------------------------


@dataclass(frozen=True)
class YearHolidays:
    """What the holiday library says about one year."""

    days_off: Mapping[date, str]
    makeup_days: frozenset[date]  # weekend days worked in exchange for a bridge day off


HolidaySource = Callable[[int], YearHolidays]


@lru_cache(maxsize=256)
def vietnam_holidays(year: int) -> YearHolidays:
    """Public holidays of Vietnam (Tết and Hùng Kings from the lunar calendar) by ``holidays``."""
    # Neighbouring years too: a swap may cross New Year (day off 2 Jan 2015 for 27 Dec 2014).
    lib = holidays_lib.country_holidays("VN", years=range(year - 1, year + 2), language="vi")
    return YearHolidays(
        days_off=MappingProxyType({d: name for d, name in sorted(lib.items()) if d.year == year}),
        makeup_days=frozenset(d for d in lib.weekend_workdays if d.year == year),
    )


@dataclass(frozen=True)
class DayOverride:
    kind: str  # day_off | working_day | struck_out
    note: str = ""


# Where a listed day comes from: the holiday library, a library day the admin struck out, or
# a day the admin added (an extra day off, a make-up working day).
DAY_ORIGINS = ("library", "struck_out", "admin")


class CalendarDay(NamedTuple):
    day: date
    name: str
    kind: str  # holiday | day_off | working_day
    override: bool  # set by an admin, not by the holiday library
    origin: str = "library"  # DAY_ORIGINS


MAKEUP_DAY_NAME = "Ngày làm việc bù"
EXTRA_DAY_OFF_NAME = "Ngày nghỉ bổ sung"


def list_overrides(session: Session, year: int | None = None) -> list[CalendarOverride]:
    """Admin overrides by date, optionally of one year."""
    stmt = select(CalendarOverride).order_by(CalendarOverride.day)
    if year is not None:
        stmt = stmt.where(
            CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31)
        )
    return list(session.scalars(stmt))


def library_lists(day: date) -> bool:
    """Whether the holiday library proposes something for the date (a day off or a make-up
    working day): only those can be struck out."""
    year = vietnam_holidays(day.year)
    return day in year.days_off or day in year.makeup_days


def set_override(session: Session, day: date, kind: str, note: str = "") -> CalendarOverride:
    """Make a date an extra day off or a (make-up) working day, or strike out a day the
    holiday library proposes, replacing any earlier override."""
    if kind not in OVERRIDE_KINDS:
        raise InvalidInput(
            N_("Loại ngày phải là day_off, working_day hoặc struck_out."),
            fields={"kind": "|".join(OVERRIDE_KINDS)},
        )
    if kind == "struck_out" and not library_lists(day):
        raise InvalidInput(
            N_("Chỉ gạch bỏ được ngày do thư viện ngày lễ đề xuất."),
            fields={"day": "not proposed by the holiday library"},
        )
    row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if row is None:
        row = CalendarOverride(day=day, kind=kind, note=note)
        session.add(row)
    else:
        row.kind, row.note = kind, note
    session.flush()
    _changed(session)
    return row


def delete_override(session: Session, day: date) -> None:
    """Remove the override of a date."""
    row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if row is None:
        raise NotFound(N_("Không có điều chỉnh lịch cho ngày này."))
    session.delete(row)
    session.flush()
    _changed(session)


def list_years(session: Session) -> dict[int, CalendarYear]:
    """The confirmed years, by year."""
    return {row.year: row for row in session.scalars(select(CalendarYear))}


def year_confirmation(session: Session, year: int) -> CalendarYear | None:
    """Who confirmed the year's calendar against the official notice, when; None: proposed."""
    return session.get(CalendarYear, year)


def confirm_year(
    session: Session, year: int, source: str, by_id: int | None, by_name: str
) -> CalendarYear:
    """Record that the year's days off were checked against ``source`` (confirming again
    replaces who, when and the source)."""
    row = session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year)
        session.add(row)
    row.confirmed_at = utcnow()
    row.confirmed_by_id, row.confirmed_by_name, row.source = by_id, by_name[:120], source
    session.flush()
    return row


class _Snapshot(NamedTuple):
    """Everything a calendar is built from: the zone, rule rows and override rows, sorted."""

    tz: str
    rules: list[tuple[str, Any]]
    overrides: list[tuple[date, str, str]]


# Every rule setting and day override, in one statement (a rule row has no day).
_SNAPSHOT_QUERY = union_all(
    select(
        RuleSetting.key,
        RuleSetting.value,
        cast(null(), Date).label("day"),
        cast(null(), String).label("kind"),
        cast(null(), Text).label("note"),
    ),
    select(
        cast(null(), String),
        cast(null(), JSONType),
        CalendarOverride.day,
        CalendarOverride.kind,
        CalendarOverride.note,
    ),
)


def _snapshot(session: Session) -> _Snapshot:
    """Every rule setting and day override, read in one statement."""
    rule_rows: list[tuple[str, Any]] = []
    override_rows: list[tuple[date, str, str]] = []
    for key, value, day, kind, note in session.execute(_SNAPSHOT_QUERY):
        if day is None:
            rule_rows.append((key, value))
        else:
            override_rows.append((day, kind, note or ""))
    return _Snapshot(
        get_settings().timezone,
        sorted(rule_rows, key=lambda r: r[0]),
        sorted(override_rows, key=lambda r: r[0]),
    )


def _build_calendar(snapshot: _Snapshot) -> WorkCalendar:
    values = {**DEFAULT_RULES, **{k: v for k, v in snapshot.rules if k in _PARSERS}}
    try:
        rules = parse_rules(values)
    except InvalidInput as exc:
        # Values are checked on the way in; a bad row is a broken database, not bad input.
        raise RuntimeError(f"invalid rule_settings row: {exc.detail}") from exc
    overrides = {day: DayOverride(kind, note) for day, kind, note in snapshot.overrides}
    return WorkCalendar(rules, overrides, tz=snapshot.tz)


# The calendar last built in this process, what it was built from and when that was read
# (monotonic seconds). For ``calendar_refresh_seconds`` after a read, requests reuse it without
# a statement (issue 18: one round trip of five of a queue request); then the rows are read
# again and the calendar, with its memo of working periods, is kept while they are equal. A
# change made in this process is seen at once (``_changed``), one made by another process
# within the refresh time.
_shared: tuple[_Snapshot, WorkCalendar, float] | None = None
_WRITTEN_KEY = "app.calendar.written"


def forget_shared() -> None:
    """Drop the process's calendar: the next request reads the rows."""
    global _shared
    _shared = None


def _changed(session: Session) -> None:
    """After a write of rules or overrides: this session reads them again (uncommitted, so
    never shared with other requests) and the process's calendar is forgotten."""
    session.info.pop(_CACHE_KEY, None)
    session.info[_WRITTEN_KEY] = True
    forget_shared()


def get_calendar(session: Session) -> WorkCalendar:
    """The calendar from the database, built once per session (i.e. per request) and reused
    across requests while the rule settings and overrides are unchanged."""
    global _shared
    cached = session.info.get(_CACHE_KEY)
    if isinstance(cached, WorkCalendar):
        return cached
    written = bool(session.info.get(_WRITTEN_KEY))
    shared = _shared
    now = monotonic()
    if (
        not written
        and shared is not None
        and now - shared[2] < get_settings().calendar_refresh_seconds
    ):
        calendar = shared[1]
    else:
        snapshot = _snapshot(session)
        if shared is not None and shared[0] == snapshot:
            calendar = shared[1]
        else:
            calendar = _build_calendar(snapshot)
        if not written:
            _shared = (snapshot, calendar, now)
    session.info[_CACHE_KEY] = calendar
    return calendar


# --- the calendar ------------------------------------------------------------------------


# Answers a calendar keeps for ``add_working_days`` before it starts again.
_MEMO_SIZE = 4096


class WorkCalendar:
    """Working-time arithmetic over a weekly schedule, public holidays and overrides."""

    def __init__(
        self,
        rules: Rules | None = None,
        overrides: Mapping[date, DayOverride] | None = None,
        holidays: HolidaySource = vietnam_holidays,
        tz: str | None = None,
    ) -> None:
        self.rules = rules or default_rules()
        self.overrides: Mapping[date, DayOverride] = dict(overrides or {})
        self.holidays = holidays
        self.tz = ZoneInfo(tz or get_settings().timezone)
        # A make-up working day on a weekday without periods works the first scheduled day's.
        self._standard: DayPeriods = next(p for p in self.rules.schedule if p)
        self._periods: dict[date, tuple[Interval, ...]] = {}
        # A calendar never changes once built (a change builds a new one), so its answers can
        # be kept: a queue asks the same "n working days from now" for each of its rows.
        self._added_days: dict[tuple[datetime, float], datetime] = {}

    # days

    def _opens(self, d: date) -> bool | None:
        """True/False when an override or the holiday library decides, None for the schedule."""
        override = self.overrides.get(d)
        if override is not None:
            if override.kind == "struck_out":
                return None  # the library's proposal is struck out: the schedule decides
            return override.kind == "working_day"
        year = self.holidays(d.year)
        if d in year.days_off:
            return False
        if d in year.makeup_days:
            return True
        return None

    def working_periods(self, d: date) -> tuple[Interval, ...]:
        """The day's working periods as local (start, end) pairs; empty on a day off."""
        cached = self._periods.get(d)
        if cached is not None:
            return cached
        opens = self._opens(d)
        periods = self.rules.schedule[d.weekday()]
        if opens is False:
            periods = ()
        elif opens is True and not periods:
            periods = self._standard
        result = tuple(
            (datetime.combine(d, s, self.tz), datetime.combine(d, e, self.tz)) for s, e in periods
        )
        if len(self._periods) >= _MEMO_DAYS:
            self._periods.clear()  # a shared calendar lives long: keep its memo bounded
        self._periods[d] = result
        return result

    def is_working_day(self, d: date) -> bool:
        """Whether the date has any working time."""
        return bool(self.working_periods(d))

    def _working_days_from(self, d: date) -> Iterator[tuple[date, tuple[Interval, ...]]]:
        """Working days from ``d`` on (``d`` included), with their periods."""
        idle = 0
        while True:
            periods = self.working_periods(d)
            if periods:
                idle = 0
                yield d, periods
            else:
                idle += 1
                if idle > MAX_IDLE_DAYS:
                    raise InvalidInput(
                        N_("Lịch làm việc không có ngày làm việc nào trong một năm.")
                    )
            d += timedelta(days=1)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        day, _ = next(self._working_days_from(d + timedelta(days=1)))
        return day

    # moments

    def local(self, t: datetime) -> datetime:
        """``t`` in the portal's zone; naive datetimes are refused."""
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError("naive datetime given to the work calendar")
        return t.astimezone(self.tz)

    def is_working_time(self, t: datetime) -> bool:
        t = self.local(t)
        return any(s <= t < e for s, e in self.working_periods(t.date()))

    def next_working_start(self, t: datetime) -> datetime:
        """``t`` itself inside working time, otherwise the start of the next working period."""
        t = self.local(t)
        for _, periods in self._working_days_from(t.date()):
            for s, e in periods:
                if t < e:
                    return max(s, t)
        raise AssertionError("unreachable")  # pragma: no cover

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The earliest moment at which ``hours`` of working time have passed since ``start``."""
        if not math.isfinite(hours) or hours < 0:
            raise InvalidInput(N_("Số giờ phải là số không âm."), fields={"hours": ">= 0"})
        t = self.local(start)
        remaining = timedelta(hours=hours)
        if not remaining:
            return t
        for _, periods in self._working_days_from(t.date()):
            for s, e in periods:
                if e <= t:
                    continue
                s = max(s, t)
                if remaining <= e - s:
                    return s + remaining
                remaining -= e - s
        raise AssertionError("unreachable")  # pragma: no cover

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working hours from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        a, b = self.local(a), self.local(b)
        if b < a:
            return -self.working_hours_between(b, a)
        total = timedelta()
        d = a.date()
        while d <= b.date():
            for s, e in self.working_periods(d):
                lo, hi = max(s, a), min(e, b)
                if lo < hi:
                    total += hi - lo
            d += timedelta(days=1)
        return total / timedelta(hours=1)

    # legal times

    def reception_start(self, received_at: datetime) -> datetime:
        """When processing time starts for a dossier received at ``received_at``.

        Decree 118/2025 Art. 18: received after the cut-off hour (15:00) or outside working
        hours → from the start of the next working day. Before the cut-off on a working day,
        a dossier received early in the morning or in the lunch break starts with the next
        period of the same day.
        """
        t = self.local(received_at)
        cutoff = datetime.combine(t.date(), self.rules.cutoff_hour, self.tz)
        if t <= cutoff:
            nxt = self.next_working_start(t)
            if nxt.date() == t.date():
                return nxt
        return self.working_periods(self.next_working_day(t.date()))[0][0]

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """``days`` working days after ``start`` (counted from the next working moment).

        A working day is counted as a fraction of each day's own working time, so one day
        from Monday 09:00 is Tuesday 09:00 and the result is at the earliest such moment.
        """
        if not math.isfinite(days) or days < 0:
            raise InvalidInput(N_("Số ngày phải là số không âm."), fields={"days": ">= 0"})
        key = (start, days)
        known = self._added_days.get(key)
        if known is None:
            if len(self._added_days) >= _MEMO_SIZE:
                self._added_days.clear()
            known = self._added_days[key] = self._add_working_days(start, days)
        return known

    def _add_working_days(self, start: datetime, days: float) -> datetime:
        t = self.next_working_start(start)
        if days == 0:
            return t
        periods = self.working_periods(t.date())
        position = Fraction(_offset(periods, t), _length(periods))
        target = position + Fraction(days)
        whole = math.ceil(target) - 1  # target lies in (whole, whole + 1]
        day = t.date()
        for _ in range(whole):
            day = self.next_working_day(day)
        periods = self.working_periods(day)
        due = _moment_at(periods, round((target - whole) * _length(periods)))
        # A duration too small to move the clock must not end at the previous period's end.
        return max(due, t)

    def cutoff_moved(self, received_at: datetime) -> bool:
        """Whether the Art. 18 cut-off (or a reception outside working hours) moved the start
        of processing to a later working day than the day of reception."""
        return self.reception_start(received_at).date() != self.local(received_at).date()

    def due_after_working_days(self, received_at: datetime, days: float) -> datetime:
        """Due time of a legal time in working days, counted from ``reception_start``.

        ``same_time`` (working time: 1 day from Friday 11:52 is Monday 11:52); ``end_of_day``
        (Civil Code 2015 Art. 147–148: the day counting starts on is not counted, the period
        ends at the close of its last working day: 1 day from Friday 11:52 is Monday 17:00, and
        0 days — a procedure settled "ngay trong ngày" — Friday 17:00, or Monday 17:00 when
        received after the cut-off)."""
        start = self.reception_start(received_at)
        if days == 0:
            # A legal time of 0 days is "ngay trong ngày": by the close of the day processing
            # starts on — the day of reception, or the next working day after the cut-off.
            return self.working_periods(self.next_working_start(start).date())[-1][1]
        return self.end_after_working_days(start, days)

    def end_after_working_days(self, start: datetime, days: float) -> datetime:
        """End of a period of ``days`` working days from ``start`` under ``due_time_rule``
        (Civil Code 2015 Art. 147–148): the same clock time, or the close of the last day."""
        if self.rules.due_time_rule == "same_time" or not math.isfinite(days) or days <= 0:
            return self.add_working_days(start, days)  # which refuses a bad duration
        day = self.next_working_start(start).date()
        for _ in range(math.ceil(days)):
            day = self.next_working_day(day)
        return self.working_periods(day)[-1][1]

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """End of a period of ``days`` calendar days (Civil Code 2015, Art. 147–148).

        The day of the event is not counted; the period ends at 24:00 of its last day, and
        when that day is not a working day, at 24:00 of the next working day.
        """
        if days < 0:
            raise InvalidInput(N_("Số ngày phải là số không âm."), fields={"days": ">= 0"})
        last = self.local(start).date() + timedelta(days=days)
        if not self.is_working_day(last):
            last = self.next_working_day(last)
        return datetime.combine(last + timedelta(days=1), time(0), self.tz)

    def answer_due_at(self, submitted_at: datetime) -> datetime:
        """Deadline to receive or send back an online dossier (Art. 17: 8 working hours)."""
        return self.add_working_hours(submitted_at, self.rules.answer_window_hours)

    def supplement_request_due_at(self, received_at: datetime) -> datetime:
        """Last moment to request a supplement (Art. 19: 3 working days of reception)."""
        return self.due_after_working_days(received_at, self.rules.supplement_window_days)

    def supplement_deadline(self, requested_at: datetime) -> datetime:
        """When a missing supplement stops the dossier (Art. 19: 15 days, unit is a setting)."""
        days = self.rules.supplement_limit_days
        if self.rules.supplement_limit_unit == "working_days":
            # Counted in days, so it ends as due_time_rule says (Civil Code 2015 Art. 147–148).
            return self.end_after_working_days(requested_at, days)
        return self.add_calendar_days(requested_at, days)

    # listing

    def holidays_for_year(self, year: int) -> list[CalendarDay]:
        """Public holidays, make-up working days and admin overrides of a year, by date."""
        lib = self.holidays(year)
        days: dict[date, CalendarDay] = {}
        for d, name in lib.days_off.items():
            days[d] = CalendarDay(d, name, "holiday", False)
        for d in lib.makeup_days:
            days[d] = CalendarDay(d, MAKEUP_DAY_NAME, "working_day", False)
        for d, override in self.overrides.items():
            if d.year != year:
                continue
            if override.kind == "struck_out":
                if d in days:  # shown as the library has it, marked as struck out
                    days[d] = days[d]._replace(override=True, origin="struck_out")
                continue
            default = MAKEUP_DAY_NAME if override.kind == "working_day" else EXTRA_DAY_OFF_NAME
            days[d] = CalendarDay(d, override.note or default, override.kind, True, "admin")
        return [days[d] for d in sorted(days)]


def _length(periods: tuple[Interval, ...]) -> int:
    """Working time of a day in microseconds."""
    return sum((e - s) // timedelta(microseconds=1) for s, e in periods)


def _offset(periods: tuple[Interval, ...], t: datetime) -> int:
    """Working time of the day before ``t`` (inside a period), in microseconds."""
    return sum((min(e, t) - s) // timedelta(microseconds=1) for s, e in periods if s < t)


def _moment_at(periods: tuple[Interval, ...], offset: int) -> datetime:
    """The earliest moment of the day after ``offset`` microseconds of its working time."""
    for s, e in periods:
        span = (e - s) // timedelta(microseconds=1)
        if offset <= span:
            return s + timedelta(microseconds=offset)
        offset -= span
    return periods[-1][1]
