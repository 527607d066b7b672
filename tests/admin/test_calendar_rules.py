"""Calendar overrides, the weekly schedule and the rule settings from /quan-tri/lich, and
their effect on the due dates of GET /api/v1/calendar/due-date. System admins only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar.models import CalendarOverride, RuleSetting
from tests.admin.helpers import ADMIN, PHO_HIEN_ADMIN, log_in, post_form

MONDAY_9 = "2026-03-02T09:00:00+07:00"


def _due(client: TestClient, moment: str, days: float = 1) -> str:
    response = client.get("/api/v1/calendar/due-date", params={"from": moment, "days": days})
    assert response.status_code == 200, response.text
    return str(response.json()["due_at"])


def test_extra_day_off_and_make_up_day_move_the_due_date(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    page = client.get("/quan-tri/lich", params={"year": 2026})
    assert page.status_code == 200
    assert "Tết" in page.text  # lunar holidays from the holiday library
    assert _due(client, MONDAY_9).startswith("2026-03-03T09:00")

    added = post_form(
        client,
        "/quan-tri/lich/ngay",
        {"day": "2026-03-03", "kind": "day_off", "note": "Nghỉ theo thông báo của tỉnh"},
        page="/quan-tri/lich",
    )
    assert added.status_code == 303
    assert added.headers["location"] == "/quan-tri/lich?year=2026&msg=day_saved"
    assert _due(client, MONDAY_9).startswith("2026-03-04T09:00")
    listed = client.get("/quan-tri/lich", params={"year": 2026}).text
    assert "Nghỉ theo thông báo của tỉnh" in listed

    # A make-up Saturday counts as a working day.
    friday = "2026-03-06T09:00:00+07:00"
    assert _due(client, friday).startswith("2026-03-09T09:00")
    post_form(client, "/quan-tri/lich/ngay", {"day": "07/03/2026", "kind": "working_day"})
    assert _due(client, friday).startswith("2026-03-07T09:00")

    removed = post_form(client, "/quan-tri/lich/ngay/xoa", {"day": "2026-03-03"})
    assert removed.status_code == 303
    assert _due(client, MONDAY_9).startswith("2026-03-03T09:00")
    assert db.scalar(select(CalendarOverride).where(CalendarOverride.note != "")) is None


def test_cutoff_hour_setting_takes_effect(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    late = "2026-03-02T15:30:00+07:00"
    # After 15:00: counted from Tuesday morning, so one working day ends Tuesday 17:00.
    assert _due(client, late).startswith("2026-03-03T17:00")
    rules = {
        "cutoff_hour": "16:00",
        "answer_window_hours": "8",
        "supplement_window_days": "3",
        "supplement_limit_days": "15",
        "supplement_limit_unit": "calendar_days",
        "max_extensions": "1",
        "apology_lead_days": "1",
        "due_time_rule": "same_time",
    }
    saved = post_form(client, "/quan-tri/lich/quy-tac", rules, page="/quan-tri/lich")
    assert saved.status_code == 303, saved.text
    assert db.scalar(select(RuleSetting.value).where(RuleSetting.key == "cutoff_hour")) == "16:00"
    # Only the changed rule is stored.
    assert set(db.scalars(select(RuleSetting.key))) == {"cutoff_hour"}
    assert _due(client, late).startswith("2026-03-03T15:30")

    bad = post_form(
        client,
        "/quan-tri/lich/quy-tac",
        {**rules, "cutoff_hour": "25:00", "max_extensions": "1,5"},
    )
    assert bad.status_code == 422
    assert 'id="f-cutoff_hour-error"' in bad.text and 'id="f-max_extensions-error"' in bad.text
    assert 'value="25:00"' in bad.text
    db.expire_all()
    assert db.scalar(select(RuleSetting.value).where(RuleSetting.key == "cutoff_hour")) == "16:00"

    reset = post_form(client, "/quan-tri/lich/quy-tac/mac-dinh")
    assert reset.status_code == 303
    assert _due(client, late).startswith("2026-03-03T17:00")


def test_weekly_schedule_is_edited_and_checked(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    schedule: dict[str, str] = {}
    for day in ("mon", "tue", "wed", "thu", "fri"):
        schedule[f"{day}-0-start"], schedule[f"{day}-0-end"] = "07:30", "11:30"
        schedule[f"{day}-1-start"], schedule[f"{day}-1-end"] = "13:30", "17:00"
    schedule["sat-0-start"], schedule["sat-0-end"] = "08:00", "11:30"
    saved = post_form(client, "/quan-tri/lich/gio-lam-viec", schedule, page="/quan-tri/lich")
    assert saved.status_code == 303
    stored = db.scalar(select(RuleSetting.value).where(RuleSetting.key == "schedule"))
    assert stored["sat"] == [["08:00", "11:30"]] and stored["sun"] == []
    # Friday 16:00 + 1 working hour now ends on Saturday morning.
    friday = "2026-03-06T09:00:00+07:00"
    assert _due(client, friday).startswith("2026-03-07T")

    bad = post_form(client, "/quan-tri/lich/gio-lam-viec", {**schedule, "mon-0-end": "07:00"})
    assert bad.status_code == 422
    half = post_form(client, "/quan-tri/lich/gio-lam-viec", {**schedule, "tue-2-start": "18:00"})
    assert half.status_code == 422 and "Nhập cả giờ bắt đầu và giờ kết thúc" in half.text
    db.expire_all()
    stored = db.scalar(select(RuleSetting.value).where(RuleSetting.key == "schedule"))
    assert stored["mon"][0] == ["07:30", "11:30"]


def test_calendar_is_for_system_admins_only(client: TestClient, db: Session) -> None:
    log_in(client, PHO_HIEN_ADMIN)
    assert client.get("/quan-tri/lich").status_code == 403
    refused = post_form(
        client, "/quan-tri/lich/ngay", {"day": "2026-03-03", "kind": "day_off"}, page="/quan-tri"
    )
    assert refused.status_code == 403
    rules = post_form(client, "/quan-tri/lich/quy-tac", {"cutoff_hour": "16:00"})
    assert rules.status_code == 403
    assert db.scalar(select(CalendarOverride)) is None
    assert db.scalar(select(RuleSetting)) is None


def test_the_editor_sets_when_day_periods_end(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    page = client.get("/quan-tri/lich").text
    assert 'id="f-due_time_rule"' in page and "Hết giờ làm việc của ngày cuối cùng" in page
    rules = {
        "cutoff_hour": "15:00",
        "answer_window_hours": "8",
        "supplement_window_days": "3",
        "supplement_limit_days": "15",
        "supplement_limit_unit": "calendar_days",
        "max_extensions": "1",
        "apology_lead_days": "1",
        "due_time_rule": "end_of_day",
    }
    saved = post_form(client, "/quan-tri/lich/quy-tac", rules, page="/quan-tri/lich")
    assert saved.status_code == 303, saved.text
    stored = db.scalar(select(RuleSetting.value).where(RuleSetting.key == "due_time_rule"))
    assert stored == "end_of_day"
