"""Appointments (lịch hẹn, SPEC §15): time bands from the working calendar, booking with a
code, cancelling, the day-before reminder and no-shows.

A band is a slice of a working period of the agency's calendar (no band on a holiday, a
weekend or outside office hours); its capacity is the agency's counters × places per counter
(``BookingSetting``, edited by the agency admin). The band's row is written at its first
booking and its ``booked`` count only moves by a conditional UPDATE, so concurrent bookings
of the last places succeed exactly as many times as there are places; the others get 409
(docs/decisions/0034-counter-bookings-and-queue.md)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies.models import Agency
from app.calendar import service as calendar_service
from app.catalog import service as catalog_service
from app.catalog.models import Procedure, ProcedureAgency, ProcedureVersion
from app.config import get_settings
from app.counter import notices
from app.counter.models import Booking, BookingBand, BookingSetting
from app.db import utcnow
from app.dossiers.codes import SECRET_ALPHABET
from app.errors import Conflict, InvalidInput, NotFound, Unauthorized
from app.i18n_markers import N_

CODE_PREFIX = "LH-"
MIN_BAND_MINUTES = 15
MAX_BAND_MINUTES = 240
MAX_COUNTERS = 50
MAX_PLACES = 100

FULL = N_("Khung giờ này đã hết chỗ. Vui lòng chọn khung giờ khác.")
PAST = N_("Khung giờ này đã qua. Vui lòng chọn một khung giờ sắp tới.")
DAY_OFF = N_("Ngày này cơ quan không làm việc (ngày lễ, Tết hoặc cuối tuần): không nhận lịch hẹn.")
NOT_A_BAND = N_("Giờ hẹn không trùng với khung giờ nào của cơ quan trong ngày này.")
TOO_FAR = N_("Ngày hẹn quá xa so với hôm nay; vui lòng chọn một ngày gần hơn.")
NOT_OFFERED = N_("Cơ quan này chưa nhận đặt lịch hẹn trực tuyến.")
NOT_AT_AGENCY = N_("Cơ quan này không giải quyết thủ tục đã chọn.")
TWICE = N_("Ông/Bà đã có lịch hẹn trong khung giờ này.")
BOOKING_NOT_FOUND = N_("Không tìm thấy lịch hẹn.")
NOT_CANCELLABLE = N_("Lịch hẹn này không còn hủy được.")
STATUS_LABELS = {
    "booked": N_("Đã đặt"),
    "cancelled": N_("Đã hủy"),
    "checked_in": N_("Đã đến quầy"),
    "no_show": N_("Không đến"),
}


def changed(result: Any) -> int:
    """Rows an UPDATE changed (a CursorResult's ``rowcount``)."""
    return int(getattr(result, "rowcount", 0) or 0)


def tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    capacity: int
    free: int


# --- settings (the agency admin's) ----------------------------------------------------------


def administered_agency(session: Session, user: User | None, code: str) -> Agency:
    """An agency the caller administers (agency admins: their subtree; system admins: all)."""
    account_service.require_admin_area(user)
    assert user is not None
    agency = session.scalar(select(Agency).where(Agency.code == code.strip()))
    if agency is None:
        raise NotFound(N_("Không tìm thấy cơ quan."))
    account_service.require_scope(session, user, agency.id)
    return agency


def administered(session: Session, user: User | None) -> list[tuple[Agency, BookingSetting | None]]:
    """The agencies the caller administers, each with its appointment settings if any."""
    account_service.require_admin_area(user)
    assert user is not None
    ids = account_service.scope_ids(session, user)
    stmt = select(Agency).where(Agency.is_active).order_by(Agency.code)
    if ids is not None:
        stmt = stmt.where(Agency.id.in_(ids))
    agencies = list(session.scalars(stmt))
    settings = {
        s.agency_id: s
        for s in session.scalars(
            select(BookingSetting).where(BookingSetting.agency_id.in_([a.id for a in agencies]))
        )
    }
    return [(a, settings.get(a.id)) for a in agencies]


def offering(session: Session) -> list[Agency]:
    """Agencies that take appointments (the booking page's choice)."""
    return list(
        session.scalars(
            select(Agency)
            .join(BookingSetting, BookingSetting.agency_id == Agency.id)
            .where(Agency.is_active)
            .order_by(Agency.name)
        )
    )


def procedures_at(session: Session, agency: Agency) -> list[tuple[str, str]]:
    """(code, name) of the published procedures the agency carries out."""
    rows = session.execute(
        select(Procedure.code, ProcedureVersion.name)
        .join(ProcedureVersion, ProcedureVersion.procedure_id == Procedure.id)
        .join(ProcedureAgency, ProcedureAgency.version_id == ProcedureVersion.id)
        .where(ProcedureVersion.status == "published", ProcedureAgency.agency_id == agency.id)
        .order_by(ProcedureVersion.name)
    ).all()
    return [(code, name) for code, name in rows]


def setting_for(session: Session, agency_id: int) -> BookingSetting | None:
    return session.scalar(select(BookingSetting).where(BookingSetting.agency_id == agency_id))


def save_setting(
    session: Session, agency: Agency, band_minutes: int, counters: int, places: int
) -> BookingSetting:
    """Create or change an agency's bands; bands already booked keep their start, their
    capacity follows (never below what is booked)."""
    errors: dict[str, str] = {}
    if not MIN_BAND_MINUTES <= band_minutes <= MAX_BAND_MINUTES:
        errors["band_minutes"] = str(band_minutes)
    if not 1 <= counters <= MAX_COUNTERS:
        errors["counters"] = str(counters)
    if not 1 <= places <= MAX_PLACES:
        errors["places_per_counter"] = str(places)
    if errors:
        raise InvalidInput(
            N_("Độ dài khung giờ từ 15 đến 240 phút, số quầy từ 1 đến 50, số chỗ từ 1 đến 100."),
            fields=errors,
        )
    row = setting_for(session, agency.id)
    if row is None:
        row = BookingSetting(agency_id=agency.id)
        session.add(row)
    row.band_minutes, row.counters, row.places_per_counter = band_minutes, counters, places
    row.updated_at = utcnow()
    session.flush()
    capacity = counters * places
    session.execute(
        update(BookingBand)
        .where(BookingBand.agency_id == agency.id, BookingBand.start > utcnow())
        .values(capacity=capacity)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(BookingBand)
        .where(BookingBand.agency_id == agency.id, BookingBand.booked > BookingBand.capacity)
        .values(capacity=BookingBand.booked)
        .execution_options(synchronize_session=False)
    )
    return row


# --- bands ----------------------------------------------------------------------------------


def band_times(
    session: Session, setting: BookingSetting, day: date
) -> list[tuple[datetime, datetime]]:
    """The day's bands: each working period cut into bands of the agency's length (a
    remainder shorter than a band is not offered)."""
    calendar = calendar_service.get_calendar(session)
    length = timedelta(minutes=setting.band_minutes)
    bands: list[tuple[datetime, datetime]] = []
    for start, end in calendar.working_periods(day):
        t = start
        while t + length <= end:
            bands.append((t, t + length))
            t += length
    return bands


def offering_agency(session: Session, agency_code: str) -> tuple[Agency, BookingSetting]:
    agency = session.scalar(select(Agency).where(Agency.code == agency_code.strip()))
    if agency is None or not agency.is_active:
        raise NotFound(N_("Không tìm thấy cơ quan."))
    setting = setting_for(session, agency.id)
    if setting is None:
        raise InvalidInput(NOT_OFFERED, fields={"agency_code": agency_code})
    return agency, setting


def procedure_at(session: Session, procedure_code: str, agency: Agency) -> ProcedureVersion:
    version = catalog_service.get_published(session, procedure_code.strip())
    if agency.id not in {link.agency_id for link in version.agency_links}:
        raise InvalidInput(NOT_AT_AGENCY, fields={"procedure_code": procedure_code})
    return version


def slots(
    session: Session, procedure_code: str, agency_code: str, day: date, now: datetime | None = None
) -> list[Slot]:
    """The bands of ``day`` still to come with their places left (none on a day off)."""
    now = now or utcnow()
    agency, setting = offering_agency(session, agency_code)
    procedure_at(session, procedure_code, agency)
    today = now.astimezone(tz()).date()
    if not today <= day <= today + timedelta(days=get_settings().booking_days_ahead):
        return []  # no bands in the past, nor beyond the booking horizon
    times = [t for t in band_times(session, setting, day) if t[0] > now]
    if not times:
        return []
    rows = {
        b.start: b
        for b in session.scalars(
            select(BookingBand).where(
                BookingBand.agency_id == agency.id,
                BookingBand.start >= times[0][0],
                BookingBand.start <= times[-1][0],
            )
        )
    }
    out = []
    for start, end in times:
        row = rows.get(start)
        capacity = row.capacity if row is not None else setting.capacity
        booked = row.booked if row is not None else 0
        out.append(Slot(start, end, capacity, max(0, capacity - booked)))
    return out


def _band(
    session: Session, agency: Agency, setting: BookingSetting, start: datetime, end: datetime
) -> int:
    """The band's row id, written at its first booking (two first bookings at once: the
    second one's insert fails on the unique key and it reads the first one's row)."""
    key = (BookingBand.agency_id == agency.id, BookingBand.start == start)
    band_id = session.scalar(select(BookingBand.id).where(*key))
    if band_id is None:
        try:
            with session.begin_nested():
                session.execute(
                    insert(BookingBand).values(
                        agency_id=agency.id,
                        start=start,
                        end=end,
                        capacity=setting.capacity,
                        booked=0,
                    )
                )
        except IntegrityError:
            pass
        band_id = session.scalar(select(BookingBand.id).where(*key))
    assert band_id is not None
    return band_id


def _take_place(session: Session, band_id: int) -> None:
    taken = session.execute(
        update(BookingBand)
        .where(BookingBand.id == band_id, BookingBand.booked < BookingBand.capacity)
        .values(booked=BookingBand.booked + 1)
        .execution_options(synchronize_session=False)
    )
    if changed(taken) != 1:
        raise Conflict(FULL, fields={"start": "full"})


def _new_code(session: Session) -> str:
    while True:
        code = CODE_PREFIX + "".join(secrets.choice(SECRET_ALPHABET) for _ in range(8))
        if session.scalar(select(Booking.id).where(Booking.code == code)) is None:
            return code


def book(
    session: Session,
    user: User | None,
    procedure_code: str,
    agency_code: str,
    start: datetime,
    now: datetime | None = None,
) -> Booking:
    """Book a place in the band starting at ``start`` (409 when it is full)."""
    if user is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    now = now or utcnow()
    agency, setting = offering_agency(session, agency_code)
    version = procedure_at(session, procedure_code, agency)
    if not 2000 <= start.year <= 2100:  # nonsense, and far from any band
        raise InvalidInput(NOT_A_BAND, fields={"start": "not_a_band"})
    if start.tzinfo is None:
        start = start.replace(tzinfo=tz())
    local = start.astimezone(tz())
    if start <= now:
        raise InvalidInput(PAST, fields={"start": "past"})
    days_ahead = get_settings().booking_days_ahead
    if local.date() > (now.astimezone(tz()) + timedelta(days=days_ahead)).date():
        raise InvalidInput(TOO_FAR, fields={"start": "too_far"})
    times = band_times(session, setting, local.date())
    if not times:
        raise InvalidInput(DAY_OFF, fields={"start": "day_off"})
    band = next(((s, e) for s, e in times if s == start), None)
    if band is None:
        raise InvalidInput(NOT_A_BAND, fields={"start": "not_a_band"})
    band_id = _band(session, agency, setting, *band)
    twice = session.scalar(
        select(Booking.id).where(
            Booking.user_id == user.id, Booking.band_id == band_id, Booking.status == "booked"
        )
    )
    if twice is not None:
        raise Conflict(TWICE, fields={"start": "twice"})
    _take_place(session, band_id)
    booking = Booking(
        code=_new_code(session),
        user_id=user.id,
        agency_id=agency.id,
        band_id=band_id,
        procedure_code=version.code,
        procedure_name=version.name[:500],
        start=band[0],
        end=band[1],
        status="booked",
        created_at=now,
    )
    session.add(booking)
    session.flush()
    notices.tell(session, user, booking, "booking_confirmed")
    return booking


# --- one booking ------------------------------------------------------------------------------


def by_code(session: Session, code: str) -> Booking | None:
    return session.scalar(select(Booking).where(Booking.code == code.strip().upper()))


def get_mine(session: Session, user: User | None, code: str) -> Booking:
    """The caller's booking by its code (anyone else's: not found)."""
    if user is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    booking = by_code(session, code)
    if booking is None or booking.user_id != user.id:
        raise NotFound(BOOKING_NOT_FOUND)
    return booking


def list_mine(session: Session, user: User, limit: int = 50) -> list[Booking]:
    return list(
        session.scalars(
            select(Booking)
            .where(Booking.user_id == user.id)
            .order_by(Booking.start.desc())
            .limit(limit)
        )
    )


def cancel(session: Session, user: User | None, code: str, now: datetime | None = None) -> Booking:
    """The owner cancels a booking not yet begun; its place is free again."""
    now = now or utcnow()
    booking = get_mine(session, user, code)
    if booking.status != "booked" or booking.start <= now:
        raise Conflict(NOT_CANCELLABLE)
    released = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == "booked")
        .values(status="cancelled", cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed(released) != 1:
        raise Conflict(NOT_CANCELLABLE)
    session.execute(
        update(BookingBand)
        .where(BookingBand.id == booking.band_id, BookingBand.booked > 0)
        .values(booked=BookingBand.booked - 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(booking)
    assert user is not None
    notices.tell(session, user, booking, "booking_cancelled")
    return booking


# --- periodic: reminders the day before, no-shows -------------------------------------------


def run_periodic(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Remind tomorrow's appointments (once each) and record as no-shows the bookings whose
    band ended without a check-in. The worker's periodic checks call it."""
    now = now or utcnow()
    today = now.astimezone(tz()).date()
    tomorrow_start = datetime.combine(today + timedelta(days=1), datetime.min.time(), tz())
    tomorrow_end = tomorrow_start + timedelta(days=1)
    due = session.scalars(
        select(Booking)
        .where(
            Booking.status == "booked",
            Booking.reminded_at.is_(None),
            Booking.start >= tomorrow_start,
            Booking.start < tomorrow_end,
        )
        .order_by(Booking.id)
        .limit(500)
    ).all()
    for booking in due:
        booking.reminded_at = now
        owner = session.get(User, booking.user_id)
        if owner is not None:
            notices.tell(session, owner, booking, "booking_reminder")
    missed = session.execute(
        update(Booking)
        .where(Booking.status == "booked", Booking.end <= now)
        .values(status="no_show")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return {"booking_reminders": len(due), "no_shows": changed(missed)}
