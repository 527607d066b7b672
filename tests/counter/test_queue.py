"""Queue tickets, check-in with a booking, calling to a counter, the screen, reminders and
no-shows, and the dashboard's times."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.counter import bookings, tickets
from app.counter.models import Booking, QueueTicket
from app.errors import Conflict, InvalidInput
from app.notifications.models import OutboxMessage
from tests.conftest import api_token
from tests.counter.helpers import BIRTH, PHO_HIEN, at, next_working_day
from tests.dossiers.helpers import CITIZEN, RECEPTION


def _user(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def _tickets(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(QueueTicket)) or 0)


def test_kiosk_numbers_and_calling_through_the_api(client: TestClient, db: Session) -> None:
    first = client.post("/api/v1/tickets", json={"agency_code": PHO_HIEN})
    second = client.post("/api/v1/tickets", json={"agency_code": PHO_HIEN, "counter": 2})
    assert first.status_code == second.status_code == 201, first.text
    n1, n2 = int(first.json()["number"]), int(second.json()["number"])
    assert n2 == n1 + 1 and len(first.json()["number"]) == 4
    staff = api_token(client, RECEPTION)
    assert client.post("/api/v1/tickets/call-next", json={"counter": 3}).status_code == 401
    citizen = api_token(client, CITIZEN)
    refused = client.post("/api/v1/tickets/call-next", json={"counter": 3}, headers=citizen)
    assert refused.status_code == 403
    called = client.post("/api/v1/tickets/call-next", json={"counter": 3}, headers=staff)
    assert called.status_code == 200, called.text
    label = first.json()["number"]
    assert called.json()["announcement"] == f"Mời số {label} đến quầy số 3"
    board = client.get(f"/api/v1/queues/{PHO_HIEN}").json()
    assert board["called"][0]["announcement"] == f"Mời số {label} đến quầy số 3"
    screen = client.get(f"/hang-doi/{PHO_HIEN}")
    assert f"Mời số {label} đến quầy số 3" in screen.text
    assert 'http-equiv="refresh"' in screen.text  # the old TV without JavaScript
    with client.stream("GET", f"/hang-doi/{PHO_HIEN}/su-kien", params={"once": "1"}) as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        text = "".join(events.iter_text())
    assert "event: board" in text and f"Mời số {label} đến quầy số 3" in text
    # The ticket for counter 2 is not called to counter 3.
    nobody = client.post("/api/v1/tickets/call-next", json={"counter": 3}, headers=staff)
    assert nobody.status_code == 404 and "Không còn số" in nobody.json()["detail"]
    at_two = client.post("/api/v1/tickets/call-next", json={"counter": 2}, headers=staff)
    assert at_two.json()["number"] == second.json()["number"]


def test_bad_kiosk_input_changes_nothing(client: TestClient, db: Session) -> None:
    before = _tickets(db)
    bad_phone = client.post("/api/v1/tickets", json={"agency_code": PHO_HIEN, "phone": "12345"})
    assert bad_phone.status_code == 422 and "10 chữ số" in bad_phone.json()["detail"]
    page = client.get(f"/kiosk/{PHO_HIEN}")
    from tests.conftest import csrf_from

    typed = client.post(
        f"/kiosk/{PHO_HIEN}/lay-so",
        data={"csrf_token": csrf_from(page.text), "service": "chung", "phone": "0123"},
    )
    assert (
        typed.status_code == 422 and 'aria-describedby="f-phone-hint f-phone-error"' in typed.text
    )
    checked = client.post(
        f"/kiosk/{PHO_HIEN}/lich-hen",
        data={"csrf_token": csrf_from(page.text), "code": "LH-KHONGCO"},
    )
    assert checked.status_code == 422 and "Không tìm thấy lịch hẹn" in checked.text
    assert _tickets(db) == before
    ok = client.post(
        f"/kiosk/{PHO_HIEN}/lay-so",
        data={"csrf_token": csrf_from(page.text), "service": "chung", "phone": "091 234 5678"},
    )
    assert ok.status_code == 201 and 'id="ticket-number"' in ok.text


def test_check_in_priority_reminder_and_no_show(db: Session) -> None:
    citizen = _user(db, CITIZEN)
    officer = _user(db, RECEPTION)
    day = next_working_day(db)
    morning = at(day, 7, 0) - timedelta(days=1)
    # Booked the day before for 08:30, and one more for 09:30 that will be cancelled.
    booking = bookings.book(db, citizen, BIRTH, PHO_HIEN, at(day, 8, 30), now=morning)
    dropped = bookings.book(db, citizen, BIRTH, PHO_HIEN, at(day, 9, 30), now=morning)
    bookings.cancel(db, citizen, dropped.code, now=morning)
    missed = bookings.book(db, citizen, BIRTH, PHO_HIEN, at(day, 10, 30), now=morning)
    # The worker reminds the day before, once.
    evening = at(day, 18, 0) - timedelta(days=1)
    assert bookings.run_periodic(db, now=evening)["booking_reminders"] == 2
    assert bookings.run_periodic(db, now=evening)["booking_reminders"] == 0
    reminder = db.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "booking_reminder")
        .order_by(OutboxMessage.id.desc())
    )
    assert reminder is not None and "Nhắc lịch hẹn" in reminder.subject
    # On the day: a walk-in at 07:40, the booked citizen checks in at 08:00.
    walk_in = tickets.issue(db, PHO_HIEN, now=at(day, 7, 40))
    before = _tickets(db)
    with pytest.raises(InvalidInput, match="đã bị hủy"):
        tickets.check_in(db, PHO_HIEN, dropped.code, now=at(day, 8, 0))
    assert _tickets(db) == before
    priority = tickets.check_in(db, PHO_HIEN, booking.code.lower(), now=at(day, 8, 0))
    assert priority.number == walk_in.number + 1 and priority.booking_id == booking.id
    with pytest.raises(Conflict):
        tickets.check_in(db, PHO_HIEN, booking.code, now=at(day, 8, 1))
    # Before 08:30 the walk-in goes first; from 08:30 the booked citizen is served first.
    later = tickets.issue(db, PHO_HIEN, now=at(day, 8, 5))
    assert tickets.call_next(db, officer, 1, now=at(day, 8, 10)).id == walk_in.id
    assert tickets.call_next(db, officer, 1, now=at(day, 8, 40)).id == priority.id
    assert tickets.call_next(db, officer, 2, now=at(day, 8, 45)).id == later.id
    tickets.finish(db, officer, 1, now=at(day, 8, 55))
    # After its band, the 10:30 booking that nobody checked in is a no-show.
    with pytest.raises(InvalidInput):
        tickets.check_in(db, PHO_HIEN, missed.code, now=at(day, 11, 40))
    assert bookings.run_periodic(db, now=at(day, 11, 40))["no_shows"] == 1
    db.refresh(missed)
    assert missed.status == "no_show"
    # The dashboard's figures of the day: waits 30, 40 and 40 minutes; services done 30 (the
    # walk-in, until the next call at counter 1) and 15 (the booked citizen).
    times = tickets.times_today(db, {booking.agency_id}, now=at(day, 12, 0))
    assert times.issued == 3 and times.served == 2
    assert times.average_wait_minutes == pytest.approx((30 + 40 + 40) / 3, abs=0.1)
    assert times.average_serve_minutes == 22.5
    db.refresh(booking)
    assert booking.status == "checked_in"
    assert db.scalar(select(Booking.status).where(Booking.id == dropped.id)) == "cancelled"
