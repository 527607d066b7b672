"""Queue tickets (số thứ tự) and the calling screen (SPEC §15).

A kiosk issues tickets numbered per agency and local day, gapless and unique under
concurrency (``next_in_sequence``: the day's counter row is incremented in the issuing
transaction). A booked citizen checks in with the booking code and gets a ticket that has
priority from the start of their band. Reception calls the next ticket to a counter: the
ticket served there before is done, the waiting ones with priority due go first, then the
others in number order. Issued → called → done times feed the leader's dashboard."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies.models import Agency
from app.counter import bookings
from app.counter.models import Booking, QueueTicket, TicketCounter
from app.db import next_in_sequence, utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.i18n_markers import N_

GENERAL = "chung"
SERVICES = {
    GENERAL: N_("Nộp hồ sơ, hỏi thông tin"),
    "tra_ket_qua": N_("Nhận kết quả"),
}
MAX_COUNTER = 50
MAX_PER_DAY = 9999
# Vietnamese mobile numbers: 10 digits starting with 03, 05, 07, 08 or 09 (+84 accepted).
PHONE_RE = re.compile(r"^0[35789]\d{8}$")
ANNOUNCEMENT = "Mời số {number} đến quầy số {counter}"
ANNOUNCEMENT_EN = "Number {number}, please go to counter {counter}"

BAD_PHONE = N_("Số điện thoại di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09.")
BAD_COUNTER = N_("Số quầy là một số từ 1 đến 50.")
BAD_SERVICE = N_("Dịch vụ không có ở cơ quan này.")
NO_BOOKING = N_("Không tìm thấy lịch hẹn với mã này. Vui lòng kiểm tra lại mã trên giấy hẹn.")
OTHER_AGENCY = N_("Lịch hẹn này ở cơ quan khác, không lấy số tại đây được.")
CANCELLED = N_("Lịch hẹn này đã bị hủy, không lấy số ưu tiên được. Ông/Bà có thể lấy số thường.")
USED = N_("Lịch hẹn này đã được dùng để lấy số.")
PAST = N_("Lịch hẹn này đã qua khung giờ hẹn. Ông/Bà có thể lấy số thường.")
OTHER_DAY = N_("Lịch hẹn này không phải hôm nay; vui lòng quay lại đúng ngày hẹn.")
NOBODY_WAITING = N_("Không còn số nào đang chờ.")


def today(now: datetime) -> date:
    return now.astimezone(bookings.tz()).date()


def active_agency(session: Session, agency_code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == agency_code.strip()))
    if agency is None or not agency.is_active:
        raise NotFound(N_("Không tìm thấy cơ quan."))
    return agency


def clean_phone(phone: str) -> str:
    """A typed mobile number as 0xxxxxxxxx (spaces, dots and +84 accepted); bad: refused."""
    digits = re.sub(r"[\s.\-]", "", phone or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    if digits and not PHONE_RE.match(digits):
        raise InvalidInput(BAD_PHONE, fields={"phone": phone})
    return digits


def _check_counter(counter: int | None) -> None:
    if counter is not None and not 1 <= counter <= MAX_COUNTER:
        raise InvalidInput(BAD_COUNTER, fields={"counter": str(counter)})


def _issue(
    session: Session,
    agency: Agency,
    now: datetime,
    *,
    service: str,
    counter: int | None = None,
    phone: str = "",
    booking: Booking | None = None,
) -> QueueTicket:
    day = today(now)
    number = next_in_sequence(session, TicketCounter, agency_id=agency.id, day=day)
    if number > MAX_PER_DAY:
        raise Conflict(N_("Đã hết số thứ tự trong ngày."))
    ticket = QueueTicket(
        agency_id=agency.id,
        day=day,
        number=number,
        service=service,
        for_counter=counter,
        phone=phone,
        booking_id=booking.id if booking else None,
        priority_from=booking.start if booking else None,
        status="waiting",
        issued_at=now,
    )
    session.add(ticket)
    session.flush()
    return ticket


def issue(
    session: Session,
    agency_code: str,
    *,
    counter: int | None = None,
    service: str = GENERAL,
    phone: str = "",
    now: datetime | None = None,
) -> QueueTicket:
    """A new ticket of the agency's day (anyone at the kiosk)."""
    now = now or utcnow()
    agency = active_agency(session, agency_code)
    _check_counter(counter)
    if service not in SERVICES:
        raise InvalidInput(BAD_SERVICE, fields={"service": service})
    return _issue(session, agency, now, service=service, counter=counter, phone=clean_phone(phone))


