"""Account endpoints of the JSON API: registration and OAuth2 password-flow tokens; the
caller's own account (password change, reset by e-mail, profile: ``selfservice``); and the
administration of staff accounts (the same service as the /quan-tri/nguoi-dung pages, with the
same scope: system admins everywhere, agency admins in their agency subtree)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm

from app.accounts import admin as user_admin
from app.accounts import schemas, selfservice, service, twofactor_api
from app.accounts.deps import SESSION_COOKIE, client_ip
from app.accounts.login_limits import device, refused_json
from app.accounts.models import User
from app.accounts.schemas import RegisterIn, TokenOut, UserRead
from app.accounts.throttle import LoginThrottled
from app.audit import service as audit_service
from app.errors import InvalidInput, TooManyRequests
from app.web.deps import CurrentUser, SessionDep
from app.web.errors import error_body, translate_for_api

auth = APIRouter(prefix="/api/v1/auth", tags=["auth"])
admin = APIRouter(prefix="/api/v1/admin", tags=["admin"])
# Declared so that OpenAPI shows the password flow; resolution is done by current_user.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
OTP_HELP = "With two-factor login on: the 6-digit code of the app, or a recovery code"


def user_read(user: User) -> UserRead:
    data = UserRead.model_validate(user)
    data.agency_code = user.agency.code if user.agency else None
    data.roles = sorted(user.roles)
    return data


@auth.post("/register", response_model=UserRead, status_code=201)
def register(data: RegisterIn, session: SessionDep) -> UserRead:
    """Register a citizen account."""
    return user_read(service.register_citizen(session, data))


@auth.post(
    "/token",
    response_model=TokenOut,
    responses={
        401: {"description": "Wrong e-mail or password; otp_required, otp_invalid, otp_used"},
        403: {"description": "otp_enrolment_required: the agency requires two-factor login"},
        429: {"description": "Too many wrong passwords or codes: the detail says when to retry"},
    },
)
def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    otp: Annotated[str | None, Form(max_length=20, description=OTP_HELP)] = None,
) -> TokenOut | JSONResponse:
    """Exchange e-mail (``username``) and password for a bearer token; with two-factor login
    on, ``otp`` too (a code of the app, or a recovery code: each works once)."""
    try:
        user = service.authenticate(
            session, form.username, form.password, client_ip(request), device(request)
        )
    except LoginThrottled as exc:
        return refused_json(request, exc)
    if user is None:
        audit_service.record_login(session, None, form.username, "api")
        # Returned, not raised: the failed attempt must be committed for throttling to work.
        return JSONResponse(
            error_body("unauthorized", "Email hoặc mật khẩu không đúng."),
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    refused = twofactor_api.otp_refusal(request, session, user, otp)
    if refused is not None:
        audit_service.record_login(session, user, form.username, "api", second_factor=True)
        return refused
    audit_service.record_login(session, user, form.username, "api")
    access, lifetime = service.open_session(session, user, "api", client_ip(request))
    return TokenOut(access_token=access, expires_in=lifetime)


@auth.get("/me", response_model=UserRead, dependencies=[Depends(oauth2_scheme)])
def me(user: CurrentUser) -> UserRead:
    """The account behind the bearer token."""
    return user_read(user)


@auth.patch(
    "/me",
    response_model=UserRead,
    dependencies=[Depends(oauth2_scheme)],
    responses={409: {"description": "The ID number belongs to another account"}},
)
def update_me(data: schemas.ProfileUpdate, session: SessionDep, user: CurrentUser) -> UserRead:
    """Change the caller's phone, address or ID number (the fields given; empty clears).
    New dossiers are prefilled from them."""
    return user_read(selfservice.update_profile(session, user, data))


def _caller_token(request: Request) -> str | None:
    """The secret that authenticated this request: the bearer token or the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


@auth.post(
    "/logout",
    status_code=204,
    dependencies=[Depends(oauth2_scheme)],
    responses={401: {"description": "No valid token"}},
)
def logout(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    everywhere: bool = Query(False, description="End every session and token of the user"),
) -> Response:
    """Revoke the token (or browser session) that made this call; with ``everywhere=true``
    every browser session and API token of the user."""
    if everywhere:
        service.end_sessions(session, user.id)
    else:
        service.close_session(session, _caller_token(request))
    response = Response(status_code=204)
    if everywhere or not request.headers.get("authorization"):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _refused(request: Request, exc: InvalidInput | TooManyRequests) -> JSONResponse:
    # Returned, not raised: what the refusal recorded (a failed attempt, a rate-limit hit) is
    # committed with the request.
    detail = translate_for_api(request, exc.detail)
    return JSONResponse(error_body(exc.code, detail, exc.fields), status_code=exc.status_code)


