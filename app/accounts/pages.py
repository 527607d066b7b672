"""Account pages: register, log in, log out, the account's own pages under /tai-khoan (profile,
password change, forgotten password and the reset link), language switch; and the
administration of staff accounts under /quan-tri/nguoi-dung."""

from __future__ import annotations

from math import ceil
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from app.accounts import admin as user_admin
from app.accounts import (
    login_limits,
    oidc,
    passwords,
    schemas,
    selfservice,
    service,
    twofactor,
    twofactor_pages,
)
from app.accounts.deps import SESSION_COOKIE, client_ip, set_private_cookie
from app.accounts.events import FORGOT_PAGE, RESET_PAGE
from app.accounts.login_limits import device
from app.accounts.models import STAFF_ROLES, User
from app.accounts.schemas import RegisterIn
from app.accounts.throttle import LoginThrottled
from app.agencies import service as agency_service
from app.audit import service as audit_service
from app.config import get_settings
from app.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from app.i18n import LOCALE_COOKIE, LOCALES
from app.i18n_markers import N_
from app.web import forms as admin_forms
from app.web import render, translator, verify_csrf
from app.web.deps import CurrentUser, OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)

REGISTER_FIELDS = ("email", "full_name", "phone", "id_number")
_FIELD_MESSAGES = {
    "email": N_("Email không hợp lệ."),
    "password": N_("Mật khẩu cần ít nhất 8 ký tự."),
    "full_name": N_("Vui lòng nhập họ và tên (ít nhất hai chữ cái)."),
    "phone": N_("Số điện thoại không hợp lệ (ví dụ 0912345678)."),
    "id_number": N_("Số định danh cá nhân phải gồm đúng 12 chữ số."),
}
PAGE_SIZE = 50
USER_MESSAGES = {
    "email": N_("Email không hợp lệ."),
    "full_name": N_("Vui lòng nhập họ và tên (ít nhất hai chữ cái)."),
    "phone": N_("Số điện thoại không hợp lệ (ví dụ 0912345678)."),
    "password": N_("Mật khẩu cần ít nhất 8 ký tự."),
    "agency_code": N_("Chọn cơ quan."),
    "roles": N_("Chọn vai trò hợp lệ."),
}
_LABELS: dict[str, Any] = {"staff_roles": STAFF_ROLES}


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _set_session_cookie(response: Response, token: str) -> None:
    set_private_cookie(response, SESSION_COOKIE, token, get_settings().session_days * 86400)


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
        except (Conflict, InvalidInput) as exc:
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
    return render(
        request,
        "accounts/login.html",
        {"next": safe_next(next), "email": "", "eid_enabled": get_settings().oidc_enabled},
    )


