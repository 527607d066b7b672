"""Two-factor login in the JSON API (SPEC §15): the caller's authenticator app (enrol,
confirm, status, turn off), an admin's reset of a lost one, and the agency setting that
requires it. The token endpoint (``api.token``) asks ``otp_refusal`` after the password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.accounts import twofactor
from app.accounts.deps import client_ip
from app.accounts.models import User
from app.errors import DomainError, InvalidInput, TooManyRequests
from app.web.deps import CurrentUser, SessionDep
from app.web.errors import error_body, translate_for_api

# Same prefixes and tags as the accounts API; the OpenAPI lock shows on the same scheme.
# Declared so that OpenAPI shows the bearer lock; resolution is done by current_user.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
auth = APIRouter(prefix="/api/v1/auth/totp", tags=["auth"], dependencies=[Depends(_bearer)])
admin = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[Depends(_bearer)])


class EnrolmentOut(BaseModel):
    secret: str = Field(description="Base32 secret, for typing into the app by hand")
    otpauth_uri: str = Field(description="otpauth:// address, for the app's QR scanner")


class OtpIn(BaseModel):
    otp: str = Field(min_length=1, max_length=20, description="6-digit code of the app")


class RecoveryCodesOut(BaseModel):
    enabled: bool
    recovery_codes: list[str] = Field(description="Single-use codes, shown only this once")


class DisableIn(BaseModel):
    otp: str = Field("", max_length=20, description="A current code of the app")
    password: str = Field("", max_length=200, description="Or the account's password")


class StatusOut(BaseModel):
    enabled: bool
    required: bool = Field(description="The user's agency requires two-factor login")
    recovery_codes_left: int


class ResetOut(BaseModel):
    user_id: int
    enabled: bool


class AgencyRequirementIn(BaseModel):
    required: bool


class AgencyRequirementOut(BaseModel):
    code: str
    require_two_factor: bool


def refusal(request: Request, exc: DomainError) -> JSONResponse:
    """A refusal returned, not raised: the failed attempt it recorded is committed."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return JSONResponse(
        error_body(exc.code, translate_for_api(request, exc.detail), exc.fields),
        status_code=exc.status_code,
        headers=headers,
    )


def otp_refusal(
    request: Request, session: Session, user: User, otp: str | None
) -> JSONResponse | None:
    """For the token endpoint, after the right password: the answer when the second factor
    is missing or wrong (401 ``otp_required`` / ``otp_invalid`` / ``otp_used``, 403
    ``otp_enrolment_required``, 429), or ``None`` to issue the token."""
    try:
        twofactor.check_login(session, user, otp, client_ip(request))
    except DomainError as exc:
        return refusal(request, exc)
    return None


def _status(session: Session, user: User) -> StatusOut:
    return StatusOut(
        enabled=twofactor.is_enabled(session, user.id),
        required=twofactor.required_for(user),
        recovery_codes_left=twofactor.recovery_codes_left(session, user.id),
    )


@auth.get("", response_model=StatusOut)
def status(session: SessionDep, user: CurrentUser) -> StatusOut:
    """Whether the caller logs in with a code, and whether their agency requires it."""
    return _status(session, user)


@auth.post("/enrol", response_model=EnrolmentOut, responses={409: {"description": "Already on"}})
def enrol(session: SessionDep, user: CurrentUser) -> EnrolmentOut:
    """Start setting up an authenticator app: a new secret and its otpauth:// address (issuer
    "Một cửa", account the e-mail). Nothing changes at login until ``confirm``."""
    started = twofactor.enrol(session, user)
    return EnrolmentOut(secret=started.secret, otpauth_uri=started.otpauth_uri)


@auth.post(
    "/confirm",
    response_model=RecoveryCodesOut,
    responses={
        409: {"description": "Not enrolled, or already on"},
        422: {"description": "Wrong code"},
    },
)
def confirm(data: OtpIn, session: SessionDep, user: CurrentUser) -> RecoveryCodesOut:
    """Turn two-factor login on with a code of the app; returns ten single-use recovery codes,
    only this once. From now on the token endpoint needs ``otp`` too."""
    codes = twofactor.confirm(session, user, data.otp)
    return RecoveryCodesOut(enabled=True, recovery_codes=codes)


@auth.post(
    "/recovery-codes",
    response_model=RecoveryCodesOut,
    responses={409: {"description": "Two-factor login is off"}},
)
def new_recovery_codes(session: SessionDep, user: CurrentUser) -> RecoveryCodesOut:
    """Ten new recovery codes (shown once); the old ones stop working."""
    return RecoveryCodesOut(
        enabled=True, recovery_codes=twofactor.regenerate_recovery_codes(session, user)
    )


@auth.post(
    "/disable",
    response_model=StatusOut,
    responses={
        403: {"description": "The agency requires two-factor login"},
        409: {"description": "Two-factor login is off"},
        422: {"description": "Wrong password"},
        401: {"description": "Wrong or reused code"},
    },
)
def disable(
    request: Request, data: DisableIn, session: SessionDep, user: CurrentUser
) -> StatusOut | JSONResponse:
    """Turn two-factor login off with a current code (``otp``) or the password."""
    try:
        twofactor.disable(
            session, user, otp=data.otp, password=data.password, ip=client_ip(request)
        )
    except (twofactor.OtpInvalid, twofactor.OtpUsed, InvalidInput, TooManyRequests) as exc:
        return refusal(request, exc)  # the wrong code or password is recorded (throttling)
    return _status(session, user)


@admin.post(
    "/users/{user_id}/totp/reset",
    response_model=ResetOut,
    responses={409: {"description": "Two-factor login is off for this account"}},
)
def reset(user_id: int, session: SessionDep, user: CurrentUser) -> ResetOut:
    """Turn off an account's two-factor login (a lost phone): system admins, agency admins for
    their subtree's staff. The account's sessions end; audited."""
    target = twofactor.admin_reset(session, user, user_id)
    return ResetOut(user_id=target.id, enabled=False)


@admin.put("/agencies/{code}/two-factor", response_model=AgencyRequirementOut)
def agency_requirement(
    code: str, data: AgencyRequirementIn, session: SessionDep, user: CurrentUser
) -> AgencyRequirementOut:
    """Require two-factor login of every staff member of the agency (or stop): system admins,
    agency admins of its subtree. Staff without it are logged out and enrol at their next
    login; audited."""
    agency = twofactor.set_agency_requirement(session, user, code[:35], data.required)
    return AgencyRequirementOut(code=agency.code, require_two_factor=agency.require_two_factor)


router = APIRouter()
router.include_router(auth)
router.include_router(admin)
