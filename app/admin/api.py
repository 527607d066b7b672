"""Administration endpoints of the JSON API: procedure versions (publish, export, import).
The same service as the /quan-tri pages, with the same scope: system admins everywhere,
agency admins in their agency subtree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.catalog import designer as designer_service
from app.catalog import designer_schemas
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


# --- procedures --------------------------------------------------------------------------------


@router.get("/procedures", response_model=designer_schemas.ProcedureAdminList)
def list_procedures(
    session: SessionDep,
    user: CurrentUser,
    q: str = Query("", max_length=200),
) -> designer_schemas.ProcedureAdminList:
    """Procedures the caller may see in the designer, with every version and its status."""
    items = [
        designer_schemas.ProcedureAdminSummary(
            code=item.procedure.code,
            name=item.name,
            manageable=item.manageable,
            versions=[designer_service.version_read(v) for v in item.procedure.versions],
        )
        for item in designer_service.list_procedures(session, user, q)
    ]
    return designer_schemas.ProcedureAdminList(items=items, total=len(items))


@router.get(
    "/procedures/{code}/export",
    response_model=designer_schemas.ProcedureDocument,
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


@router.post("/procedures/import", response_model=designer_schemas.ImportResult, status_code=201)
def import_procedure(
    document: designer_schemas.ProcedureDocument,
    session: SessionDep,
    user: CurrentUser,
    code: str | None = Query(
        None, max_length=40, description="Import under this code instead of the document's"
    ),
) -> designer_schemas.ImportResult:
    """A new draft from a document: a new procedure, or the next version of an existing one.
    Every agency code must exist here (422 lists the missing ones in `fields.agencies`)."""
    version = designer_service.import_document(session, user, document, code)
    problems = designer_service.check_version(session, version)
    return designer_schemas.ImportResult(
        **designer_service.version_read(version).model_dump(),
        problems=[p.hint for p in problems],
    )


@router.post("/procedures/{code}/publish", response_model=designer_schemas.VersionRead)
def publish_procedure(
    code: str,
    session: SessionDep,
    user: CurrentUser,
) -> designer_schemas.VersionRead:
    """Publish the procedure's draft; the previously published version is retired."""
    version = designer_service.get_draft(session, user, code)
    return designer_service.version_read(designer_service.publish(session, user, version))
