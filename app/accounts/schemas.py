"""Account payloads of the JSON API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from app.accounts.models import STAFF_ROLES

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


# Payloads of the administration of staff accounts (system admins and agency admins).


StaffRole = Literal["reception", "specialist", "leader", "cashier", "agency_admin"]

# The literal spells out the domain tuple for OpenAPI; they must not drift apart.
assert set(get_args(StaffRole)) == set(STAFF_ROLES)


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _phone(v: str | None) -> str | None:
    if v is None or v == "":
        return v
    v = clean_phone(v)
    if not PHONE_RE.match(v):
        raise ValueError("phone must be a Vietnamese number such as 0912345678")
    return v


class UserCreate(_In):
    email: EmailStr
    full_name: str = Field(min_length=2, max_length=120)
    phone: str = Field("", max_length=20)
    password: str | None = Field(
        None,
        min_length=MIN_PASSWORD,
        max_length=128,
        description="Leave out to have a password generated (returned once)",
    )
    agency_code: str | None = Field(None, max_length=35)
    roles: list[StaffRole] = []
    is_admin: bool = Field(False, description="System administrator (system admins only)")

    _phone_ok = field_validator("phone")(_phone)

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str]) -> list[str]:
        return _unique(v)


class UserUpdate(_In):
    full_name: str | None = Field(None, min_length=2, max_length=120)
    phone: str | None = Field(None, max_length=20)
    agency_code: str | None = Field(None, max_length=35)
    roles: list[StaffRole] | None = None
    is_admin: bool | None = None
    is_active: bool | None = None

    _phone_ok = field_validator("phone")(_phone)

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _unique(v)


class UserAdminRead(BaseModel):
    id: int
    email: str
    full_name: str
    phone: str
    agency_code: str | None
    agency_name: str | None
    roles: list[str]
    is_admin: bool
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class UserPage(BaseModel):
    items: list[UserAdminRead]
    total: int
    limit: int
    offset: int


class UserCreated(BaseModel):
    user: UserAdminRead
    password: str | None = Field(
        None, description="The generated password, shown only in this answer"
    )


class PasswordReset(_In):
    password: str | None = Field(
        None, min_length=MIN_PASSWORD, max_length=128, description="Leave out to generate one"
    )


class PasswordResetDone(BaseModel):
    password: str | None = Field(None, description="The generated password, shown only once")