@auth.post(
    "/password",
    response_model=schemas.PasswordChanged,
    dependencies=[Depends(oauth2_scheme)],
    responses={
        422: {"description": "Wrong current password, or a new password that is refused"},
        429: {"description": "Too many wrong passwords"},
    },
)
def change_password(
    request: Request,
    data: schemas.PasswordChangeIn,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.PasswordChanged | JSONResponse:
    """Change the caller's password. The account's other browser sessions and API tokens end;
    the token (or session) that made this call stays valid."""
    try:
        ended = selfservice.change_password(
            session,
            user,
            data.current_password,
            data.new_password,
            ip=client_ip(request),
            keep_token=_caller_token(request),
        )
    except InvalidInput as exc:
        return _refused(request, exc)
    detail = translate_for_api(request, selfservice.PASSWORD_CHANGED)
    return schemas.PasswordChanged(detail=detail, other_sessions_ended=ended)


@auth.post(
    "/password-reset",
    response_model=schemas.Accepted,
    status_code=202,
    responses={429: {"description": "Too many requests for this address or from this client"}},
)
def request_password_reset(
    request: Request, data: schemas.PasswordResetRequest, session: SessionDep
) -> schemas.Accepted | JSONResponse:
    """Ask for a password-reset link by e-mail. The answer is the same whether or not the
    address has an account; the link works once, for 30 minutes."""
    try:
        selfservice.request_password_reset(session, data.email, client_ip(request))
    except TooManyRequests as exc:
        return _refused(request, exc)
    return schemas.Accepted(detail=translate_for_api(request, selfservice.RESET_ACCEPTED))


@auth.post(
    "/password-reset/confirm",
    response_model=schemas.Accepted,
    responses={422: {"description": "Unknown, used or expired link, or a refused password"}},
)
def confirm_password_reset(
    request: Request, data: schemas.PasswordResetConfirm, session: SessionDep
) -> schemas.Accepted:
    """Set a new password with the secret of an e-mailed link (once). Every session and token
    of the account ends."""
    selfservice.confirm_password_reset(session, data.token, data.new_password)
    return schemas.Accepted(detail=translate_for_api(request, selfservice.PASSWORD_RESET))


# --- staff accounts (administration) ----------------------------------------------------------


@admin.get("/users", response_model=schemas.UserPage)
def list_users(
    session: SessionDep,
    user: CurrentUser,
    agency: str = Query("", max_length=35, description="Agency code"),
    role: str = Query("", max_length=20, description="A staff role, or system_admin"),
    q: str = Query("", max_length=100, description="Part of the e-mail or name"),
    status: str = Query("active", pattern="^(active|inactive|all)$"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> schemas.UserPage:
    """Staff and admin accounts the caller administers."""
    flt = user_admin.UserFilter(agency=agency, role=role, q=q, status=status)
    rows, total = user_admin.list_users(session, user, flt, limit, offset)
    return schemas.UserPage(
        items=[user_admin.user_read(u) for u in rows], total=total, limit=limit, offset=offset
    )


@admin.post("/users", response_model=schemas.UserCreated, status_code=201)
def create_user(
    data: schemas.UserCreate,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.UserCreated:
    """Create a staff account; without `password` one is generated and returned once."""
    created, generated = user_admin.create_user(session, user, data)
    return schemas.UserCreated(user=user_admin.user_read(created), password=generated)


@admin.get("/users/{user_id}", response_model=schemas.UserAdminRead)
def get_user(
    user_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.UserAdminRead:
    """One account the caller administers."""
    return user_admin.user_read(user_admin.get_user(session, user, user_id))


@admin.patch("/users/{user_id}", response_model=schemas.UserAdminRead)
def update_user(
    user_id: int,
    data: schemas.UserUpdate,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.UserAdminRead:
    """Edit an account: name, phone, agency, roles, system-admin flag, active or locked."""
    return user_admin.user_read(user_admin.update_user(session, user, user_id, data))


@admin.post("/users/{user_id}/reset-password", response_model=schemas.PasswordResetDone)
def reset_password(
    user_id: int,
    data: schemas.PasswordReset,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.PasswordResetDone:
    """Set a new password (or generate one, returned once); the account's sessions end."""
    generated = user_admin.reset_password(session, user, user_id, data.password)
    return schemas.PasswordResetDone(password=generated)


router = APIRouter()
router.include_router(auth)
router.include_router(admin)
