"""What the administration pages of every domain share (agencies, accounts, the procedure
designer, calendar, receipt series, certificates): plain HTML forms that work without
JavaScript, and a rejected form comes back with the values as typed, an error summary and
each message next to its field. Authorisation is in the services.

The pages themselves live with their domain; the admin home is ``app.admin.pages`` and the
navigation ``templates/admin/_nav.html`` (with the form macros and flash messages).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from app.errors import DomainError
from app.i18n_markers import N_
from app.web import render, translator

M = TypeVar("M", bound=BaseModel)
NOT_FOUND = N_("Không tìm thấy trang")


def redirect(path: str, msg: str | None = None, **query: Any) -> RedirectResponse:
    """303 to ``path`` with a flash message (``msg``) and the non-empty query values."""
    params = {k: v for k, v in query.items() if v not in (None, "")}
    if msg:
        params["msg"] = msg
    return RedirectResponse(f"{path}?{urlencode(params)}" if params else path, status_code=303)


def parse(
    request: Request, model: type[M], data: Mapping[str, Any], messages: Mapping[str, str]
) -> tuple[M | None, dict[str, str]]:
    """Validate form data into ``model``; on failure one translated message per field."""
    _ = translator(request)
    try:
        return model.model_validate(dict(data)), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            loc = err.get("loc", ())
            name = str(loc[0]) if loc else "form"
            if name == "form" and "options" in str(err.get("msg", "")):
                name = "options"  # the select-needs-options check of the whole field
            elif name == "form" and "min_date:" in str(err.get("msg", "")):
                name = "min_date"  # a date field's bounds the wrong way round or out of range
            elif name == "form" and "min:" in str(err.get("msg", "")):
                name = "min"  # a number field's bounds the wrong way round
            fallback = N_("Giá trị không hợp lệ.")
            errors.setdefault(name, _(messages.get(name, fallback)))
        return None, errors


def domain_errors(request: Request, exc: DomainError) -> dict[str, str]:
    """A service's refusal as form errors: its message on each field it names."""
    _ = translator(request)
    message = _(exc.detail)
    if exc.fields:
        return {name: message for name in exc.fields}
    return {"form": message}


def text(form: FormData, name: str, limit: int = 20000) -> str:
    value = form.get(name, "")
    return value[:limit].strip() if isinstance(value, str) else ""


def text_list(form: FormData, name: str) -> list[str]:
    """The non-empty values of a repeated field (checkboxes, multiple select)."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "1", "true")


def number(typed: str) -> str:
    """Vietnamese-typed numbers: ``0,5`` → ``0.5``; thousands dots of an amount kept apart."""
    return typed.replace(" ", "").replace(",", ".")


async def read_form(request: Request) -> FormData:
    return await request.form()


def render_page(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    """Render an admin page; ``choices`` (depth, agency) become the agency picker's options."""
    if "choices" in context:
        # Agency pickers show the tree: "— — Name (code)".
        context["agency_options"] = [
            (a.code, f"{'— ' * depth}{a.name} ({a.code})") for depth, a in context["choices"]
        ]
    return render(request, template, context, status_code=status)


async def threaded(work: Callable[[], Response]) -> Response:
    """Run the synchronous part of an async form handler (database work) in the thread pool."""
    return await run_in_threadpool(work)
