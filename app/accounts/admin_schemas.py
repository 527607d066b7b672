"""Payloads of the administration of staff accounts (system admins and agency admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from app.accounts.models import STAFF_ROLES
from app.accounts.schemas import MIN_PASSWORD, PHONE_RE, clean_phone

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
