"""Working time on the real Vietnamese calendar.

Calendar facts used below (from the government's announcements, as the ``holidays`` library
has them): Tết 2026 is Mon 16 – Fri 20 Feb 2026; Tết 2027 is Thu 4 – Wed 10 Feb 2027 (29 Tết
to the 5th day, the weekend days compensated); Hùng Kings' day is Sun 26 Apr 2026 (off on
Mon 27 Apr) and Fri 16 Apr 2027; 30 Apr and 1 May 2026 are Thu–Fri; National Day 2026 is
Tue 1 – Wed 2 Sep plus Mon 31 Aug, swapped with Saturday 22 Aug 2026, which is worked.
The default schedule is Mon–Fri 07:30–11:30 and 13:30–17:00 (7.5 hours a day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.calendar.service import DayOverride, WorkCalendar, parse_rules

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# The arithmetic of working time: periods in days end at the same clock time (``same_time``).
CAL = WorkCalendar(parse_rules({"due_time_rule": "same_time"}))


def at(text: str) -> datetime:
    """A Vietnam-time moment from ``YYYY-MM-DD HH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=VN)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Tết
        (date(2026, 2, 14), False),  # Saturday
        (date(2026, 2, 16), False),  # Giao thừa
        (date(2026, 2, 17), False),  # Tết Nguyên Đán
        (date(2026, 2, 20), False),  # 4th day of Tết
        (date(2026, 2, 23), True),  # first Monday after Tết
        (date(2027, 2, 3), True),  # Wednesday before Tết 2027
        (date(2027, 2, 4), False),  # 29 Tết
        (date(2027, 2, 8), False),  # 3rd day of Tết
        (date(2027, 2, 10), False),  # compensation for Tết on the weekend
        (date(2027, 2, 11), True),
        (date(2026, 4, 27), False),  # Hùng Kings (Sunday 26) observed on Monday
        (date(2027, 4, 16), False),  # Hùng Kings 2027, a Friday
        (date(2025, 9, 1), False),  # National Day is two days since 2025
        (date(2025, 9, 2), False),
        (date(2026, 8, 22), True),  # Saturday worked in exchange for Mon 31 Aug
        (date(2026, 8, 31), False),
        (date(2026, 9, 1), False),
        (date(2026, 9, 2), False),
        (date(2026, 9, 3), True),
        (date(2026, 3, 15), False),  # an ordinary Sunday
    ],
)
def test_working_days(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_working_periods_of_a_weekday_and_of_a_makeup_saturday() -> None:
    expected = [("07:30", "11:30"), ("13:30", "17:00")]
    for day in (date(2026, 3, 9), date(2026, 8, 22)):
        got = [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in CAL.working_periods(day)]
        assert got == expected
        assert all(s.tzinfo == VN for s, _ in CAL.working_periods(day))
    assert CAL.working_periods(date(2026, 2, 17)) == ()


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-09 09:00", "2026-03-09 09:00"),  # inside the morning period
        ("2026-03-09 11:30", "2026-03-09 13:30"),  # a period end is not working time
        ("2026-03-09 12:15", "2026-03-09 13:30"),  # lunch break
        ("2026-03-09 17:00", "2026-03-10 07:30"),  # end of day
        ("2026-02-13 17:00", "2026-02-23 07:30"),  # Friday evening before Tết
        ("2027-02-03 18:00", "2027-02-11 07:30"),  # Wednesday evening before Tết 2027
    ],
)
def test_next_working_start(moment: str, expected: str) -> None:
    assert CAL.next_working_start(at(moment)) == at(expected)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # 1.5 h to 11:30, 3.5 h to 17:00, the remaining 3 h from Tuesday 07:30.
        ("2026-03-09 10:00", 8, "2026-03-10 10:30"),
        # 1 h on Friday 13 Feb, Tết and the weekends, then 4 h + 3 h on Monday 23 Feb.
        ("2026-02-13 16:00", 8, "2026-02-23 16:30"),
        ("2026-03-14 10:00", 1, "2026-03-16 08:30"),  # Saturday → Monday
        ("2026-03-09 11:30", 0.5, "2026-03-09 14:00"),  # lunch is skipped
        ("2026-03-09 07:30", 4, "2026-03-09 11:30"),  # ends at the period end, earliest
        ("2026-03-09 07:30", 7.5, "2026-03-09 17:00"),  # a full day ends the same day
        ("2026-03-09 09:00", 0, "2026-03-09 09:00"),
    ],
)
def test_add_working_hours(start: str, hours: float, expected: str) -> None:
    assert CAL.add_working_hours(at(start), hours) == at(expected)


