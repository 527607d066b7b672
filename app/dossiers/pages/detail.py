"""The citizen's dossiers: "Hồ sơ của tôi", a dossier's page (status, appointment,
timeline, documents, withdrawal) and its files and documents."""

from __future__ import annotations

from math import ceil
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.accounts.models import User
from app.config import get_settings
from app.documents import service as document_service
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.pages import common
from app.dossiers.schemas import ActionIn
from app.errors import NotFound
from app.i18n_markers import N_
from app.payments import refunds
from app.payments import service as payment_service
from app.postal import service as postal_service
from app.ratings import service as rating_service
from app.receipts.models import Receipt
from app.storage import service as storage
from app.web import content_disposition, render, request_locale, translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep
from app.workflow import service as workflow

router = APIRouter(include_in_schema=False)

# --- my dossiers -------------------------------------------------------------------------


GROUP_LABELS = {
    "draft": N_("Hồ sơ nháp"),
    "in_progress": N_("Đang giải quyết"),
    "supplement": N_("Cần bổ sung"),
    "done": N_("Đã kết thúc"),
}


@router.get("/ho-so")
def my_dossiers(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: int = 1,
    group: str = Query("", max_length=20),
) -> Response:
    """ "Hồ sơ của tôi": the citizen's dossiers, newest first, filtered by group (drafts, in
    progress, needing a supplement, done) with plain links, so it works without JavaScript."""
    size = get_settings().page_size
    page = max(1, min(page, 10_000))
    chosen = group if group in dossier_service.MY_GROUPS else ""
    rows, total = dossier_service.list_mine(session, user, size, (page - 1) * size, chosen or None)
    counts = dossier_service.count_mine(session, user)
    return render(
        request,
        "dossiers/list.html",
        {
            "items": rows,
            "total": total,
            "all_total": sum(counts.values()),
            "counts": counts,
            "group": chosen,
            "group_labels": GROUP_LABELS,
            "page": page,
            "pages": max(1, ceil(total / size)),
            "status_labels": dossier_service.STATUS_LABELS,
        },
    )


# --- deleting a draft, copying a dossier ------------------------------------------------------


