"""Properties of working-time arithmetic that must hold on any date, holidays included."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from app.calendar.service import WorkCalendar, parse_rules

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# The arithmetic of working time: periods in days end at the same clock time (``same_time``).
CAL = WorkCalendar(parse_rules({"due_time_rule": "same_time"}))
EPSILON = timedelta(milliseconds=1)

# Moments between 2024 and 2028 (Tết 2025–2027 included), to the minute, in Vietnam time.
moments = st.datetimes(min_value=datetime(2024, 12, 1), max_value=datetime(2027, 12, 31)).map(
    lambda t: t.replace(second=0, microsecond=0, tzinfo=VN)
)
hours = st.floats(min_value=0, max_value=300, allow_nan=False, allow_infinity=False)
days = st.floats(min_value=0, max_value=60, allow_nan=False, allow_infinity=False)


def inside_or_at_period_end(t: datetime) -> bool:
    return any(s <= t <= e for s, e in CAL.working_periods(t.date()))


@given(moments, hours, hours)
def test_add_working_hours_is_monotonic(start: datetime, h1: float, h2: float) -> None:
    low, high = sorted((h1, h2))
    assert CAL.add_working_hours(start, low) <= CAL.add_working_hours(start, high)


@given(moments, hours)
def test_hours_between_start_and_result_are_the_hours_added(start: datetime, h: float) -> None:
    end = CAL.add_working_hours(start, h)
    assert abs(CAL.working_hours_between(start, end) - h) < 1e-6


@given(moments, st.floats(min_value=0.001, max_value=300))
def test_result_is_in_working_time_or_at_a_period_end(start: datetime, h: float) -> None:
    end = CAL.add_working_hours(start, h)
    assert end > start
    assert inside_or_at_period_end(end)
    assert end.utcoffset() == timedelta(hours=7)


@given(moments, hours, hours)
def test_adding_in_two_steps_equals_adding_the_sum(start: datetime, h1: float, h2: float) -> None:
    two_steps = CAL.add_working_hours(CAL.add_working_hours(start, h1), h2)
    assert abs(two_steps - CAL.add_working_hours(start, h1 + h2)) < EPSILON


@given(moments, moments)
def test_hours_between_is_antisymmetric_and_additive(a: datetime, b: datetime) -> None:
    assert CAL.working_hours_between(a, b) == -CAL.working_hours_between(b, a)
    middle = a + (b - a) / 2
    total = CAL.working_hours_between(a, middle) + CAL.working_hours_between(middle, b)
    assert abs(total - CAL.working_hours_between(a, b)) < 1e-6


@given(moments)
def test_next_working_start_is_working_time(t: datetime) -> None:
    start = CAL.next_working_start(t)
    assert start >= t
    assert CAL.is_working_time(start)
    assert CAL.working_hours_between(t, start) == 0


@given(moments)
def test_reception_start_is_a_working_moment_not_before_reception(t: datetime) -> None:
    start = CAL.reception_start(t)
    assert start >= t
    assert CAL.is_working_time(start)
    local = t.astimezone(VN)
    if local.hour * 60 + local.minute > 15 * 60:  # after the cut-off: another day, at its start
        assert start.date() > local.date()
        assert start == CAL.working_periods(start.date())[0][0]


@given(moments, days)
def test_working_days_are_days_of_seven_and_a_half_hours(received: datetime, d: float) -> None:
    # With the default schedule every working day is 7.5 h, so both conventions agree.
    start = CAL.reception_start(received)
    due = CAL.due_after_working_days(received, d)
    if d == 0:  # within the day: by the close of the day processing starts on
        assert due == CAL.working_periods(start.date())[-1][1]
        return
    assert abs(due - CAL.add_working_hours(start, d * 7.5)) < EPSILON
    assert inside_or_at_period_end(due)
