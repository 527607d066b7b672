"""The audit log page for administrators: filters, pages, CSV/XLSX export, chain check."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.audit import service
from app.audit.api import action_labels
from app.errors import InvalidInput
from app.web import render, translator
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/quan-tri/nhat-ky")
def audit_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    actor: str = Query("", max_length=254),
    action: str = Query("", max_length=60),
    object_type: str = Query("", max_length=40),
    object_id: str = Query("", max_length=60),
    date_from: str = Query("", alias="from", max_length=10),
    date_to: str = Query("", alias="to", max_length=10),
    page: int = Query(1, ge=1, le=100_000),
    verify: bool = Query(False),
) -> Response:
    """Audit log (nhật ký hệ thống): who did what, when, from where."""
    _ = translator(request)
    service.require_reader(user)
    values = {
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "from": date_from,
        "to": date_to,
    }
    errors: dict[str, str] = {}
    rows: list[object] = []
    total = 0
    try:
        filters = service.parse_filters(actor, action, object_type, object_id, date_from, date_to)
    except InvalidInput as exc:
        for name in exc.fields or {"from": ""}:
            errors[name] = _(exc.detail)
    else:
        found, total = service.search(session, user, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        rows = list(found)
    query = urlencode({k: v for k, v in values.items() if v})
    check = service.check_chain(session) if verify and user.is_admin else None
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "audit/list.html",
        {
            "values": values,
            "errors": errors,
            "rows": rows,
            "total": total,
            "page": min(page, pages),
            "pages": pages,
            "query": query,
            "csv_url": f"/api/v1/audit?{query}&format=csv" if query else "/api/v1/audit?format=csv",
            "xlsx_url": (
                f"/api/v1/audit?{query}&format=xlsx" if query else "/api/v1/audit?format=xlsx"
            ),
            "actions": service.actions_in_use(session),
            "action_labels": action_labels(),
            "check": check,
        },
        status_code=422 if errors else 200,
    )
