"""Catalogue payloads with the field names of SPEC §9."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class FormFieldSchema(BaseModel):
    name: str
    label: str
    type: Literal[
        "text", "textarea", "date", "number", "select", "checkbox", "email", "phone", "id_number"
    ]
    required: bool = False
    options: list[str] = []
    help: str = ""
    max_length: int | None = None
    prefill: str | None = Field(
        default=None, description="Profile attribute used to prefill (full_name, phone, ...)"
    )


class FormSchema(BaseModel):
    fields: list[FormFieldSchema] = []


class FeeRead(BaseModel):
    name: str
    amount: int = Field(description="Amount in VND")
    kind: str = Field(description="fee (phí) or charge (lệ phí)")
    unit: str = ""
    channel: str | None = Field(default=None, description="online / counter / null for any")
    note: str = ""


class ComponentRead(BaseModel):
    code: str
    name: str
    required: bool
    copies: int
    paper_kind: str
    accepted_types: list[str]
    max_size_mb: int
    note: str = ""


class StepRead(BaseModel):
    code: str
    name: str
    role: str
    unit: str
    duration_hours: float
    actions: list[str]


class AgencyRef(BaseModel):
    code: str
    name: str


class ProcedureSummary(BaseModel):
    code: str
    name: str
    field: str
    level: str
    agency_code: str
    agency_name: str
    online_level: Literal["full", "partial"]
    processing_days: float
    version: int


class ProcedureRead(ProcedureSummary):
    agencies: list[AgencyRef]
    time_note: str
    result: str
    legal_basis: str
    description: str
    fee_note: str
    fees: list[FeeRead]
    components: list[ComponentRead]
    form_schema: FormSchema
    steps: list[StepRead]
    published_at: datetime | None


class ProcedurePage(BaseModel):
    items: list[ProcedureSummary]
    total: int
    limit: int
    offset: int
