"""Appointment bands and bookings, queue tickets and their daily counter."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.agencies.models import Agency
from app.db import Base, UTCDateTime, utcnow

BOOKING_STATUSES = ("booked", "cancelled", "checked_in", "no_show")
TICKET_STATUSES = ("waiting", "called", "done")


class BookingSetting(Base):
    """How an agency takes appointments: band length and places per counter and band. The
    bands themselves follow the working calendar (no band on a day off or outside hours)."""

    __tablename__ = "booking_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), unique=True)
    band_minutes: Mapped[int] = mapped_column(default=60)
    counters: Mapped[int] = mapped_column(default=1)
    places_per_counter: Mapped[int] = mapped_column(default=4)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship(lazy="joined")

    @property
    def capacity(self) -> int:
        return self.counters * self.places_per_counter


class BookingBand(Base):
    """One band of one agency, written at its first booking: ``booked`` only grows by a
    conditional UPDATE (``booked < capacity``), so the last places go to exactly as many
    people as there are places (docs/decisions/0034)."""

    __tablename__ = "booking_bands"
    __table_args__ = (UniqueConstraint("agency_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)


class Booking(Base):
    """A citizen's appointment (lịch hẹn) in a band, for a procedure."""

    __tablename__ = "bookings"
    __table_args__ = (Index("ix_bookings_status_start", "status", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    band_id: Mapped[int] = mapped_column(ForeignKey("booking_bands.id"), index=True)
    procedure_code: Mapped[str] = mapped_column(String(40))
    procedure_name: Mapped[str] = mapped_column(String(500))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="booked")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")


class TicketCounter(Base):
    """The last ticket number given per agency and local day (gapless, ``next_in_sequence``)."""

    __tablename__ = "ticket_counters"
    __table_args__ = (UniqueConstraint("agency_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    day: Mapped[date] = mapped_column(Date)
    last: Mapped[int] = mapped_column(default=0)


class QueueTicket(Base):
    """A numbered ticket (số thứ tự) of one day at one agency: issued, called to a counter,
    done. A booked citizen's ticket has priority from the start of their band."""

    __tablename__ = "queue_tickets"
    __table_args__ = (
        UniqueConstraint("agency_id", "day", "number"),
        Index("ix_queue_tickets_waiting", "agency_id", "day", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[int]
    service: Mapped[str] = mapped_column(String(40))  # a procedure code, or "chung"
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), unique=True)
    priority_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The counter the ticket was taken for (None: whichever calls first).
    for_counter: Mapped[int | None]
    # A mobile number typed at the kiosk to be told when the number comes near (optional).
    phone: Mapped[str] = mapped_column(String(15), default="")
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    counter: Mapped[int | None]
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def label(self) -> str:
        return f"{self.number:04d}"
