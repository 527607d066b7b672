"""The staff's feedback pages: the queue of their agency (/can-bo/phan-anh, keyset pages,
overdue items flagged), one item with its actions, its attachments, and the register as
XLSX."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.accounts.models import User
from app.calendar import service as calendar_service
from app.db import MAX_ID, utcnow
from app.errors import DomainError, InvalidInput, NotFound
from app.feedback import register, schemas, service
from app.feedback.models import STATUSES
from app.i18n_markers import N_
from app.web import private_download, render, translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep
from app.web.forms import redirect

router = APIRouter(include_in_schema=False)
BASE = "/can-bo/phan-anh"
PAGE_SIZE = 20
FLASHES = {
    "assign": N_("Đã giao xử lý phản ánh."),
    "answer": N_("Đã gửi trả lời để lãnh đạo duyệt."),
    "approve": N_("Đã duyệt: người gửi đã được thông báo."),
    "reject": N_("Đã ghi nhận."),
}


def _staff(user: User) -> None:
    if not (user.is_staff or user.is_admin):
        raise NotFound(N_("Không tìm thấy trang"))


@router.get(BASE)
def queue_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    status: str = Query("", max_length=12),
    after: str = Query("", max_length=60),
) -> Response:
    """The agency's feedback, open items by due time (overdue first)."""
    _staff(user)
    chosen = status if status in STATUSES else None
    rows, next_after = service.queue(
        session, user, status=chosen, after=after or None, limit=PAGE_SIZE
    )
    return render(
        request,
        "feedback/queue.html",
        {
            "items": rows,
            "next_after": next_after,
            "status": chosen or "",
            "statuses": STATUSES,
            "status_labels": service.STATUS_LABELS,
            "category_labels": service.CATEGORY_LABELS,
            "is_overdue": service.is_overdue,
        },
    )


def _item_page(
    request: Request,
    session: SessionDep,
    user: User,
    item_id: int,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    item = service.get_for_staff(session, user, item_id)
    return render(
        request,
        "feedback/item.html",
        {
            "item": item,
            "dossier_code": service.dossier_code(session, item),
            "actions": service.available_actions(user, item),
            "handlers": service.handlers(session, item),
            "status_labels": service.STATUS_LABELS,
            "category_labels": service.CATEGORY_LABELS,
            "overdue": service.is_overdue(item),
            "errors": errors or {},
            "values": values or {},
            "flashes": FLASHES,
        },
        status_code,
    )


@router.get(BASE + "/so-theo-doi/xlsx")
def register_xlsx(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    tu: date | None = None,
    den: date | None = None,
) -> Response:
    """The feedback register of the caller's agency for a period (default: this year)."""
    _staff(user)
    cal = calendar_service.get_calendar(session)
    local_now = cal.local(utcnow())
    today = local_now.date()
    start_day = tu or date(today.year, 1, 1)
    end_day = den or today
    if end_day < start_day or (end_day - start_day).days > 3660:
        raise InvalidInput(N_("Khoảng thời gian không hợp lệ."))
    tz = local_now.tzinfo
    start = datetime.combine(start_day, time(), tz)
    end = datetime.combine(end_day + timedelta(days=1), time(), tz)
    items = service.register(session, user, start, end)
    data = register.xlsx(items, translator(request))
    return private_download(
        data,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"so-theo-doi-phan-anh-{start_day:%Y%m%d}-{end_day:%Y%m%d}.xlsx",
    )


@router.get(BASE + "/{feedback_id}")
def item_page(
    request: Request,
    feedback_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """One item with the caller's actions."""
    return _item_page(request, session, user, feedback_id)


@router.get(BASE + "/{feedback_id}/tep/{file_id}")
def item_file(
    feedback_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    file_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """An attachment of the item (its agency's staff)."""
    row, data = service.file_bytes(session, user, feedback_id, file_id)
    return private_download(data, row.content_type, row.filename)


@router.post(BASE + "/{feedback_id}/thao-tac", dependencies=[Depends(verify_csrf)])
async def item_action(
    request: Request,
    feedback_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Take an action from the item page."""
    _ = translator(request)
    form = await request.form()
    values = {k: str(v)[:10000] for k, v in form.items() if isinstance(v, str)}
    assignee = values.get("assignee_id", "").strip()
    upheld = values.get("upheld", "")

    def work() -> Response:
        try:
            data = schemas.ActionIn(
                action=values.get("action", ""),
                assignee_id=int(assignee) if assignee.isdigit() and len(assignee) < 10 else None,
                answer=values.get("answer"),
                upheld={"yes": True, "no": False}.get(upheld),
                comment=values.get("comment"),
                public_subject=values.get("public_subject"),
                public_content=values.get("public_content"),
                public_answer=values.get("public_answer"),
            )
        except ValidationError:
            return _item_page(
                request,
                session,
                user,
                feedback_id,
                {"form": _("Thao tác không hợp lệ.")},
                values,
                422,
            )
        try:
            service.perform(session, user, feedback_id, data)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            message = _(exc.detail)
            errors = {k: _(v) for k, v in exc.fields.items()} or {"form": message}
            session.rollback()
            return _item_page(request, session, user, feedback_id, errors, values, exc.status_code)
        session.commit()
        return redirect(f"{BASE}/{feedback_id}", f"feedback_{data.action}")

    return await run_in_threadpool(work)
