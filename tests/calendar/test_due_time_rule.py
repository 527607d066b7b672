"""``due_time_rule`` (Civil Code 2015 Art. 147–148) applies to every period counted in days:
the appointment (form 01), the supplement window and a supplement limit in working days, and
the due-date API; and the explanation of a due date (issue 19 item 5)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.calendar import explain, service
from app.calendar.service import DayOverride, WorkCalendar, parse_rules

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def cal(rule: str, **rules: object) -> WorkCalendar:
    return WorkCalendar(parse_rules({"due_time_rule": rule, **rules}))


@pytest.mark.parametrize(
    ("rule", "appointment", "window", "limit"),
    [
        ("same_time", "2026-03-12 09:00", "2026-03-12 09:00", "2026-03-16 10:00"),
        ("end_of_day", "2026-03-12 17:00", "2026-03-12 17:00", "2026-03-16 17:00"),
    ],
)
def test_every_period_in_days_follows_the_rule(
    rule: str, appointment: str, window: str, limit: str
) -> None:
    c = cal(rule, supplement_limit_unit="working_days", supplement_limit_days=5)
    received = at("2026-03-09 09:00")  # Monday
    assert c.due_after_working_days(received, 3) == at(appointment)
    assert c.supplement_request_due_at(received) == at(window)  # Art. 19: 3 working days
    assert c.supplement_deadline(at("2026-03-09 10:00")) == at(limit)


def test_a_limit_in_calendar_days_ends_at_midnight_whatever_the_rule() -> None:
    for rule in ("same_time", "end_of_day"):
        # 15 days from Mon 9 Mar end on Tue 24 Mar at 24:00.
        assert cal(rule).supplement_deadline(at("2026-03-09 10:00")) == at("2026-03-25 00:00")


@pytest.mark.parametrize(
    ("rule", "expected"), [("same_time", "2026-03-10T09:00"), ("end_of_day", "2026-03-10T17:00")]
)
def test_the_due_date_api_follows_the_rule(
    client: TestClient, db: Session, rule: str, expected: str
) -> None:
    service.set_rule(db, "due_time_rule", rule)
    db.commit()
    response = client.get(
        "/api/v1/calendar/due-date", params={"from": "2026-03-09T09:00:00+07:00", "days": 1}
    )
    assert response.status_code == 200 and response.json()["due_at"].startswith(expected)


def test_the_explanation_lists_the_cutoff_the_counted_and_the_skipped_days() -> None:
    c = WorkCalendar(
        parse_rules({"due_time_rule": "same_time"}),
        overrides={date(2026, 4, 28): DayOverride("day_off", "Nghỉ theo tỉnh")},
    )
    # Friday 24 Apr 2026 after 15:00: counted from Monday; Hùng Kings (26 Apr, a Sunday) and
    # its day in lieu (27 Apr), the province's day off (28 Apr), 30 Apr and 1 May are skipped.
    e = explain.explain_due(c, at("2026-04-24 15:30"), 2)
    assert e.cutoff_moved and e.start == at("2026-04-29 07:30")
    assert e.counted == [date(2026, 4, 29), date(2026, 5, 4)]
    assert e.due_at == at("2026-05-04 17:00") and e.hours == 15
    reasons = {s.day: (s.reason, s.name) for s in e.skipped}
    assert reasons[date(2026, 4, 25)] == ("weekend", "")
    assert reasons[date(2026, 4, 26)][0] == "holiday"
    assert reasons[date(2026, 4, 27)] == ("holiday", "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)")
    assert reasons[date(2026, 4, 28)] == ("admin_day_off", "Nghỉ theo tỉnh")
    assert reasons[date(2026, 4, 30)] == ("holiday", "Ngày Chiến thắng")
    assert reasons[date(2026, 5, 2)] == ("weekend", "")
    before_cutoff = explain.explain_due(c, at("2026-04-24 14:00"), 0.25)
    assert not before_cutoff.cutoff_moved and before_cutoff.skipped == []
    assert before_cutoff.counted == [date(2026, 4, 24)]
