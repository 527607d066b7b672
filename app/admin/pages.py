"""Administration pages under /quan-tri: agencies, users, the procedure designer, calendar and
rules, receipt series and signing certificates.

Plain HTML forms that work without JavaScript: every list item of the designer is its own
small form (save, move up/down, remove), and a rejected form comes back with the values as
typed, an error summary and each message next to its field. Authorisation is in the service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.calendar import admin as calendar_admin
from app.calendar import service as calendar_service
from app.db import utcnow
from app.errors import Conflict, DomainError, InvalidInput
from app.i18n_markers import N_
from app.receipts import series as series_service
from app.signing import certificates as certificate_service
from app.signing.service import MAX_PKCS12_BYTES
from app.web import render, translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)
NOT_FOUND = N_("Không tìm thấy trang")

OVERRIDE_KIND_LABELS = {"day_off": N_("Ngày nghỉ bổ sung"), "working_day": N_("Ngày làm việc bù")}
DAY_KIND_LABELS = {
    "holiday": N_("Nghỉ lễ, Tết"),
    "day_off": N_("Ngày nghỉ bổ sung"),
    "working_day": N_("Ngày làm việc bù"),
}
WEEKDAY_LABELS = {
    "mon": N_("Thứ Hai"),
    "tue": N_("Thứ Ba"),
    "wed": N_("Thứ Tư"),
    "thu": N_("Thứ Năm"),
    "fri": N_("Thứ Sáu"),
    "sat": N_("Thứ Bảy"),
    "sun": N_("Chủ nhật"),
}
UNIT_LABELS = {"calendar_days": N_("ngày (theo lịch)"), "working_days": N_("ngày làm việc")}
PERIODS_PER_DAY = 3
RULE_KEYS = (
    "cutoff_hour",
    "answer_window_hours",
    "supplement_window_days",
    "supplement_limit_days",
    "supplement_limit_unit",
    "max_extensions",
    "apology_lead_days",
)


# --- helpers -----------------------------------------------------------------------------------


def redirect(path: str, msg: str | None = None, **query: Any) -> RedirectResponse:
    """303 to ``path`` with a flash message (``msg``) and the non-empty query values."""
    params = {k: v for k, v in query.items() if v not in (None, "")}
    if msg:
        params["msg"] = msg
    return RedirectResponse(f"{path}?{urlencode(params)}" if params else path, status_code=303)


def parse(
    request: Request, model: type[M], data: Mapping[str, Any], messages: Mapping[str, str]
) -> tuple[M | None, dict[str, str]]:
    """Validate form data into ``model``; on failure one translated message per field."""
    _ = translator(request)
    try:
        return model.model_validate(dict(data)), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            loc = err.get("loc", ())
            name = str(loc[0]) if loc else "form"
            if name == "form" and "options" in str(err.get("msg", "")):
                name = "options"  # the select-needs-options check of the whole field
            fallback = N_("Giá trị không hợp lệ.")
            errors.setdefault(name, _(messages.get(name, fallback)))
        return None, errors


def domain_errors(request: Request, exc: DomainError) -> dict[str, str]:
    """A service's refusal as form errors: its message on each field it names."""
    _ = translator(request)
    message = _(exc.detail)
    if exc.fields:
        return {name: message for name in exc.fields}
    return {"form": message}


def text(form: FormData, name: str, limit: int = 20000) -> str:
    value = form.get(name, "")
    return value[:limit].strip() if isinstance(value, str) else ""


def text_list(form: FormData, name: str) -> list[str]:
    """The non-empty values of a repeated field (checkboxes, multiple select)."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "1", "true")


def number(typed: str) -> str:
    """Vietnamese-typed numbers: ``0,5`` → ``0.5``; thousands dots of an amount kept apart."""
    return typed.replace(" ", "").replace(",", ".")


async def read_form(request: Request) -> FormData:
    return await request.form()


def render_page(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    """Render an admin page; ``choices`` (depth, agency) become the agency picker's options."""
    if "choices" in context:
        # Agency pickers show the tree: "— — Name (code)".
        context["agency_options"] = [
            (a.code, f"{'— ' * depth}{a.name} ({a.code})") for depth, a in context["choices"]
        ]
    return render(request, template, context, status_code=status)


async def threaded(work: Callable[[], Response]) -> Response:
    """Run the synchronous part of an async form handler (database work) in the thread pool."""
    return await run_in_threadpool(work)


# The names the screens still here use.
_redirect, _parse, _domain_errors, _text, _list = redirect, parse, domain_errors, text, text_list
_checked, _number, _form, _page, _threaded = checked, number, read_form, render_page, threaded


