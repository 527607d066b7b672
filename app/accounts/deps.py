"""Request dependencies that resolve the caller (session cookie or bearer token)."""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.models import User
from app.db import get_session
from app.errors import Unauthorized

SESSION_COOKIE = "portal_session"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def current_user_optional(request: Request, session: Session = Depends(get_session)) -> User | None:
    """The logged-in user, from ``Authorization: Bearer`` or the session cookie, or ``None``."""
    user: User | None = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = service.user_for_token(session, auth[7:].strip(), "api")
        if user is None:
            raise Unauthorized("Mã truy cập không hợp lệ hoặc đã hết hạn.")
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            user = service.user_for_token(session, token, "web")
    request.state.user = user
    if user is not None:
        request.state.locale = request.cookies.get("lang") or user.locale
    return user


def current_user(user: User | None = Depends(current_user_optional)) -> User:
    """The logged-in user; 401 (API) or a redirect to the login page (HTML) otherwise."""
    if user is None:
        raise Unauthorized("Bạn cần đăng nhập.")
    return user
