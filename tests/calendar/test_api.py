"""The calendar endpoints of the JSON API (SPEC §9)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.calendar import service

DUE = "/api/v1/calendar/due-date"
HOLIDAYS = "/api/v1/calendar/holidays"


def test_due_date_over_tet_2026(client: TestClient) -> None:
    # Friday 13 Feb 09:00 + 1 working day: Tết (16–20 Feb) and two weekends → Mon 23 Feb 09:00.
    response = client.get(DUE, params={"from": "2026-02-13T09:00:00", "days": 1})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "from": "2026-02-13T09:00:00+07:00",
        "start": "2026-02-13T09:00:00+07:00",
        "days": 1.0,
        "due_at": "2026-02-23T09:00:00+07:00",
    }


def test_due_date_after_the_cut_off_given_in_utc(client: TestClient) -> None:
    # 08:30 UTC is 15:30 in Hà Nội, after the cut-off: counted from Mon 23 Feb 07:30;
    # half a day (3 h 45) → 11:15.
    response = client.get(DUE, params={"from": "2026-02-13T08:30:00Z", "days": 0.5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["from"] == "2026-02-13T15:30:00+07:00"
    assert body["start"] == "2026-02-23T07:30:00+07:00"
    assert body["due_at"] == "2026-02-23T11:15:00+07:00"


def test_due_date_with_an_explicit_offset(client: TestClient) -> None:
    # Friday 28 Aug 2026 10:00; 31 Aug, 1 and 2 Sep are off → Thursday 3 Sep 10:00.
    response = client.get(DUE, params={"from": "2026-08-28T10:00:00+07:00", "days": 1})
    assert response.json()["due_at"] == "2026-09-03T10:00:00+07:00"


def test_due_date_sees_overrides(client: TestClient, db: Session) -> None:
    service.set_override(db, date(2026, 3, 10), "day_off", "Nghỉ bổ sung")
    # Monday 9 Mar + 1 day, Tuesday 10 off → Wednesday 11 Mar.
    response = client.get(DUE, params={"from": "2026-03-09T09:00:00", "days": 1})
    assert response.json()["due_at"] == "2026-03-11T09:00:00+07:00"


def test_due_date_with_an_unencoded_plus_in_the_offset(client: TestClient) -> None:
    response = client.get(DUE + "?from=2026-03-09T09:00:00+07:00&days=1")
    assert response.status_code == 200, response.text
    assert response.json()["due_at"] == "2026-03-10T09:00:00+07:00"
    # A space between date and time is still a date and a time, not an offset.
    response = client.get(DUE, params={"from": "2026-03-09 09:00", "days": 1})
    assert response.json()["due_at"] == "2026-03-10T09:00:00+07:00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 1}, "from"),
        ({"from": "", "days": 1}, "from"),
        ({"from": "tomorrow", "days": 1}, "from"),
        ({"from": "2026-02-30T09:00:00", "days": 1}, "from"),
        ({"from": "1999-12-31T09:00:00", "days": 1}, "from"),
        ({"from": "9999-12-31T23:59:59-12:00", "days": 365}, "from"),
        ({"from": "2026-02-13T09:00:00"}, "days"),
        ({"from": "2026-02-13T09:00:00", "days": -1}, "days"),
        ({"from": "2026-02-13T09:00:00", "days": 366}, "days"),
        ({"from": "2026-02-13T09:00:00", "days": "two"}, "days"),
        ({"from": "2026-02-13T09:00:00", "days": "nan"}, "days"),
        ({"from": "2026-02-13T09:00:00", "days": "inf"}, "days"),
    ],
)
def test_due_date_bad_input_is_422_json(client: TestClient, params: dict, field: str) -> None:
    response = client.get(DUE, params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_input"
    assert body["detail"]
    assert field in body["fields"]


def test_holidays_of_2026(client: TestClient) -> None:
    response = client.get(HOLIDAYS, params={"year": 2026})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["year"] == 2026
    items = {item["date"]: item for item in body["items"]}
    assert items["2026-02-17"] == {
        "date": "2026-02-17",
        "name": "Tết Nguyên Đán",
        "kind": "holiday",
        "override": False,
        "origin": "library",
    }
    assert items["2026-04-26"]["name"] == "Ngày Giỗ Tổ Hùng Vương"
    assert items["2026-09-01"]["name"] == items["2026-09-02"]["name"] == "Quốc khánh"
    assert items["2026-08-22"]["kind"] == "working_day"
    assert [i["date"] for i in body["items"]] == sorted(items)


def test_holidays_include_overrides(client: TestClient, db: Session) -> None:
    service.set_override(db, date(2026, 3, 14), "working_day", "Làm bù")
    items = {i["date"]: i for i in client.get(HOLIDAYS, params={"year": 2026}).json()["items"]}
    assert items["2026-03-14"] == {
        "date": "2026-03-14",
        "name": "Làm bù",
        "kind": "working_day",
        "override": True,
        "origin": "admin",
    }


@pytest.mark.parametrize("year", ["1999", "2101", "abc", ""])
def test_holidays_bad_year_is_422_json(client: TestClient, year: str) -> None:
    response = client.get(HOLIDAYS, params={"year": year})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert "year" in response.json()["fields"]


def test_holidays_without_year_is_422_json(client: TestClient) -> None:
    response = client.get(HOLIDAYS)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
