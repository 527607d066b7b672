"""The web side of login throttling (``app.accounts.throttle``): the refusal as a login page
or a JSON answer that says when to try again, the ``portal_device`` cookie that makes a
browser a known client, and the admin's button that lifts an account's login limits
(``/quan-tri/nguoi-dung/{id}/dang-nhap/go-han-che``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from app.accounts import admin as user_admin
from app.accounts import throttle
from app.accounts.deps import set_private_cookie
from app.accounts.models import User
from app.config import get_settings
from app.web import forms as admin_forms
from app.web import render, translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep
from app.web.errors import error_body, translate_for_api

router = APIRouter(include_in_schema=False)


def device(request: Request) -> str | None:
    """The browser's ``portal_device`` cookie, as sent."""
    return request.cookies.get(throttle.DEVICE_COOKIE)


def remember_device(request: Request, response: Response, user: User) -> None:
    """After a successful login this browser is a known client of the account."""
    set_private_cookie(
        response,
        throttle.DEVICE_COOKIE,
        throttle.device_cookie(user, device(request)),
        get_settings().login_device_days * 86400,
    )


def refused_page(
    request: Request, exc: throttle.LoginThrottled, email: str, target: str | None
) -> Response:
    """The login form again, saying until when logins from here are refused (429)."""
    response = render(
        request,
        "accounts/login.html",
        {"next": target, "email": email, "error": exc.message(translator(request))},
        status_code=exc.status_code,
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def refused_json(request: Request, exc: throttle.LoginThrottled) -> JSONResponse:
    """The API's 429, saying until when (``detail``) and in how many seconds (``Retry-After``)."""
    detail = exc.message(lambda text: translate_for_api(request, text))
    return JSONResponse(
        error_body(exc.code, detail),
        status_code=exc.status_code,
        headers={"Retry-After": str(exc.retry_after)},
    )


@router.post(
    "/quan-tri/nguoi-dung/{user_id}/dang-nhap/go-han-che", dependencies=[Depends(verify_csrf)]
)
def clear_login_limits(user_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """Lift every login wait of an account the admin manages (audited)."""
    user_admin.clear_login_limits(session, user, user_id)
    return admin_forms.redirect(f"/quan-tri/nguoi-dung/{user_id}", "login_limits_cleared")
