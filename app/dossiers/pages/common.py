"""Helpers shared by the citizen dossier pages: the expected result date, file sizes, the
redirect after a form, and the caller's own dossier."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session, object_session

from app.accounts.models import User
from app.calendar import service as calendar_service
from app.catalog.models import ProcedureVersion
from app.db import utcnow
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.errors import NotFound
from app.i18n_markers import N_
from app.web import templates


def expected_result_at(version: ProcedureVersion) -> datetime | None:
    """When a dossier submitted now would get its result (shown on the procedure page).

    Uses the session the version was loaded with, i.e. the request's own transaction."""
    session = object_session(version)
    if session is None:
        return None
    calendar = calendar_service.get_calendar(session)
    return calendar.due_after_working_days(utcnow(), version.processing_days)


# The catalogue's procedure page renders the expected-result line through this global.
templates().env.globals["expected_result_at"] = expected_result_at


def size_label(size: int, locale: str = "vi") -> str:
    """``12 KB`` / ``1,5 MB`` (decimal comma in Vietnamese)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    text = f"{size / (1024 * 1024):.1f}"
    return f"{text.replace('.', ',') if locale == 'vi' else text} MB"


def redirect(path: str, msg: str | None = None, anchor: str = "") -> RedirectResponse:
    joiner = "&" if "?" in path else "?"
    query = f"{joiner}{urlencode({'msg': msg})}" if msg else ""
    return RedirectResponse(f"{path}{query}{'#' + anchor if anchor else ''}", status_code=303)


def saved_redirect(
    session: Session, path: str, msg: str | None = None, anchor: str = ""
) -> RedirectResponse:
    """Commit, then redirect (post/redirect/get).

    The request-scoped session dependency commits only after the response has been sent, so
    a browser following the redirect at once could read the state from before this request.
    """
    session.commit()
    return redirect(path, msg, anchor)


def owned(session: Session, user: User, dossier_id: int) -> Dossier:
    """The caller's own dossier; anybody else's is "not found"."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    if not dossier_service.is_owner(user, dossier):
        raise NotFound(N_("Không tìm thấy hồ sơ."))
    return dossier
