"""Catalogue payloads with the field names of SPEC §9."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from app.accounts.models import STAFF_ROLES
from app.catalog.models import (
    FIELD_TYPES,
    FIRST_DAY,
    LAST_DAY,
    NUMBER_LIMIT,
    STANDARD_ACTIONS,
)


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
    not_future: bool = Field(
        default=False, description="date: not after today (a birth, a death, an event past)"
    )
    min: float | None = Field(default=None, description="number: the least value accepted")
    max: float | None = Field(default=None, description="number: the greatest value accepted")
    integer: bool = Field(default=False, description="number: whole numbers only")
    min_date: date | None = Field(default=None, description="date: the earliest day accepted")
    max_date: date | None = Field(default=None, description="date: the latest day accepted")

    @field_serializer("min_date", "max_date")
    def _iso_day(self, value: date | None) -> str | None:
        """Kept in the version's JSON form schema as ISO days, whatever the dump mode."""
        return None if value is None else value.isoformat()


class FormSchema(BaseModel):
    fields: list[FormFieldSchema] = []


class FeeTier(BaseModel):
    """The unit price from the ``from``-th unit on."""

    # "from" is a Python keyword: the attribute is from_, the JSON key (in and out) "from".
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, extra="forbid")

    from_: int = Field(alias="from", ge=1, le=100_000, description="First unit of the tier")
    amount: int = Field(ge=0, le=1_000_000_000_000, description="VND per unit")


class FeeRead(BaseModel):
    name: str
    amount: int = Field(description="Amount in VND (the unit price when per quantity)")
    kind: str = Field(description="fee (phí) or charge (lệ phí)")
    unit: str = ""
    channel: str | None = Field(default=None, description="online / counter / null for any")
    note: str = ""
    quantity_field: str | None = Field(
        default=None,
        description="Number field of the form whose value multiplies the amount "
        "(copies, pages, cases); null for a flat fee",
    )
    tiers: list[FeeTier] = Field(
        default=[], description="Unit price from a unit on, ascending from 1 (optional)"
    )
    cap: int | None = Field(default=None, description="The most one multiplier unit pays (VND)")
    multiplier_field: str | None = Field(
        default=None, description="Second number field multiplying the capped amount (copies)"
    )
    multiplier_unit: str = Field(default="", description="Unit of the multiplier, e.g. bản")


class ComponentRead(BaseModel):
    code: str
    name: str
    required: bool
    copies: int
    paper_kind: str
    accepted_types: list[str]
    max_size_mb: int
    note: str = ""
    blank_form_url: str | None = Field(
        default=None, description="The blank form (tờ khai theo mẫu) to download, if any"
    )


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


# Payloads of the procedure designer and its document format.
#
# The procedure document (``"format": "motcua.procedure/1"``) is what the designer exports and
# imports: one procedure version with every part. Agencies are referred to by their electronic
# identification codes, so a document moves between installations that share the national
# agency codes (an import lists the codes it does not find). Its keys (``ProcedureDocument``)::
#
#     format            "motcua.procedure/1" (required; other formats are refused)
#     code              national procedure code, e.g. "1.001193"
#     version, status, exported_at      informative, ignored on import
#     name, field, level ("province"|"commune"), online_level ("full"|"partial"),
#     processing_days   legal time in working days (0: within the day, "ngay trong ngày")
#     time_note, result, result_type_code, legal_basis, description, fee_note
#     payment_moment    "none" | "submission" | "reception" | "before_result"
#     agencies          [agency code, ...] implementing agencies, at least one
#     form_fields       [{name, label, type, required, options, help, max_length, prefill}]
#                       type: text textarea date number select checkbox email phone id_number
#     components        [{code, name, required, copies, paper_kind ("original"|"copy"|"either"),
#                         accepted_types (pdf jpg png docx), max_size_mb (1..50), note}]
#     fees              [{name, amount (VND, >= 0), kind ("fee"|"charge"), unit,
#                         channel (null = any | "online" | "counter"), note,
#                         quantity_field (a number field; null = flat), tiers [{from, amount}]
#                         (ascending from 1), cap, multiplier_field, multiplier_unit}]
#     steps             [{code, name, role (reception specialist leader cashier), unit,
#                         agency (null = the receiving agency | agency code), duration_hours,
#                         actions (standard actions except withdraw)}]
#
# It is the shape of the demo catalogue's dictionaries (app/demo/procedures.py).