@router.get("/ho-so/{dossier_id}/xoa")
def delete_draft_confirm(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """The confirmation step before a draft is deleted (a page, so it works without JS)."""
    dossier = common.owned(session, user, dossier_id)
    if dossier.status != "draft":
        return common.redirect(f"/ho-so/{dossier.id}")
    return render(
        request,
        "dossiers/delete.html",
        {"d": dossier, "files": dossier_service.active_files(dossier)},
    )


@router.post("/ho-so/{dossier_id}/xoa", dependencies=[Depends(verify_csrf)])
def delete_draft(
    dossier_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Delete one's own draft; its attached files go with it."""
    dossier = common.owned(session, user, dossier_id)
    dossier_service.delete_draft(session, user, dossier)
    return common.saved_redirect(session, "/ho-so?group=draft", "draft_deleted")


@router.post("/ho-so/{dossier_id}/sao-chep", dependencies=[Depends(verify_csrf)])
def copy_dossier(
    dossier_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """A new draft of the same procedure with this dossier's declared data and applicant
    (files are not copied); the citizen lands on it."""
    source = common.owned(session, user, dossier_id)
    copy = dossier_service.copy_as_new(session, user, source)
    return common.saved_redirect(session, f"/ho-so/{copy.id}/khai", "copied")


# --- the dossier page --------------------------------------------------------------------


def _dossier_page(
    request: Request,
    session: Session,
    user: User,
    dossier: Dossier,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    documents = document_service.for_dossier(session, dossier.id)
    names = {c.code: c.name for c in dossier.version.components}
    return render(
        request,
        "dossiers/detail.html",
        {
            "d": dossier,
            "actions": workflow.available_actions(session, dossier, user),
            "documents": documents,
            "pending_documents": document_service.pending_ids(documents),
            "component_files": [
                (names.get(f.component_code or "", f.component_code or ""), f)
                for f in dossier_service.active_files(dossier)
            ],
            "result_files": dossier_service.active_files(dossier, "result"),
            "events": dossier_service.public_events(dossier),
            "status_labels": dossier_service.STATUS_LABELS,
            "channel_labels": dossier_service.CHANNEL_LABELS,
            "action_labels": workflow.ACTION_LABELS,
            "size_label": lambda n: common.size_label(n, request_locale(request)),
            "errors": errors or {},
            "values": values or {},
            # Nothing is collected for a dossier that ended without the service: what was
            # paid is owed back instead (SPEC §6).
            "outstanding": payment_service.outstanding(session, dossier)
            if dossier.status not in ("draft", *refunds.REFUNDABLE_STATUSES)
            else 0,
            "refund_due": refunds.refund_due(session, dossier),
            "refunded": refunds.refunded(session, dossier.id),
            "receipts": receipts_of(session, dossier.id),
            "rating": rating_service.rating_for(session, dossier.id),
            "postal": postal_service.get(session, dossier.id),
        },
        status_code=status_code,
    )


@router.get("/ho-so/{dossier_id}")
def dossier_page(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Status, appointment, timeline, documents and what the applicant may do now."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    if not dossier_service.is_owner(user, dossier):
        return RedirectResponse(f"/can-bo/ho-so/{dossier.id}", status_code=303)
    return _dossier_page(request, session, user, dossier)


@router.post("/ho-so/{dossier_id}/rut", dependencies=[Depends(verify_csrf)])
async def withdraw(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Withdraw the dossier (Decree 118/2025 Art. 21): a reason and a confirmation."""
    form = await request.form()
    reason = str(form.get("reason", "")).strip()
    confirmed = form.get("confirm") is not None

    def work() -> Response:
        _ = translator(request)
        dossier = common.owned(session, user, dossier_id)
        errors: dict[str, str] = {}
        if not reason:
            errors["reason"] = _("Vui lòng nêu lý do rút hồ sơ.")
        elif len(reason) > 2000:
            errors["reason"] = _("Nội dung quá dài (tối đa %(n)d ký tự).") % {"n": 2000}
        if not confirmed:
            errors["confirm"] = _("Vui lòng xác nhận bạn muốn rút hồ sơ.")
        if errors:
            values = {"reason": reason, "confirm": confirmed}
            return _dossier_page(request, session, user, dossier, errors, values, 422)
        workflow.perform(session, dossier, user, ActionIn(action="withdraw", comment=reason))
        # A received dossier waits for the agency's acceptance (Decree 118/2025 Art. 21).
        return common.saved_redirect(session, f"/ho-so/{dossier.id}", dossier.status)

    return await run_in_threadpool(work)


@router.get("/ho-so/{dossier_id}/tep/{file_id}")
def download_file(
    dossier_id: int,
    file_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """A dossier file, for its owner and the handling agency's staff only."""
    row = dossier_service.get_file(session, user, dossier_id, file_id)
    dossier = dossier_service.get_visible(session, user, dossier_id)
    return Response(
        storage.read_bytes(row.sha256),
        media_type=row.content_type,
        headers={
            "Content-Disposition": content_disposition(
                document_service.file_download_name(row, dossier)
            ),
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/ho-so/{dossier_id}/van-ban/{document_id}")
def document_pdf(
    dossier_id: int,
    document_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """A document issued for the dossier (forms, receipts, results) as PDF."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    doc = session.get(Document, document_id)
    if doc is None or doc.dossier_id != dossier.id:
        raise NotFound(N_("Không tìm thấy văn bản."))
    data = document_service.pdf_bytes(session, doc)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(
                document_service.download_name(doc, dossier), inline=True
            ),
            "Cache-Control": "private, no-store",
        },
    )


def receipts_of(session: Session, dossier_id: int) -> list[Any]:
    return list(
        session.scalars(
            select(Receipt).where(Receipt.dossier_id == dossier_id).order_by(Receipt.id)
        )
    )