def _labels() -> dict[str, Any]:
    return {
        "override_kind_labels": OVERRIDE_KIND_LABELS,
        "day_kind_labels": DAY_KIND_LABELS,
        "weekday_labels": WEEKDAY_LABELS,
        "unit_labels": UNIT_LABELS,
    }


# --- calendar and rules ----------------------------------------------------------------------


def _calendar_page(
    request: Request,
    session: Session,
    user: User,
    year: int,
    *,
    errors: dict[str, str] | None = None,
    day_values: dict[str, str] | None = None,
    schedule_values: dict[str, str] | None = None,
    rule_values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    view = calendar_admin.calendar_view(session, user, year)
    rules = view.rules
    if schedule_values is None:
        schedule_values = {}
        for day in calendar_service.WEEKDAYS:
            for i, (start, end) in enumerate(rules["schedule"].get(day, [])[:PERIODS_PER_DAY]):
                schedule_values[f"{day}-{i}-start"] = start
                schedule_values[f"{day}-{i}-end"] = end
    if rule_values is None:
        rule_values = {
            k: (f"{rules[k]:g}" if isinstance(rules[k], int | float) else str(rules[k]))
            for k in RULE_KEYS
        }
    overridden = {o.day for o in view.overrides}
    return _page(
        request,
        "admin/calendar.html",
        {
            **_labels(),
            "view": view,
            "overridden": overridden,
            "weekdays": calendar_service.WEEKDAYS,
            "periods": range(PERIODS_PER_DAY),
            "errors": errors or {},
            "day_values": day_values or {"kind": "day_off"},
            "schedule_values": schedule_values,
            "rule_values": rule_values,
            "defaults": calendar_service.DEFAULT_RULES,
        },
        status,
    )


def _this_year() -> int:
    return calendar_service.WorkCalendar().local(utcnow()).year


def _year(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        return _this_year()
    return year if 2000 <= year <= 2099 else _this_year()


def _parse_day(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


@router.get("/quan-tri/lich")
def calendar_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    year: str = "",
) -> Response:
    return _calendar_page(request, session, user, _year(year[:4]))


@router.post("/quan-tri/lich/ngay", dependencies=[Depends(verify_csrf)])
async def calendar_day_set(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        _ = translator(request)
        values = {k: _text(form, k, 500) for k in ("day", "kind", "note")}
        day = _parse_day(values["day"])
        year = day.year if day and 2000 <= day.year <= 2099 else _this_year()
        errors: dict[str, str] = {}
        if day is None:
            errors["day"] = _("Nhập ngày theo dạng dd/mm/yyyy.")
        else:
            try:
                calendar_admin.set_day(session, user, day, values["kind"], values["note"])
            except InvalidInput as exc:
                errors = {("day" if k == "day" else "kind"): _(exc.detail) for k in exc.fields}
            else:
                return _redirect("/quan-tri/lich", "day_saved", year=year)
        return _calendar_page(
            request, session, user, year, errors=errors, day_values=values, status=422
        )

    return await _threaded(work)


@router.post("/quan-tri/lich/ngay/xoa", dependencies=[Depends(verify_csrf)])
async def calendar_day_remove(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        day = _parse_day(_text(form, "day", 20))
        if day is None:
            raise InvalidInput(N_("Nhập ngày theo dạng dd/mm/yyyy."), fields={"day": "date"})
        calendar_admin.remove_day(session, user, day)
        return _redirect("/quan-tri/lich", "day_removed", year=day.year)

    return await _threaded(work)


@router.post("/quan-tri/lich/gio-lam-viec", dependencies=[Depends(verify_csrf)])
async def calendar_schedule(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        _ = translator(request)
        year = _year(_text(form, "year", 4))
        values: dict[str, str] = {}
        schedule: dict[str, list[list[str]]] = {}
        errors: dict[str, str] = {}
        for day in calendar_service.WEEKDAYS:
            schedule[day] = []
            for i in range(PERIODS_PER_DAY):
                start = _text(form, f"{day}-{i}-start", 5)
                end = _text(form, f"{day}-{i}-end", 5)
                values[f"{day}-{i}-start"], values[f"{day}-{i}-end"] = start, end
                if start or end:
                    if not (start and end):
                        errors.setdefault(
                            f"{day}-{i}-start", _("Nhập cả giờ bắt đầu và giờ kết thúc.")
                        )
                    schedule[day].append([start, end])
        if not errors:
            try:
                calendar_admin.set_rules(session, user, {"schedule": schedule})
            except InvalidInput as exc:
                hints = "; ".join(str(v) for v in exc.fields.values())
                errors = {"schedule": f"{_(exc.detail)} ({hints})"}
            else:
                return _redirect("/quan-tri/lich", "schedule_saved", year=year)
        return _calendar_page(
            request, session, user, year, errors=errors, schedule_values=values, status=422
        )

    return await _threaded(work)


def _rule_value(key: str, text: str) -> Any:
    if key in ("cutoff_hour", "supplement_limit_unit"):
        return text
    try:
        number = float(_number(text))
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


@router.post("/quan-tri/lich/quy-tac", dependencies=[Depends(verify_csrf)])
async def calendar_rules(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        _ = translator(request)
        year = _year(_text(form, "year", 4))
        values = {k: _text(form, k, 20) for k in RULE_KEYS}
        try:
            calendar_admin.set_rules(
                session, user, {k: _rule_value(k, v) for k, v in values.items()}
            )
        except InvalidInput as exc:
            errors = {k: _(exc.detail) + f" ({v})" for k, v in exc.fields.items()}
            return _calendar_page(
                request, session, user, year, errors=errors, rule_values=values, status=422
            )
        return _redirect("/quan-tri/lich", "rules_saved", year=year)

    return await _threaded(work)


@router.post("/quan-tri/lich/quy-tac/mac-dinh", dependencies=[Depends(verify_csrf)])
async def calendar_rules_reset(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        calendar_admin.reset_rules(session, user, RULE_KEYS)
        return _redirect("/quan-tri/lich", "rules_reset", year=_year(_text(form, "year", 4)))

    return await _threaded(work)


# --- receipt series and certificates ---------------------------------------------------------


def _series_page(
    request: Request,
    session: Session,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return _page(
        request,
        "admin/receipt_series.html",
        {
            "groups": series_service.list_series(session, user),
            "choices": agency_service.agency_choices(session, user),
            "values": values
            or {
                "year": _this_year(),
                "letters": "AA",
                "agency_code": user.agency.code if user.agency else "",
            },
            "errors": errors or {},
        },
        status,
    )


@router.get("/quan-tri/bien-lai")
def receipt_series(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    account_service.require_admin_area(user)
    return _series_page(request, session, user)


@router.post("/quan-tri/bien-lai", dependencies=[Depends(verify_csrf)])
async def receipt_series_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        _ = translator(request)
        values = {k: _text(form, k, 35) for k in ("agency_code", "year", "letters")}
        try:
            year = int(values["year"])
        except ValueError:
            errors = {"year": _("Năm phải trong khoảng 2000–2099.")}
        else:
            try:
                series_service.create_series(
                    session, user, values["agency_code"], year, values["letters"]
                )
            except (InvalidInput, Conflict) as exc:
                errors = _domain_errors(request, exc)
            else:
                return _redirect("/quan-tri/bien-lai", "series_created")
        return _series_page(request, session, user, values=values, errors=errors, status=422)

    return await _threaded(work)


@router.post("/quan-tri/bien-lai/{series_id}/ngung", dependencies=[Depends(verify_csrf)])
def receipt_series_close(
    series_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    series_service.deactivate_series(session, user, series_id)
    return _redirect("/quan-tri/bien-lai", "series_closed")


def _certificates_page(
    request: Request,
    session: Session,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return _page(
        request,
        "admin/certificates.html",
        {
            "groups": certificate_service.list_certificates(session, user),
            "choices": agency_service.agency_choices(session, user),
            "values": values or {"agency_code": user.agency.code if user.agency else ""},
            "errors": errors or {},
            "now": utcnow(),
        },
        status,
    )


@router.get("/quan-tri/chung-thu-so")
def certificates(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    account_service.require_admin_area(user)
    return _certificates_page(request, session, user)


@router.post("/quan-tri/chung-thu-so", dependencies=[Depends(verify_csrf)])
async def certificate_upload(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)
    upload = form.get("file")
    data = await upload.read(MAX_PKCS12_BYTES + 1) if isinstance(upload, UploadFile) else b""
    passphrase = form.get("passphrase", "")

    def work() -> Response:
        values = {"agency_code": _text(form, "agency_code", 35)}
        try:
            certificate_service.upload_certificate(
                session,
                user,
                values["agency_code"],
                data,
                passphrase if isinstance(passphrase, str) else "",
            )
        except (InvalidInput, Conflict) as exc:
            errors = _domain_errors(request, exc)
            return _certificates_page(
                request, session, user, values=values, errors=errors, status=422
            )
        return _redirect("/quan-tri/chung-thu-so", "certificate_imported")

    return await _threaded(work)
