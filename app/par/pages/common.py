"""What the PAR pages share: the base paths and the error summary of a refused form."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from app.errors import DomainError
from app.par.criteria import ImportRefused
from app.web import translator

BASE = "/chi-so-cchc"
MANAGE = BASE + "/quan-ly"
FORM_ERRORS = (409, 413, 415, 422)


def error_context(request: Request, exc: DomainError) -> dict[str, Any]:
    """A refusal for the page: the message, the field it concerns, an import's rows."""
    _ = translator(request)
    problems = exc.problems if isinstance(exc, ImportRefused) else []
    message = _(exc.summary if isinstance(exc, ImportRefused) else exc.detail)
    field = next(iter(exc.fields), "") if exc.fields else ""
    return {"error": message, "error_field": field, "problems": problems}
