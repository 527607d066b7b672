"""Agency endpoints of the JSON API: the public directory, and the administration of the
agency tree (the same service as the /quan-tri/co-quan pages, with the same scope: system
admins everywhere, agency admins in their agency subtree)."""

from __future__ import annotations

from fastapi import APIRouter

from app.agencies import schemas, service
from app.agencies.schemas import AgencyRead
from app.web.deps import CurrentUser, SessionDep

directory = APIRouter(prefix="/api/v1/agencies", tags=["agencies"])
admin = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@directory.get("", response_model=dict[str, list[AgencyRead] | int])
def list_agencies(
    session: SessionDep,
) -> dict[str, list[AgencyRead] | int]:
    """Every active agency with its electronic identification code and parent."""
    agencies = service.list_agencies(session)
    codes = {a.id: a.code for a in agencies}
    items = [service.read(a, codes.get(a.parent_id) if a.parent_id else None) for a in agencies]
    return {"items": items, "total": len(items)}


@directory.get("/{code}", response_model=AgencyRead)
def get_agency(code: str, session: SessionDep) -> AgencyRead:
    """One agency by its electronic identification code."""
    agency = service.get_by_code(session, code)
    return service.read(agency, agency.parent.code if agency.parent else None)


# --- administration ----------------------------------------------------------------------------
# ``name`` keeps the OpenAPI operation ids these endpoints had (list_agencies_api_v1_admin_...).


@admin.get("/agencies", response_model=schemas.AgencyList, name="list_agencies")
def list_administered_agencies(session: SessionDep, user: CurrentUser) -> schemas.AgencyList:
    """Agencies the caller administers (active or not), depth first."""
    items = [service.agency_read(a) for _d, a in service.agency_tree(session, user)]
    return schemas.AgencyList(items=items, total=len(items))


@admin.post("/agencies", response_model=schemas.AgencyAdminRead, status_code=201)
def create_agency(
    data: schemas.AgencyCreate,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.AgencyAdminRead:
    """Add an agency under a parent the caller administers (top level: system admins)."""
    return service.agency_read(service.create_agency(session, user, data))


@admin.get("/agencies/{code}", response_model=schemas.AgencyAdminRead, name="get_agency")
def get_administered_agency(
    code: str,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.AgencyAdminRead:
    """One agency the caller administers."""
    return service.agency_read(service.get_agency(session, user, code))


@admin.patch("/agencies/{code}", response_model=schemas.AgencyAdminRead)
def update_agency(
    code: str,
    data: schemas.AgencyUpdate,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.AgencyAdminRead:
    """Edit an agency; `is_active: false` deactivates it, `true` reactivates it."""
    return service.agency_read(service.update_agency(session, user, code, data))


router = APIRouter()
router.include_router(directory)
router.include_router(admin)
