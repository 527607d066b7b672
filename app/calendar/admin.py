"""Editing the working calendar and the rule settings (SPEC §5, §6): extra days off, make-up
working days, the weekly schedule and the other rules. They are global, so they are for
system admins only; every change is audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.audit import service as audit_service
from app.calendar import service as calendar_service
from app.calendar.models import CalendarOverride
from app.errors import InvalidInput
from app.i18n_markers import N_


@dataclass(frozen=True)
class CalendarView:
    year: int
    days: list[calendar_service.CalendarDay]
    overrides: list[CalendarOverride]
    rules: dict[str, Any]


def calendar_view(session: Session, user: User, year: int) -> CalendarView:
    """Holidays, make-up days and overrides of a year, and the rule values in force."""
    account_service.require_system_admin(user)
    if not 2000 <= year <= 2099:
        raise InvalidInput(N_("Năm phải trong khoảng 2000–2099."), fields={"year": "2000..2099"})
    return CalendarView(
        year=year,
        days=calendar_service.get_calendar(session).holidays_for_year(year),
        overrides=calendar_service.list_overrides(session, year),
        rules=calendar_service.rule_values(session),
    )


def set_day(session: Session, user: User, day: date, kind: str, note: str = "") -> None:
    """Make a date an extra day off or a (make-up) working day."""
    account_service.require_system_admin(user)
    if not 2000 <= day.year <= 2099:
        raise InvalidInput(N_("Năm phải trong khoảng 2000–2099."), fields={"day": "2000..2099"})
    calendar_service.set_override(session, day, kind, note.strip()[:500])
    audit_service.record(
        session,
        "calendar.override_set",
        actor=user,
        object_type="calendar_day",
        object_id=day.isoformat(),
        details={"kind": kind, "note": note.strip()[:500]},
    )


def remove_day(session: Session, user: User, day: date) -> None:
    """Remove the override of a date (the holiday library and the schedule apply again)."""
    account_service.require_system_admin(user)
    calendar_service.delete_override(session, day)
    audit_service.record(
        session,
        "calendar.override_delete",
        actor=user,
        object_type="calendar_day",
        object_id=day.isoformat(),
    )


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
    return changed


def reset_rules(session: Session, user: User, keys: Iterable[str]) -> None:
    """Back to the default values of the given rules."""
    account_service.require_system_admin(user)
    for key in keys:
        if key not in calendar_service.DEFAULT_RULES:
            raise InvalidInput(N_("Không có thiết lập này."), fields={key: "unknown setting"})
        calendar_service.reset_rule(session, key)
        audit_service.record(session, "rules.reset", actor=user, object_type="rule", object_id=key)
