"""The counter pages without JavaScript: booking in steps, the confirmation with its QR code,
cancelling; the agency admin's bands; the calling desk; the dashboard's queue times."""

from __future__ import annotations

import html
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.agencies.models import Agency
from app.counter.models import Booking, BookingSetting
from tests.conftest import csrf_from
from tests.counter.helpers import BIRTH, PHO_HIEN, at, next_working_day
from tests.dossiers.helpers import LEADER, RECEPTION
from tests.dossiers.test_citizen_pages import log_in


def _bookings(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Booking)) or 0)


def test_book_in_steps_then_cancel(client: TestClient, db: Session) -> None:
    log_in(client)
    first = client.get("/dat-lich")
    assert first.status_code == 200 and "Ủy ban nhân dân phường Phố Hiến" in first.text
    day = next_working_day(db)
    typed = day.strftime("%d/%m/%Y")
    bands = client.get(
        "/dat-lich", params={"agency_code": PHO_HIEN, "procedure_code": BIRTH, "date": typed}
    )
    assert 'name="start"' in bands.text and "còn 6/6 chỗ" in bands.text
    holiday = client.get(
        "/dat-lich", params={"agency_code": PHO_HIEN, "procedure_code": BIRTH, "date": "01/01/2027"}
    )
    assert "không làm việc" in holiday.text and 'name="start"' not in holiday.text
    before = _bookings(db)
    token = csrf_from(bands.text)
    missing = client.post(
        "/dat-lich",
        data={"csrf_token": token, "agency_code": PHO_HIEN, "procedure_code": BIRTH, "date": typed},
    )
    assert missing.status_code == 422 and 'href="#f-start"' in missing.text
    past = client.post(
        "/dat-lich",
        data={
            "csrf_token": token,
            "agency_code": PHO_HIEN,
            "procedure_code": BIRTH,
            "date": "05/01/2026",
            "start": at(date(2026, 1, 5), 8, 30).isoformat(),
        },
    )
    assert past.status_code == 422 and "Khung giờ này đã qua" in html.unescape(past.text)
    assert _bookings(db) == before
    made = client.post(
        "/dat-lich",
        data={
            "csrf_token": token,
            "agency_code": PHO_HIEN,
            "procedure_code": BIRTH,
            "date": typed,
            "start": at(day, 13, 30).isoformat(),
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "data:image/svg+xml" in page.text and "Hủy lịch hẹn" in page.text
    code = made.headers["location"].split("/")[-1].split("?")[0]
    notices = client.get("/thong-bao")
    assert f"Đã đặt lịch hẹn {code}" in notices.text  # the in-app notice links to the booking
    assert f'href="/dat-lich/{code}"' in notices.text
    cancelled = client.post(
        f"/dat-lich/{code}/huy", data={"csrf_token": csrf_from(page.text)}, follow_redirects=True
    )
    assert "Đã hủy lịch hẹn." in cancelled.text and "Hủy lịch hẹn</button>" not in cancelled.text


def test_admin_sets_bands_and_bad_numbers_change_nothing(client: TestClient, db: Session) -> None:
    log_in(client, "quantri.phohien@motcua.local")
    listing = client.get("/quan-tri/dat-lich")
    assert listing.status_code == 200 and "Ủy ban nhân dân phường Phố Hiến" in listing.text
    form = client.get(f"/quan-tri/dat-lich/{PHO_HIEN}")
    token = csrf_from(form.text)
    bad = client.post(
        f"/quan-tri/dat-lich/{PHO_HIEN}",
        data={"csrf_token": token, "band_minutes": "5", "counters": "x", "places_per_counter": "2"},
    )
    assert bad.status_code == 422 and 'id="f-counters-error"' in bad.text
    band_minutes = select(BookingSetting.band_minutes).join(BookingSetting.agency)
    assert db.scalar(band_minutes.where(Agency.code == PHO_HIEN)) == 60  # unchanged
    saved = client.post(
        f"/quan-tri/dat-lich/{PHO_HIEN}",
        data={
            "csrf_token": token,
            "band_minutes": "30",
            "counters": "3",
            "places_per_counter": "2",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    log_in(client)
    bands = client.get(
        "/dat-lich",
        params={
            "agency_code": PHO_HIEN,
            "procedure_code": BIRTH,
            "date": next_working_day(db).strftime("%d/%m/%Y"),
        },
    )
    assert (
        "còn 6/6 chỗ" in bands.text and bands.text.count('name="start"') == 15
    )  # 8 + 7 bands of 30 min


def test_desk_and_dashboard(client: TestClient, db: Session) -> None:
    assert client.post("/api/v1/tickets", json={"agency_code": PHO_HIEN}).status_code == 201
    log_in(client, RECEPTION)
    desk = client.get("/can-bo/goi-so")
    assert desk.status_code == 200 and "Gọi số tiếp theo" in desk.text
    token = csrf_from(desk.text)
    bad = client.post("/can-bo/goi-so", data={"csrf_token": token, "counter": "0"})
    assert bad.status_code == 422 and "Số quầy là một số từ 1 đến 50." in bad.text
    called = client.post(
        "/can-bo/goi-so", data={"csrf_token": token, "counter": "2"}, follow_redirects=True
    )
    assert "đến quầy số 2" in called.text
    log_in(client, LEADER)
    board = client.get("/can-bo/bang-dieu-khien")
    assert board.status_code == 200 and 'id="queue-times"' in board.text
    assert "Thời gian chờ trung bình" in board.text
