"""Report endpoints of the JSON API: the tracking book (form 07) as JSON pages, PDF or XLSX."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app.documents import service as document_service
from app.formatting import parse_query_day
from app.reports import schemas, service
from app.web import content_disposition
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CHUNK = 64 * 1024


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    """The file from its start, then closed (a temporary file is deleted)."""
    try:
        file.seek(0)
        while chunk := file.read(_CHUNK):
            yield chunk
    finally:
        file.close()


@router.get(
    "/tracking-book",
    response_class=Response,
    responses={
        200: {
            "description": "`format=json`: a page of rows; `pdf` and `xlsx`: the whole book",
            "model": schemas.BookPage,
            "content": {"application/pdf": {}, XLSX_TYPE: {}},
        },
        403: {"description": "Not the caller's agency (or subtree for agency admins)"},
        404: {"description": "Unknown agency"},
        422: {
            "description": "Bad dates, a period longer than 366 days, a bad cursor, or a book "
            f"too long for the format (PDF: {service.MAX_PDF_ROWS} dossiers, XLSX: "
            f"{service.MAX_XLSX_ROWS}): choose a shorter period"
        },
    },
)
def tracking_book(
    session: SessionDep,
    user: CurrentUser,
    agency: str = Query(max_length=35, description="Agency code, e.g. 000.00.51.H31"),
    date_from: str = Query(alias="from", max_length=10, description="First day, YYYY-MM-DD"),
    date_to: str = Query(alias="to", max_length=10, description="Last day, YYYY-MM-DD"),
    format: Literal["pdf", "xlsx", "json"] = Query(
        "pdf", description="`pdf` (default) or `xlsx`: the book; `json`: one page of it"
    ),
    cursor: str | None = Query(
        None, max_length=120, description="JSON only: `next_cursor` of the previous page"
    ),
    limit: int = Query(
        service.PAGE_SIZE, ge=1, le=service.MAX_PAGE_SIZE, description="JSON only: rows per page"
    ),
) -> Response:
    """Tracking book (form 07): dossiers received by an agency in a period, oldest first.

    JSON comes in pages (keyset: follow `next_cursor`); the PDF holds at most
    500 dossiers and the XLSX at most 50,000, beyond which the answer is 422.
    """
    start = parse_query_day(date_from, "from")
    end = parse_query_day(date_to, "to")
    if format == "json":
        page = service.book_page(session, user, agency, start, end, cursor=cursor, limit=limit)
        body = schemas.BookPage.model_validate(page).model_dump(mode="json")
        return JSONResponse(body, headers={"Cache-Control": "private, no-store"})
    headers = {
        "Content-Disposition": content_disposition(
            f"{document_service.FILE_STEMS['form_07']}-{agency}-{start:%Y%m%d}-{end:%Y%m%d}.{format}"
        ),
        "Cache-Control": "private, no-store",
    }
    if format == "pdf":
        data = service.book_pdf(session, user, agency, start, end)
        return Response(data, media_type="application/pdf", headers=headers)
    # Written to a temporary file while the session is open, then sent from it in chunks.
    file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _chunks once sent)
    try:
        service.book_xlsx(session, user, agency, start, end, file)
        headers["Content-Length"] = str(file.tell())
    except BaseException:
        file.close()
        raise
    return StreamingResponse(_chunks(file), media_type=XLSX_TYPE, headers=headers)
