"""Error handlers: domain errors, validation errors and HTTP errors as JSON under ``/api`` and
as an HTML page (or a redirect to the login page) elsewhere."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, StatementError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import Conflict, DomainError, InvalidInput, InvalidJSON
from app.i18n import translations
from app.i18n_markers import N_
from app.web import render_error_page

log = logging.getLogger(__name__)


INVALID_JSON = N_("Nội dung yêu cầu không phải JSON hợp lệ.")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/healthz", "/openapi.json")


def error_body(code: str, detail: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def translate_for_api(request: Request, detail: str) -> str:
    """API messages are Vietnamese unless the client asks for English (Accept-Language)."""
    if request.headers.get("accept-language", "").lower().startswith("en"):
        return translations("en").gettext(detail)
    return detail


def _validation_fields(exc: RequestValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        name = ".".join(loc) or "request"
        fields.setdefault(name, str(err.get("msg", "invalid")))
    return fields


def login_redirect(request: Request) -> Response:
    """Send a browser to the login page, coming back to where it was going."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/dang-nhap?next={quote(target)}", status_code=303)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if wants_json(request):
            detail = translate_for_api(request, exc.detail)
            return JSONResponse(
                error_body(exc.code, detail, exc.fields), exc.status_code, headers=headers
            )
        if exc.status_code == 401:
            return login_redirect(request)
        return render_error_page(request, exc.status_code, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            # Pydantic's "1: JSON decode error" names a character position, not the problem.
            return await _domain(request, InvalidJSON(INVALID_JSON))
        fields = _validation_fields(exc)
        detail = "; ".join(f"{k}: {v}" for k, v in fields.items())
        if wants_json(request):
            return JSONResponse(error_body("invalid_input", detail, fields), 422)
        return render_error_page(request, 422, detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else code
        if wants_json(request):
            return JSONResponse(
                error_body(code, detail), exc.status_code, headers=getattr(exc, "headers", None)
            )
        return render_error_page(request, exc.status_code, detail)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        # A number or text the database cannot hold (e.g. an id beyond 2^31): bad input.
        invalid = InvalidInput(N_("Giá trị vượt quá giới hạn cho phép."))
        return await _domain(request, invalid)

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> Response:
        # A parameter that cannot be bound (a moment beyond year 1–9999 once in UTC) is bad
        # input like a number too large; any other statement error is a fault of ours (on to
        # the handler of unexpected errors).
        if isinstance(exc.orig, OverflowError):
            return await _out_of_range(request, exc)
        raise exc

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> Response:
        # A concurrent update detected at commit time: the same answer as in the services.
        conflict = Conflict(N_("Hồ sơ vừa được người khác xử lý. Vui lòng tải lại và thử lại."))
        return await _domain(request, conflict)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if wants_json(request):
            return JSONResponse(error_body("internal_error", "Internal server error"), 500)
        return render_error_page(request, 500, "")
