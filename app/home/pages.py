"""The public home page (the staff desk, /can-bo, is app/workflow/pages/home.py; the
administration home, /quan-tri, app/admin/pages.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from starlette.responses import Response

from app.catalog import service as catalog_service
from app.catalog.models import ProcedureVersion
from app.web import render
from app.web.deps import OptionalUser, SessionDep

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
