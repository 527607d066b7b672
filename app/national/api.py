"""The national sync queue in the JSON API (system administrators)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from app.config import get_settings
from app.national import schemas, service
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1/admin/national-sync", tags=["national sync"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "Not a system administrator"},
}
ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"description": "An id names no message"},
    409: {"description": "A message is not in a state that allows this"},
}


@router.get("", response_model=schemas.NationalQueueRead, responses=ERRORS)
def national_queue(
    session: SessionDep,
    user: CurrentUser,
    status: str = Query(
        "", max_length=12, description="pending|acknowledged|parked|unsendable|discarded"
    ),
    dossier_code: str = Query("", max_length=60, description="Messages of one dossier"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> schemas.NationalQueueRead:
    """Messages for the national public-service portal, newest first, with the partner's answer."""
    page = service.list_messages(session, user, status, dossier_code, limit, offset)
    return schemas.NationalQueueRead(
        items=[schemas.NationalMessageRead.model_validate(m) for m in page.items],
        total=page.total,
        counts=page.counts,
        configured=bool(get_settings().national_url),
    )


@router.post("/retry", response_model=schemas.NationalChangedRead, responses=ACTION_ERRORS)
def national_retry(
    body: schemas.NationalIdsIn, session: SessionDep, user: CurrentUser
) -> schemas.NationalChangedRead:
    """Send parked (or no longer unsendable) messages again, attempts counted from zero."""
    rows = service.retry(session, user, body.ids)
    return schemas.NationalChangedRead(
        items=[schemas.NationalMessageRead.model_validate(m) for m in rows]
    )


@router.post("/discard", response_model=schemas.NationalChangedRead, responses=ACTION_ERRORS)
def national_discard(
    body: schemas.NationalIdsIn, session: SessionDep, user: CurrentUser
) -> schemas.NationalChangedRead:
    """Give up messages not to be sent; the later messages of their dossiers go on."""
    rows = service.discard(session, user, body.ids)
    return schemas.NationalChangedRead(
        items=[schemas.NationalMessageRead.model_validate(m) for m in rows]
    )
