"""The rating form of the dossier page (templates/ratings/_form.html): a POST with CSRF that
goes back to the dossier page, with a message next to the form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.db import MAX_ID
from app.errors import Conflict, InvalidInput
from app.ratings import service
from app.web import verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
ANCHOR = "danh-gia"


def _back(dossier_id: int, query: str) -> RedirectResponse:
    return RedirectResponse(f"/ho-so/{dossier_id}?{query}#{ANCHOR}", status_code=303)


@router.post("/ho-so/{dossier_id}/danh-gia", dependencies=[Depends(verify_csrf)])
async def rate(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """The applicant rates the service of a completed dossier (1–5, comment, complaint)."""
    form = await request.form()
    raw_score = str(form.get("score", "")).strip()
    comment = str(form.get("comment", ""))
    complaint = form.get("complaint") is not None
    score: object = int(raw_score) if raw_score.isdigit() and len(raw_score) < 3 else raw_score

    def work() -> Response:
        try:
            service.rate(session, user, dossier_id, score, comment, complaint)
        except InvalidInput as exc:
            field = next(iter(exc.fields), "score")
            return _back(dossier_id, f"rating_error={'comment' if field == 'comment' else 'score'}")
        except Conflict:
            return _back(dossier_id, "rating_error=conflict")
        return _back(dossier_id, "msg=rated")

    return await run_in_threadpool(work)
