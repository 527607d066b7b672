"""Agency endpoints of the JSON API (public directory)."""

from __future__ import annotations

from fastapi import APIRouter

from app.agencies import service
from app.agencies.schemas import AgencyRead
from app.web.deps import SessionDep

router = APIRouter(prefix="/api/v1/agencies", tags=["agencies"])


@router.get("", response_model=dict[str, list[AgencyRead] | int])
def list_agencies(
    session: SessionDep,
) -> dict[str, list[AgencyRead] | int]:
    """Every active agency with its electronic identification code and parent."""
    agencies = service.list_agencies(session)
    codes = {a.id: a.code for a in agencies}
    items = [service.read(a, codes.get(a.parent_id) if a.parent_id else None) for a in agencies]
    return {"items": items, "total": len(items)}


@router.get("/{code}", response_model=AgencyRead)
def get_agency(code: str, session: SessionDep) -> AgencyRead:
    """One agency by its electronic identification code."""
    agency = service.get_by_code(session, code)
    return service.read(agency, agency.parent.code if agency.parent else None)
