"""A year's holidays are proposed by the library until a system admin confirms them against
the official notice; a library day can be struck out (issue 19 item 5, SPEC §5). Bad input
gets a clear message and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.audit.models import AuditEntry
from app.calendar import admin as calendar_admin
from app.calendar import service as calendar_service
from app.calendar.models import CalendarOverride, CalendarYear
from app.dossiers.models import DossierEvent
from app.errors import Forbidden, InvalidInput
from tests.admin.helpers import ADMIN, PHO_HIEN_ADMIN, log_in, post_form

SOURCE = "Thông báo số 6150/TB-LĐTBXH ngày 30/10/2025 về nghỉ Tết và Quốc khánh 2026"


def _due(client: TestClient, moment: str, days: float = 1) -> str:
    response = client.get("/api/v1/calendar/due-date", params={"from": moment, "days": days})
    assert response.status_code == 200, response.text
    return str(response.json()["due_at"])


def _nothing_written(db: Session) -> tuple[int, int, int]:
    return (
        db.scalar(select(func.count()).select_from(CalendarOverride)) or 0,
        db.scalar(select(func.count()).select_from(CalendarYear)) or 0,
        db.scalar(select(func.count()).select_from(DossierEvent)) or 0,
    )


def test_confirming_a_year_records_who_when_and_the_source(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    page = client.get("/quan-tri/lich", params={"year": 2026}).text
    assert "Đề xuất" in page and "chưa được đối chiếu" in page
    assert 'id="calendar-unconfirmed"' in page and "2026, 2027" in page
    home = client.get("/quan-tri").text
    assert 'id="calendar-unconfirmed"' in home

    done = post_form(
        client, "/quan-tri/lich/xac-nhan", {"year": "2026", "source": SOURCE}, page="/quan-tri/lich"
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/quan-tri/lich?year=2026&msg=year_confirmed"
    row = db.get(CalendarYear, 2026)
    admin = account_service.get_user_by_email(db, ADMIN)
    assert row is not None and admin is not None
    assert row.confirmed_by_id == admin.id and row.source == SOURCE
    assert row.confirmed_at is not None
    page = client.get("/quan-tri/lich", params={"year": 2026}).text
    assert "Đã xác nhận" in page and admin.full_name in page and SOURCE in page
    # 2027 is still only proposed: the warning names it alone.
    warning = page.split('id="calendar-unconfirmed"')[1].split("</div>")[0]
    assert "2027" in warning and "2026" not in warning
    audit = db.scalar(select(AuditEntry).where(AuditEntry.action == "calendar.year_confirmed"))
    assert audit is not None and audit.details["source"] == SOURCE

    # Confirmed or not, due dates are computed with the days in the table; a day can still be
    # struck out after confirming (a later notice), and the due date follows it.
    # Received on Mon 31 Aug (the library's swapped day off): counted from Thu 3 Sep 07:30.
    assert _due(client, "2026-08-31T09:00:00+07:00").startswith("2026-09-03T17:00")
    struck = post_form(
        client,
        "/quan-tri/lich/ngay",
        {"day": "2026-09-01", "kind": "struck_out", "year": "2026"},
        page="/quan-tri/lich",
    )
    assert struck.status_code == 303
    # Tue 1 Sep now works: counted from it.
    assert _due(client, "2026-08-31T09:00:00+07:00").startswith("2026-09-01T17:00")
    listed = client.get("/api/v1/calendar/holidays", params={"year": 2026}).json()["items"]
    day = next(i for i in listed if i["date"] == "2026-09-01")
    assert day["origin"] == "struck_out" and day["override"] is True
    assert db.get(CalendarYear, 2026) is not None  # the confirmation stays


def test_a_struck_out_library_day_is_a_working_day_for_due_dates(db: Session) -> None:
    admin = account_service.get_user_by_email(db, ADMIN)
    assert admin is not None
    cal = calendar_service.get_calendar(db)
    assert not cal.is_working_day(date(2026, 9, 1))
    calendar_admin.set_day(db, admin, date(2026, 9, 1), "struck_out", year=2026)
    cal = calendar_service.get_calendar(db)
    assert cal.is_working_day(date(2026, 9, 1)) and not cal.is_working_day(date(2026, 9, 2))
    # Striking out the library's make-up Saturday makes it a weekend day again.
    assert cal.is_working_day(date(2026, 8, 22))
    calendar_admin.set_day(db, admin, date(2026, 8, 22), "struck_out")
    assert not calendar_service.get_calendar(db).is_working_day(date(2026, 8, 22))


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"day": "2026-03-10", "kind": "struck_out", "year": "2026"}, "day", "Chỉ gạch bỏ được"),
        ({"day": "2027-02-06", "kind": "struck_out", "year": "2026"}, "day", "không thuộc năm"),
        ({"day": "2026-09-01", "kind": "holiday", "year": "2026"}, "kind", "Loại ngày phải là"),
        ({"day": "31/02/2026", "kind": "day_off", "year": "2026"}, "day", "dd/mm/yyyy"),
    ],
)
def test_bad_days_are_refused_and_change_nothing(
    client: TestClient, db: Session, form: dict[str, str], field: str, message: str
) -> None:
    log_in(client, ADMIN)
    before = _nothing_written(db)
    response = post_form(client, "/quan-tri/lich/ngay", form, page="/quan-tri/lich")
    assert response.status_code == 422
    assert message in response.text and f'id="f-{field}"' in response.text
    db.expire_all()
    assert _nothing_written(db) == before


def test_bad_confirmations_are_refused_and_change_nothing(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    before = _nothing_written(db)
    empty = post_form(
        client, "/quan-tri/lich/xac-nhan", {"year": "2026", "source": " "}, page="/quan-tri/lich"
    )
    assert empty.status_code == 422 and "Ghi số, tên văn bản" in empty.text
    assert 'id="f-source"' in empty.text
    for year in ("1999", "abc"):
        bad = post_form(
            client,
            "/quan-tri/lich/xac-nhan",
            {"year": year, "source": SOURCE},
            page="/quan-tri/lich",
        )
        assert bad.status_code == 422 and "2000–2099" in bad.text
    db.expire_all()
    assert _nothing_written(db) == before


def test_only_a_system_admin_confirms_or_strikes_out(client: TestClient, db: Session) -> None:
    officer = account_service.get_user_by_email(db, PHO_HIEN_ADMIN)
    assert officer is not None
    before = _nothing_written(db)
    with pytest.raises(Forbidden):
        calendar_admin.confirm_year(db, officer, 2026, SOURCE)
    with pytest.raises(Forbidden):
        calendar_admin.set_day(db, officer, date(2026, 9, 1), "struck_out")
    log_in(client, PHO_HIEN_ADMIN)
    refused = post_form(client, "/quan-tri/lich/xac-nhan", {"year": "2026", "source": SOURCE})
    assert refused.status_code == 403
    admin = account_service.get_user_by_email(db, ADMIN)
    assert admin is not None
    with pytest.raises(InvalidInput):
        calendar_admin.confirm_year(db, admin, 2100, SOURCE)
    assert _nothing_written(db) == before
