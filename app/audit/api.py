"""Audit log endpoints of the JSON API: search and export (admins), chain verification."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from app.accounts import service as account_service
from app.audit import service
from app.audit.models import AuditEntry
from app.web import content_disposition
from app.web.deps import CurrentUser, SessionDep
from app.workflow import service as workflow

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor_id: int | None
    actor: str
    ip: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    total: int


class AuditVerifyRead(BaseModel):
    ok: bool
    first_bad_seq: int | None
    message: str
    checked: int


def action_labels() -> dict[str, str]:
    """Vietnamese names of the logged actions (untranslated msgids)."""
    return {
        **{f"dossier.{k}": v for k, v in workflow.ACTION_LABELS.items()},
        **service.ACTION_LABELS,
    }


def export_response(entries: list[AuditEntry] | Any, fmt: str) -> Response:
    """The entries as a CSV or XLSX download, in Vietnamese like the other exports."""
    if fmt == "xlsx":
        data, media_type = service.export_xlsx(entries, action_labels()), XLSX_TYPE
    else:
        data, media_type = service.export_csv(entries, action_labels()), "text/csv; charset=utf-8"
    name = f"nhat-ky-he-thong.{fmt}"
    disposition = content_disposition(name)
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": disposition,
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "",
    response_model=AuditPage,
    responses={
        200: {"content": {"text/csv": {}, XLSX_TYPE: {}}},
        403: {"description": "Not an administrator"},
    },
)
def list_entries(
    session: SessionDep,
    user: CurrentUser,
    actor: str = Query("", max_length=254, description="Part of the actor's e-mail"),
    action: str = Query("", max_length=60, description="An action, or a prefix such as dossier"),
    object_type: str = Query("", max_length=40, description="dossier, payment, user …"),
    object_id: str = Query("", max_length=60),
    date_from: str = Query("", alias="from", max_length=10, description="First day, YYYY-MM-DD"),
    date_to: str = Query("", alias="to", max_length=10, description="Last day, YYYY-MM-DD"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
    format: Literal["json", "csv", "xlsx"] = Query("json"),
) -> AuditPage | Response:
    """Audit log entries, newest first (system admins: all; agency admins: their staff's)."""
    service.require_reader(user)
    filters = service.parse_filters(actor, action, object_type, object_id, date_from, date_to)
    if format != "json":
        return export_response(list(service.export_rows(session, user, filters)), format)
    rows, total = service.search(session, user, filters, limit, offset)
    return AuditPage(items=[AuditEntryRead.model_validate(r) for r in rows], total=total)


@router.get(
    "/verify",
    response_model=AuditVerifyRead,
    responses={403: {"description": "Not a system administrator"}},
)
def verify_chain(session: SessionDep, user: CurrentUser) -> AuditVerifyRead:
    """Recompute the hash chain (like ``portal audit verify``); names the first broken entry."""
    account_service.require_admin(user)
    result = service.check_chain(session)
    return AuditVerifyRead(
        ok=result.ok,
        first_bad_seq=result.first_bad_seq,
        message=result.message,
        checked=result.checked,
    )
