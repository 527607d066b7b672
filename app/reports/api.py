"""Report endpoints of the JSON API: the tracking book (form 07) as PDF or XLSX."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.deps import current_user
from app.accounts.models import User
from app.db import get_session
from app.documents import render
from app.reports import service
from app.web import content_disposition

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/tracking-book",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, XLSX_TYPE: {}}},
        403: {"description": "Not the caller's agency (or subtree for agency admins)"},
        422: {"description": "Bad dates or a period longer than 366 days"},
    },
)
def tracking_book(
    agency: str = Query(max_length=35, description="Agency code, e.g. 000.00.51.H31"),
    date_from: str = Query(alias="from", max_length=10, description="First day, YYYY-MM-DD"),
    date_to: str = Query(alias="to", max_length=10, description="Last day, YYYY-MM-DD"),
    format: Literal["pdf", "xlsx"] = Query("pdf"),
    session: Session = Depends(get_session, scope="function"),
    user: User = Depends(current_user),
) -> Response:
    """Tracking book (form 07): dossiers received by an agency in a period, as PDF or XLSX."""
    start = service.parse_day(date_from, "from")
    end = service.parse_day(date_to, "to")
    context = service.tracking_book(session, user, agency, start, end)
    name = f"so-theo-doi-ho-so_{agency}_{start:%Y%m%d}-{end:%Y%m%d}.{format}"
    if format == "xlsx":
        data, media_type = render.tracking_book_xlsx(context), XLSX_TYPE
    else:
        data, media_type = service.book_pdf(session, user, context), "application/pdf"
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(name),
            "Cache-Control": "private, no-store",
        },
    )
