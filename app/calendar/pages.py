"""Working calendar and rule settings under /quan-tri/lich (system admins): holidays of a year,
extra days off and make-up working days, the weekly schedule and the other rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.accounts.models import User
from app.calendar import admin as calendar_admin
from app.calendar import service as calendar_service
from app.db import utcnow
from app.errors import InvalidInput
from app.formatting import format_number, parse_day_text
from app.i18n_markers import N_
from app.web import forms as admin_forms
from app.web import translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)

OVERRIDE_KIND_LABELS = {"day_off": N_("Ngày nghỉ bổ sung"), "working_day": N_("Ngày làm việc bù")}
DAY_KIND_LABELS = {
    "holiday": N_("Nghỉ lễ, Tết"),
    "day_off": N_("Ngày nghỉ bổ sung"),
    "working_day": N_("Ngày làm việc bù"),
}
ORIGIN_LABELS = {
    "library": N_("Thư viện ngày lễ đề xuất"),
    "struck_out": N_("Thư viện đề xuất, quản trị viên đã gạch bỏ"),
    "admin": N_("Quản trị viên thêm"),
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
DUE_TIME_LABELS = {
    "end_of_day": N_("Hết giờ làm việc của ngày cuối cùng"),
    "same_time": N_("Cùng giờ với lúc bắt đầu tính"),
}
PERIODS_PER_DAY = 3
RULE_KEYS = (
    "cutoff_hour",
    "answer_window_hours",
    "supplement_window_days",
    "supplement_limit_days",
    "supplement_limit_unit",
    "max_supplement_requests",
    "max_extensions",
    "apology_lead_days",
    "due_time_rule",
    "feedback_answer_days",
)
_LABELS: dict[str, Any] = {
    "override_kind_labels": OVERRIDE_KIND_LABELS,
    "day_kind_labels": DAY_KIND_LABELS,
    "weekday_labels": WEEKDAY_LABELS,
    "unit_labels": UNIT_LABELS,
    "due_time_labels": DUE_TIME_LABELS,
    "origin_labels": ORIGIN_LABELS,
}


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
    confirm_values: dict[str, str] | None = None,
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
            k: (
                format_number(rules[k], grouping=False)
                if isinstance(rules[k], int | float)
                else str(rules[k])
            )
            for k in RULE_KEYS
        }
    overridden = {o.day for o in view.overrides}
    return admin_forms.render_page(
        request,
        "calendar/editor.html",
        {
            **_LABELS,
            "view": view,
            "overridden": overridden,
            "weekdays": calendar_service.WEEKDAYS,
            "periods": range(PERIODS_PER_DAY),
            "errors": errors or {},
            "day_values": day_values or {"kind": "day_off"},
            "schedule_values": schedule_values,
            "rule_values": rule_values,
            "confirm_values": confirm_values or {},
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
    return parse_day_text(text)


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
    form = await admin_forms.read_form(request)

    def work() -> Response:
        _ = translator(request)
        values = {k: admin_forms.text(form, k, 500) for k in ("day", "kind", "note")}
        day = _parse_day(values["day"])
        # The year being edited (the page's); a date outside it is refused.
        editing = admin_forms.text(form, "year", 4)
        in_year = int(editing) if editing.isdigit() else None
        year = day.year if day and 2000 <= day.year <= 2099 else _this_year()
        if in_year is not None and 2000 <= in_year <= 2099:
            year = in_year
        errors: dict[str, str] = {}
        if day is None:
            errors["day"] = _("Nhập ngày theo dạng dd/mm/yyyy.")
        else:
            try:
                calendar_admin.set_day(
                    session, user, day, values["kind"], values["note"], year=in_year
                )
            except InvalidInput as exc:
                errors = {("day" if k == "day" else "kind"): _(exc.detail) for k in exc.fields}
            else:
                return admin_forms.redirect("/quan-tri/lich", "day_saved", year=year)
        return _calendar_page(
            request, session, user, year, errors=errors, day_values=values, status=422
        )

    return await admin_forms.threaded(work)


@router.post("/quan-tri/lich/ngay/xoa", dependencies=[Depends(verify_csrf)])
async def calendar_day_remove(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        day = _parse_day(admin_forms.text(form, "day", 20))
        if day is None:
            raise InvalidInput(N_("Nhập ngày theo dạng dd/mm/yyyy."), fields={"day": "date"})
        calendar_admin.remove_day(session, user, day)
        return admin_forms.redirect("/quan-tri/lich", "day_removed", year=day.year)

    return await admin_forms.threaded(work)


@router.post("/quan-tri/lich/gio-lam-viec", dependencies=[Depends(verify_csrf)])
async def calendar_schedule(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        _ = translator(request)
        year = _year(admin_forms.text(form, "year", 4))
        values: dict[str, str] = {}
        schedule: dict[str, list[list[str]]] = {}
        errors: dict[str, str] = {}
        for day in calendar_service.WEEKDAYS:
            schedule[day] = []
            for i in range(PERIODS_PER_DAY):
                start = admin_forms.text(form, f"{day}-{i}-start", 5)
                end = admin_forms.text(form, f"{day}-{i}-end", 5)
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
                return admin_forms.redirect("/quan-tri/lich", "schedule_saved", year=year)
        return _calendar_page(
            request, session, user, year, errors=errors, schedule_values=values, status=422
        )

    return await admin_forms.threaded(work)


def _rule_value(key: str, text: str) -> Any:
    if key in ("cutoff_hour", "supplement_limit_unit", "due_time_rule"):
        return text
    try:
        number = float(admin_forms.number(text))
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


@router.post("/quan-tri/lich/quy-tac", dependencies=[Depends(verify_csrf)])
async def calendar_rules(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        _ = translator(request)
        year = _year(admin_forms.text(form, "year", 4))
        # A rule the form did not send keeps its value (a form from before it existed).
        values = {k: admin_forms.text(form, k, 20) for k in RULE_KEYS if k in form}
        try:
            calendar_admin.set_rules(
                session, user, {k: _rule_value(k, v) for k, v in values.items()}
            )
        except InvalidInput as exc:
            errors = {k: _(exc.detail) + f" ({v})" for k, v in exc.fields.items()}
            return _calendar_page(
                request, session, user, year, errors=errors, rule_values=values, status=422
            )
        return admin_forms.redirect("/quan-tri/lich", "rules_saved", year=year)

    return await admin_forms.threaded(work)


@router.post("/quan-tri/lich/quy-tac/mac-dinh", dependencies=[Depends(verify_csrf)])
async def calendar_rules_reset(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        calendar_admin.reset_rules(session, user, RULE_KEYS)
        return admin_forms.redirect(
            "/quan-tri/lich", "rules_reset", year=_year(admin_forms.text(form, "year", 4))
        )

    return await admin_forms.threaded(work)


@router.post("/quan-tri/lich/xac-nhan", dependencies=[Depends(verify_csrf)])
async def calendar_year_confirm(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        _ = translator(request)
        text = admin_forms.text(form, "year", 4)
        source = admin_forms.text(form, "source", 500)
        try:
            year = int(text)
        except ValueError:
            raise InvalidInput(
                N_("Năm phải trong khoảng 2000–2099."), fields={"year": "2000..2099"}
            ) from None
        try:
            calendar_admin.confirm_year(session, user, year, source)
        except InvalidInput as exc:
            if "source" not in exc.fields:
                raise
            return _calendar_page(
                request,
                session,
                user,
                year,
                errors={"source": _(exc.detail)},
                confirm_values={"source": source},
                status=422,
            )
        return admin_forms.redirect("/quan-tri/lich", "year_confirmed", year=year)

    return await admin_forms.threaded(work)
