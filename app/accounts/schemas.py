"""Account payloads of the JSON API."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

PHONE_RE = re.compile(r"^(\+84|0)\d{9,10}$")
ID_NUMBER_RE = re.compile(r"^\d{12}$")
MIN_PASSWORD = 8


def clean_phone(value: str) -> str:
    return re.sub(r"[\s.\-()]", "", value)


class RegisterIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=MIN_PASSWORD, max_length=128)
    full_name: str = Field(min_length=2, max_length=120)
    phone: str = Field(max_length=20)
    id_number: str | None = Field(default=None, max_length=12)

    @field_validator("full_name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = " ".join(v.split())
        if len(v) < 2:
            raise ValueError("full name is too short")
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        v = clean_phone(v)
        if not PHONE_RE.match(v):
            raise ValueError("phone must be a Vietnamese number such as 0912345678")
        return v

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, v: str | None) -> str | None:
        if v is None or v.strip() == "":
            return None
        v = v.strip()
        if not ID_NUMBER_RE.match(v):
            raise ValueError("citizen ID must be exactly 12 digits")
        return v


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str
    phone: str
    id_number: str | None
    agency_code: str | None = None
    roles: list[str] = []
    is_admin: bool
    created_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (OAuth2 token type, not a secret)
    expires_in: int
