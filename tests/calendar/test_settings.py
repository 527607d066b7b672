"""Admin data in the database: day overrides and the rule numbers of the decree in force."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.calendar import service
from app.calendar.models import CalendarOverride, RuleSetting
from app.config import get_settings
from app.errors import InvalidInput, NotFound

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def test_defaults_without_rows(db: Session) -> None:
    rules = service.get_rules(db)
    assert rules.cutoff_hour.strftime("%H:%M") == "15:00"
    assert rules.answer_window_hours == 8
    assert rules.supplement_window_days == 3
    assert rules.supplement_limit_days == 15
    assert rules.supplement_limit_unit == "calendar_days"
    assert rules.max_extensions == 1
    assert rules.apology_lead_days == 1
    assert service.rule_values(db)["schedule"]["mon"] == [["07:30", "11:30"], ["13:30", "17:00"]]


def test_overrides_from_the_database(db: Session) -> None:
    service.set_override(db, date(2026, 3, 14), "working_day", "Làm bù cho 30/4")
    service.set_override(db, date(2026, 3, 10), "day_off", "")
    calendar = service.get_calendar(db)
    assert calendar.is_working_day(date(2026, 3, 14))
    assert not calendar.is_working_day(date(2026, 3, 10))
    # Friday 13 Mar after the cut-off → the worked Saturday 14 Mar from 07:30.
    assert calendar.reception_start(at("2026-03-13 16:00")) == at("2026-03-14 07:30")
    # Monday 9 Mar 09:00 + 1 working day, Tuesday 10 off → Wednesday 11 Mar 09:00.
    assert calendar.due_after_working_days(at("2026-03-09 09:00"), 1) == at("2026-03-11 09:00")
    items = {d.day: d for d in calendar.holidays_for_year(2026)}
    assert items[date(2026, 3, 14)].name == "Làm bù cho 30/4"
    assert items[date(2026, 3, 10)].name == service.EXTRA_DAY_OFF_NAME
    assert items[date(2026, 3, 10)].override


def test_set_override_replaces_and_delete_restores(db: Session) -> None:
    service.set_override(db, date(2026, 9, 2), "working_day")
    assert service.get_calendar(db).is_working_day(date(2026, 9, 2))
    row = service.set_override(db, date(2026, 9, 2), "day_off", "Quốc khánh")
    assert row.kind == "day_off"
    assert len(service.list_overrides(db, 2026)) == 1
    assert not service.get_calendar(db).is_working_day(date(2026, 9, 2))
    service.delete_override(db, date(2026, 9, 2))
    assert service.list_overrides(db, 2026) == []
    with pytest.raises(NotFound):
        service.delete_override(db, date(2026, 9, 2))


def test_override_kind_is_checked(db: Session) -> None:
    with pytest.raises(InvalidInput):
        service.set_override(db, date(2026, 3, 14), "holiday")


def test_rule_settings_override_the_defaults(db: Session) -> None:
    service.set_rule(db, "cutoff_hour", "16:00")
    # With a 16:00 cut-off a dossier received at 15:30 is counted the same day.
    assert service.get_calendar(db).reception_start(at("2026-03-09 15:30")) == at(
        "2026-03-09 15:30"
    )
    service.set_rule(db, "cutoff_hour", "15:00")
    assert db.scalar(select(func.count()).select_from(RuleSetting)) == 1
    assert service.get_calendar(db).reception_start(at("2026-03-09 15:30")) == at(
        "2026-03-10 07:30"
    )
    service.reset_rule(db, "cutoff_hour")
    assert service.rule_values(db)["cutoff_hour"] == "15:00"


def test_schedule_setting_adds_saturday_mornings(db: Session) -> None:
    schedule = dict(service.DEFAULT_RULES["schedule"])
    schedule["sat"] = [["07:30", "11:30"]]
    service.set_rule(db, "schedule", schedule)
    calendar = service.get_calendar(db)
    # Friday 13 Mar after the cut-off → Saturday 14 Mar 07:30; the half-day Saturday is one
    # whole working day, so 1 day ends at its end, 11:30.
    assert calendar.reception_start(at("2026-03-13 16:00")) == at("2026-03-14 07:30")
    assert calendar.due_after_working_days(at("2026-03-13 16:00"), 1) == at("2026-03-14 11:30")
    # Friday 09:00 is 1.5 of 7.5 h in (0.2 of the day); + 0.5 day → 0.7 of Friday, 5.25 h
    # in: the 4 h morning + 1.25 h after 13:30 → 14:45.
    assert calendar.due_after_working_days(at("2026-03-13 09:00"), 0.5) == at("2026-03-13 14:45")
    # From 0.2 of Friday, 1 day → 0.2 of Saturday's 4 h = 48 min → 08:18.
    assert calendar.due_after_working_days(at("2026-03-13 09:00"), 1) == at("2026-03-14 08:18")


def test_supplement_limit_in_working_days_is_a_setting(db: Session) -> None:
    service.set_rule(db, "supplement_limit_unit", "working_days")
    # Monday 2 Mar 10:00 + 15 working days (three weeks, no holiday) → Monday 23 Mar 10:00.
    calendar = service.get_calendar(db)
    assert calendar.supplement_deadline(at("2026-03-02 10:00")) == at("2026-03-23 10:00")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cutoff_hour", "3pm"),
        ("cutoff_hour", "24:00"),
        ("answer_window_hours", 0),
        ("answer_window_hours", True),
        ("answer_window_hours", "8"),
        ("supplement_limit_days", 2.5),
        ("supplement_limit_unit", "weeks"),
        ("max_extensions", -1),
        ("schedule", {"mon": [["11:30", "07:30"]]}),
        ("schedule", {"mon": [["07:30", "12:00"], ["11:00", "17:00"]]}),
        ("schedule", {"monday": [["07:30", "11:30"]]}),
        ("schedule", {}),
        ("no_such_rule", 1),
    ],
)
def test_bad_rule_values_are_refused(db: Session, key: str, value: object) -> None:
    with pytest.raises(InvalidInput):
        service.set_rule(db, key, value)
    assert db.scalar(select(func.count()).select_from(RuleSetting)) == 0


def test_calendar_is_cached_per_session_and_renewed_on_change(db: Session) -> None:
    first = service.get_calendar(db)
    assert service.get_calendar(db) is first
    service.set_override(db, date(2026, 3, 16), "day_off")
    second = service.get_calendar(db)
    assert second is not first
    assert first.is_working_day(date(2026, 3, 16))
    assert not second.is_working_day(date(2026, 3, 16))


def test_calendar_is_shared_between_requests_until_the_rows_change(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests reuse one calendar per process while the rows are unchanged, and see a change
    made anywhere else (another worker process, plain SQL) once they read the rows again: here
    on every request (refresh time 0; tests/calendar/test_refresh.py for the default)."""
    monkeypatch.setattr(get_settings(), "calendar_refresh_seconds", 0.0)

    def request() -> service.WorkCalendar:
        """The calendar a new request gets (a new session on the test's transaction)."""
        with Session(bind=db.connection(), join_transaction_mode="create_savepoint") as session:
            return service.get_calendar(session)

    first = request()
    assert request() is first

    monday = date(2026, 3, 16)
    db.execute(insert(CalendarOverride).values(day=monday, kind="day_off", note=""))
    added = request()
    assert added is not first and not added.is_working_day(monday)

    # Changed in place (same row, same id): still seen.
    db.execute(
        update(CalendarOverride).where(CalendarOverride.day == monday).values(kind="working_day")
    )
    changed = request()
    assert changed is not added and changed.is_working_day(monday)

    db.execute(insert(RuleSetting).values(key="cutoff_hour", value="16:00"))
    ruled = request()
    assert ruled.rules.cutoff_hour.strftime("%H:%M") == "16:00"

    db.execute(delete(RuleSetting))
    db.execute(delete(CalendarOverride))
    restored = request()
    assert restored.rules == first.rules and dict(restored.overrides) == {}


def test_due_time_rule_setting_moves_due_times_to_the_close_of_the_day(db: Session) -> None:
    assert service.get_calendar(db).due_after_working_days(at("2026-03-09 09:00"), 1) == at(
        "2026-03-10 09:00"
    )
    service.set_rule(db, "due_time_rule", "end_of_day")
    assert service.get_calendar(db).due_after_working_days(at("2026-03-09 09:00"), 1) == at(
        "2026-03-10 17:00"
    )
    with pytest.raises(InvalidInput):
        service.set_rule(db, "due_time_rule", "noon")
