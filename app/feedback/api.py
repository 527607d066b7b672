"""Feedback in the JSON API (SPEC §12): filing, lookup, the public list, and the staff's
queue, item and actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from app.accounts.deps import client_ip
from app.db import MAX_ID
from app.feedback import schemas, service
from app.feedback.models import FeedbackItem
from app.i18n import translations
from app.ratelimit import LimitReached
from app.web.deps import OptionalUser, SessionDep
from app.web.errors import error_body, translate_for_api

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])


def item_read(
    request: Request, item: FeedbackItem, dossier_code: str | None
) -> schemas.FeedbackRead:
    return schemas.FeedbackRead(
        id=item.id,
        code=item.code,
        category=item.category,
        subject=item.subject,
        content=item.content,
        status=item.status,
        status_label=translate_for_api(request, service.STATUS_LABELS[item.status]),
        agency_code=item.agency.code,
        agency_name=item.agency.name,
        dossier_code=dossier_code,
        sender=schemas.SenderRead(
            full_name=item.sender_name,
            phone=item.sender_phone,
            email=item.sender_email,
            has_account=item.sender_user_id is not None,
        ),
        publish_consent=item.publish_consent,
        assignee_id=item.assignee_id,
        answer=item.answer,
        upheld=item.upheld,
        leader_comment=item.leader_comment,
        reject_reason=item.reject_reason,
        public_subject=item.public_subject,
        public_content=item.public_content,
        public_answer=item.public_answer,
        created_at=item.created_at,
        due_at=item.due_at,
        overdue=service.is_overdue(item),
        escalated=item.escalated_at is not None,
        closed_at=item.closed_at,
        files=[
            schemas.FileRead(id=f.id, filename=f.filename, content_type=f.content_type, size=f.size)
            for f in item.files
        ],
    )


def lookup_read(request: Request, item: FeedbackItem) -> schemas.LookupRead:
    return schemas.LookupRead(
        code=item.code,
        subject=item.subject,
        status=item.status,
        status_label=translate_for_api(request, service.STATUS_LABELS[item.status]),
        agency_name=item.agency.name,
        created_at=item.created_at,
        due_at=item.due_at,
        answer=item.answer if item.status == "published" else None,
        reject_reason=item.reject_reason if item.status == "rejected" else None,
        closed_at=item.closed_at,
    )


@router.post("", status_code=201, response_model=schemas.FeedbackCreated)
def file_feedback(
    request: Request, data: schemas.FeedbackIn, session: SessionDep, user: OptionalUser
) -> schemas.FeedbackCreated | JSONResponse:
    """File feedback (logged in, or with ``sender``: a name and a phone or an e-mail)."""
    lang = "en" if request.headers.get("accept-language", "").lower().startswith("en") else "vi"
    try:
        item, secret = service.file_feedback(session, user, data, client=client_ip(request))
    except LimitReached as exc:
        detail = exc.message(translations(lang).gettext)
        return JSONResponse(
            error_body(exc.code, detail), 429, headers={"Retry-After": str(exc.retry_after)}
        )
    except service.Duplicate as exc:
        return JSONResponse(error_body(exc.code, exc.message(translations(lang).gettext)), 409)
    return schemas.FeedbackCreated(
        id=item.id, code=item.code, secret=secret, status=item.status, due_at=item.due_at
    )


@router.get("/lookup", response_model=schemas.LookupRead)
def lookup(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    code: str = Query(..., max_length=30),
    secret: str = Query("", max_length=20),
) -> schemas.LookupRead:
    """Status and answer by code and lookup secret; never the sender's data."""
    return lookup_read(request, service.lookup(session, code, secret, user))


@router.get("/public", response_model=schemas.PublicPage)
def public_list(
    session: SessionDep,
    q: str = Query("", max_length=100),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> schemas.PublicPage:
    """Answered feedback published with the sender's consent, personal data masked."""
    rows, total = service.public_items(session, q, limit, offset)
    return schemas.PublicPage(
        items=[
            schemas.PublicRead(
                id=r.id,
                code=r.code,
                category=r.category,
                agency_name=r.agency.name,
                subject=r.public_subject,
                content=r.public_content,
                answer=r.public_answer,
                published_at=r.published_at,
            )
            for r in rows
        ],
        total=total,
    )


@router.get("", response_model=schemas.FeedbackPage)
def staff_queue(
    session: SessionDep,
    user: OptionalUser,
    status: str | None = Query(None, pattern="^(new|assigned|answered|published|rejected)$"),
    after: str | None = Query(None, max_length=60),
    limit: int = Query(20, ge=1, le=100),
) -> schemas.FeedbackPage:
    """The caller's agency's feedback (and that escalated to it), open items by due time."""
    rows, next_after = service.queue(session, user, status=status, after=after, limit=limit)
    return schemas.FeedbackPage(
        items=[
            schemas.FeedbackRow(
                id=r.id,
                code=r.code,
                subject=r.subject,
                category=r.category,
                status=r.status,
                agency_code=r.agency.code,
                due_at=r.due_at,
                overdue=service.is_overdue(r),
                escalated=r.escalated_at is not None,
                created_at=r.created_at,
            )
            for r in rows
        ],
        next_after=next_after,
    )


@router.get("/{feedback_id}", response_model=schemas.FeedbackRead)
def get_item(
    request: Request,
    feedback_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: OptionalUser,
) -> schemas.FeedbackRead:
    """One item, for its agency's staff (anyone else: 404)."""
    item = service.get_for_staff(session, user, feedback_id)
    return item_read(request, item, service.dossier_code(session, item))


@router.post("/{feedback_id}/actions", response_model=schemas.FeedbackRead)
def act(
    request: Request,
    feedback_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    data: schemas.ActionIn,
    session: SessionDep,
    user: OptionalUser,
) -> schemas.FeedbackRead:
    """``assign`` [assignee_id], ``answer`` [answer, upheld, public_*], ``approve``,
    ``reject`` [comment] (of an answered item: sent back to the officer)."""
    item = service.perform(session, user, feedback_id, data)
    return item_read(request, item, service.dossier_code(session, item))
