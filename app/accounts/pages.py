"""Account pages: register, log in, log out, the citizen's own page, language switch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from app.accounts import service
from app.accounts.deps import SESSION_COOKIE, client_ip
from app.accounts.schemas import RegisterIn
from app.audit import service as audit_service
from app.config import get_settings
from app.errors import Conflict
from app.i18n import LOCALE_COOKIE, LOCALES
from app.i18n_markers import N_
from app.web import render, translator, verify_csrf
from app.web.deps import CurrentUser, OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)

REGISTER_FIELDS = ("email", "full_name", "phone", "id_number")
_FIELD_MESSAGES = {
    "email": N_("Email không hợp lệ."),
    "password": N_("Mật khẩu cần ít nhất 8 ký tự."),
    "full_name": N_("Vui lòng nhập họ và tên."),
    "phone": N_("Số điện thoại không hợp lệ (ví dụ 0912345678)."),
    "id_number": N_("Số định danh cá nhân phải gồm đúng 12 chữ số."),
}


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


@router.get("/dang-ky")
def register_form(request: Request, user: OptionalUser) -> Response:
    return render(request, "accounts/register.html", {"values": {}, "errors": {}})


@router.post("/dang-ky", dependencies=[Depends(verify_csrf)])
async def register_submit(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in (*REGISTER_FIELDS, "password")}
    _ = translator(request)
    errors: dict[str, str] = {}
    if values["password"] != str(form.get("password_confirm", "")):
        errors["password_confirm"] = _("Mật khẩu nhập lại không khớp.")
    try:
        data = RegisterIn(**{**values, "id_number": values["id_number"] or None})
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "email"
            fallback = N_("Giá trị không hợp lệ.")  # own line: babel skips nested markers
            errors.setdefault(name, _(_FIELD_MESSAGES.get(name, fallback)))
        data = None
    if data is not None and not errors:
        try:
            user = service.register_citizen(session, data)
        except Conflict as exc:
            for name in exc.fields:
                errors[name] = _(exc.detail)
        else:
            token, _lifetime = service.open_session(session, user, "web", client_ip(request))
            response = RedirectResponse("/tai-khoan?msg=registered", status_code=303)
            _set_session_cookie(response, token)
            return response
    values.pop("password")
    return render(
        request, "accounts/register.html", {"values": values, "errors": errors}, status_code=422
    )


@router.get("/dang-nhap")
def login_form(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    return render(request, "accounts/login.html", {"next": safe_next(next), "email": ""})


@router.post("/dang-nhap", dependencies=[Depends(verify_csrf)])
async def login_submit(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    user = service.authenticate(session, email, password, client_ip(request))
    audit_service.record_login(session, user, email, "web")
    if user is None:
        _ = translator(request)
        return render(
            request,
            "accounts/login.html",
            {"next": target, "email": email, "error": _("Email hoặc mật khẩu không đúng.")},
            status_code=401,
        )
    # A fresh session at every login (no session fixation): the old one is dropped.
    service.close_session(session, request.cookies.get(SESSION_COOKIE))
    token, _lifetime = service.open_session(session, user, "web", client_ip(request))
    response = RedirectResponse(target or service.home_path(user), status_code=303)
    _set_session_cookie(response, token)
    return response


@router.post("/dang-xuat", dependencies=[Depends(verify_csrf)])
def logout(request: Request, session: SessionDep) -> Response:
    service.close_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/?msg=logged_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/tai-khoan")
def account_home(request: Request, user: CurrentUser) -> Response:
    return render(request, "accounts/home.html", {})


@router.get("/ngon-ngu/{lang}")
def switch_language(lang: str, next: str | None = None) -> Response:
    """Switch the interface language (works without JavaScript: a plain link)."""
    response = RedirectResponse(safe_next(next) or "/", status_code=303)
    if lang in LOCALES:
        response.set_cookie(LOCALE_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response
