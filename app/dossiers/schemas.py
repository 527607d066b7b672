"""Dossier payloads with the field names of SPEC §9."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from app.agencies.schemas import TAX_CODE_RE
from app.text import (
    ascii_digits,
    clean_block,
    clean_id_number,
    clean_line,
    clean_name,
    printable,
)


class ApplicantIn(BaseModel):
    full_name: str = Field(default="", max_length=120)
    id_number: str = Field(default="", max_length=12)
    phone: str = Field(default="", max_length=20)
    email: str = Field(default="", max_length=254)
    address: str = Field(default="", max_length=255)
    tax_code: str = Field(
        default="",
        max_length=14,
        pattern=TAX_CODE_RE.pattern,
        description="An organisation's tax code (mã số thuế), printed on its fee receipts",
    )

    @field_validator("full_name", "address")
    @classmethod
    def _text(cls, v: str) -> str:
        """NFC, without invisible or bidi characters, single-spaced (finding L4)."""
        return clean_name(v)

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, v: str) -> str:
        """ASCII digits (finding M4); the shape is checked at submission."""
        return clean_id_number(v)

    @field_validator("phone", "email")
    @classmethod
    def _digits(cls, v: str) -> str:
        return ascii_digits(v).strip() if v else printable(v)


class DossierCreate(BaseModel):
    procedure_code: str = Field(max_length=40)
    agency_code: str | None = Field(
        default=None, max_length=35, description="Receiving agency when several implement it"
    )
    channel: Literal["online", "counter", "postal"] = "online"
    applicant: ApplicantIn | None = None
    form_data: dict[str, Any] = Field(default_factory=dict)


class DossierUpdate(BaseModel):
    applicant: ApplicantIn | None = None
    form_data: dict[str, Any] | None = None


class HistoryItem(BaseModel):
    at: datetime
    actor: str
    step: str | None
    action: str
    from_status: str | None
    to_status: str
    comment: str


class ReusedFrom(BaseModel):
    """Where a file taken from the applicant's document store came from."""

    document_id: int
    kind: str = Field(description="result | component")
    dossier_code: str | None
    result_number: str | None


class FileRead(BaseModel):
    id: int
    component: str | None
    purpose: str
    filename: str
    content_type: str
    size: int
    sha256: str
    digitised: bool
    uploaded_at: datetime
    url: str
    reused_from: ReusedFrom | None = Field(
        default=None, description="taken from the applicant's document store (kho dữ liệu)"
    )


class StepRunRead(BaseModel):
    step: str
    name: str
    started_at: datetime
    due_at: datetime
    finished_at: datetime | None
    on_time: bool | None
    assignee: str | None


class DossierRead(BaseModel):
    id: int
    code: str | None
    status: str
    status_label: str
    national_status: int | None = Field(
        description="Status code of the national public service portal (1 new … 10 returned)"
    )
    national_channel: int = Field(description="1 counter, 2 online, 3 postal")
    procedure_code: str
    procedure_name: str
    procedure_version: int
    agency_code: str
    channel: str
    applicant: dict[str, Any]
    form_data: dict[str, Any]
    submitted_at: datetime | None
    answer_due_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    current_step: str | None
    current_step_name: str | None
    step_due_at: datetime | None
    assignee: str | None
    supplement_request: dict[str, Any]
    supplement_due_at: datetime | None
    extension_count: int
    lookup_secret: str | None
    available_actions: list[str]
    history: list[HistoryItem]
    steps: list[StepRunRead]
    files: list[FileRead]


class DossierSummary(BaseModel):
    id: int
    code: str | None
    status: str
    status_label: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    channel: str
    submitted_at: datetime | None
    due_at: datetime | None
    current_step: str | None
    step_due_at: datetime | None
    overdue: bool
    due_today: bool


class DossierPage(BaseModel):
    items: list[DossierSummary]
    total: int
    limit: int
    offset: int


class QueueItem(DossierSummary):
    answer_due_at: datetime | None
    answer_hours_left: float | None
    available_actions: list[str]


class QueuePage(BaseModel):
    items: list[QueueItem]
    total: int
    limit: int
    next_cursor: str | None = None


class DataProblemIn(BaseModel):
    """A problem in one declared field, told with a supplement request (form 02)."""

    field: str = Field(max_length=40, description="Name of a field of the procedure's form")
    problem: str = Field(max_length=1000, description="What is wrong or missing in it")

    @field_validator("field", "problem")
    @classmethod
    def _line(cls, v: str) -> str:
        return clean_line(v)


class ActionIn(BaseModel):
    action: str = Field(max_length=30)
    comment: str = Field(default="", max_length=4000)
    assignee_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    missing_components: list[str] = Field(default_factory=list)
    data_problems: list[DataProblemIn] = Field(
        default_factory=list,
        max_length=200,
        description="request_supplement: problems in the declared data, listed on form 02 "
        "with the missing components (Decree 118/2025: everything at once)",
    )
    reasons: list[str] = Field(default_factory=list)
    new_due_at: datetime | None = None
    valid_until: date | None = Field(
        default=None,
        description="attach_result: the last day the result is valid (hiệu lực đến), when it "
        "has a limit; shown with it in the applicant's document store",
    )
    tracking_number: str | None = Field(
        default=None,
        max_length=40,
        description="return_result of a dossier whose result goes by post: the carrier's "
        "tracking number (UPU S10, e.g. EB123456785VN), required then",
    )

    @field_validator("comment")
    @classmethod
    def _comment(cls, v: str) -> str:
        """An officer's comment as kept: NFC, no invisible or bidi characters (finding L4)."""
        return clean_block(v)

    @field_validator("reasons")
    @classmethod
    def _reasons(cls, v: list[str]) -> list[str]:
        return [clean_line(r) for r in v]


class DocumentRead(BaseModel):
    id: int
    kind: str
    title: str
    # An electronic result's number (GKS-26-000123) or a form's (05/TB-UBND, forms 02–05).
    number: str | None = None
    created_at: datetime
    pdf_url: str
    verify_url: str


class DocumentList(BaseModel):
    items: list[DocumentRead]


class LookupEvent(BaseModel):
    at: datetime
    action: str
    status: str
    status_label: str


class LookupRead(BaseModel):
    code: str
    status: str
    status_label: str
    procedure_code: str
    procedure_name: str
    agency_name: str
    submitted_at: datetime | None = None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    timeline: list[LookupEvent]
    result_by_post: bool = Field(
        default=False, description="The result goes by post (bưu chính công ích)"
    )
    result_tracking_number: str | None = Field(
        default=None, description="By post: the carrier's tracking number once handed over"
    )