@router.post("/dang-nhap", dependencies=[Depends(verify_csrf)])
async def login_submit(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    try:
        user = service.authenticate(session, email, password, client_ip(request), device(request))
    except LoginThrottled as exc:
        return login_limits.refused_page(request, exc, email, target)
    if user is None:
        audit_service.record_login(session, None, email, "web")
        _ = translator(request)
        return render(
            request,
            "accounts/login.html",
            {
                "next": target,
                "email": email,
                "error": _("Email hoặc mật khẩu không đúng."),
                "eid_enabled": get_settings().oidc_enabled,
            },
            status_code=401,
        )
    second = twofactor_pages.second_step(request, session, user, target)
    if second is not None:  # a code (or enrolment) first: no session yet
        audit_service.record_login(session, user, email, "web", second_factor=True)
        return second
    response = RedirectResponse(target or service.home_path(user), status_code=303)
    return twofactor_pages.log_in(request, session, user, response)


@router.post("/dang-xuat", dependencies=[Depends(verify_csrf)])
def logout(request: Request, session: SessionDep) -> Response:
    """End the portal session; after an e-ID login, the provider's too where it offers a
    logout endpoint (with ``id_token_hint`` and ``post_logout_redirect_uri``)."""
    token = request.cookies.get(SESSION_COOKIE)
    id_token = service.session_id_token(session, token)
    service.close_session(session, token)
    target = (oidc.end_session_url(id_token) if id_token else None) or "/?msg=logged_out"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/tai-khoan/dang-xuat-moi-noi", dependencies=[Depends(verify_csrf)])
def logout_everywhere(session: SessionDep, user: CurrentUser) -> Response:
    """ "Đăng xuất khỏi mọi thiết bị": every browser session and API token of the account
    ends, this one included."""
    service.end_sessions(session, user.id)
    response = RedirectResponse("/?msg=logged_out_everywhere", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/tai-khoan")
def account_home(request: Request, user: CurrentUser) -> Response:
    return render(request, "accounts/home.html", {"account": user})


# --- the account's own pages ------------------------------------------------------------------

PROFILE_FIELDS = ("phone", "address", "id_number")
PROFILE_MESSAGES = {
    "phone": N_("Số điện thoại không hợp lệ (ví dụ 0912345678)."),
    "address": N_("Địa chỉ dài tối đa 255 ký tự."),
    "id_number": N_("Số định danh cá nhân phải gồm đúng 12 chữ số."),
}
PASSWORD_MESSAGES = {
    "current_password": N_("Vui lòng nhập mật khẩu hiện tại."),
    "new_password": passwords.TOO_SHORT,
    "email": N_("Email không hợp lệ."),
}
_MISMATCH = N_("Mật khẩu nhập lại không khớp.")


def _private(response: Response) -> Response:
    """Pages that carry a secret in their address or form: sent nowhere else, kept nowhere."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _profile_values(user: User) -> dict[str, str]:
    return {"phone": user.phone, "address": user.address, "id_number": user.id_number or ""}


@router.get("/tai-khoan/thong-tin")
def profile_form(request: Request, user: CurrentUser) -> Response:
    return render(
        request,
        "accounts/profile.html",
        {"account": user, "values": _profile_values(user), "errors": {}},
    )


@router.post("/tai-khoan/thong-tin", dependencies=[Depends(verify_csrf)])
async def profile_submit(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    form = await request.form()

    def work() -> Response:
        values = {k: admin_forms.text(form, k, 400) for k in PROFILE_FIELDS}
        data, errors = admin_forms.parse(request, schemas.ProfileUpdate, values, PROFILE_MESSAGES)
        if data is not None:
            try:
                selfservice.update_profile(session, user, data)
            except (InvalidInput, Conflict) as exc:
                errors = admin_forms.domain_errors(request, exc)
            else:
                return RedirectResponse("/tai-khoan?msg=profile_saved", status_code=303)
        return render(
            request,
            "accounts/profile.html",
            {"account": user, "values": values, "errors": errors},
            status_code=422,
        )

    return await admin_forms.threaded(work)


@router.get("/tai-khoan/mat-khau")
def password_form(request: Request, user: CurrentUser) -> Response:
    return _private(render(request, "accounts/password.html", {"errors": {}}))


def _password_errors(
    request: Request, form: FormData, names: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, str]]:
    """The typed passwords, and the errors found before any service is asked."""
    _ = translator(request)
    typed = {name: str(form.get(name, "")) for name in (*names, "new_password_confirm")}
    errors: dict[str, str] = {}
    for name in names:
        if not typed[name]:
            errors[name] = _(PASSWORD_MESSAGES[name])
    if typed["new_password"] and len(typed["new_password"]) < passwords.MIN_LENGTH:
        errors["new_password"] = _(passwords.TOO_SHORT)
    elif len(typed["new_password"]) > passwords.MAX_LENGTH:
        errors["new_password"] = _(passwords.TOO_LONG)
    if typed["new_password"] != typed["new_password_confirm"]:
        errors.setdefault("new_password_confirm", _(_MISMATCH))
    return typed, errors


@router.post("/tai-khoan/mat-khau", dependencies=[Depends(verify_csrf)])
async def password_submit(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    form = await request.form()

    def work() -> Response:
        typed, errors = _password_errors(request, form, ("current_password", "new_password"))
        status = 422
        if not errors:
            try:
                selfservice.change_password(
                    session,
                    user,
                    typed["current_password"][: passwords.MAX_LENGTH],
                    typed["new_password"],
                    ip=client_ip(request),
                    keep_token=request.cookies.get(SESSION_COOKIE),
                )
            except (InvalidInput, TooManyRequests) as exc:
                # Returned, not raised: a wrong current password is recorded (throttling).
                errors = admin_forms.domain_errors(request, exc)
                if isinstance(exc, TooManyRequests):
                    errors, status = {"current_password": errors["form"]}, 429
                elif "current_password" in errors:  # say at once what is wrong with the new one
                    weak = passwords.weakness(typed["new_password"], service.personal_data(user))
                    if weak is not None:
                        errors["new_password"] = translator(request)(weak)
            else:
                return RedirectResponse("/tai-khoan?msg=password_changed", status_code=303)
        return _private(
            render(request, "accounts/password.html", {"errors": errors}, status_code=status)
        )

    return await admin_forms.threaded(work)


@router.get(FORGOT_PAGE)
def forgot_form(request: Request, user: OptionalUser, email: str = "") -> Response:
    values = {"email": email[:254] or (user.email if user else "")}
    return render(request, "accounts/forgot.html", {"values": values, "errors": {}})


@router.post(FORGOT_PAGE, dependencies=[Depends(verify_csrf)])
async def forgot_submit(request: Request, session: SessionDep) -> Response:
    form = await request.form()

    def work() -> Response:
        values = {"email": admin_forms.text(form, "email", 254)}
        data, errors = admin_forms.parse(
            request, schemas.PasswordResetRequest, values, PASSWORD_MESSAGES
        )
        status = 422
        if data is not None:
            try:
                selfservice.request_password_reset(session, data.email, client_ip(request))
            except TooManyRequests as exc:
                errors, status = {"email": translator(request)(exc.detail)}, 429
            else:
                return render(request, "accounts/forgot.html", {"values": values, "sent": True})
        return render(
            request,
            "accounts/forgot.html",
            {"values": values, "errors": errors},
            status_code=status,
        )

    return await admin_forms.threaded(work)


def _reset_page(
    request: Request, token: str, errors: dict[str, str], status: int = 200
) -> Response:
    context = {"token": token, "errors": errors, "link_error": errors.get("token")}
    return _private(render(request, "accounts/reset.html", context, status_code=status))


@router.get(RESET_PAGE)
def reset_form(request: Request, session: SessionDep, token: str = "") -> Response:
    """The page the e-mailed link opens: checks the link, uses nothing up (mail scanners
    open links too)."""
    token = token[:200]
    try:
        selfservice.reset_link_user(session, token)
    except InvalidInput as exc:
        return _reset_page(request, token, {"token": translator(request)(exc.detail)}, 422)
    return _reset_page(request, token, {})


@router.post(RESET_PAGE, dependencies=[Depends(verify_csrf)])
async def reset_submit(request: Request, session: SessionDep) -> Response:
    form = await request.form()

    def work() -> Response:
        token = str(form.get("token", ""))[:200]
        try:  # a dead link first: no point in fixing the password for it
            selfservice.reset_link_user(session, token)
        except InvalidInput as exc:
            return _reset_page(request, token, {"token": translator(request)(exc.detail)}, 422)
        typed, errors = _password_errors(request, form, ("new_password",))
        if not errors:
            try:
                selfservice.confirm_password_reset(session, token, typed["new_password"])
            except InvalidInput as exc:
                errors = admin_forms.domain_errors(request, exc)
            else:
                response = RedirectResponse("/dang-nhap?msg=password_reset", status_code=303)
                response.delete_cookie(SESSION_COOKIE, path="/")
                return _private(response)
        return _reset_page(request, token, errors, 422)

    return await admin_forms.threaded(work)


@router.get("/ngon-ngu/{lang}")
def switch_language(lang: str, next: str | None = None) -> Response:
    """Switch the interface language (works without JavaScript: a plain link)."""
    response = RedirectResponse(safe_next(next) or "/", status_code=303)
    if lang in LOCALES:
        response.set_cookie(LOCALE_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


# --- staff accounts (administration) ----------------------------------------------------------


def _user_page(
    request: Request,
    session: Session,
    user: User,
    *,
    target: User | None = None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return admin_forms.render_page(
        request,
        "accounts/user_form.html",
        {
            **_LABELS,
            "target": target,
            "values": values,
            "errors": errors or {},
            "choices": agency_service.agency_choices(session, user),
            "login_limits": user_admin.login_limits(session, user, target) if target else None,
            "two_factor": twofactor.get(session, target.id) if target else None,
        },
        status,
    )


@router.get("/quan-tri/nguoi-dung")
def users(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    agency: str = "",
    role: str = "",
    q: str = "",
    status: str = "active",
    page: int = 1,
) -> Response:
    if status not in ("active", "inactive", "all"):
        status = "active"
    if role not in (*STAFF_ROLES, "system_admin"):
        role = ""
    page = max(1, min(page, 10_000))
    flt = user_admin.UserFilter(agency=agency[:35], role=role, q=q[:100], status=status)
    rows, total = user_admin.list_users(session, user, flt, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    base = {k: v for k, v in (("agency", agency), ("role", role), ("q", q), ("status", status))}
    return admin_forms.render_page(
        request,
        "accounts/users.html",
        {
            **_LABELS,
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, ceil(total / PAGE_SIZE)),
            "filters": flt,
            "choices": agency_service.agency_choices(session, user),
            "page_url": lambda p: "/quan-tri/nguoi-dung?" + urlencode({**base, "page": p}),
        },
    )


@router.get("/quan-tri/nguoi-dung/them")
def user_new(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    agency: str = "",
) -> Response:
    service.require_admin_area(user)
    default = agency[:35] or (user.agency.code if user.agency else "")
    return _user_page(request, session, user, values={"agency_code": default, "roles": []})


def _user_values(form: FormData) -> dict[str, Any]:
    return {
        "email": admin_forms.text(form, "email", 254),
        "full_name": admin_forms.text(form, "full_name", 200),
        "phone": admin_forms.text(form, "phone", 40),
        "agency_code": admin_forms.text(form, "agency_code", 35),
        "roles": admin_forms.text_list(form, "roles"),
        "is_admin": admin_forms.checked(form, "is_admin"),
    }


def _password_page(request: Request, target: User, password: str, created: bool) -> Response:
    return admin_forms.render_page(
        request,
        "accounts/user_password.html",
        {"target": target, "password": password, "created": created},
    )


@router.post("/quan-tri/nguoi-dung/them", dependencies=[Depends(verify_csrf)])
async def user_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        values = _user_values(form)
        password = form.get("password", "")
        payload = {
            **values,
            "agency_code": values["agency_code"] or None,
            "password": password if isinstance(password, str) and password else None,
        }
        data, errors = admin_forms.parse(request, schemas.UserCreate, payload, USER_MESSAGES)
        if data is not None:
            try:
                target, generated = user_admin.create_user(session, user, data)
            except (InvalidInput, Conflict) as exc:
                errors = admin_forms.domain_errors(request, exc)
            else:
                if generated:
                    return _password_page(request, target, generated, created=True)
                return admin_forms.redirect(f"/quan-tri/nguoi-dung/{target.id}", "user_created")
        return _user_page(request, session, user, values=values, errors=errors, status=422)

    return await admin_forms.threaded(work)


def _target_values(target: User) -> dict[str, Any]:
    return {
        "email": target.email,
        "full_name": target.full_name,
        "phone": target.phone,
        "agency_code": target.agency.code if target.agency else "",
        "roles": sorted(target.roles),
        "is_admin": target.is_admin,
    }


@router.get("/quan-tri/nguoi-dung/{user_id}")
def user_edit(
    user_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    target = user_admin.get_user(session, user, user_id)
    return _user_page(request, session, user, target=target, values=_target_values(target))


@router.post("/quan-tri/nguoi-dung/{user_id}", dependencies=[Depends(verify_csrf)])
async def user_update(
    user_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        target = user_admin.get_user(session, user, user_id)
        values = {**_user_values(form), "email": target.email}
        payload: dict[str, Any] = {
            "full_name": values["full_name"],
            "phone": values["phone"],
            "agency_code": values["agency_code"],
            "roles": values["roles"],
        }
        if user.is_admin:
            payload["is_admin"] = values["is_admin"]
        else:
            values["is_admin"] = target.is_admin
        data, errors = admin_forms.parse(request, schemas.UserUpdate, payload, USER_MESSAGES)
        if data is not None:
            try:
                user_admin.update_user(session, user, user_id, data)
            except (InvalidInput, Conflict) as exc:
                errors = admin_forms.domain_errors(request, exc)
            else:
                return admin_forms.redirect(f"/quan-tri/nguoi-dung/{user_id}", "user_saved")
        return _user_page(
            request, session, user, target=target, values=values, errors=errors, status=422
        )

    return await admin_forms.threaded(work)


@router.post("/quan-tri/nguoi-dung/{user_id}/mat-khau", dependencies=[Depends(verify_csrf)])
async def user_password(
    user_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        target = user_admin.get_user(session, user, user_id)
        password = form.get("password", "")
        chosen = password if isinstance(password, str) and password else None
        try:
            generated = user_admin.reset_password(session, user, user_id, chosen)
        except InvalidInput as exc:
            errors = {"pw-password": translator(request)(exc.detail)}
            return _user_page(
                request,
                session,
                user,
                target=target,
                values=_target_values(target),
                errors=errors,
                status=422,
            )
        if generated:
            return _password_page(request, target, generated, created=False)
        return admin_forms.redirect(f"/quan-tri/nguoi-dung/{user_id}", "password_set")

    return await admin_forms.threaded(work)


@router.post("/quan-tri/nguoi-dung/{user_id}/{op}", dependencies=[Depends(verify_csrf)])
def user_activation(
    user_id: int,
    op: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    if op not in ("khoa", "mo-khoa"):
        raise NotFound(admin_forms.NOT_FOUND)
    active = op == "mo-khoa"
    try:
        user_admin.set_user_active(session, user, user_id, active)
    except Conflict as exc:
        target = user_admin.get_user(session, user, user_id)
        return _user_page(
            request,
            session,
            user,
            target=target,
            values=_target_values(target),
            errors=admin_forms.domain_errors(request, exc),
            status=409,
        )
    return admin_forms.redirect(
        f"/quan-tri/nguoi-dung/{user_id}", "user_unlocked" if active else "user_locked"
    )


router.include_router(login_limits.router)
