"""The working calendar a process reuses between reads (PORTAL_CALENDAR_REFRESH_SECONDS): a
change made elsewhere is used once the refresh time has passed, one made through this
process's services at once."""

from __future__ import annotations

import time
from datetime import time as clock

import pytest
from sqlalchemy.orm import Session

from app.calendar import service as calendar_service
from app.calendar.models import RuleSetting
from app.config import get_settings


def _next_request(db: Session) -> calendar_service.WorkCalendar:
    """The calendar as a new request sees it (the per-request cache dropped)."""
    db.info.pop("app.calendar.work_calendar", None)
    return calendar_service.get_calendar(db)


def test_a_change_from_elsewhere_is_used_after_the_refresh_time(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "calendar_refresh_seconds", 0.5)
    assert _next_request(db).rules.cutoff_hour == clock(15, 0)
    # Written as another process would: not through this process's calendar service.
    db.add(RuleSetting(key="cutoff_hour", value="16:00"))
    db.flush()
    assert _next_request(db).rules.cutoff_hour == clock(15, 0)
    time.sleep(0.6)
    assert _next_request(db).rules.cutoff_hour == clock(16, 0)


def test_a_change_made_here_is_used_at_once(db: Session) -> None:
    assert get_settings().calendar_refresh_seconds >= 1
    assert _next_request(db).rules.cutoff_hour == clock(15, 0)
    calendar_service.set_rule(db, "cutoff_hour", "14:00")
    assert _next_request(db).rules.cutoff_hour == clock(14, 0)
    calendar_service.reset_rule(db, "cutoff_hour")
    assert _next_request(db).rules.cutoff_hour == clock(15, 0)


def test_zero_reads_the_rules_on_every_request(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "calendar_refresh_seconds", 0.0)
    assert _next_request(db).rules.cutoff_hour == clock(15, 0)
    db.add(RuleSetting(key="cutoff_hour", value="16:30"))
    db.flush()
    assert _next_request(db).rules.cutoff_hour == clock(16, 30)