def check_in(
    session: Session, agency_code: str, code: str, now: datetime | None = None
) -> QueueTicket:
    """A booked citizen's priority ticket, by the booking code, on the booking's day."""
    now = now or utcnow()
    agency = active_agency(session, agency_code)
    booking = bookings.by_code(session, code) if code.strip() else None
    if booking is None:
        raise InvalidInput(NO_BOOKING, fields={"code": code})
    if booking.agency_id != agency.id:
        raise InvalidInput(OTHER_AGENCY, fields={"code": code})
    if booking.status == "cancelled":
        raise InvalidInput(CANCELLED, fields={"code": code})
    if booking.status == "checked_in":
        raise Conflict(USED, fields={"code": code})
    if booking.status == "no_show" or booking.end <= now:
        raise InvalidInput(PAST, fields={"code": code})
    if today(booking.start) != today(now):
        raise InvalidInput(OTHER_DAY, fields={"code": code})
    taken = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == "booked")
        .values(status="checked_in", checked_in_at=now)
        .execution_options(synchronize_session=False)
    )
    if bookings.changed(taken) != 1:
        raise Conflict(USED, fields={"code": code})
    session.refresh(booking)
    return _issue(session, agency, now, service=booking.procedure_code, booking=booking)


# --- calling --------------------------------------------------------------------------------


def staff_agency(session: Session, user: User | None, agency_code: str | None) -> Agency:
    """The agency an officer calls for: their own, or one named they may act for."""
    user = account_service.require_role(user, "reception", "agency_admin")
    if agency_code:
        agency = active_agency(session, agency_code)
    elif user.agency_id is not None and user.agency is not None:
        agency = user.agency
    else:
        raise InvalidInput(N_("Chọn cơ quan."), fields={"agency_code": ""})
    if not account_service.can_act_for_agency(session, user, agency.id):
        raise Forbidden(N_("Bạn không có quyền gọi số của cơ quan này."))
    return agency


def _finish_at(session: Session, agency: Agency, day: date, counter: int, now: datetime) -> int:
    done = session.execute(
        update(QueueTicket)
        .where(
            QueueTicket.agency_id == agency.id,
            QueueTicket.day == day,
            QueueTicket.counter == counter,
            QueueTicket.status == "called",
        )
        .values(status="done", done_at=now)
        .execution_options(synchronize_session=False)
    )
    return bookings.changed(done)


def call_next(
    session: Session,
    user: User | None,
    counter: int,
    agency_code: str | None = None,
    now: datetime | None = None,
) -> QueueTicket:
    """Finish the ticket served at ``counter`` and call the next one there."""
    now = now or utcnow()
    _check_counter(counter)
    agency = staff_agency(session, user, agency_code)
    assert user is not None
    day = today(now)
    _finish_at(session, agency, day, counter, now)
    due = and_(QueueTicket.priority_from.is_not(None), QueueTicket.priority_from <= now)
    for _ in range(5):  # another counter may take the same ticket first: take the next one
        ticket_id = session.scalar(
            select(QueueTicket.id)
            .where(
                QueueTicket.agency_id == agency.id,
                QueueTicket.day == day,
                QueueTicket.status == "waiting",
                (QueueTicket.for_counter.is_(None)) | (QueueTicket.for_counter == counter),
            )
            # Priority due first, by booked time; then everyone else by number (NULLs of
            # the second key only meet each other, so their order is the same on both
            # databases).
            .order_by(
                case((due, 0), else_=1),
                case((due, QueueTicket.priority_from), else_=None),
                QueueTicket.number,
            )
            .limit(1)
        )
        if ticket_id is None:
            break
        called = session.execute(
            update(QueueTicket)
            .where(QueueTicket.id == ticket_id, QueueTicket.status == "waiting")
            .values(status="called", counter=counter, called_at=now, called_by_id=user.id)
            .execution_options(synchronize_session=False)
        )
        if bookings.changed(called) == 1:
            ticket = session.get(QueueTicket, ticket_id)
            assert ticket is not None
            session.refresh(ticket)
            return ticket
    raise NotFound(NOBODY_WAITING)


