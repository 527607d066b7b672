"""Counter pages: booking (/dat-lich), the kiosk (/kiosk/{agency}), the calling screen
(/hang-doi/{agency}, live by server-sent events, refreshed by itself without JavaScript), the
officer's calling desk (/can-bo/goi-so) and the agency admin's bands (/quan-tri/dat-lich)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.config import get_settings
from app.counter import api as counter_api
from app.counter import bookings, tickets
from app.db import get_sessionmaker
from app.errors import Conflict, DomainError, InvalidInput, NotFound
from app.formatting import parse_day_text
from app.i18n_markers import N_
from app.web import forms as admin_forms
from app.web import render, translator, verify_csrf
from app.web.deps import CurrentUser, OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)
AgencyCode = Annotated[str, Path(min_length=1, max_length=35)]
Code = Annotated[str, Path(min_length=1, max_length=16)]
BAD_DAY = N_("Ngày theo dạng dd/mm/yyyy, ví dụ 20/11/2026.")
CHOOSE = N_("Vui lòng chọn.")


# --- booking ----------------------------------------------------------------------------------


def _hm(t: datetime) -> str:
    return t.astimezone(bookings.tz()).strftime("%H:%M")


def _booking_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    agencies = bookings.offering(session)
    agency = next((a for a in agencies if a.code == values.get("agency_code")), None)
    procedures = bookings.procedures_at(session, agency) if agency else []
    day = parse_day_text(values.get("date", ""))
    slots: list[bookings.Slot] | None = None
    closed = False
    if values.get("date") and day is None:
        errors.setdefault("date", translator(request)(BAD_DAY))
    if agency and day and values.get("procedure_code"):
        try:
            slots = bookings.slots(session, values["procedure_code"], agency.code, day)
        except DomainError as exc:
            errors.update(admin_forms.domain_errors(request, exc))
        else:
            setting = bookings.setting_for(session, agency.id)
            closed = setting is None or not bookings.band_times(session, setting, day)
    return render(
        request,
        "counter/book.html",
        {
            "agencies": agencies,
            "agency": agency,
            "procedures": procedures,
            "values": values,
            "errors": errors,
            "slots": slots,
            "closed": closed,
            "day": day,
            "mine": bookings.list_mine(session, user, 20),
            "status_labels": bookings.STATUS_LABELS,
            "hm": _hm,
        },
        status_code=status,
    )


@router.get("/dat-lich")
def booking_form(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    agency_code: Annotated[str, Query(max_length=35)] = "",
    procedure_code: Annotated[str, Query(max_length=40)] = "",
    day: Annotated[str, Query(alias="date", max_length=10)] = "",
) -> Response:
    """Choose an agency, a procedure and a day, then a band; the caller's bookings below."""
    values = {"agency_code": agency_code, "procedure_code": procedure_code, "date": day}
    return _booking_page(request, session, user, values, {})


