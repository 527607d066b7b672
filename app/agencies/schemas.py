"""Agency payloads: the public directory and the administration of the agency tree."""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from app.agencies.models import LEVELS

# QCVN 102:2016 electronic identification code V1V2V3.Z1Z2.Y1Y2.M1X1X2: three lower levels of
# digits (or capitals when the numbers run out) and the level-1 code, a letter and two digits.
AGENCY_CODE_RE = re.compile(r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}$")
TAX_CODE_RE = re.compile(r"^(\d{10}(-\d{3})?)?$")
AGENCY_PHONE_RE = re.compile(r"^[0-9+() .-]{0,30}$")
# The agency's part of a document symbol (Decree 30/2020/NĐ-CP, Appendix I): capital letters
# (Đ included) and digits, groups joined by "&" or "." as agencies write them (UBND, TTPVHCC).
ABBREVIATION_RE = re.compile(r"^([0-9A-ZĐ][0-9A-ZĐ&.]{0,19})?$")

AgencyLevel = Literal["province", "center", "department", "commune", "district"]

# The literal spells out the domain tuple for OpenAPI; they must not drift apart.
assert set(get_args(AgencyLevel)) == set(LEVELS)


class AgencyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    short_name: str
    level: str
    parent_code: str | None = None
    tax_code: str
    address: str
    phone: str
    email: str
    abbreviation: str
    place_name: str


# --- administration --------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


def _upper_text(v: object) -> object:
    return v.strip().upper() if isinstance(v, str) else v


class AgencyIn(_In):
    name: str = Field(min_length=3, max_length=255)
    short_name: str = Field("", max_length=120)
    abbreviation: str = Field(
        "",
        max_length=20,
        pattern=ABBREVIATION_RE.pattern,
        description="Abbreviation in document symbols (Số: 12/TB-UBND), e.g. UBND, STP, CAT",
    )
    place_name: str = Field(
        "", max_length=60, description="Place name of the date line of documents, e.g. Hưng Yên"
    )
    level: AgencyLevel
    tax_code: str = Field("", max_length=14, pattern=TAX_CODE_RE.pattern)
    address: str = Field("", max_length=255)
    phone: str = Field("", max_length=30, pattern=AGENCY_PHONE_RE.pattern)
    email: EmailStr | Literal[""] = ""

    _abbreviation_upper = field_validator("abbreviation", mode="before")(_upper_text)


class AgencyCreate(AgencyIn):
    code: str = Field(
        max_length=35,
        pattern=AGENCY_CODE_RE.pattern,
        description="QCVN 102:2016 electronic identification code, e.g. 000.00.15.H31",
    )
    parent_code: str | None = Field(None, max_length=35)

    @field_validator("code", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return v.strip().upper() if isinstance(v, str) else v


class AgencyUpdate(_In):
    name: str | None = Field(None, min_length=3, max_length=255)
    short_name: str | None = Field(None, max_length=120)
    abbreviation: str | None = Field(None, max_length=20, pattern=ABBREVIATION_RE.pattern)
    place_name: str | None = Field(None, max_length=60)
    level: AgencyLevel | None = None
    tax_code: str | None = Field(None, max_length=14, pattern=TAX_CODE_RE.pattern)
    address: str | None = Field(None, max_length=255)
    phone: str | None = Field(None, max_length=30, pattern=AGENCY_PHONE_RE.pattern)
    email: EmailStr | Literal[""] | None = None
    is_active: bool | None = Field(None, description="false deactivates, true reactivates")

    _abbreviation_upper = field_validator("abbreviation", mode="before")(_upper_text)


class AgencyAdminRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    short_name: str
    level: str
    parent_code: str | None = None
    tax_code: str
    address: str
    phone: str
    email: str
    abbreviation: str
    place_name: str
    is_active: bool


class AgencyList(BaseModel):
    items: list[AgencyAdminRead]
    total: int
