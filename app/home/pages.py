"""Home pages: the public home and the administration home (the staff desk, /can-bo, is in
app/workflow/pages.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.accounts import service as account_service
from app.accounts.deps import current_user, current_user_optional
from app.accounts.models import User
from app.agencies import service as agency_service
from app.catalog import service as catalog_service
from app.catalog.models import ProcedureVersion
from app.db import get_session
from app.web import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(
    request: Request,
    session: Session = Depends(get_session),
    user: User | None = Depends(current_user_optional),
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
    session: Session = Depends(get_session),
    user: User = Depends(current_user),
) -> Response:
    """Administration home: the agency tree the admin is responsible for."""
    if not user.is_admin:
        account_service.require_role(user, "agency_admin")
    root = None if user.is_admin else user.agency_id
    return render(request, "admin/home.html", {"tree": agency_service.tree(session, root)})
