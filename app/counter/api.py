"""Appointments and queue tickets in the JSON API (SPEC §15)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.counter import bookings, schemas, tickets
from app.counter.models import Booking, QueueTicket
from app.web.deps import CurrentUser, OptionalUser, SessionDep

router = APIRouter(prefix="/api/v1", tags=["counter services"])
Code = Annotated[str, Path(min_length=1, max_length=16)]
AgencyCode = Annotated[str, Path(min_length=1, max_length=35)]


def booking_read(row: Booking) -> schemas.BookingRead:
    return schemas.BookingRead(
        code=row.code,
        status=row.status,
        agency_code=row.agency.code,
        procedure_code=row.procedure_code,
        start=row.start.astimezone(bookings.tz()),
        end=row.end.astimezone(bookings.tz()),
    )


def ticket_read(
    row: QueueTicket, agency_code: str, booking_code: str | None = None
) -> schemas.TicketRead:
    return schemas.TicketRead(
        number=row.label,
        agency_code=agency_code,
        day=row.day.isoformat(),
        service=row.service,
        priority=row.booking_id is not None,
        status=row.status,
        counter=row.counter,
        booking_code=booking_code,
    )


@router.get("/bookings/slots", response_model=schemas.SlotPage)
def list_slots(
    session: SessionDep,
    procedure_code: Annotated[str, Query(min_length=1, max_length=40)],
    agency_code: Annotated[str, Query(min_length=1, max_length=35)],
    day: Annotated[date, Query(alias="date")],
) -> schemas.SlotPage:
    """The day's bands still to come at the agency, with their places left."""
    rows = bookings.slots(session, procedure_code, agency_code, day)
    return schemas.SlotPage(
        items=[
            schemas.SlotRead(
                start=s.start.astimezone(bookings.tz()),
                end=s.end.astimezone(bookings.tz()),
                capacity=s.capacity,
                free=s.free,
            )
            for s in rows
        ]
    )


@router.post("/bookings", response_model=schemas.BookingRead, status_code=201)
def create_booking(
    body: schemas.BookingCreate, session: SessionDep, user: CurrentUser
) -> schemas.BookingRead:
    """Book a place in a band (409 when the band is full)."""
    row = bookings.book(session, user, body.procedure_code, body.agency_code, body.start)
    return booking_read(row)


@router.get("/bookings", response_model=schemas.BookingPage)
def my_bookings(session: SessionDep, user: CurrentUser) -> schemas.BookingPage:
    """The caller's bookings, latest band first."""
    return schemas.BookingPage(items=[booking_read(r) for r in bookings.list_mine(session, user)])


@router.get("/bookings/{code}", response_model=schemas.BookingRead)
def get_booking(code: Code, session: SessionDep, user: CurrentUser) -> schemas.BookingRead:
    """One of the caller's bookings by its code."""
    return booking_read(bookings.get_mine(session, user, code))


@router.post("/bookings/{code}/cancel", response_model=schemas.BookingRead)
def cancel_booking(code: Code, session: SessionDep, user: CurrentUser) -> schemas.BookingRead:
    """Cancel one of the caller's bookings before its band begins."""
    return booking_read(bookings.cancel(session, user, code))


@router.post("/tickets", response_model=schemas.TicketRead, status_code=201)
def take_ticket(body: schemas.TicketCreate, session: SessionDep) -> schemas.TicketRead:
    """A queue ticket of the agency's day (the kiosk)."""
    row = tickets.issue(
        session, body.agency_code, counter=body.counter, service=body.service, phone=body.phone
    )
    return ticket_read(row, body.agency_code.strip())


@router.post("/tickets/check-in", response_model=schemas.TicketRead, status_code=201)
def check_in(body: schemas.CheckIn, session: SessionDep) -> schemas.TicketRead:
    """A booked citizen's priority ticket, by the booking code, on the booking's day."""
    row = tickets.check_in(session, body.agency_code, body.code)
    return ticket_read(row, body.agency_code.strip(), body.code.strip().upper())


@router.post("/tickets/call-next", response_model=schemas.CalledRead)
def call_next(body: schemas.CallNext, session: SessionDep, user: CurrentUser) -> schemas.CalledRead:
    """Reception: finish the ticket served at the counter and call the next one there."""
    row = tickets.call_next(session, user, body.counter, body.agency_code)
    assert row.called_at is not None and row.counter is not None
    return schemas.CalledRead(
        number=row.label,
        counter=row.counter,
        called_at=row.called_at,
        announcement=tickets.announcement(row.label, row.counter),
    )


@router.get("/queues/{agency_code}", response_model=schemas.BoardRead)
def queue_board(agency_code: AgencyCode, session: SessionDep) -> schemas.BoardRead:
    """The calling screen's content: the day's latest calls and how many wait."""
    return board_read(tickets.board(session, agency_code))


def board_read(board: tickets.Board) -> schemas.BoardRead:
    return schemas.BoardRead(
        agency_code=board.agency.code,
        agency_name=board.agency.name,
        called=[
            schemas.CalledRead(
                number=c.number,
                counter=c.counter,
                called_at=c.called_at,
                announcement=c.announcement,
            )
            for c in board.called
        ],
        waiting=board.waiting,
        version=board.version,
    )


@router.put("/admin/agencies/{code}/booking-settings", response_model=schemas.BookingSettingRead)
def put_booking_settings(
    code: AgencyCode,
    body: schemas.BookingSettingWrite,
    session: SessionDep,
    user: OptionalUser,
) -> schemas.BookingSettingRead:
    """Agency admin: the agency's band length and places per counter and band."""
    agency = bookings.administered_agency(session, user, code)
    row = bookings.save_setting(
        session, agency, body.band_minutes, body.counters, body.places_per_counter
    )
    return schemas.BookingSettingRead(
        agency_code=agency.code,
        band_minutes=row.band_minutes,
        counters=row.counters,
        places_per_counter=row.places_per_counter,
        capacity=row.capacity,
    )