@pytest.mark.parametrize(
    ("a", "b", "hours"),
    [
        ("2026-03-09 09:00", "2026-03-09 14:00", 3.0),  # 2.5 h morning + 0.5 h afternoon
        ("2026-02-13 16:00", "2026-02-23 08:30", 2.0),  # 1 h Friday + 1 h Monday after Tết
        ("2026-03-14 08:00", "2026-03-15 16:00", 0.0),  # a weekend
        ("2026-03-09 14:00", "2026-03-09 09:00", -3.0),  # reversed
        ("2026-03-09 00:00", "2026-03-14 00:00", 37.5),  # a full week
    ],
)
def test_working_hours_between(a: str, b: str, hours: float) -> None:
    assert CAL.working_hours_between(at(a), at(b)) == pytest.approx(hours)


@pytest.mark.parametrize(
    ("received", "start"),
    [
        ("2026-03-09 14:59", "2026-03-09 14:59"),  # before the cut-off: counted at once
        ("2026-03-09 15:00", "2026-03-09 15:00"),  # exactly 15:00 is not "after 15:00"
        ("2026-03-09 15:01", "2026-03-10 07:30"),  # after the cut-off: next working day
        ("2026-03-09 06:45", "2026-03-09 07:30"),  # before office hours
        ("2026-03-09 12:00", "2026-03-09 13:30"),  # lunch break before the cut-off
        ("2026-03-09 19:00", "2026-03-10 07:30"),  # evening
        ("2026-03-14 10:00", "2026-03-16 07:30"),  # Saturday
        ("2026-02-13 15:01", "2026-02-23 07:30"),  # Friday before Tết 2026
        ("2026-02-13 14:59", "2026-02-13 14:59"),
        ("2026-02-18 09:00", "2026-02-23 07:30"),  # during Tết
        ("2027-02-03 15:30", "2027-02-11 07:30"),  # Wednesday before Tết 2027
        ("2026-04-24 15:30", "2026-04-28 07:30"),  # weekend + Hùng Kings observed Monday
        ("2027-04-15 16:00", "2027-04-19 07:30"),  # Hùng Kings on Friday 16 Apr 2027
        ("2026-08-28 15:30", "2026-09-03 07:30"),  # weekend + 31 Aug, 1–2 Sep
        ("2026-09-02 10:00", "2026-09-03 07:30"),  # National Day itself
        ("2026-08-21 16:00", "2026-08-22 07:30"),  # the worked Saturday 22 Aug 2026
    ],
)
def test_reception_start(received: str, start: str) -> None:
    assert CAL.reception_start(at(received)) == at(start)


def test_reception_start_accepts_any_offset_and_answers_in_vietnam_time() -> None:
    received = datetime(2026, 3, 9, 2, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Hà Nội
    start = CAL.reception_start(received)
    assert start == at("2026-03-09 09:00")
    assert start.utcoffset() == timedelta(hours=7)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.reception_start(datetime(2026, 3, 9, 9, 0))


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        ("2026-03-09 09:00", 1, "2026-03-10 09:00"),  # one day: same time next working day
        ("2026-03-09 07:30", 1, "2026-03-09 17:00"),  # from the day start: end of that day
        ("2026-03-09 09:00", 0, "2026-03-09 17:00"),  # 0 days: within the day
        ("2026-03-09 09:00", 5, "2026-03-16 09:00"),  # a week, no holiday in March 2026
        ("2026-02-13 09:00", 1, "2026-02-23 09:00"),  # over Tết 2026
        ("2026-02-13 15:01", 1, "2026-02-23 17:00"),  # after cut-off: all of Monday 23
        # 14:59 is 5 h 29 min into Friday; + 3 h 45 = 9 h 14 > 7 h 30 → 1 h 44 into Mon 23.
        ("2026-02-13 14:59", 0.5, "2026-02-23 09:14"),
        ("2027-02-03 10:00", 2, "2027-02-12 10:00"),  # Thu 11 and Fri 12 after Tết 2027
        ("2026-08-28 10:00", 1, "2026-09-03 10:00"),  # over National Day 2026
        ("2026-08-21 10:00", 1, "2026-08-22 10:00"),  # the worked Saturday counts
        # Starts Tue 28 Apr 07:30; Tue, Wed, (30 Apr, 1 May, weekend), Mon 4 May to 17:00.
        ("2026-04-24 16:00", 3, "2026-05-04 17:00"),
        ("2026-03-14 10:00", 0.5, "2026-03-16 11:15"),  # Saturday → Monday 07:30 + 3 h 45
        ("2026-03-10 12:00", 0.5, "2026-03-11 07:45"),  # lunch: 13:30 is 4 h in, + 3 h 45
        ("2026-03-10 19:00", 1, "2026-03-11 17:00"),  # evening → all of Wednesday
    ],
)
def test_due_after_working_days(received: str, days: float, due: str) -> None:
    assert CAL.due_after_working_days(at(received), days) == at(due)


