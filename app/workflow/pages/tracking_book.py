"""The tracking book (form 07) of a period as a page, a page at a time, with its PDF and
XLSX downloads."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.errors import InvalidInput
from app.formatting import parse_query_day
from app.i18n_markers import N_
from app.reports import service as report_service
from app.web import render, translator
from app.web.deps import CurrentUser, SessionDep
from app.workflow.pages import common

router = APIRouter(include_in_schema=False)

# A tracking-book page link that was altered, cut short or belongs to another book.
BAD_PAGE_LINK = N_("Liên kết trang của sổ không hợp lệ. Bấm “Xem sổ” để xem lại sổ từ trang đầu.")


# --- tracking book ------------------------------------------------------------------------


@router.get("/can-bo/so-theo-doi")
def tracking_book_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    agency: str = Query("", max_length=35),
    # Any length: a cursor that is too long is reported next to the form like any bad one.
    date_from: str = Query("", alias="from", max_length=20),
    date_to: str = Query("", alias="to", max_length=20),
    cursor: str = Query(""),
) -> Response:
    """The tracking book (form 07) of a period, a page at a time, with its PDF and XLSX
    downloads."""
    _ = translator(request)
    common.require_staff(user)
    agencies = report_service.book_agencies(session, user)
    today = common.local_today()
    values = {
        "agency": agency
        or (user.agency.code if user.agency else "")
        or (agencies[0].code if agencies else ""),
        "from": date_from or today.replace(day=1).isoformat(),
        "to": date_to or today.isoformat(),
    }
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name in ("from", "to"):
        try:
            days[name] = parse_query_day(values[name], name)
        except InvalidInput as exc:
            errors[name] = _(exc.detail)
    book = None
    if not errors and values["agency"]:
        try:
            book = report_service.tracking_book(
                session, user, values["agency"], days["from"], days["to"], cursor=cursor or None
            )
        except InvalidInput as exc:
            for name in exc.fields or {"to": ""}:
                message = BAD_PAGE_LINK if name == "cursor" else exc.detail
                errors[name] = _(message)
    query = urlencode({"agency": values["agency"], "from": values["from"], "to": values["to"]})
    page_url = f"/can-bo/so-theo-doi?{query}"
    next_cursor = book["extra"]["next_cursor"] if book else None
    previous = book["extra"]["previous_cursor"] if book else None
    previous_url = None
    if previous is not None:
        previous_url = f"{page_url}&{urlencode({'cursor': previous})}" if previous else page_url
    return render(
        request,
        "workflow/tracking_book.html",
        {
            "agencies": agencies,
            "values": values,
            "errors": errors,
            "book": book,
            "rows": book["extra"]["rows"] if book else [],
            "first_url": page_url if cursor else None,
            "previous_url": previous_url,
            "next_url": f"{page_url}&{urlencode({'cursor': next_cursor})}" if next_cursor else None,
            "pdf_url": f"/api/v1/reports/tracking-book?{query}&format=pdf",
            "xlsx_url": f"/api/v1/reports/tracking-book?{query}&format=xlsx",
        },
        status_code=422 if errors else 200,
    )
