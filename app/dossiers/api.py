"""Dossier endpoints of the JSON API (§9): drafts, files, submission, actions, queue, lookup."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from app.accounts.deps import client_ip
from app.accounts.models import User
from app.calendar import service as calendar_service
from app.config import get_settings
from app.db import MAX_ID, utcnow
from app.docstore import service as docstore_service
from app.documents import service as document_service
from app.documents.models import Document
from app.dossiers import schemas, service
from app.dossiers.models import Dossier, DossierFile
from app.errors import DomainError, InvalidInput, InvalidJSON, NotFound, PayloadTooLarge
from app.i18n_markers import N_
from app.ratelimit import LimitReached, lookup_limiter
from app.storage import service as storage
from app.web import content_disposition
from app.web.deps import CurrentUser, SessionDep
from app.web.errors import INVALID_JSON, error_body, translate_for_api
from app.workflow import queue as work_queue
from app.workflow import service as workflow

router = APIRouter(prefix="/api/v1", tags=["dossiers"])
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def dossier_read(session: Session, dossier: Dossier, user: User) -> schemas.DossierRead:
    step = dossier.current_step
    return schemas.DossierRead(
        id=dossier.id,
        code=dossier.code,
        status=dossier.status,
        status_label=service.status_label(dossier.status),
        national_status=service.NATIONAL_STATUS.get(dossier.status),
        national_channel=service.NATIONAL_CHANNEL[dossier.channel],
        procedure_code=dossier.version.code,
        procedure_name=dossier.version.name,
        procedure_version=dossier.version.version,
        agency_code=dossier.agency.code,
        channel=dossier.channel,
        applicant=dossier.applicant,
        form_data=dossier.form_data,
        submitted_at=dossier.submitted_at,
        answer_due_at=dossier.answer_due_at,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        current_step=step.code if step else None,
        current_step_name=step.name if step else None,
        step_due_at=dossier.step_due_at,
        assignee=dossier.assignee.full_name if dossier.assignee else None,
        supplement_request={
            k: v
            for k, v in dossier.supplement_request.items()
            if k in ("items", "data_problems", "reason", "requested_at")
        },
        supplement_due_at=dossier.supplement_due_at,
        extension_count=dossier.extension_count,
        lookup_secret=dossier.lookup_secret,
        available_actions=workflow.available_actions(session, dossier, user),
        history=[
            schemas.HistoryItem(
                at=e.at,
                actor=e.actor_name,
                step=e.step_code,
                action=e.action,
                from_status=e.from_status,
                to_status=e.to_status,
                comment=e.comment,
            )
            for e in dossier.events
        ],
        steps=[
            schemas.StepRunRead(
                step=r.step_code,
                name=r.step_name,
                started_at=r.started_at,
                due_at=r.due_at,
                finished_at=r.finished_at,
                on_time=r.on_time,
                assignee=r.assignee.full_name if r.assignee else None,
            )
            for r in dossier.step_runs
        ],
        files=file_reads(session, dossier, [f for f in dossier.files if f.removed_at is None]),
    )


@router.post("/dossiers", response_model=schemas.DossierRead, status_code=201)
def create_dossier(
    data: schemas.DossierCreate,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.DossierRead:
    """Create a draft dossier (citizen online; reception officer with channel counter)."""
    return dossier_read(session, service.create_draft(session, user, data), user)


@router.get("/dossiers", response_model=schemas.DossierPage)
def list_dossiers(
    session: SessionDep,
    user: CurrentUser,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=100_000),
    group: Literal["draft", "in_progress", "supplement", "done"] | None = Query(
        None,
        description="draft; in_progress (submitted, received, processing, waiting for "
        "payment or for the result to be returned); supplement (supplement_requested); done "
        "(completed, rejected, withdrawn, stopped)",
    ),
) -> schemas.DossierPage:
    """The caller's own dossiers, newest first, optionally one group of them."""
    rows, total = service.list_mine(session, user, limit, offset, group)
    return schemas.DossierPage(
        items=[service.summary(d) for d in rows], total=total, limit=limit, offset=offset
    )


