"""Calendar data editable by admins: day overrides and the rule numbers of the current decree."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow

# day_off: an extra day off; working_day: a (make-up) working day; struck_out: a day the
# holiday library lists (a holiday or a make-up Saturday) that the official notice does not,
# so the weekly schedule decides it again.
OVERRIDE_KINDS = ("day_off", "working_day", "struck_out")


class CalendarOverride(Base):
    """An admin's decision about one date; wins over holidays and the weekly schedule."""

    __tablename__ = "calendar_overrides"
    __table_args__ = (
        CheckConstraint("kind IN ('day_off', 'working_day', 'struck_out')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # day_off | working_day | struck_out
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RuleSetting(Base):
    """One rule number (cut-off hour, answer window, ...) overriding the default in code."""

    __tablename__ = "rule_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CalendarYear(Base):
    """A year whose public holidays an administrator checked against the official notice
    (the holiday library only proposes them until then)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_by_name: Mapped[str] = mapped_column(String(120), default="")
    # The notice checked against, as the admin wrote it (number, title, date).
    source: Mapped[str] = mapped_column(Text, default="")
