"""The citizen's "Kho dữ liệu" page (/tai-khoan/kho-du-lieu): their stored documents, with
download and removal from the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.db import MAX_ID
from app.docstore import service
from app.web import private_download, render, request_locale, verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
BASE = "/tai-khoan/kho-du-lieu"


def _size_label(size: int, locale: str) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    text = f"{size / (1024 * 1024):.1f}"
    return f"{text.replace('.', ',') if locale == 'vi' else text} MB"


@router.get(BASE)
def store_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    """The caller's stored documents, newest first."""
    rows, total = service.list_mine(session, user, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    locale = request_locale(request)
    return render(
        request,
        "docstore/list.html",
        {
            "items": rows,
            "total": total,
            "page": min(page, pages),
            "pages": pages,
            "reused": service.times_reused(session, [r.id for r in rows]),
            "kind_labels": service.KIND_LABELS,
            "size_label": lambda n: _size_label(n, locale),
        },
    )


@router.get(BASE + "/{document_id}/tai-ve")
def store_download(
    document_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Download one of the caller's stored documents."""
    row, data = service.read_bytes(session, user, document_id)
    return private_download(data, row.content_type, row.filename)


@router.post(BASE + "/{document_id}/xoa", dependencies=[Depends(verify_csrf)])
def store_remove(
    document_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Take a document out of the store (dossiers that hold it keep their files)."""
    service.remove(session, user, document_id)
    session.commit()
    return RedirectResponse(f"{BASE}?msg=document_removed", status_code=303)
