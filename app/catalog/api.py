"""Catalogue endpoints of the JSON API: the published procedures; and the procedure designer's
versions (publish, export, import), the same service as the /quan-tri/thu-tuc pages with the
same scope: system admins everywhere, agency admins in their agency subtree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.catalog import designer as designer_service
from app.catalog import schemas, service
from app.web.deps import CurrentUser, SessionDep

catalogue = APIRouter(prefix="/api/v1/procedures", tags=["catalogue"])
admin = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@catalogue.get("", response_model=schemas.ProcedurePage)
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


@catalogue.get("/{code}", response_model=schemas.ProcedureRead)
def get_procedure(code: str, session: SessionDep) -> schemas.ProcedureRead:
    """One published procedure with fees, components, form schema and process steps."""
    return service.detail(service.get_published(session, code))


# --- the procedure designer --------------------------------------------------------------------


# ``name`` keeps the OpenAPI operation id this endpoint had (list_procedures_api_v1_admin_...).
@admin.get("/procedures", response_model=schemas.ProcedureAdminList, name="list_procedures")
def list_designer_procedures(
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
            versions=[designer_service.version_read(v) for v in item.procedure.versions],
        )
        for item in designer_service.list_procedures(session, user, q)
    ]
    return schemas.ProcedureAdminList(items=items, total=len(items))


@admin.get(
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
    document: dict[str, Any] = designer_service.export_document(session, user, code)
    safe = "".join(c if c.isalnum() or c in ".-_" else "_" for c in code)
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="thu-tuc-{safe}.json"'},
    )


@admin.post("/procedures/import", response_model=schemas.ImportResult, status_code=201)
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
    version = designer_service.import_document(session, user, document, code)
    problems = designer_service.check_version(session, version)
    return schemas.ImportResult(
        **designer_service.version_read(version).model_dump(),
        problems=[p.hint for p in problems],
    )


@admin.post("/procedures/{code}/publish", response_model=schemas.VersionRead)
def publish_procedure(
    code: str,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.VersionRead:
    """Publish the procedure's draft; the previously published version is retired."""
    version = designer_service.get_draft(session, user, code)
    return designer_service.version_read(designer_service.publish(session, user, version))


router = APIRouter()
router.include_router(catalogue)
router.include_router(admin)
