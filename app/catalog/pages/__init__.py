"""Catalogue pages: the public catalogue, /thu-tuc and /thu-tuc/{code}; and ``router`` with
every catalogue page, the procedure designer under /quan-tri/thu-tuc included (``designer``,
``designer_items``)."""

from __future__ import annotations

from math import ceil
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.catalog import service
from app.catalog.pages import blank_forms, designer, designer_items
from app.config import get_settings
from app.web import render
from app.web.deps import OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)


@router.get("/thu-tuc")
def catalogue(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    q: str = "",
    agency: str = "",
    field: str = "",
    online_level: str = "",
    page: int = 1,
) -> Response:
    size = get_settings().page_size
    page = max(1, min(page, 10_000))
    if online_level not in ("", "full", "partial"):
        online_level = ""
    flt = service.CatalogFilter(
        q=q[:200], agency=agency[:35], field=field[:120], online_level=online_level
    )
    rows, total = service.list_procedures(session, flt, size, (page - 1) * size)
    pages = max(1, ceil(total / size))
    base = {
        k: v
        for k, v in (("q", q), ("agency", agency), ("field", field), ("online_level", online_level))
        if v
    }
    return render(
        request,
        "catalog/list.html",
        {
            "items": rows,
            "main_agency": service.main_agency,
            "total": total,
            "page": page,
            "pages": pages,
            "filters": flt,
            "fields": service.fields_in_use(session),
            "agencies": service.agencies_in_use(session),
            "page_url": lambda p: "/thu-tuc?" + urlencode({**base, "page": p}),
        },
    )


@router.get("/thu-tuc/{code}")
def procedure_page(
    code: str,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
) -> Response:
    version = service.get_published(session, code)
    return render(request, "catalog/detail.html", {"p": version})


router.include_router(blank_forms.router)  # before designer_items: its paths are more specific
router.include_router(designer.router)
router.include_router(designer_items.router)