@router.post("/dat-lich", dependencies=[Depends(verify_csrf)])
async def booking_submit(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    form = await request.form()

    def work() -> Response:
        values = {
            k: admin_forms.text(form, k, 60)
            for k in ("agency_code", "procedure_code", "date", "start")
        }
        _ = translator(request)
        try:
            start = datetime.fromisoformat(values["start"]) if values["start"] else None
        except ValueError:
            start = None
        if start is None:
            return _booking_page(request, session, user, values, {"start": _(CHOOSE)}, 422)
        try:
            row = bookings.book(
                session, user, values["procedure_code"], values["agency_code"], start
            )
        except (InvalidInput, Conflict, NotFound) as exc:
            errors = admin_forms.domain_errors(request, exc)
            if "form" in errors:
                errors = {"start": errors["form"]}
            status = 409 if isinstance(exc, Conflict) else 422
            return _booking_page(request, session, user, values, errors, status)
        session.commit()
        return RedirectResponse(f"/dat-lich/{row.code}?msg=booked", status_code=303)

    return await admin_forms.threaded(work)


def _qr(text: str) -> str:
    return str(segno.make(text, error="m").svg_data_uri(scale=6, border=2))


@router.get("/dat-lich/{code}")
def booking_page(request: Request, code: Code, session: SessionDep, user: CurrentUser) -> Response:
    """The confirmation: code, QR code, band, agency; cancel while the band has not begun."""
    row = bookings.get_mine(session, user, code)
    return render(
        request,
        "counter/booking.html",
        {
            "booking": row,
            "qr": _qr(row.code),
            "status_labels": bookings.STATUS_LABELS,
            "cancellable": row.status == "booked" and row.start > bookings.utcnow(),
        },
    )


@router.post("/dat-lich/{code}/huy", dependencies=[Depends(verify_csrf)])
def booking_cancel(code: Code, session: SessionDep, user: CurrentUser) -> Response:
    """Cancel one's own booking."""
    row = bookings.cancel(session, user, code)
    session.commit()
    return RedirectResponse(f"/dat-lich/{row.code}?msg=cancelled", status_code=303)


# --- kiosk ------------------------------------------------------------------------------------


def _kiosk(
    request: Request,
    session: SessionDep,
    agency_code: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    ticket: Any = None,
    status: int = 200,
) -> Response:
    agency = tickets.active_agency(session, agency_code)
    return render(
        request,
        "counter/kiosk.html",
        {
            "agency": agency,
            "services": tickets.SERVICES,
            "values": values or {},
            "errors": errors or {},
            "ticket": ticket,
        },
        status_code=status,
    )


@router.get("/kiosk/{agency_code}")
def kiosk(request: Request, agency_code: AgencyCode, session: SessionDep) -> Response:
    """The ticket kiosk of an agency (touch screen, anonymous)."""
    return _kiosk(request, session, agency_code)


@router.post("/kiosk/{agency_code}/lay-so", dependencies=[Depends(verify_csrf)])
async def kiosk_ticket(request: Request, agency_code: AgencyCode, session: SessionDep) -> Response:
    form = await request.form()

    def work() -> Response:
        values = {
            "service": admin_forms.text(form, "service", 40),
            "phone": admin_forms.text(form, "phone", 20),
        }
        try:
            row = tickets.issue(
                session, agency_code, service=values["service"], phone=values["phone"]
            )
        except InvalidInput as exc:
            errors = admin_forms.domain_errors(request, exc)
            return _kiosk(request, session, agency_code, values=values, errors=errors, status=422)
        session.commit()
        return _kiosk(request, session, agency_code, ticket=row, status=201)

    return await admin_forms.threaded(work)


@router.post("/kiosk/{agency_code}/lich-hen", dependencies=[Depends(verify_csrf)])
async def kiosk_check_in(
    request: Request, agency_code: AgencyCode, session: SessionDep
) -> Response:
    form = await request.form()

    def work() -> Response:
        values = {"code": admin_forms.text(form, "code", 16)}
        try:
            row = tickets.check_in(session, agency_code, values["code"])
        except (InvalidInput, Conflict) as exc:
            errors = admin_forms.domain_errors(request, exc)
            status = 409 if isinstance(exc, Conflict) else 422
            return _kiosk(
                request, session, agency_code, values=values, errors=errors, status=status
            )
        session.commit()
        return _kiosk(request, session, agency_code, ticket=row, status=201)

    return await admin_forms.threaded(work)


# --- the calling screen -----------------------------------------------------------------------


@router.get("/hang-doi/{agency_code}")
def queue_screen(request: Request, agency_code: AgencyCode, session: SessionDep) -> Response:
    """The TV screen: the numbers called, newest first, with the announcement."""
    board = tickets.board(session, agency_code)
    return render(request, "counter/screen.html", {"board": board})


def _board_json(agency_code: str) -> tuple[str, str]:
    with get_sessionmaker()() as session:
        board = counter_api.board_read(tickets.board(session, agency_code))
    return board.version, board.model_dump_json()


@router.get("/hang-doi/{agency_code}/su-kien")
async def queue_events(
    request: Request,
    agency_code: AgencyCode,
    session: SessionDep,
    once: bool = False,
) -> Response:
    """Server-sent events: the screen's content at once, then at each change; the stream
    ends after a while and the browser opens a new one. ``once``: one event, then the end."""
    tickets.active_agency(session, agency_code)  # 404 for an unknown agency, before streaming
    first = counter_api.board_read(tickets.board(session, agency_code))
    session.close()
    limit = get_settings().queue_stream_seconds

    async def stream() -> AsyncIterator[str]:
        yield f"retry: 2000\nevent: board\ndata: {first.model_dump_json()}\n\n"
        if once:
            return
        seen = first.version
        ends = time.monotonic() + limit
        while time.monotonic() < ends:
            await asyncio.sleep(1.5)
            if await request.is_disconnected():
                return
            version, data = await run_in_threadpool(_board_json, agency_code)
            if version != seen:
                seen = version
                yield f"event: board\ndata: {data}\n\n"
            else:
                yield ": keep-alive\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --- the officer's calling desk ----------------------------------------------------------------


def _desk(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    counter: int | None,
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    agency = tickets.staff_agency(session, user, None)
    now = bookings.utcnow()
    return render(
        request,
        "counter/desk.html",
        {
            "agency": agency,
            "counter": counter,
            "serving": tickets.serving_at(session, agency, now),
            "waiting": tickets.waiting_list(session, agency, now),
            "errors": errors,
        },
        status_code=status,
    )


@router.get("/can-bo/goi-so")
def desk(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    quay: Annotated[int | None, Query(ge=1, le=50)] = None,
) -> Response:
    """Reception calls the next ticket to their counter."""
    return _desk(request, session, user, quay, {})


@router.post("/can-bo/goi-so", dependencies=[Depends(verify_csrf)])
async def desk_call(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    form = await request.form()

    def work() -> Response:
        _ = translator(request)
        typed = admin_forms.text(form, "counter", 4)
        counter = int(typed) if typed.isdigit() else None
        if counter is None or not 1 <= counter <= tickets.MAX_COUNTER:
            tickets.staff_agency(session, user, None)
            return _desk(request, session, user, None, {"counter": _(tickets.BAD_COUNTER)}, 422)
        try:
            if admin_forms.text(form, "op", 10) == "finish":
                tickets.finish(session, user, counter)
                msg = "finished"
            else:
                tickets.call_next(session, user, counter)
                msg = "called"
        except NotFound as exc:
            return _desk(request, session, user, counter, {"form": _(exc.detail)}, 404)
        session.commit()
        return admin_forms.redirect("/can-bo/goi-so", msg, quay=counter)

    return await admin_forms.threaded(work)


# --- the agency admin's bands ------------------------------------------------------------------


@router.get("/quan-tri/dat-lich")
def admin_list(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The agencies one administers and how each takes appointments."""
    rows = bookings.administered(session, user)
    return render(request, "counter/admin_list.html", {"rows": rows, "admin_area": "bookings"})


SETTING_FIELDS = ("band_minutes", "counters", "places_per_counter")


@router.get("/quan-tri/dat-lich/{code}")
def admin_form(
    request: Request, code: AgencyCode, session: SessionDep, user: OptionalUser
) -> Response:
    agency = bookings.administered_agency(session, user, code)
    row = bookings.setting_for(session, agency.id)
    values = {
        "band_minutes": str(row.band_minutes if row else 60),
        "counters": str(row.counters if row else 1),
        "places_per_counter": str(row.places_per_counter if row else 4),
    }
    return render(
        request,
        "counter/admin_form.html",
        {
            "agency": agency,
            "values": values,
            "errors": {},
            "exists": row is not None,
            "admin_area": "bookings",
        },
    )


@router.post("/quan-tri/dat-lich/{code}", dependencies=[Depends(verify_csrf)])
async def admin_save(
    request: Request, code: AgencyCode, session: SessionDep, user: OptionalUser
) -> Response:
    form = await request.form()

    def work() -> Response:
        agency = bookings.administered_agency(session, user, code)
        values = {k: admin_forms.text(form, k, 6) for k in SETTING_FIELDS}
        _ = translator(request)
        errors = {k: _(N_("Nhập một số nguyên.")) for k, v in values.items() if not v.isdigit()}
        if not errors:
            try:
                bookings.save_setting(session, agency, *(int(values[k]) for k in SETTING_FIELDS))
            except InvalidInput as exc:
                errors = admin_forms.domain_errors(request, exc)
            else:
                session.commit()
                return admin_forms.redirect("/quan-tri/dat-lich", "saved")
        return render(
            request,
            "counter/admin_form.html",
            {
                "agency": agency,
                "values": values,
                "errors": errors,
                "exists": True,
                "admin_area": "bookings",
            },
            status_code=422,
        )

    return await admin_forms.threaded(work)
