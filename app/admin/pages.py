"""The administration home: figures, links to every admin section (each lives with its
domain: agencies, accounts, the procedure designer, calendar, receipt series, certificates,
the audit log) and the agency tree."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.admin import service
from app.web import render
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)


@router.get("/quan-tri")
def admin_home(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Administration home: figures, links to every admin section and the agency tree."""
    return render(request, "admin/home.html", {"board": service.dashboard(session, user)})
