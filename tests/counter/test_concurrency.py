"""The last places of a band and the day's ticket numbers under concurrent requests, each in
its own connection and transaction (SQLite and PostgreSQL, ``fresh_database``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import User
from app.agencies.models import Agency
from app.counter import bookings, tickets
from app.counter.models import Booking, BookingBand, QueueTicket
from app.db import begin_write
from app.demo.seed import demo_password_hash
from app.errors import Conflict
from tests.counter.helpers import BIRTH, PHO_HIEN, at, next_working_day

THREADS = 12


def _race(engine: Engine, work: Callable[[Session, int], Any]) -> tuple[list[Any], list[str]]:
    """Run ``work`` in THREADS threads at once, each committing its own transaction."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    gate = threading.Barrier(THREADS)
    results: list[Any] = []
    refused: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        gate.wait()
        with factory() as session:
            begin_write(session)
            try:
                value = work(session, i)
                session.commit()
            except Conflict as exc:
                session.rollback()
                with lock:
                    refused.append(exc.detail)
                return
        with lock:
            results.append(value)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return results, refused


def test_last_places_of_a_band_go_to_exactly_as_many(fresh_database: Engine) -> None:
    factory = sessionmaker(bind=fresh_database, expire_on_commit=False)
    with factory.begin() as session:
        agency = session.scalar(select(Agency).where(Agency.code == PHO_HIEN))
        assert agency is not None
        bookings.save_setting(session, agency, 60, 1, 3)  # 3 places per band
        for i in range(THREADS):
            session.add(
                User(
                    email=f"nguoidan{i}.dongthoi@example.vn",
                    full_name=f"Người Dân {i}",
                    password_hash=demo_password_hash(),
                )
            )
        day = next_working_day(session)
    start = at(day, 14, 30)

    def book(session: Session, i: int) -> str:
        user = session.scalar(select(User).where(User.email == f"nguoidan{i}.dongthoi@example.vn"))
        return bookings.book(session, user, BIRTH, PHO_HIEN, start).code

    codes, refused = _race(fresh_database, book)
    assert len(codes) == 3 and len(set(codes)) == 3
    assert len(refused) == THREADS - 3 and all("hết chỗ" in r for r in refused)
    with factory() as session:
        band = session.scalar(select(BookingBand).where(BookingBand.start == start))
        assert band is not None and band.booked == 3 == band.capacity
        assert session.scalar(select(func.count()).select_from(Booking)) == 3


def test_ticket_numbers_are_gapless_and_unique(fresh_database: Engine) -> None:
    numbers, refused = _race(
        fresh_database, lambda session, i: tickets.issue(session, PHO_HIEN).number
    )
    assert not refused
    assert sorted(numbers) == list(range(1, THREADS + 1))
    with sessionmaker(bind=fresh_database)() as session:
        stored = session.scalars(select(QueueTicket.number)).all()
    assert sorted(stored) == list(range(1, THREADS + 1))