END_OF_DAY = WorkCalendar(parse_rules({"due_time_rule": "end_of_day"}))


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        # A same-day procedure ("ngay trong ngày tiếp nhận; nhận sau 15 giờ thì trả trong ngày
        # làm việc tiếp theo", finding m3) has 0 days: Friday 4 Dec 2026 11:52 → that Friday …
        ("2026-12-04 11:52", 0, "2026-12-04 17:00"),
        # … after the cut-off, the close of the next working day.
        ("2026-12-04 15:30", 0, "2026-12-07 17:00"),
        ("2026-12-04 11:52", 1, "2026-12-07 17:00"),  # the day of reception is not counted
        ("2026-03-09 09:00", 3, "2026-03-12 17:00"),  # Tue, Wed, Thu
        ("2026-02-13 10:00", 1, "2026-02-23 17:00"),  # Mon 23 after Tết
        ("2026-03-10 12:00", 0.5, "2026-03-11 17:00"),  # part of a day counts as a day
    ],
)
def test_periods_end_at_the_close_of_their_last_working_day(
    received: str, days: float, due: str
) -> None:
    assert END_OF_DAY.due_after_working_days(at(received), days) == at(due)


def test_the_due_time_rule_is_a_setting_checked_like_the_others() -> None:
    from app.errors import InvalidInput

    assert WorkCalendar().rules.due_time_rule == "same_time"
    with pytest.raises(InvalidInput):
        parse_rules({"due_time_rule": "midnight"})
    with pytest.raises(InvalidInput):
        END_OF_DAY.due_after_working_days(at("2026-03-09 09:00"), -1)


def test_negative_durations_are_invalid_input() -> None:
    from app.errors import InvalidInput

    with pytest.raises(InvalidInput):
        CAL.add_working_hours(at("2026-03-09 09:00"), -1)
    with pytest.raises(InvalidInput):
        CAL.due_after_working_days(at("2026-03-09 09:00"), -0.5)


def test_answer_window_of_eight_working_hours() -> None:
    # Submitted Friday 16:00 before Tết: 1 h that day, 7 h on Monday 23 Feb (Art. 17).
    assert CAL.answer_due_at(at("2026-02-13 16:00")) == at("2026-02-23 16:30")


def test_supplement_request_window_of_three_working_days() -> None:
    assert CAL.supplement_request_due_at(at("2026-03-09 09:00")) == at("2026-03-12 09:00")


@pytest.mark.parametrize(
    ("requested", "deadline"),
    [
        # Day of the request not counted; 2 Mar + 15 = Tue 17 Mar, ends at its 24:00.
        ("2026-03-02 10:00", "2026-03-18 00:00"),
        # 6 Mar + 15 = Saturday 21 Mar → the next working day, Monday 23, to 24:00.
        ("2026-03-06 10:00", "2026-03-24 00:00"),
        # 2 Feb + 15 = 17 Feb, Tết → Monday 23 Feb, to 24:00.
        ("2026-02-02 10:00", "2026-02-24 00:00"),
    ],
)
def test_supplement_limit_in_calendar_days(requested: str, deadline: str) -> None:
    assert CAL.supplement_deadline(at(requested)) == at(deadline)


def test_holidays_for_year_lists_library_days_and_the_worked_saturday() -> None:
    days = {d.day: d for d in CAL.holidays_for_year(2026)}
    assert days[date(2026, 2, 17)].name == "Tết Nguyên Đán"
    assert days[date(2026, 2, 17)].kind == "holiday"
    assert days[date(2026, 4, 26)].name == "Ngày Giỗ Tổ Hùng Vương"
    assert days[date(2026, 9, 2)].name == "Quốc khánh"
    assert days[date(2026, 8, 22)].kind == "working_day"
    assert not any(d.override for d in days.values())
    assert list(days) == sorted(days)


def test_overrides_win_over_holidays_and_the_schedule() -> None:
    cal = WorkCalendar(
        overrides={
            date(2026, 3, 14): DayOverride("working_day", "Làm bù"),  # a Saturday
            date(2026, 3, 10): DayOverride("day_off"),  # a Tuesday
            date(2026, 9, 2): DayOverride("working_day"),  # National Day
            date(2026, 8, 22): DayOverride("day_off"),  # the library's make-up Saturday
        }
    )
    assert cal.is_working_day(date(2026, 3, 14))
    assert not cal.is_working_day(date(2026, 3, 10))
    assert cal.is_working_day(date(2026, 9, 2))
    assert not cal.is_working_day(date(2026, 8, 22))
    # Friday after the cut-off → the worked Saturday 14 Mar.
    assert cal.reception_start(at("2026-03-13 16:00")) == at("2026-03-14 07:30")
    # Monday 9 Mar + 1 day skips the extra day off on Tuesday 10 Mar.
    assert cal.due_after_working_days(at("2026-03-09 09:00"), 1) == at("2026-03-11 09:00")
    listed = {d.day: d for d in cal.holidays_for_year(2026)}
    assert listed[date(2026, 3, 14)] == (date(2026, 3, 14), "Làm bù", "working_day", True, "admin")
    assert listed[date(2026, 3, 10)].kind == "day_off"
    assert listed[date(2026, 3, 10)].override
    assert listed[date(2026, 9, 2)].kind == "working_day"
