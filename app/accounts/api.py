"""Account endpoints of the JSON API: registration and OAuth2 password-flow tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm

from app.accounts import service
from app.accounts.deps import client_ip
from app.accounts.models import User
from app.accounts.schemas import RegisterIn, TokenOut, UserRead
from app.audit import service as audit_service
from app.web.deps import CurrentUser, SessionDep
from app.web.errors import error_body

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
# Declared so that OpenAPI shows the password flow; resolution is done by current_user.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def user_read(user: User) -> UserRead:
    data = UserRead.model_validate(user)
    data.agency_code = user.agency.code if user.agency else None
    data.roles = sorted(user.roles)
    return data


@router.post("/register", response_model=UserRead, status_code=201)
def register(data: RegisterIn, session: SessionDep) -> UserRead:
    """Register a citizen account."""
    return user_read(service.register_citizen(session, data))


@router.post(
    "/token",
    response_model=TokenOut,
    responses={401: {"description": "Wrong e-mail or password"}, 429: {"description": "Locked"}},
)
def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
) -> TokenOut | JSONResponse:
    """Exchange e-mail (``username``) and password for a bearer token."""
    user = service.authenticate(session, form.username, form.password, client_ip(request))
    audit_service.record_login(session, user, form.username, "api")
    if user is None:
        # Returned, not raised: the failed attempt must be committed for throttling to work.
        return JSONResponse(
            error_body("unauthorized", "Email hoặc mật khẩu không đúng."),
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    access, lifetime = service.open_session(session, user, "api", client_ip(request))
    return TokenOut(access_token=access, expires_in=lifetime)


@router.get("/me", response_model=UserRead, dependencies=[Depends(oauth2_scheme)])
def me(user: CurrentUser) -> UserRead:
    """The account behind the bearer token."""
    return user_read(user)