@router.get("/dossiers/{dossier_id}", response_model=schemas.DossierRead)
def get_dossier(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> schemas.DossierRead:
    """One dossier with status, code, due time, history and files (owner or authorised staff)."""
    return dossier_read(session, service.get_visible(session, user, dossier_id), user)


@router.patch("/dossiers/{dossier_id}", response_model=schemas.DossierRead)
def update_dossier(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    data: schemas.DossierUpdate,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.DossierRead:
    """Save declared data of a draft or of a dossier awaiting a supplement."""
    dossier = service.get_visible(session, user, dossier_id)
    return dossier_read(session, service.update_draft(session, user, dossier, data), user)


@router.delete("/dossiers/{dossier_id}", status_code=204)
def delete_dossier(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Delete one's own draft (409 once submitted; use the ``withdraw`` action then)."""
    dossier = service.get_visible(session, user, dossier_id)
    service.delete_draft(session, user, dossier)
    return Response(status_code=204)


@router.post("/dossiers/{dossier_id}/copy", response_model=schemas.DossierRead, status_code=201)
def copy_dossier(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> schemas.DossierRead:
    """A new draft of the same procedure with one's own dossier's declared data and applicant
    (files are not copied)."""
    source = service.get_visible(session, user, dossier_id)
    return dossier_read(session, service.copy_as_new(session, user, source), user)


async def read_upload(upload: StarletteUpload, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """Read an upload without holding more than ``limit`` + 1 bytes."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(N_("Tệp vượt quá dung lượng cho phép."))
    return data


def file_reads(
    session: Session, dossier: Dossier, rows: list[DossierFile]
) -> list[schemas.FileRead]:
    """The files with the origin of those taken from the applicant's document store."""
    origins = docstore_service.origins(session, [r.id for r in rows])
    out = []
    for row in rows:
        read = service.file_read(dossier, row)
        origin = origins.get(row.id)
        if origin is not None:
            read.reused_from = schemas.ReusedFrom(
                document_id=origin.document_id,
                kind=origin.kind,
                dossier_code=origin.dossier_code,
                result_number=origin.number,
            )
        out.append(read)
    return out


@router.post("/dossiers/{dossier_id}/files", response_model=schemas.FileRead, status_code=201)
async def upload_file(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    component: Annotated[str, Form(max_length=40)],
    session: SessionDep,
    user: CurrentUser,
    file: Annotated[UploadFile | None, File()] = None,
    document_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> schemas.FileRead:
    """Attach a file to a component (type checked by content, size by the component), or,
    with ``document_id`` instead of ``file``, a document of the caller's store (kho dữ liệu)."""
    if (file is None) == (document_id is None):
        raise InvalidInput(
            N_("Gửi tệp (file) hoặc mã tài liệu trong kho dữ liệu (document_id), không cả hai."),
            fields={"file": "file or document_id"},
        )
    data = await read_upload(file) if file is not None else b""

    def _store() -> schemas.FileRead:
        dossier = service.get_visible(session, user, dossier_id)
        if document_id is not None:
            row = docstore_service.reuse(session, user, dossier, component, document_id)
        else:
            name = file.filename if file is not None else ""
            row = service.add_file(session, user, dossier, component, name or "", data)
        return file_reads(session, dossier, [row])[0]

    return await run_in_threadpool(_store)


@router.delete("/dossiers/{dossier_id}/files/{file_id}", status_code=204)
def delete_file(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    file_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Remove a file from a draft (it stays in the history of the storage)."""
    dossier = service.get_visible(session, user, dossier_id)
    service.remove_file(session, user, dossier, file_id)
    return Response(status_code=204)


@router.get(
    "/dossiers/{dossier_id}/files/{file_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_file(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    file_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Download a dossier file (owner and the handling agency's staff only)."""
    row = service.get_file(session, user, dossier_id, file_id)
    name = document_service.file_download_name(row, service.get_visible(session, user, dossier_id))
    return Response(
        storage.read_bytes(row.sha256),
        media_type=row.content_type,
        headers={
            "Content-Disposition": content_disposition(name),
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/dossiers/{dossier_id}/submit", response_model=schemas.DossierRead)
def submit_dossier(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> schemas.DossierRead:
    """Submit a draft (or resubmit after a supplement request): validates form and components."""
    dossier = service.get_visible(session, user, dossier_id)
    workflow.perform(session, dossier, user, schemas.ActionIn(action="submit"))
    return dossier_read(session, dossier, user)


@router.post(
    "/dossiers/{dossier_id}/actions",
    response_model=schemas.DossierRead,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": schemas.ActionIn.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "action": {"type": "string"},
                            "comment": {"type": "string"},
                            "file": {"type": "string", "format": "binary"},
                        },
                        "required": ["action"],
                    }
                },
            },
            "required": True,
        }
    },
)
async def act(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.DossierRead:
    """Take an action (JSON ``{"action", "comment", ...}``; multipart with ``file`` for
    ``attach_result``)."""
    inp, upload = await _action_input(request)

    def _do() -> schemas.DossierRead:
        dossier = service.get_visible(session, user, dossier_id)
        workflow.perform(session, dossier, user, inp, upload)
        return dossier_read(session, dossier, user)

    return await run_in_threadpool(_do)


async def _action_input(request: Request) -> tuple[schemas.ActionIn, tuple[str, bytes] | None]:
    content_type = request.headers.get("content-type", "")
    upload: tuple[str, bytes] | None = None
    try:
        if content_type.startswith("multipart/form-data"):
            form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
            raw = {k: v for k, v in form.multi_items() if isinstance(v, str)}
            lists = {
                k: [v for v in form.getlist(k) if isinstance(v, str)]
                for k in ("missing_components", "reasons")
            }
            file = form.get("file")
            if file is not None and not isinstance(file, str):
                upload = (file.filename or "", await read_upload(file))
            payload: dict[str, object] = {**raw, **{k: v for k, v in lists.items() if v}}
            if not payload.get("new_due_at"):
                payload.pop("new_due_at", None)
            for optional in ("assignee_id", "valid_until"):
                if not payload.get(optional):
                    payload.pop(optional, None)
        else:
            payload = json.loads(await request.body() or b"{}")
            if not isinstance(payload, dict):
                raise InvalidInput(N_("Nội dung yêu cầu phải là một đối tượng JSON."))
        return schemas.ActionIn.model_validate(payload), upload
    except (ValueError, ValidationError) as exc:
        if isinstance(exc, ValidationError):
            fields = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors()}
            raise InvalidInput(N_("Dữ liệu thao tác không hợp lệ."), fields=fields) from exc
        raise InvalidJSON(INVALID_JSON) from exc


@router.get("/queue", response_model=schemas.QueuePage)
def staff_queue(
    session: SessionDep,
    user: CurrentUser,
    limit: int = Query(20, ge=1, le=200),
    cursor: str | None = Query(None, max_length=80, description="next_cursor of the last page"),
) -> Response:
    """Dossiers the officer can act on, by due time; overdue and due-today flagged."""
    after = work_queue.parse_cursor(cursor) if cursor else None
    rows = work_queue.queue(session, user, limit + 1, after)
    more = len(rows) > limit
    rows = rows[:limit]
    now = utcnow()
    cal = calendar_service.get_calendar(session)
    items = []
    for d, owed in rows:
        base = service.summary_fields(d, now)
        left = (
            round(cal.working_hours_between(now, d.answer_due_at), 2)
            if d.status == "submitted" and d.answer_due_at and d.answer_due_at > now
            else (0.0 if d.status == "submitted" and d.answer_due_at else None)
        )
        items.append(
            schemas.QueueItem(
                **base,
                answer_due_at=d.answer_due_at,
                answer_hours_left=left,
                available_actions=workflow.available_actions(session, d, user, now, owed),
            )
        )
    last = rows[-1].dossier if rows else None
    next_cursor = (
        f"{last.step_due_at.isoformat()}_{last.id}" if more and last and last.step_due_at else None
    )
    page = schemas.QueuePage(items=items, total=len(items), limit=limit, next_cursor=next_cursor)
    # The page is built from the schema: written out as it is, not checked and encoded again
    # (the busiest read of the staff; docs/PERFORMANCE.md).
    return Response(page.model_dump_json(), media_type="application/json")


@router.get("/dossiers/{dossier_id}/documents", response_model=schemas.DocumentList)
def list_documents(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> schemas.DocumentList:
    """Generated documents (forms 01–06, results), each with a PDF link."""
    dossier = service.get_visible(session, user, dossier_id)
    return schemas.DocumentList(
        items=[
            schemas.DocumentRead(
                id=d.id,
                kind=d.kind,
                title=d.title,
                number=document_service.number_of(d),
                created_at=d.created_at,
                pdf_url=f"/api/v1/documents/{d.id}/pdf",
                verify_url=document_service.verify_url(d.verify_token),
            )
            for d in document_service.for_dossier(session, dossier.id)
        ]
    )


@router.get(
    "/documents/{document_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def document_pdf(
    document_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """A generated document as PDF (rendered once, then served from storage)."""
    doc = session.get(Document, document_id)
    if doc is None or doc.dossier_id is None:
        raise NotFound(N_("Không tìm thấy văn bản."))
    dossier = service.get_visible(session, user, doc.dossier_id)
    data = document_service.pdf_bytes(session, doc)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(
                document_service.download_name(doc, dossier), inline=True
            ),
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/lookup",
    response_model=schemas.LookupRead,
    tags=["public"],
    responses={
        404: {"description": "Unknown code or wrong secret"},
        429: {"description": "Too many lookups from this address, or failures for this code"},
    },
)
def lookup(
    request: Request,
    session: SessionDep,
    code: str = Query(max_length=60),
    secret: str = Query(max_length=20, description="Lookup secret of form 01"),
) -> schemas.LookupRead | JSONResponse:
    """Public lookup: status and timeline, never the applicant's personal data."""
    try:
        lookup_limiter.hit(
            f"lookup:{client_ip(request)}",
            get_settings().lookup_rate_limit,
            N_("Tra cứu quá nhiều lần, vui lòng thử lại sau ít phút."),
        )
        return service.lookup_read(service.lookup(session, code, secret))
    except LimitReached as exc:  # this code's failures: the answer says until when
        detail = exc.message(lambda text: translate_for_api(request, text))
        return JSONResponse(
            error_body(exc.code, detail),
            exc.status_code,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except DomainError as exc:
        return JSONResponse(
            error_body(exc.code, translate_for_api(request, exc.detail)), exc.status_code
        )
