"""The caller's own document store (kho dữ liệu) in the JSON API: list, one, download, remove.
Reuse is part of a dossier's upload: ``POST /api/v1/dossiers/{id}/files`` with ``component``
and ``document_id`` instead of ``file``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.db import MAX_ID
from app.docstore import schemas, service
from app.docstore.models import PersonalDocument
from app.web import private_download
from app.web.deps import CurrentUser, SessionDep
from app.web.errors import translate_for_api

router = APIRouter(prefix="/api/v1/me/documents", tags=["document store"])


def document_read(
    request: Request, row: PersonalDocument, reused: dict[int, int]
) -> schemas.PersonalDocumentRead:
    source = row.source_dossier
    return schemas.PersonalDocumentRead(
        id=row.id,
        kind=row.kind,
        kind_label=translate_for_api(request, service.KIND_LABELS.get(row.kind, row.kind)),
        name=row.name,
        component_code=row.component_code,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        number=row.number,
        valid_until=row.valid_until,
        added_at=row.added_at,
        source=schemas.SourceRef(
            dossier_id=source.id, code=source.code, procedure_code=row.procedure_code
        ),
        times_reused=reused.get(row.id, 0),
        url=f"/api/v1/me/documents/{row.id}/file",
    )


@router.get("", response_model=schemas.PersonalDocumentPage)
def list_documents(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    kind: Literal["result", "component"] | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> schemas.PersonalDocumentPage:
    """The caller's stored documents (results and accepted components), newest first."""
    rows, total = service.list_mine(session, user, limit, offset, kind)
    reused = service.times_reused(session, [r.id for r in rows])
    return schemas.PersonalDocumentPage(
        items=[document_read(request, r, reused) for r in rows], total=total
    )


@router.get("/{document_id}", response_model=schemas.PersonalDocumentRead)
def get_document(
    request: Request,
    document_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> schemas.PersonalDocumentRead:
    """One stored document of the caller (anyone else's: 404)."""
    row = service.get_mine(session, user, document_id)
    reused = service.times_reused(session, [row.id])
    return document_read(request, row, reused)


@router.get(
    "/{document_id}/file",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_document(
    document_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Download a stored document (its owner only)."""
    row, data = service.read_bytes(session, user, document_id)
    return private_download(data, row.content_type, row.filename)


@router.delete("/{document_id}", status_code=204)
def remove_document(
    document_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Take a document out of the store; dossiers that hold it keep their files."""
    service.remove(session, user, document_id)
    return Response(status_code=204)
