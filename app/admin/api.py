"""Administration endpoints of the JSON API: agencies, staff accounts, procedure versions
(publish, export, import). The same service as the /quan-tri pages, with the same scope:
system admins everywhere, agency admins in their agency subtree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.admin import schemas
from app.admin import service as admin_service
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


# --- agencies ----------------------------------------------------------------------------------


@router.get("/agencies", response_model=schemas.AgencyList)
def list_agencies(session: SessionDep, user: CurrentUser) -> schemas.AgencyList:
    """Agencies the caller administers (active or not), depth first."""
    items = [admin_service.agency_read(a) for _d, a in admin_service.agency_tree(session, user)]
    return schemas.AgencyList(items=items, total=len(items))


@router.post("/agencies", response_model=schemas.AgencyAdminRead, status_code=201)
def create_agency(
    data: schemas.AgencyCreate,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.AgencyAdminRead:
    """Add an agency under a parent the caller administers (top level: system admins)."""
    return admin_service.agency_read(admin_service.create_agency(session, user, data))


@router.get("/agencies/{code}", response_model=schemas.AgencyAdminRead)
def get_agency(
    code: str,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.AgencyAdminRead:
    """One agency the caller administers."""
    return admin_service.agency_read(admin_service.get_agency(session, user, code))


@router.patch("/agencies/{code}", response_model=schemas.AgencyAdminRead)
def update_agency(
    code: str,
    data: schemas.AgencyUpdate,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.AgencyAdminRead:
    """Edit an agency; `is_active: false` deactivates it, `true` reactivates it."""
    return admin_service.agency_read(admin_service.update_agency(session, user, code, data))


# --- users -------------------------------------------------------------------------------------


@router.get("/users", response_model=schemas.UserPage)
def list_users(
    session: SessionDep,
    user: CurrentUser,
    agency: str = Query("", max_length=35, description="Agency code"),
    role: str = Query("", max_length=20, description="A staff role, or system_admin"),
    q: str = Query("", max_length=100, description="Part of the e-mail or name"),
    status: str = Query("active", pattern="^(active|inactive|all)$"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> schemas.UserPage:
    """Staff and admin accounts the caller administers."""
    flt = admin_service.UserFilter(agency=agency, role=role, q=q, status=status)
    rows, total = admin_service.list_users(session, user, flt, limit, offset)
    return schemas.UserPage(
        items=[admin_service.user_read(u) for u in rows], total=total, limit=limit, offset=offset
    )


@router.post("/users", response_model=schemas.UserCreated, status_code=201)
def create_user(
    data: schemas.UserCreate,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.UserCreated:
    """Create a staff account; without `password` one is generated and returned once."""
    created, generated = admin_service.create_user(session, user, data)
    return schemas.UserCreated(user=admin_service.user_read(created), password=generated)


@router.get("/users/{user_id}", response_model=schemas.UserAdminRead)
def get_user(
    user_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.UserAdminRead:
    """One account the caller administers."""
    return admin_service.user_read(admin_service.get_user(session, user, user_id))


@router.patch("/users/{user_id}", response_model=schemas.UserAdminRead)
def update_user(
    user_id: int,
    data: schemas.UserUpdate,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.UserAdminRead:
    """Edit an account: name, phone, agency, roles, system-admin flag, active or locked."""
    return admin_service.user_read(admin_service.update_user(session, user, user_id, data))


@router.post("/users/{user_id}/reset-password", response_model=schemas.PasswordResetDone)
def reset_password(
    user_id: int,
    data: schemas.PasswordReset,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.PasswordResetDone:
    """Set a new password (or generate one, returned once); the account's sessions end."""
    generated = admin_service.reset_password(session, user, user_id, data.password)
    return schemas.PasswordResetDone(password=generated)


# --- procedures --------------------------------------------------------------------------------


@router.get("/procedures", response_model=schemas.ProcedureAdminList)
def list_procedures(
    session: SessionDep,
    user: CurrentUser,
    q: str = Query("", max_length=200),
) -> schemas.ProcedureAdminList:
    """Procedures the caller may see in the designer, with every version and its status."""
    items = [
        schemas.ProcedureAdminSummary(
            code=item.procedure.code,
            name=item.name,
            manageable=item.manageable,
            versions=[admin_service.version_read(v) for v in item.procedure.versions],
        )
        for item in admin_service.list_procedures(session, user, q)
    ]
    return schemas.ProcedureAdminList(items=items, total=len(items))


@router.get(
    "/procedures/{code}/export",
    response_model=schemas.ProcedureDocument,
    responses={200: {"description": "The document, as a downloadable JSON file"}},
)
def export_procedure(
    code: str,
    session: SessionDep,
    user: CurrentUser,
) -> JSONResponse:
    """The published (else the latest) version as a `motcua.procedure/1` document."""
    document: dict[str, Any] = admin_service.export_document(session, user, code)
    safe = "".join(c if c.isalnum() or c in ".-_" else "_" for c in code)
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="thu-tuc-{safe}.json"'},
    )


@router.post("/procedures/import", response_model=schemas.ImportResult, status_code=201)
def import_procedure(
    document: schemas.ProcedureDocument,
    session: SessionDep,
    user: CurrentUser,
    code: str | None = Query(
        None, max_length=40, description="Import under this code instead of the document's"
    ),
) -> schemas.ImportResult:
    """A new draft from a document: a new procedure, or the next version of an existing one.
    Every agency code must exist here (422 lists the missing ones in `fields.agencies`)."""
    version = admin_service.import_document(session, user, document, code)
    problems = admin_service.check_version(session, version)
    return schemas.ImportResult(
        **admin_service.version_read(version).model_dump(),
        problems=[p.hint for p in problems],
    )


@router.post("/procedures/{code}/publish", response_model=schemas.VersionRead)
def publish_procedure(
    code: str,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.VersionRead:
    """Publish the procedure's draft; the previously published version is retired."""
    version = admin_service.get_draft(session, user, code)
    return admin_service.version_read(admin_service.publish(session, user, version))
