"""Jinja2 environment, template helpers (money, dates, i18n, CSRF) and page rendering.

The value formats themselves (money, dates, labels) are ``app.formatting``, shared with the
PDF forms and e-mails."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from fastapi_csrf_protect import CsrfProtect
from fastapi_csrf_protect.exceptions import CsrfProtectError
from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.responses import Response

from app.config import get_settings
from app.errors import Forbidden
from app.formatting import (
    DAY_PATTERN,
    PAPER_KINDS,
    ROLE_LABELS,
    TEMPLATE_DIR,
    day_text,
    deadline_parts,
    format_date,
    format_datetime,
    format_money,
    format_number,
)
from app.i18n import LOCALE_COOKIE, normalize_locale, translations
from app.i18n_markers import N_

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
CSRF_FIELD = "csrf_token"
CSRF_COOKIE = "portal_csrf"
CSRF_MAX_AGE = 8 * 3600


def content_disposition(filename: str, inline: bool = False) -> str:
    """A Content-Disposition header that keeps Vietnamese file names (RFC 6266 filename*)."""
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "").strip() or "file"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def private_download(data: bytes, media_type: str, filename: str) -> Response:
    """A file only its reader may see: downloaded under its own name, never cached."""
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(filename),
            "Cache-Control": "private, no-store",
        },
    )


@CsrfProtect.load_config
def _csrf_config() -> list[tuple[str, Any]]:
    settings = get_settings()
    return [
        ("secret_key", settings.secret_key),
        ("cookie_key", CSRF_COOKIE),
        ("cookie_secure", settings.secure_cookies),
        ("cookie_samesite", "lax"),
        ("token_location", "body"),
        ("token_key", CSRF_FIELD),
        ("max_age", CSRF_MAX_AGE),
    ]


def _csrf_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="fastapi-csrf-token")


def _csrf_tokens(request: Request) -> tuple[str, str | None]:
    """Reuse the browser's valid CSRF cookie (several tabs keep working); else mint one."""
    signed = request.cookies.get(CSRF_COOKIE)
    if signed:
        try:
            return str(_csrf_serializer().loads(signed, max_age=CSRF_MAX_AGE // 2)), None
        except BadData:
            pass
    token, signed = CsrfProtect().generate_csrf_tokens()
    return token, signed


async def verify_csrf(request: Request, csrf: CsrfProtect = Depends()) -> None:
    """Dependency for every HTML form POST: the form's token must match the signed cookie."""
    await request.form()
    try:
        await csrf.validate_csrf(request)
    except CsrfProtectError as exc:
        raise Forbidden(
            translator(request)(N_("Phiên biểu mẫu đã hết hạn, vui lòng tải lại trang và thử lại."))
        ) from exc


def csrf_header_ok(request: Request) -> bool:
    """For API calls made by our own pages with the session cookie: the X-CSRF-Token header
    must carry the token signed in the CSRF cookie (double submit)."""
    signed = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get("x-csrf-token", "")
    if not signed or not sent:
        return False
    try:
        return bool(_csrf_serializer().loads(signed, max_age=CSRF_MAX_AGE) == sent)
    except BadData:
        return False


def request_locale(request: Request) -> str:
    return normalize_locale(
        getattr(request.state, "locale", None) or request.cookies.get(LOCALE_COOKIE)
    )


def translator(request: Request) -> Any:
    return translations(request_locale(request)).gettext


@lru_cache
def templates() -> Jinja2Templates:
    tpl = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = tpl.env
    env.autoescape = True
    env.filters["money"] = format_money
    env.filters["number"] = format_number
    env.filters["deadline"] = deadline_parts
    env.filters["date"] = format_date
    env.filters["datetime"] = format_datetime
    env.filters["day_text"] = day_text
    env.globals["day_pattern"] = DAY_PATTERN
    env.globals["settings"] = get_settings()
    env.globals["role_labels"] = ROLE_LABELS
    env.globals["paper_kinds"] = PAPER_KINDS
    return tpl


# Query parameters the language switch does not carry over: a one-off message, and secrets
# (a password-reset token) that must not travel on in another address.
_NOT_CARRIED = frozenset({"msg", "token", "secret"})


def same_page(request: Request) -> str:
    """This page's path with its query (``?q=…``, filters, pages), for the language switch."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in _NOT_CARRIED]
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """Render a page in the request's language with the user, CSRF token and helpers."""
    locale = request_locale(request)
    trans = translations(locale)
    token, new_cookie = _csrf_tokens(request)
    ctx: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "_": trans.gettext,
        "ngettext": trans.ngettext,
        "user": getattr(request.state, "user", None),
        "csrf_token": token,
        "csrf_field": CSRF_FIELD,
        "flash": request.query_params.get("msg"),
        "same_page": same_page(request),
    }
    ctx.update(context or {})
    response = templates().TemplateResponse(request, template, ctx, status_code=status_code)
    if new_cookie:
        CsrfProtect().set_csrf_cookie(new_cookie, response)
    return response


_ERROR_TITLES = {
    401: N_("Bạn cần đăng nhập"),
    403: N_("Không có quyền truy cập"),
    404: N_("Không tìm thấy trang"),
    409: N_("Xung đột dữ liệu"),
    413: N_("Tệp quá lớn"),
    415: N_("Định dạng không được hỗ trợ"),
    422: N_("Dữ liệu không hợp lệ"),
    429: N_("Quá nhiều yêu cầu"),
    500: N_("Lỗi hệ thống"),
}


def render_error_page(request: Request, status_code: int, detail: str) -> Response:
    _ = translator(request)
    fallback = N_("Đã có lỗi xảy ra")  # a separate line: babel skips markers nested in calls
    title = _(_ERROR_TITLES.get(status_code, fallback))
    return render(
        request,
        "errors/error.html",
        {"status_code": status_code, "title": title, "detail": _(detail) if detail else ""},
        status_code=status_code,
    )