FORMAT = "motcua.procedure/1"

PROCEDURE_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
ITEM_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,39}$")
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

PROCEDURE_LEVELS = ("province", "commune")
ONLINE_LEVELS = ("full", "partial")
PAYMENT_MOMENTS = ("none", "submission", "reception", "before_result")
ACCEPTED_TYPES = ("pdf", "jpg", "png", "docx")
PAPER_KINDS = ("original", "copy", "either")
FEE_KINDS = ("fee", "charge")
FEE_CHANNELS = ("online", "counter")
# Agency admins configure; they never act on a dossier step. Withdrawal is the citizen's.
STEP_ROLES = tuple(r for r in STAFF_ROLES if r not in ("agency_admin", "par_admin", "par_council"))
STEP_ACTIONS = tuple(a for a in STANDARD_ACTIONS if a != "withdraw")
PREFILL_ATTRS = ("full_name", "phone", "id_number", "email", "address", "birth_date")
MAX_SIZE_MB = 50

StepRole = Literal["reception", "specialist", "leader", "cashier"]
StepAction = Literal[
    "receive",
    "request_supplement",
    "reject",
    "forward",
    "send_back",
    "approve",
    "request_payment",
    "attach_result",
    "return_result",
    "stop",
    "extend",
]
FileType = Literal["pdf", "jpg", "png", "docx"]

# The literals above spell out the domain tuples for OpenAPI; they must not drift apart.
assert set(get_args(StepRole)) == set(STEP_ROLES)
assert set(get_args(StepAction)) == set(STEP_ACTIONS)
assert len(FIELD_TYPES) == len(get_args(FormFieldSchema.model_fields["type"].annotation))


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class ProcedureInfo(_In):
    """General information of a procedure version."""

    name: str = Field(min_length=3, max_length=500)
    field: str = Field(min_length=2, max_length=120, description="Lĩnh vực")
    level: Literal["province", "commune"]
    online_level: Literal["full", "partial"]
    processing_days: float = Field(
        ge=0, le=365, allow_inf_nan=False, description="Working days; 0: within the day"
    )
    time_note: str = Field("", max_length=4000)
    result: str = Field("", max_length=4000)
    result_type_code: str = Field("", max_length=20)
    legal_basis: str = Field("", max_length=20000)
    description: str = Field("", max_length=20000)
    fee_note: str = Field("", max_length=4000)
    payment_moment: Literal["none", "submission", "reception", "before_result"] = "none"
    agencies: list[str] = Field(min_length=1, description="Implementing agency codes")

    @field_validator("agencies")
    @classmethod
    def _agencies(cls, v: list[str]) -> list[str]:
        return _unique([c.strip() for c in v if c.strip()])


RESERVED_CODES = {"moi", "nhap"}  # path segments of the designer pages


def _procedure_code(v: str) -> str:
    if v.lower() in RESERVED_CODES:
        raise ValueError("reserved word, not a procedure code")
    return v


class NewProcedure(ProcedureInfo):
    code: str = Field(max_length=40, pattern=PROCEDURE_CODE_RE.pattern)

    _code_ok = field_validator("code")(_procedure_code)


