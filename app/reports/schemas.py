"""JSON shapes of the tracking book (form 07)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class BookRow(BaseModel):
    """One dossier of the book, with the columns of form 07."""

    index: int = Field(description="Number in the book (STT), continuing across pages")
    id: int = Field(description="Dossier id")
    code: str = Field(description="Dossier code (mã hồ sơ)")
    procedure_name: str
    applicant_name: str
    address: str
    phone: str
    received_at: datetime
    due_at: datetime | None = Field(description="Appointed return (hẹn trả kết quả)")
    handed_to: str = Field(description="Agency or unit that handled it after reception")
    finished_at: datetime | None = Field(description="Result ready, or refusal/stop/withdrawal")
    returned_at: datetime | None = Field(description="Result returned to the applicant")
    status: str
    status_label: str
    note: str = Field(description="Late, extended, supplement requests (Vietnamese)")


class BookPage(BaseModel):
    """A page of the book, oldest reception first; follow ``next_cursor`` for the rest."""

    agency_code: str
    agency_name: str
    period_from: date
    period_to: date
    items: list[BookRow]
    total: int = Field(description="Dossiers in the whole book")
    limit: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )
    previous_cursor: str | None = Field(
        None,
        description=(
            "Pass as `cursor` for the page before; an empty string means the first page (no"
            " cursor), null that this is the first page"
        ),
    )
