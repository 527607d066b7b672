"""The notice list page (/thong-bao) of a logged-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.db import MAX_ID
from app.notifications import service
from app.web import render, verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20


@router.get("/thong-bao")
def notices_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    """The user's notices, newest first; unread ones are marked."""
    rows, total, unread = service.list_for(session, user, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "notifications/list.html",
        {
            "notices": rows,
            "total": total,
            "unread": unread,
            "page": min(page, pages),
            "pages": pages,
            "event_labels": service.EVENT_LABELS,
        },
    )


@router.post("/thong-bao/da-doc", dependencies=[Depends(verify_csrf)])
def mark_all_read(session: SessionDep, user: CurrentUser) -> Response:
    """Mark every notice read."""
    service.mark_all_read(session, user)
    return RedirectResponse("/thong-bao?msg=notices_read", status_code=303)


@router.post("/thong-bao/{notice_id}/da-doc", dependencies=[Depends(verify_csrf)])
def mark_read(
    notice_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Mark one notice read and open what it is about."""
    notice = service.mark_read(session, user, notice_id)
    target = notice.link if notice.link.startswith("/") else "/thong-bao"
    return RedirectResponse(target, status_code=303)
