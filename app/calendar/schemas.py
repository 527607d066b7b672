"""Calendar payloads (SPEC §9)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class DueDateRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: datetime = Field(alias="from", description="The reception moment, local time")
    start: datetime = Field(description="When processing time starts (Art. 18 cut-off applied)")
    days: float = Field(description="Legal time in working days")
    due_at: datetime = Field(description="Due time, local time (+07:00)")


class CalendarDayRead(BaseModel):
    date: date
    name: str
    kind: str = Field(description="holiday | day_off | working_day")
    override: bool = Field(description="Set by an administrator, not the holiday calendar")
    origin: str = Field(
        default="library",
        description="library | struck_out (a library day the administrator struck out) | admin",
    )


class HolidaysRead(BaseModel):
    year: int
    confirmed: bool = Field(
        default=False,
        description="An administrator checked the year against the official notice; until "
        "then the library's holidays are proposals (due dates use them either way)",
    )
    items: list[CalendarDayRead]
