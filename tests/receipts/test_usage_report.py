"""The receipt usage report (SPEC §6): JSON, XLSX and the page of the cashiers' leader, who may
see it, and bad periods; the template symbol and receipt name of a series as data."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies.models import Agency
from app.dossiers.models import Dossier
from app.errors import InvalidInput
from app.receipts import series as series_service
from app.receipts import service
from tests.conftest import DEMO_PASSWORD, api_token, csrf_from
from tests.receipts.test_receipts import (
    CITIZEN,
    OTHER_CASHIER,
    PROVINCE_ADMIN,
    VN,
    _payment,
    _user,
)

CASHIER = "thuphi.thunghiem@motcua.local"
LEADER = "lanhdao.thunghiem@motcua.local"
RECEPTION = "tiepnhan.thunghiem@motcua.local"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staff(db: Session, agency: Agency, email: str, role: str) -> User:
    return account_service.create_user(
        db,
        email=email,
        password=DEMO_PASSWORD,
        full_name="Cán bộ thử",
        agency_code=agency.code,
        roles=[role],
    )


def _login(client: TestClient, email: str) -> None:
    client.cookies.clear()
    page = client.get("/dang-nhap")
    response = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _four_receipts(db: Session, dossier: Dossier, cashier: User) -> list[int]:
    """Four numbers used: the 2nd cancelled, the 3rd replaced by the 5th."""
    made = [service.issue_receipt(db, _payment(db, dossier), cashier) for _ in range(4)]
    service.cancel_receipt(db, made[1], cashier, "Lập nhầm")
    service.replace_receipt(db, made[2], cashier, "Sai tên")
    return [r.number for r in made]


def test_json_and_xlsx_count_what_was_issued(
    client: TestClient, db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    numbers = _four_receipts(db, dossier, cashier)
    series = service.active_series(db, agency.id, datetime.now(VN).year)
    assert series is not None
    today = datetime.now(VN).date().isoformat()
    params = {"agency": agency.code, "from": today, "to": today}
    staff = api_token(client, CASHIER)
    body = client.get("/api/v1/receipts/usage-report", params=params, headers=staff).json()
    assert body["from"] == today and body["to"] == today and body["tax_code"]
    [row] = body["series"]
    assert row["series"] == series.series and row["template_symbol"] == "01BLP0-001"
    assert row["receipt_name"] == "Biên lai thu phí, lệ phí"
    assert row["from_number"] == numbers[0] and row["to_number"] == numbers[3] + 1
    assert row["used"] == 5 and row["valid"] == 3
    assert row["cancelled"] == 1 and row["cancelled_numbers"] == [numbers[1]]
    assert row["replaced"] == 1 and row["replaced_numbers"] == [numbers[2]]

    response = client.get(
        "/api/v1/receipts/usage-report", params=params | {"format": "xlsx"}, headers=staff
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(XLSX)
    assert ".xlsx" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet["A3"].value == "BÁO CÁO TÌNH HÌNH SỬ DỤNG BIÊN LAI"
    assert agency.code  # the heading names the agency in capitals
    assert sheet["A1"].value == agency.name.upper()
    header = [c.value for c in sheet[6]]
    assert header[:4] == ["STT", "Tên biên lai", "Ký hiệu mẫu", "Ký hiệu"]
    data = [c.value for c in sheet[7]]
    assert data[1:6] == [
        "Biên lai thu phí, lệ phí",
        "01BLP0-001",
        series.series,
        f"{numbers[0]:07d}",
        f"{numbers[3] + 1:07d}",
    ]
    assert data[6:9] == [5, 3, 1] and data[9] == f"{numbers[1]:07d}"
    assert data[10:12] == [1, f"{numbers[2]:07d}"]
    totals = [c.value for c in sheet[8]]
    assert totals[1] == "Tổng cộng" and totals[6] == 5 and totals[8] == 1

    # A period before any receipt: an empty report, not an error.
    empty = client.get(
        "/api/v1/receipts/usage-report",
        params={"agency": agency.code, "from": "2026-01-01", "to": "2026-01-31"},
        headers=staff,
    )
    assert empty.status_code == 200 and empty.json()["series"] == []


def test_who_may_see_the_usage_report(
    client: TestClient, db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    _four_receipts(db, dossier, cashier)
    _staff(db, agency, LEADER, "leader")
    _staff(db, agency, RECEPTION, "reception")
    params = {"agency": agency.code}
    for email in (CASHIER, LEADER, PROVINCE_ADMIN, "admin@motcua.local"):
        response = client.get(
            "/api/v1/receipts/usage-report", params=params, headers=api_token(client, email)
        )
        assert response.status_code == 200, (email, response.text)
    for email in (RECEPTION, OTHER_CASHIER, CITIZEN):
        response = client.get(
            "/api/v1/receipts/usage-report", params=params, headers=api_token(client, email)
        )
        assert response.status_code == 403, email
        assert response.json()["error"] == "forbidden"


def test_bad_periods_are_refused_clearly(
    client: TestClient, db: Session, agency: Agency, cashier: User
) -> None:
    staff = api_token(client, CASHIER)
    today = datetime.now(VN).date()
    cases = [
        ({"from": "31/02/2026"}, None),
        ({"from": "2026-02-31"}, None),
        ({"format": "pdf"}, None),
        ({"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()}, "to"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "1999-12-31", "to": "2000-01-02"}, "from"),
    ]
    for bad, field in cases:
        response = client.get(
            "/api/v1/receipts/usage-report", params={"agency": agency.code, **bad}, headers=staff
        )
        assert response.status_code == 422, (bad, response.text)
        body = response.json()
        assert body["error"] == "invalid_input" and body["detail"], bad
        if field:
            assert field in body["fields"], (bad, body)
    # 366 days at most: the 367th day is refused, a whole leap year is not.
    too_long = client.get(
        "/api/v1/receipts/usage-report",
        params={"agency": agency.code, "from": "2024-12-31", "to": "2026-01-01"},
        headers=staff,
    )
    assert too_long.status_code == 422 and "một năm" in too_long.json()["detail"]
    leap_year = client.get(
        "/api/v1/receipts/usage-report",
        params={"agency": agency.code, "from": "2024-01-01", "to": "2024-12-31"},
        headers=staff,
    )
    assert leap_year.status_code == 200, leap_year.text


def test_the_leaders_page(
    client: TestClient, db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    numbers = _four_receipts(db, dossier, cashier)
    _staff(db, agency, LEADER, "leader")
    _login(client, LEADER)
    today = datetime.now(VN).date()
    day = today.strftime("%d/%m/%Y")
    page = client.get("/can-bo/bien-lai/su-dung", params={"date_from": day, "date_to": day})
    assert page.status_code == 200, page.text
    html = page.text
    assert "Báo cáo tình hình sử dụng biên lai" in html
    assert f"{numbers[0]:07d} – {numbers[3] + 1:07d}" in html
    assert f"1 ({numbers[1]:07d})" in html and f"1 ({numbers[2]:07d})" in html
    assert "format=xlsx" in html and f"from={today.isoformat()}" in html
    # A bad day, and an end before the start: the form again, errors at their fields.
    bad = client.get("/can-bo/bien-lai/su-dung", params={"date_from": "31/02/2026"})
    assert bad.status_code == 422 and 'id="date_from-error"' in bad.text
    before = client.get(
        "/can-bo/bien-lai/su-dung", params={"date_from": day, "date_to": "01/01/2026"}
    )
    assert before.status_code == 422 and 'id="date_to-error"' in before.text
    too_long = client.get(
        "/can-bo/bien-lai/su-dung", params={"date_from": "01/01/2025", "date_to": day}
    )
    assert too_long.status_code == 422 and "một năm" in too_long.text


def test_the_page_is_refused_to_a_citizen_and_a_reception_officer(
    client: TestClient, db: Session, agency: Agency, owner: User
) -> None:
    _staff(db, agency, RECEPTION, "reception")
    for email in (CITIZEN, RECEPTION):
        _login(client, email)
        page = client.get("/can-bo/bien-lai/su-dung", follow_redirects=False)
        assert page.status_code == 403, email
    client.cookies.clear()
    anonymous = client.get("/can-bo/bien-lai/su-dung", follow_redirects=False)
    assert anonymous.status_code in (303, 401)


def test_template_symbol_and_name_are_data(
    db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    admin = _user(db, PROVINCE_ADMIN)
    year = datetime.now(VN).year
    created = series_service.create_series(
        db,
        admin,
        agency.code,
        year,
        "ab",
        template_symbol="02blp0-002",
        receipt_name="Biên lai thu lệ phí hộ tịch",
    )
    assert created.template_symbol == "02BLP0-002" and created.series == f"AB-{year % 100}E"
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    assert receipt.template_symbol == "02BLP0-002"
    assert receipt.receipt_name == "Biên lai thu lệ phí hộ tịch"
    # The next year's series is created with the same template and name.
    following = service.ensure_series(db, agency, year + 1)
    assert following.template_symbol == "02BLP0-002"
    assert following.receipt_name == "Biên lai thu lệ phí hộ tịch"
    for kwargs, field in (
        ({"template_symbol": "mẫu số 1"}, "template_symbol"),
        ({"receipt_name": "   "}, "receipt_name"),
        ({"receipt_name": "x" * 101}, "receipt_name"),
    ):
        try:
            series_service.create_series(db, admin, agency.code, year, "AC", **kwargs)
        except InvalidInput as exc:
            assert field in exc.fields
        else:
            raise AssertionError(kwargs)
    assert service.active_series(db, agency.id, year) == created  # nothing half-written
