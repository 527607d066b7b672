"""Appointments through the JSON API (SPEC §15): slots from the working calendar, booking,
cancelling, refusals that change nothing, and who may see a booking."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.counter.models import Booking
from app.notifications.channel_models import ChannelMessage
from app.notifications.models import Notice, OutboxMessage
from tests.conftest import api_token
from tests.counter.helpers import BIRTH, PHO_HIEN, at, next_saturday, next_working_day
from tests.dossiers.helpers import CITIZEN, OTHER_CITIZEN

SLOTS = "/api/v1/bookings/slots"


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Booking)) or 0)


def test_slots_follow_the_working_calendar(client: TestClient, db: Session) -> None:
    day = next_working_day(db)
    body = client.get(
        SLOTS, params={"procedure_code": BIRTH, "agency_code": PHO_HIEN, "date": day.isoformat()}
    ).json()
    starts = [item["start"][11:16] for item in body["items"]]
    # 07:30–11:30 and 13:30–17:00 in bands of 60 minutes; 16:30–17:30 does not fit.
    assert starts == ["07:30", "08:30", "09:30", "10:30", "13:30", "14:30", "15:30"]
    assert {(i["capacity"], i["free"]) for i in body["items"]} == {(6, 6)}
    for closed in (next_saturday(), date(2027, 1, 1)):
        empty = client.get(
            SLOTS,
            params={"procedure_code": BIRTH, "agency_code": PHO_HIEN, "date": closed.isoformat()},
        )
        assert empty.status_code == 200 and empty.json()["items"] == []


def test_book_see_and_cancel(client: TestClient, db: Session) -> None:
    h = api_token(client, CITIZEN)
    day = next_working_day(db)
    start = at(day, 8, 30).isoformat()
    made = client.post(
        "/api/v1/bookings",
        json={"procedure_code": BIRTH, "agency_code": PHO_HIEN, "start": start},
        headers=h,
    )
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    assert code.startswith("LH-") and made.json()["status"] == "booked"
    slots = client.get(
        SLOTS, params={"procedure_code": BIRTH, "agency_code": PHO_HIEN, "date": day.isoformat()}
    ).json()["items"]
    assert next(s for s in slots if s["start"] == start)["free"] == 5
    # The citizen is told: a notice in the app and an e-mail in the outbox, with the code.
    notice = db.scalar(
        select(Notice).where(Notice.kind == "booking_confirmed").order_by(Notice.id.desc())
    )
    assert notice is not None and notice.link == f"/dat-lich/{code}"
    mail = db.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "booking_confirmed")
        .order_by(OutboxMessage.id.desc())
    )
    assert mail is not None and code in mail.body_text and "08:30" in mail.body_text
    # Someone else neither sees nor cancels it.
    other = api_token(client, OTHER_CITIZEN)
    assert client.get(f"/api/v1/bookings/{code}", headers=other).status_code == 404
    assert client.post(f"/api/v1/bookings/{code}/cancel", headers=other).status_code == 404
    cancelled = client.post(f"/api/v1/bookings/{code}/cancel", headers=h)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/bookings/{code}/cancel", headers=h)
    assert again.status_code == 409
    slots = client.get(
        SLOTS, params={"procedure_code": BIRTH, "agency_code": PHO_HIEN, "date": day.isoformat()}
    ).json()["items"]
    assert next(s for s in slots if s["start"] == start)["free"] == 6


def test_bad_bands_are_refused_and_nothing_is_stored(client: TestClient, db: Session) -> None:
    h = api_token(client, CITIZEN)
    day = next_working_day(db)
    before = _count(db)
    cases = [
        (at(date(2026, 1, 5), 8, 30), "đã qua"),
        (at(date(2027, 1, 1), 8, 30), "không làm việc"),
        (at(next_saturday(), 8, 30), "không làm việc"),
        (at(day, 7, 45), "không trùng với khung giờ"),
        (at(day, 18, 0), "không trùng với khung giờ"),
    ]
    for start, message in cases:
        answer = client.post(
            "/api/v1/bookings",
            json={"procedure_code": BIRTH, "agency_code": PHO_HIEN, "start": start.isoformat()},
            headers=h,
        )
        assert answer.status_code == 422, (start, answer.text)
        assert message in answer.json()["detail"], answer.json()
    assert _count(db) == before
    unknown = client.post(
        "/api/v1/bookings",
        json={
            "procedure_code": BIRTH,
            "agency_code": "000.00.15.H31",
            "start": at(day, 8).isoformat(),
        },
        headers=h,
    )
    assert unknown.status_code == 422 and "chưa nhận đặt lịch" in unknown.json()["detail"]
    anonymous = client.post(
        "/api/v1/bookings",
        json={
            "procedure_code": BIRTH,
            "agency_code": PHO_HIEN,
            "start": at(day, 8, 30).isoformat(),
        },
    )
    assert anonymous.status_code == 401
    assert _count(db) == before


def test_a_full_band_answers_409(client: TestClient, db: Session) -> None:
    admin = api_token(client, "quantri.phohien@motcua.local")
    small = client.put(
        f"/api/v1/admin/agencies/{PHO_HIEN}/booking-settings",
        json={"band_minutes": 60, "counters": 1, "places_per_counter": 1},
        headers=admin,
    )
    assert small.status_code == 200 and small.json()["capacity"] == 1
    start = at(next_working_day(db), 9, 30).isoformat()
    body = {"procedure_code": BIRTH, "agency_code": PHO_HIEN, "start": start}
    first = client.post("/api/v1/bookings", json=body, headers=api_token(client, CITIZEN))
    assert first.status_code == 201
    before = _count(db)
    full = client.post("/api/v1/bookings", json=body, headers=api_token(client, OTHER_CITIZEN))
    assert full.status_code == 409 and "hết chỗ" in full.json()["detail"]
    assert _count(db) == before
    twice = client.post("/api/v1/bookings", json=body, headers=api_token(client, CITIZEN))
    assert twice.status_code == 409


def test_an_appointment_reaches_the_channels_the_citizen_chose(
    client: TestClient, db: Session
) -> None:
    """Booking notices follow the citizen's channels like every notice (issue 24 parts 1 and
    3): with SMS chosen, the confirmation is also an SMS naming the code, the agency and the
    time, unaccented, with the booking's link."""
    h = api_token(client, CITIZEN)
    chosen = client.put(
        "/api/v1/notifications/channels",
        json={"channels": ["in_app", "sms"], "phone": "0912 345 678"},
        headers=h,
    )
    assert chosen.status_code == 200, chosen.text
    day = next_working_day(db)
    made = client.post(
        "/api/v1/bookings",
        json={
            "procedure_code": BIRTH,
            "agency_code": PHO_HIEN,
            "start": at(day, 9, 30).isoformat(),
        },
        headers=h,
    )
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    sms = db.scalar(
        select(ChannelMessage)
        .where(ChannelMessage.kind == "booking_confirmed", ChannelMessage.channel == "sms")
        .order_by(ChannelMessage.id.desc())
    )
    assert sms is not None and sms.to_phone == "84912345678"
    assert code in sms.body_text and "09:30" in sms.body_text
    assert "Lich hen" in sms.body_text and f"/dat-lich/{code}" in sms.body_text
