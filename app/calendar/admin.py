"""Editing the working calendar and the rule settings (SPEC §5, §6): extra days off, make-up
working days, the weekly schedule and the other rules. They are global, so they are for
system admins only; every change is audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from app import events
from app.accounts import service as account_service
from app.accounts.models import User
from app.audit import service as audit_service
from app.calendar import service as calendar_service
from app.calendar.events import CalendarChanged
from app.calendar.models import CalendarOverride, CalendarYear
from app.db import utcnow
from app.errors import InvalidInput
from app.i18n_markers import N_

# Rules whose change moves due times already computed (the others apply to what comes next).
RECOMPUTING_RULES = frozenset({"schedule", "cutoff_hour", "due_time_rule"})
KIND_NAMES = {
    "day_off": "ngày nghỉ bổ sung",
    "working_day": "ngày làm việc bù",
    "struck_out": "gạch bỏ ngày thư viện đề xuất",
}


@dataclass(frozen=True)
class CalendarView:
    year: int
    days: list[calendar_service.CalendarDay]
    overrides: list[CalendarOverride]
    rules: dict[str, Any]
    confirmation: CalendarYear | None
    # This year and the next, when their calendar is not confirmed yet (a warning).
    unconfirmed: list[int]


def _check_year(year: int, field: str = "year") -> None:
    if not 2000 <= year <= 2099:
        raise InvalidInput(N_("Năm phải trong khoảng 2000–2099."), fields={field: "2000..2099"})


def unconfirmed_years(session: Session) -> list[int]:
    """The current and the next year when an admin has not confirmed their calendar."""
    this = calendar_service.get_calendar(session).local(utcnow()).year
    confirmed = calendar_service.list_years(session)
    return [y for y in (this, this + 1) if y not in confirmed]


def calendar_view(session: Session, user: User, year: int) -> CalendarView:
    """Holidays, make-up days and overrides of a year, and the rule values in force."""
    account_service.require_system_admin(user)
    _check_year(year)
    return CalendarView(
        year=year,
        days=calendar_service.get_calendar(session).holidays_for_year(year),
        overrides=calendar_service.list_overrides(session, year),
        rules=calendar_service.rule_values(session),
        confirmation=calendar_service.year_confirmation(session, year),
        unconfirmed=unconfirmed_years(session),
    )


def confirm_year(session: Session, user: User, year: int, source: str) -> CalendarYear:
    """Record that the year's days off were checked against the official notice ``source``."""
    account_service.require_system_admin(user)
    _check_year(year)
    source = " ".join(source.split())[:500]
    if not source:
        raise InvalidInput(
            N_("Ghi số, tên văn bản thông báo nghỉ lễ, Tết đã đối chiếu."),
            fields={"source": "required"},
        )
    row = calendar_service.confirm_year(session, year, source, user.id, user.full_name)
    audit_service.record(
        session,
        "calendar.year_confirmed",
        actor=user,
        object_type="calendar_year",
        object_id=str(year),
        details={"source": source},
    )
    return row


def _changed(session: Session, user: User, before: Any, since: datetime, what: str) -> None:
    """Tell the subscribers (the due times of open dossiers are recomputed)."""
    events.publish(session, CalendarChanged(before=before, since=since, actor=user, what=what))


def _day_start(session: Session, day: date) -> datetime:
    return datetime.combine(day, time(0), calendar_service.get_calendar(session).tz)


def set_day(
    session: Session, user: User, day: date, kind: str, note: str = "", year: int | None = None
) -> None:
    """Make a date an extra day off or a (make-up) working day, or strike out a day the
    holiday library proposes; ``year``: the year the admin is editing (the date must be in it)."""
    account_service.require_system_admin(user)
    _check_year(day.year, "day")
    if year is not None and day.year != year:
        raise InvalidInput(
            N_("Ngày không thuộc năm đang điều chỉnh."), fields={"day": f"not in {year}"}
        )
    before = calendar_service.get_calendar(session)
    calendar_service.set_override(session, day, kind, note.strip()[:500])
    audit_service.record(
        session,
        "calendar.override_set",
        actor=user,
        object_type="calendar_day",
        object_id=day.isoformat(),
        details={"kind": kind, "note": note.strip()[:500]},
    )
    what = f"Lịch ngày {day:%d/%m/%Y}: {KIND_NAMES.get(kind, kind)}"
    _changed(session, user, before, _day_start(session, day), what)


def remove_day(session: Session, user: User, day: date) -> None:
    """Remove the override of a date (the holiday library and the schedule apply again)."""
    account_service.require_system_admin(user)
    before = calendar_service.get_calendar(session)
    calendar_service.delete_override(session, day)
    audit_service.record(
        session,
        "calendar.override_delete",
        actor=user,
        object_type="calendar_day",
        object_id=day.isoformat(),
    )
    what = f"Lịch ngày {day:%d/%m/%Y}: bỏ điều chỉnh"
    _changed(session, user, before, _day_start(session, day), what)


def set_rules(session: Session, user: User, values: dict[str, Any]) -> list[str]:
    """Store rule values (all checked first: nothing is stored if one is wrong); returns the
    keys that changed."""
    account_service.require_system_admin(user)
    errors: dict[str, str] = {}
    for key, value in values.items():
        try:
            calendar_service.parse_rules({key: value})
        except InvalidInput as exc:
            errors.update(exc.fields or {key: "invalid"})
    if errors:
        raise InvalidInput(N_("Giá trị thiết lập không hợp lệ."), fields=errors)
    current = calendar_service.rule_values(session)
    before = calendar_service.get_calendar(session)
    changed = []
    for key, value in values.items():
        if current.get(key) != value:
            calendar_service.set_rule(session, key, value)
            audit_service.record(
                session,
                "rules.set",
                actor=user,
                object_type="rule",
                object_id=key,
                details={"from": current.get(key), "to": value},
            )
            changed.append(key)
    moving = sorted(RECOMPUTING_RULES.intersection(changed))
    if moving:
        _changed(session, user, before, utcnow(), "Quy tắc tính thời hạn: " + ", ".join(moving))
    return changed


def reset_rules(session: Session, user: User, keys: Iterable[str]) -> None:
    """Back to the default values of the given rules."""
    account_service.require_system_admin(user)
    keys = list(keys)
    for key in keys:
        if key not in calendar_service.DEFAULT_RULES:
            raise InvalidInput(N_("Không có thiết lập này."), fields={key: "unknown setting"})
    before = calendar_service.get_calendar(session)
    current = calendar_service.rule_values(session)
    for key in keys:
        calendar_service.reset_rule(session, key)
        audit_service.record(session, "rules.reset", actor=user, object_type="rule", object_id=key)
    moving = sorted(
        k
        for k in RECOMPUTING_RULES.intersection(keys)
        if current.get(k) != calendar_service.DEFAULT_RULES[k]
    )
    if moving:
        _changed(session, user, before, utcnow(), "Quy tắc tính thời hạn: " + ", ".join(moving))