class FormFieldIn(FormFieldSchema):
    """A declared field of the applicant's form."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(max_length=40, pattern=FIELD_NAME_RE.pattern)
    label: str = Field(min_length=1, max_length=255)
    help: str = Field("", max_length=500)
    max_length: int | None = Field(None, ge=1, le=4000)
    prefill: Literal["full_name", "phone", "id_number", "email", "address", "birth_date"] | None = (
        None
    )

    @field_validator("options")
    @classmethod
    def _options(cls, v: list[str]) -> list[str]:
        return _unique([o.strip()[:200] for o in v if o.strip()])

    @model_validator(mode="after")
    def _select_has_options(self) -> FormFieldIn:
        if self.type == "select" and not self.options:
            raise ValueError("options: a select field needs at least one option")
        if self.type != "select":
            self.options = []
        if self.type != "date":
            self.not_future = False
            self.min_date = self.max_date = None
        elif self.min_date and self.max_date and self.min_date > self.max_date:
            raise ValueError("min_date: the earliest day is after the latest")
        for day in (self.min_date, self.max_date):
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise ValueError("min_date: a day between 1900-01-01 and 2100-12-31")
        if self.type != "number":
            self.min = self.max = None
            self.integer = False
        elif self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min: the least value is above the greatest")
        for bound in (self.min, self.max):
            if bound is not None and not abs(bound) < NUMBER_LIMIT:
                raise ValueError("min: a bound below 10^12 in size")
        return self


class ComponentIn(_In):
    """A document component (thành phần hồ sơ)."""

    code: str = Field(max_length=40, pattern=ITEM_CODE_RE.pattern)
    name: str = Field(min_length=2, max_length=500)
    required: bool = True
    copies: int = Field(1, ge=1, le=20)
    paper_kind: Literal["original", "copy", "either"] = "copy"
    accepted_types: list[FileType] = Field(min_length=1)
    max_size_mb: int = Field(10, ge=1, le=MAX_SIZE_MB)
    note: str = Field("", max_length=2000)

    @field_validator("accepted_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        return _unique(v)


class FeeIn(_In):
    """A fee item (phí or lệ phí) in VND."""

    name: str = Field(min_length=2, max_length=255)
    amount: int = Field(ge=0, le=1_000_000_000_000, description="VND")
    kind: Literal["fee", "charge"] = "charge"
    unit: str = Field("", max_length=60)
    channel: Literal["online", "counter"] | None = Field(
        None, description="online / counter; null for any channel"
    )
    note: str = Field("", max_length=2000)
    quantity_field: str | None = Field(
        None,
        max_length=40,
        description="Number field of the form the amount is per unit of; null = flat",
    )
    tiers: list[FeeTier] = Field(
        [], max_length=20, description="Unit price from a unit on, ascending from 1"
    )
    cap: int | None = Field(
        None, ge=0, le=2_000_000_000, description="The most one multiplier unit pays"
    )
    multiplier_field: str | None = Field(
        None, max_length=40, description="Number field multiplying the capped amount"
    )
    multiplier_unit: str = Field("", max_length=60, description="e.g. bản")

    @field_validator("quantity_field", "multiplier_field", mode="before")
    @classmethod
    def _no_field(cls, v: object) -> object:
        return None if v == "" else v


class StepIn(_In):
    """A step of the process: who acts, for how long, with which actions."""

    code: str = Field(max_length=40, pattern=ITEM_CODE_RE.pattern)
    name: str = Field(min_length=2, max_length=255)
    role: StepRole
    unit: str = Field("", max_length=255)
    agency: str | None = Field(
        None, max_length=35, description="Fixed agency code; null = the receiving agency"
    )
    duration_hours: float = Field(gt=0, le=10_000, allow_inf_nan=False)
    actions: list[StepAction] = Field(min_length=1)

    @field_validator("actions")
    @classmethod
    def _actions(cls, v: list[str]) -> list[str]:
        return _unique(v)

    @field_validator("agency", mode="before")
    @classmethod
    def _no_agency(cls, v: object) -> object:
        return None if v == "" else v


class ProcedureDocument(ProcedureInfo):
    """One procedure version with every part, as exported and imported."""

    model_config = ConfigDict(
        str_strip_whitespace=True,
        extra="forbid",
        json_schema_extra={"description": "Procedure export/import format motcua.procedure/1"},
    )

    format: Literal["motcua.procedure/1"]
    code: str = Field(max_length=40, pattern=PROCEDURE_CODE_RE.pattern)

    _code_ok = field_validator("code")(_procedure_code)
    version: int | None = Field(None, description="Version number at the source (informative)")
    status: str | None = Field(None, description="Status at the source (informative)")
    exported_at: datetime | None = None
    form_fields: list[FormFieldIn] = []
    components: list[ComponentIn] = []
    fees: list[FeeIn] = []
    steps: list[StepIn] = []


class VersionRead(BaseModel):
    code: str
    version: int
    status: str
    name: str
    published_at: datetime | None
    created_at: datetime


class ProcedureAdminSummary(BaseModel):
    code: str
    name: str
    manageable: bool = Field(description="Whether the caller may edit it")
    versions: list[VersionRead]


class ProcedureAdminList(BaseModel):
    items: list[ProcedureAdminSummary]
    total: int


class ImportResult(VersionRead):
    problems: list[str] = Field(
        default=[], description="What still blocks publishing this draft (empty: ready)"
    )
