"""In-app notices of the caller: list with the unread count, mark read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict

from app.db import MAX_ID
from app.notifications import service
from app.notifications.models import Notice
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    body: str
    link: str
    dossier_id: int | None
    created_at: datetime
    read_at: datetime | None


def _api_locale(request: Request) -> str:
    """Like the API's messages: Vietnamese unless the client asks for English."""
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "vi"


def notice_read(notice: Notice, locale: str) -> NoticeRead:
    """A notice with its title and summary in the caller's language (Accept-Language)."""
    read = NoticeRead.model_validate(notice)
    read.title, read.body = notice.title_in(locale), notice.body_in(locale)
    return read


class NoticePage(BaseModel):
    items: list[NoticeRead]
    total: int
    unread: int


class ReadAllOut(BaseModel):
    marked: int
    unread: int


@router.get("", response_model=NoticePage)
def list_notices(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> NoticePage:
    """The caller's notices, newest first, with the number still unread; titles and summaries
    in the caller's language."""
    rows, total, unread = service.list_for(session, user, limit, offset)
    return NoticePage(
        items=[notice_read(r, _api_locale(request)) for r in rows], total=total, unread=unread
    )


@router.post("/{notice_id}/read", response_model=NoticeRead)
def read_notice(
    request: Request,
    notice_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> NoticeRead:
    """Mark one of the caller's notices read."""
    return notice_read(service.mark_read(session, user, notice_id), _api_locale(request))


@router.post("/read-all", response_model=ReadAllOut)
def read_all(session: SessionDep, user: CurrentUser) -> ReadAllOut:
    """Mark every notice of the caller read."""
    marked = service.mark_all_read(session, user)
    return ReadAllOut(marked=marked, unread=service.unread_count(session, user.id))
