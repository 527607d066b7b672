"""Account payloads of the JSON API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, get_args

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.accounts.models import STAFF_ROLES
from app.text import clean_id_number, clean_name, clean_phone, letter_count

# ASCII digits only, after ``clean_phone``/``clean_id_number`` wrote other scripts' digits as
# ASCII ("\d" alone would take "０３４…" as a second spelling of one CCCD).
PHONE_RE = re.compile(r"^(\+84|0)[0-9]{9,10}$")
ID_NUMBER_RE = re.compile(r"^[0-9]{12}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 128
# The demo accounts' domain (README). email-validator refuses every special-use name, ".local"
# among them; this one domain is accepted (it never leaves the machine: no MX anywhere).
DEMO_EMAIL_DOMAINS = ("motcua.local",)


def valid_email(value: str) -> str:
    """An e-mail address checked by email-validator (syntax only, no DNS) and normalised: the
    domain lower-cased. ``…@motcua.local`` is accepted like any public domain."""
    text = value.strip()
    local, at, domain = text.rpartition("@")
    demo = bool(at) and domain.lower() in DEMO_EMAIL_DOMAINS
    # The demo domain is checked as an ordinary one: only its special-use suffix differs.
    probe = f"{local}@example.com" if demo else text
    try:
        checked = validate_email(probe, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from None
    if demo:
        return f"{checked.local_part}@{domain.lower()}"
    return checked.normalized


# The e-mail type of every account payload (register, admin create, password reset).
Email = Annotated[
    str,
    Field(max_length=254, json_schema_extra={"format": "email"}),
    AfterValidator(valid_email),
]


def _id_number(v: str | None) -> str | None:
    if v is None:
        return None
    v = clean_id_number(v)
    if v == "":
        return None
    if not ID_NUMBER_RE.match(v):
        raise ValueError("citizen ID must be exactly 12 digits")
    return v


def _full_name(v: str | None) -> str | None:
    """A person's name without invisible or bidi characters, NFC, single-spaced; at least two
    letters ("\u200b\u200b\u200b" is no name)."""
    if v is None:
        return None
    v = clean_name(v)
    if letter_count(v) < 2:
        raise ValueError("full name needs at least two letters")
    return v


class RegisterIn(BaseModel):
    email: Email
    password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)
    full_name: str = Field(min_length=2, max_length=120)
    phone: str = Field(max_length=20)
    id_number: str | None = Field(default=None, max_length=12)

    _name_ok = field_validator("full_name")(_full_name)

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        v = clean_phone(v)
        if not PHONE_RE.match(v):
            raise ValueError("phone must be a Vietnamese number such as 0912345678")
        return v

    _id_number_ok = field_validator("id_number")(_id_number)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str
    phone: str
    id_number: str | None
    address: str = ""
    agency_code: str | None = None
    roles: list[str] = []
    is_admin: bool
    created_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (OAuth2 token type, not a secret)
    expires_in: int


# Payloads of the administration of staff accounts (system admins and agency admins).


StaffRole = Literal[
    "reception", "specialist", "leader", "cashier", "agency_admin", "par_admin", "par_council"
]

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
    email: Email
    full_name: str = Field(min_length=2, max_length=120)
    phone: str = Field("", max_length=20)
    password: str | None = Field(
        None,
        min_length=MIN_PASSWORD,
        max_length=MAX_PASSWORD,
        description="Leave out to have a password generated (returned once)",
    )
    agency_code: str | None = Field(None, max_length=35)
    roles: list[StaffRole] = []
    is_admin: bool = Field(False, description="System administrator (system admins only)")

    _phone_ok = field_validator("phone")(_phone)
    _name_ok = field_validator("full_name")(_full_name)

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
    _name_ok = field_validator("full_name")(_full_name)

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
        None,
        min_length=MIN_PASSWORD,
        max_length=MAX_PASSWORD,
        description="Leave out to generate one",
    )


class PasswordResetDone(BaseModel):
    password: str | None = Field(None, description="The generated password, shown only once")


# Self-service: the account's own password and profile (SPEC §9 "account").


class PasswordChangeIn(_In):
    model_config = ConfigDict(str_strip_whitespace=False, extra="forbid")

    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD)
    new_password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)


class PasswordChanged(BaseModel):
    detail: str
    other_sessions_ended: int = Field(
        description="Browser sessions and API tokens of the account that were ended; the one "
        "that made this call stays valid"
    )


class PasswordResetRequest(_In):
    email: Email


class PasswordResetConfirm(_In):
    model_config = ConfigDict(str_strip_whitespace=False, extra="forbid")

    token: str = Field(min_length=1, max_length=200, description="The secret of the e-mailed link")
    new_password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)


class Accepted(BaseModel):
    detail: str


class ProfileUpdate(_In):
    """Fields left out stay as they are; ``null`` or an empty ``phone``, ``address`` or
    ``id_number`` clears it."""

    phone: str | None = Field(None, max_length=20, description="Vietnamese number, 0912345678")
    address: str | None = Field(None, max_length=255)
    id_number: str | None = Field(None, max_length=12, description="12 digits (CCCD)")

    _phone_ok = field_validator("phone")(_phone)

    @field_validator("address")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        return None if v is None else clean_name(v)

    _id_number_ok = field_validator("id_number")(_id_number)
