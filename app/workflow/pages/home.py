"""The officer's desk (/can-bo): the dossiers they can act on, by due time, a page at a
time."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.calendar import service as calendar_service
from app.db import utcnow
from app.dossiers import service as dossier_service
from app.dossiers.state import DossierState
from app.errors import InvalidInput
from app.web import render
from app.web.deps import CurrentUser, SessionDep
from app.workflow import queue as work_queue
from app.workflow.pages import common

router = APIRouter(include_in_schema=False)

QUEUE_PAGE_SIZE = 25


def _parse_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The queue cursor of the next-page link; nonsense (an altered link) restarts."""
    try:
        return work_queue.parse_cursor(cursor)
    except InvalidInput:
        return None


# --- the queue ----------------------------------------------------------------------------


def _queue_item(
    cal: calendar_service.WorkCalendar, d: DossierState, now: datetime
) -> dict[str, Any]:
    overdue, due_today = dossier_service.flags(d, now)
    answer = None
    if d.status == "submitted" and d.answer_due_at is not None:
        breached = d.answer_due_at <= now
        left = 0.0 if breached else cal.working_hours_between(now, d.answer_due_at)
        minutes = max(0, round(left * 60))
        answer = {
            "due_at": d.answer_due_at,
            "breached": breached,
            "hours": minutes // 60,
            "minutes": minutes % 60,
        }
    return {
        "id": d.id,
        "code": d.code,
        "procedure_code": d.version.code,
        "procedure_name": d.version.name,
        "applicant_name": d.applicant_name,
        "channel": d.channel,
        "status": d.status,
        "submitted_at": d.submitted_at,
        "step_name": d.current_step.name if d.current_step else "",
        "due_at": d.step_due_at or d.answer_due_at,
        "dossier_due_at": d.due_at,
        "overdue": overdue and not (answer and answer["breached"]),
        "due_today": due_today,
        "answer": answer,
    }


@router.get("/can-bo")
def staff_desk(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    cursor: str = Query("", max_length=80),
) -> Response:
    """The officer's desk: the dossiers they can act on, by due time."""
    common.require_staff(user)
    after = _parse_cursor(cursor) if cursor else None
    entries = work_queue.queue(session, user, QUEUE_PAGE_SIZE + 1, after) if user.is_staff else []
    rows = [entry.dossier for entry in entries]
    more = len(rows) > QUEUE_PAGE_SIZE
    rows = rows[:QUEUE_PAGE_SIZE]
    now = utcnow()
    cal = calendar_service.get_calendar(session)
    last = rows[-1] if rows else None
    next_url = (
        "/can-bo?" + urlencode({"cursor": f"{last.step_due_at.isoformat()}_{last.id}"})
        if more and last is not None and last.step_due_at is not None
        else None
    )
    return render(
        request,
        "workflow/home.html",
        {
            "roles": sorted(user.roles),
            "items": [_queue_item(cal, d, now) for d in rows],
            "next_url": next_url,
            "first_page": after is None,
            "channel_labels": dossier_service.CHANNEL_LABELS,
            "status_labels": dossier_service.STATUS_LABELS,
        },
    )