def finish(
    session: Session,
    user: User | None,
    counter: int,
    agency_code: str | None = None,
    now: datetime | None = None,
) -> int:
    """End the service at ``counter`` without calling anyone (the counter closes)."""
    now = now or utcnow()
    _check_counter(counter)
    agency = staff_agency(session, user, agency_code)
    return _finish_at(session, agency, today(now), counter, now)


# --- the screen -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Called:
    number: str
    counter: int
    called_at: datetime
    announcement: str


@dataclass(frozen=True)
class Board:
    agency: Agency
    called: list[Called]
    waiting: int
    version: str


def announcement(number: str, counter: int) -> str:
    """What the screen says, in Vietnamese: "Mời số 0012 đến quầy số 3"."""
    return ANNOUNCEMENT.format(number=number, counter=counter)


def board(session: Session, agency_code: str, now: datetime | None = None, limit: int = 8) -> Board:
    """The calling screen: the latest calls of the day (newest first) and how many wait."""
    now = now or utcnow()
    agency = active_agency(session, agency_code)
    day = today(now)
    rows = session.execute(
        select(QueueTicket.number, QueueTicket.counter, QueueTicket.called_at)
        .where(
            QueueTicket.agency_id == agency.id,
            QueueTicket.day == day,
            QueueTicket.called_at.is_not(None),
        )
        .order_by(QueueTicket.called_at.desc(), QueueTicket.id.desc())
        .limit(limit)
    ).all()
    waiting = session.scalar(
        select(func.count())
        .select_from(QueueTicket)
        .where(
            QueueTicket.agency_id == agency.id,
            QueueTicket.day == day,
            QueueTicket.status == "waiting",
        )
    )
    called = [
        Called(f"{n:04d}", int(c or 0), at, announcement(f"{n:04d}", int(c or 0)))
        for n, c, at in rows
        if at is not None
    ]
    last = called[0] if called else None
    version = f"{day}:{waiting}:{last.number if last else ''}:{last.counter if last else ''}"
    version += f":{last.called_at.isoformat() if last else ''}"
    return Board(agency, called, int(waiting or 0), version)


def serving_at(session: Session, agency: Agency, now: datetime) -> dict[int, QueueTicket]:
    """Who each counter serves now (the staff page)."""
    rows = session.scalars(
        select(QueueTicket).where(
            QueueTicket.agency_id == agency.id,
            QueueTicket.day == today(now),
            QueueTicket.status == "called",
        )
    )
    return {t.counter: t for t in rows if t.counter is not None}


def waiting_list(
    session: Session, agency: Agency, now: datetime, limit: int = 50
) -> list[QueueTicket]:
    return list(
        session.scalars(
            select(QueueTicket)
            .where(
                QueueTicket.agency_id == agency.id,
                QueueTicket.day == today(now),
                QueueTicket.status == "waiting",
            )
            .order_by(QueueTicket.number)
            .limit(limit)
        )
    )


# --- the leader's dashboard ---------------------------------------------------------------------


@dataclass(frozen=True)
class QueueTimes:
    issued: int
    served: int
    average_wait_minutes: float | None
    average_serve_minutes: float | None


def times_today(
    session: Session, agency_ids: Collection[int] | None, now: datetime | None = None
) -> QueueTimes:
    """Average wait (issued → called) and serve (called → done) times of today's tickets."""
    now = now or utcnow()
    stmt = select(QueueTicket.issued_at, QueueTicket.called_at, QueueTicket.done_at).where(
        QueueTicket.day == today(now)
    )
    if agency_ids is not None:
        stmt = stmt.where(QueueTicket.agency_id.in_(agency_ids))
    rows = session.execute(stmt).all()
    waits = [(c - i).total_seconds() for i, c, _ in rows if c is not None]
    serves = [(d - c).total_seconds() for _, c, d in rows if c is not None and d is not None]

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values) / 60, 1) if values else None

    return QueueTimes(len(rows), len(serves), mean(waits), mean(serves))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), bookings.tz())
    return start, start + timedelta(days=1)
