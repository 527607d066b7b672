"""Catalogue endpoints of the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Query

from app.catalog import schemas, service
from app.web.deps import SessionDep

router = APIRouter(prefix="/api/v1/procedures", tags=["catalogue"])


@router.get("", response_model=schemas.ProcedurePage)
def list_procedures(
    session: SessionDep,
    q: str = Query("", max_length=200, description="Accent-insensitive search"),
    agency: str = Query("", max_length=35, description="Implementing agency code"),
    field: str = Query("", max_length=120),
    online_level: str = Query("", max_length=10, description="full | partial"),
    level: str = Query("", max_length=20, description="province | commune"),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> schemas.ProcedurePage:
    """Search the published procedures."""
    flt = service.CatalogFilter(
        q=q, agency=agency, field=field, online_level=online_level, level=level
    )
    rows, total = service.list_procedures(session, flt, limit, offset)
    return schemas.ProcedurePage(
        items=[service.summary(v) for v in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{code}", response_model=schemas.ProcedureRead)
def get_procedure(code: str, session: SessionDep) -> schemas.ProcedureRead:
    """One published procedure with fees, components, form schema and process steps."""
    return service.detail(service.get_published(session, code))
