"""The national sync queue under /quan-tri/dong-bo-quoc-gia (system administrators): counts
per status, the messages with the national portal's answer, retry and discard."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.accounts.models import User
from app.config import get_settings
from app.errors import Conflict, InvalidInput, NotFound
from app.national import service
from app.web import forms as admin_forms
from app.web import verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
PATH = "/quan-tri/dong-bo-quoc-gia"
PAGE_SIZE = 50


def _page(
    request: Request,
    session: Session,
    user: User,
    status: str,
    page: int,
    errors: dict[str, str] | None = None,
    code: int = 200,
) -> Response:
    try:
        status = service.check_status(status)
    except InvalidInput:
        status = ""
    found = service.list_messages(
        session, user, status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    context: dict[str, Any] = {
        "found": found,
        "status": status,
        "page": min(page, pages),
        "pages": pages,
        "errors": errors or {},
        "configured": bool(get_settings().national_url),
        "status_labels": service.STATUS_LABELS,
        "service_labels": service.SERVICE_LABELS,
    }
    return admin_forms.render_page(request, "national/queue.html", context, code)


@router.get(PATH)
def national_queue_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    status: str = Query("", max_length=12),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    """Đồng bộ Cổng Dịch vụ công quốc gia: the queue, parked messages, retry and discard."""
    service.require_reader(user)
    return _page(request, session, user, status, page)


async def _act(request: Request, session: Session, user: User, action: str) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        service.require_reader(user)
        status = admin_forms.text(form, "status", 12)
        raw = admin_forms.text(form, "id", 12)
        try:
            ids = [int(raw)]
        except ValueError:
            ids = []
        try:
            if action == "retry":
                service.retry(session, user, ids)
            else:
                service.discard(session, user, ids)
        except (InvalidInput, Conflict, NotFound) as exc:
            errors = admin_forms.domain_errors(request, exc)
            return _page(
                request,
                session,
                user,
                status,
                1,
                {"form": next(iter(errors.values()))},
                409 if isinstance(exc, Conflict) else 422,
            )
        message = "national_retried" if action == "retry" else "national_discarded"
        return admin_forms.redirect(PATH, message, status=status)

    return await admin_forms.threaded(work)


@router.post(PATH + "/gui-lai", dependencies=[Depends(verify_csrf)])
async def national_retry_form(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return await _act(request, session, user, "retry")


@router.post(PATH + "/bo", dependencies=[Depends(verify_csrf)])
async def national_discard_form(
    request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    return await _act(request, session, user, "discard")
