"""JSON shapes of appointments and queue tickets (SPEC §15)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SlotRead(BaseModel):
    start: datetime
    end: datetime
    capacity: int
    free: int


class SlotPage(BaseModel):
    items: list[SlotRead]


class BookingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedure_code: str = Field(min_length=1, max_length=40)
    agency_code: str = Field(min_length=1, max_length=35)
    start: datetime = Field(description="the band's start (ISO 8601; without offset: local time)")


class BookingRead(BaseModel):
    code: str
    status: str = Field(description="booked | cancelled | checked_in | no_show")
    agency_code: str
    procedure_code: str
    start: datetime
    end: datetime


class BookingPage(BaseModel):
    items: list[BookingRead]


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_code: str = Field(min_length=1, max_length=35)
    counter: int | None = Field(default=None, ge=1, le=50, description="None: any counter")
    service: str = Field(default="chung", max_length=40)
    phone: str = Field(default="", max_length=20)


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_code: str = Field(min_length=1, max_length=35)
    code: str = Field(min_length=1, max_length=16, description="the booking code")


class TicketRead(BaseModel):
    number: str = Field(description="the day's number, 4 digits (0012)")
    agency_code: str
    day: str
    service: str
    priority: bool
    status: str = Field(description="waiting | called | done")
    counter: int | None
    booking_code: str | None = None


class CallNext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    counter: int = Field(ge=1, le=50)
    agency_code: str | None = Field(default=None, max_length=35)


class CalledRead(BaseModel):
    number: str
    counter: int
    called_at: datetime
    announcement: str = Field(description="Mời số 0012 đến quầy số 3")


class BoardRead(BaseModel):
    agency_code: str
    agency_name: str
    called: list[CalledRead]
    waiting: int
    version: str


class BookingSettingWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    band_minutes: int = Field(ge=15, le=240)
    counters: int = Field(ge=1, le=50)
    places_per_counter: int = Field(ge=1, le=100)


class BookingSettingRead(BookingSettingWrite):
    agency_code: str
    capacity: int
