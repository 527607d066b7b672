"""Request dependencies that resolve the caller (session cookie or bearer token)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts import service
from app.accounts.models import User
from app.config import get_settings
from app.errors import Forbidden, Unauthorized
from app.i18n_markers import N_
from app.notifications import service as notification_service
from app.web import csrf_header_ok
from app.web.session import SessionDep

SESSION_COOKIE = "portal_session"


def set_private_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    """A cookie only this site's pages send back: HttpOnly, SameSite=Lax, Secure over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=get_settings().secure_cookies,
        samesite="lax",
        path="/",
    )


@dataclass(frozen=True)
class Viewer:
    """What pages show of the logged-in user: a plain snapshot that outlives the database
    session (an error page is rendered after the request's transaction was rolled back)."""

    id: int
    email: str
    full_name: str
    phone: str
    id_number: str | None
    created_at: datetime
    is_admin: bool
    is_staff: bool
    roles: frozenset[str]
    agency_name: str
    agency_code: str
    unread: int = 0  # unread in-app notices, shown in the page header

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @classmethod
    def of(cls, user: User, unread: int = 0) -> Viewer:
        return cls(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            phone=user.phone,
            id_number=user.id_number,
            created_at=user.created_at,
            is_admin=user.is_admin,
            is_staff=user.is_staff,
            roles=frozenset(user.roles),
            agency_name=user.agency.name if user.agency else "",
            agency_code=user.agency.code if user.agency else "",
            unread=unread,
        )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def _user_for_token(session: Session, token: str, kind: str) -> User | None:
    """The token's user: from the process's memory on the event loop when kept there (most
    requests: no threadpool turn), otherwise read from the database in the threadpool."""
    kept = service.kept_user_for_token(session, token, kind)
    if kept is not None:
        return kept
    return await run_in_threadpool(service.user_for_token, session, token, kind)


async def current_user_optional(request: Request, session: SessionDep) -> User | None:
    """The logged-in user, from ``Authorization: Bearer`` or the session cookie, or ``None``."""
    user: User | None = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = await _user_for_token(session, auth[7:].strip(), "api")
        if user is None:
            raise Unauthorized(N_("Mã truy cập không hợp lệ hoặc đã hết hạn."))
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            user = await _user_for_token(session, token, "web")
            unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
            api = request.url.path.startswith("/api/")
            # A cookie is sent by the browser on its own: unsafe API calls made with it must
            # prove they come from our pages.
            if user is not None and unsafe and api and not csrf_header_ok(request):
                raise Forbidden(N_("Thiếu hoặc sai mã CSRF (X-CSRF-Token)."))
    unread = 0
    if user is not None and not request.url.path.startswith("/api/"):
        # Pages show it.
        unread = await run_in_threadpool(notification_service.unread_count, session, user.id)
    request.state.user = Viewer.of(user, unread) if user is not None else None
    if user is not None:
        request.state.locale = request.cookies.get("lang") or user.locale
    return user


async def current_user(user: User | None = Depends(current_user_optional)) -> User:
    """The logged-in user; 401 (API) or a redirect to the login page (HTML) otherwise."""
    # async: no I/O here, so it runs on the event loop instead of taking a threadpool turn.
    if user is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    return user
