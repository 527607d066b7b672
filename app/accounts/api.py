"""Account endpoints of the JSON API: registration and OAuth2 password-flow tokens; and the
administration of staff accounts (the same service as the /quan-tri/nguoi-dung pages, with the
same scope: system admins everywhere, agency admins in their agency subtree)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm

from app.accounts import admin as user_admin
from app.accounts import schemas, service
from app.accounts.deps import client_ip
from app.accounts.models import User
from app.accounts.schemas import RegisterIn, TokenOut, UserRead
from app.audit import service as audit_service
from app.web.deps import CurrentUser, SessionDep
from app.web.errors import error_body

auth = APIRouter(prefix="/api/v1/auth", tags=["auth"])
admin = APIRouter(prefix="/api/v1/admin", tags=["admin"])
# Declared so that OpenAPI shows the password flow; resolution is done by current_user.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


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


@auth.get("/me", response_model=UserRead, dependencies=[Depends(oauth2_scheme)])
def me(user: CurrentUser) -> UserRead:
    """The account behind the bearer token."""
    return user_read(user)


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
