"""Home pages: the public home and the administration home (the staff desk, /can-bo, is in
app/workflow/pages/home.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from starlette.responses import Response

from app.admin import service as admin_service
from app.catalog import service as catalog_service
from app.catalog.models import ProcedureVersion
from app.web import render
from app.web.deps import CurrentUser, OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
) -> Response:
    count = session.scalar(select(func.count()).where(ProcedureVersion.status == "published")) or 0
    return render(
        request,
        "home/index.html",
        {"procedure_count": count, "fields": catalog_service.fields_in_use(session)},
    )


@router.get("/quan-tri")
def admin_home(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Administration home: figures, links to every admin section and the agency tree."""
    return render(request, "admin/home.html", {"board": admin_service.dashboard(session, user)})
