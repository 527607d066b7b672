"""A dossier as staff see it (/can-bo/ho-so/{id}), with one form per action they may take
now, its files and documents; a domain error re-renders the page with the message next to the
field it is about, and a success redirects (303) with a flash message."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from app.accounts.models import User
from app.calendar import service as calendar_service
from app.db import utcnow
from app.docstore import service as docstore_service
from app.documents import results
from app.documents import service as document_service
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn
from app.errors import DomainError, NotFound
from app.formatting import parse_day_text
from app.i18n_markers import N_
from app.postal import service as postal_service
from app.storage import service as storage
from app.web import content_disposition, render, translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep
from app.workflow import due_dates
from app.workflow import service as workflow
from app.workflow.pages import common

router = APIRouter(include_in_schema=False)

# Order of the action forms on the dossier page: the usual next step first.
ACTION_ORDER = (
    "accept_withdrawal",
    "receive",
    "forward",
    "approve",
    "request_payment",
    "attach_result",
    "return_result",
    "request_supplement",
    "send_back",
    "extend",
    "reject",
    "stop",
)
# The inputs of each action's form; a service error naming one of them is shown next to it.
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "receive": ("assignee_id", "comment"),
    "forward": ("assignee_id", "comment"),
    "approve": ("assignee_id", "comment"),
    "request_payment": ("comment",),
    "attach_result": ("file", "valid_until", "comment"),
    "return_result": ("tracking_number", "comment"),
    "request_supplement": ("missing_components", "data_problems", "comment"),
    "send_back": ("comment",),
    "extend": ("new_due_at", "comment"),
    "reject": ("reasons",),
    "stop": ("comment",),
    "accept_withdrawal": ("comment",),
}
# Actions a rule of Decree 118/2025 may hold back; the page says why instead of a form.
HELD_BACK = ("request_supplement", "stop")
# The inputs of the declared-data problems of a supplement request: one per form field.
PROBLEM_PREFIX = "problem."
# Actions that hand the dossier on to a next step, where an officer may be chosen.
HAND_ON = ("receive", "forward", "approve")


def _display_value(field: dict[str, Any], value: Any) -> Any:
    if field.get("type") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


# --- the dossier --------------------------------------------------------------------------


def _dossier_page(
    request: Request,
    session: Session,
    user: User,
    dossier: Dossier,
    *,
    errors: dict[str, str] | None = None,
    error_action: str | None = None,
    values: dict[str, Any] | None = None,
    form_error: str | None = None,
    page_error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    cal = calendar_service.get_calendar(session)
    version = dossier.version
    available = set(workflow.available_actions(session, dossier, user, now))
    actions = [a for a in ACTION_ORDER if a in available] if dossier.status != "draft" else []
    files = dossier_service.active_files(dossier)
    by_component: dict[str, list[Any]] = {}
    for row in files:
        by_component.setdefault(row.component_code or "", []).append(row)
    components = [{"c": c, "files": by_component.get(c.code, [])} for c in version.components]
    declared = [
        {
            "name": f["name"],
            "label": f.get("label", f["name"]),
            "type": f.get("type"),
            "value": _display_value(f, v),
        }
        for f in common.declared(version)
        for v in [dossier.form_data.get(f["name"])]
    ]
    documents = document_service.for_dossier(session, dossier.id)
    form_01 = next((doc for doc in reversed(documents) if doc.kind == "form_01"), None)
    overdue, due_today = dossier_service.flags(dossier, now)
    answer = None
    if dossier.status == "submitted" and dossier.answer_due_at is not None:
        breached = dossier.answer_due_at <= now
        left = 0.0 if breached else cal.working_hours_between(now, dossier.answer_due_at)
        minutes = max(0, round(left * 60))
        answer = {"breached": breached, "hours": minutes // 60, "minutes": minutes % 60}
    due_local = dossier.due_at.astimezone(common.tz()) if dossier.due_at else None
    # Form 04 proposes a valid new date (finding m15): the close of the working day after the
    # current one; the rule "after the old date" stays with the action.
    extend_to = None
    if due_local is not None:
        extend_to = cal.working_periods(cal.next_working_day(due_local.date()))[-1][1]
    held = {
        a: error.detail
        for a in HELD_BACK
        if (error := workflow.refusal(session, dossier, user, a, now)) is not None
    }
    withdrawal = (
        next((e for e in reversed(dossier.events) if e.action == "request_withdrawal"), None)
        if dossier.status == "withdrawal_requested"
        else None
    )
    flash = request.query_params.get("msg")
    collect_url = common.counter_url(session, user, dossier)
    refund_url = common.refund_url(session, user, dossier)
    return render(
        request,
        "workflow/dossier.html",
        {
            "d": dossier,
            "refund_url": refund_url,
            "version": version,
            "agency": dossier.agency,
            "overdue": overdue,
            "due_today": due_today,
            "answer": answer,
            "declared": declared,
            "components": components,
            "origins": docstore_service.origins(session, [f.id for f in files]),
            "result_files": dossier_service.active_files(dossier, "result"),
            "postal": postal_service.get(session, dossier.id),
            "result_signing": "attach_result" not in actions
            or results.can_sign(session, dossier.agency_id),
            "documents": documents,
            "pending_documents": document_service.pending_ids(documents),
            "form_01": form_01,
            "runs": list(dossier.step_runs),
            "events": list(dossier.events),
            "actions": actions,
            "held": held,
            "withdrawal": withdrawal,
            "problem_fields": declared,
            "problem_prefix": PROBLEM_PREFIX,
            "collect_url": collect_url,
            "officers": {
                a: common.officers(session, dossier, common.next_step(dossier, a))
                for a in HAND_ON
                if a in actions
            },
            "next_steps": {a: common.next_step(dossier, a) for a in HAND_ON if a in actions},
            "errors": errors or {},
            "error_action": error_action,
            "values": values or {},
            "form_error": form_error,
            "page_error": page_error,
            "action_flash": flash if flash in workflow.ACTION_LABELS else None,
            "action_labels": workflow.ACTION_LABELS,
            "status_labels": dossier_service.STATUS_LABELS,
            "channel_labels": dossier_service.CHANNEL_LABELS,
            "rules": cal.rules,
            "due_explanation": due_dates.explain_dossier(session, dossier),
            "extend_default": {
                "date": extend_to.date().isoformat() if extend_to else "",
                "time": extend_to.strftime("%H:%M") if extend_to else "17:00",
            },
            "now": now,
        },
        status_code=status_code,
    )


@router.get("/can-bo/ho-so/{dossier_id}")
def staff_dossier(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """A dossier as staff see it, with one form per action they may take now."""
    common.require_staff(user)
    dossier = dossier_service.get_visible(session, user, dossier_id)
    return _dossier_page(request, session, user, dossier)


@router.get("/can-bo/ho-so/{dossier_id}/tep/{file_id}")
def staff_file(
    dossier_id: int,
    file_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Download a file of a dossier the officer may see."""
    common.require_staff(user)
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


@router.get("/can-bo/ho-so/{dossier_id}/van-ban/{document_id}")
def staff_document(
    dossier_id: int,
    document_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """A generated document (form, result) of the dossier as PDF, ready to print."""
    common.require_staff(user)
    dossier = dossier_service.get_visible(session, user, dossier_id)
    doc = session.get(Document, document_id)
    if doc is None or doc.dossier_id != dossier.id:
        raise NotFound(N_("Không tìm thấy văn bản."))
    return Response(
        document_service.pdf_bytes(session, doc),
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(
                document_service.download_name(doc, dossier), inline=True
            ),
            "Cache-Control": "private, no-store",
        },
    )


def _form_values(form: FormData) -> dict[str, Any]:
    """What was typed, to put back into the form after an error."""
    values: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    values["missing_components"] = [
        v for v in form.getlist("missing_components") if isinstance(v, str)
    ]
    return values


def _action_input(_: Any, action: str, form: FormData) -> tuple[ActionIn | None, dict[str, str]]:
    """The action's input from its form, and what the page itself can already tell is wrong."""
    errors: dict[str, str] = {}
    comment = str(form.get("comment", "")).strip()
    data: dict[str, Any] = {"action": action, "comment": comment}
    assignee = str(form.get("assignee_id", "")).strip()
    if assignee:
        if assignee.isdigit():
            data["assignee_id"] = int(assignee)
        else:
            errors["assignee_id"] = _("Cán bộ được chọn không xử lý được bước này.")
    if action == "request_supplement":
        data["missing_components"] = [
            v for v in form.getlist("missing_components") if isinstance(v, str)
        ]
        data["data_problems"] = [
            {"field": key[len(PROBLEM_PREFIX) :], "problem": value.strip()}
            for key, value in form.multi_items()
            if key.startswith(PROBLEM_PREFIX) and isinstance(value, str) and value.strip()
        ]
        if not comment:
            errors["comment"] = _("Nêu lý do yêu cầu bổ sung.")
    elif action == "reject":
        raw = str(form.get("reasons", ""))
        data["reasons"] = [line.strip() for line in raw.splitlines() if line.strip()]
    elif action == "attach_result" and str(form.get("valid_until", "")).strip():
        valid = parse_day_text(form.get("valid_until", ""))
        if valid is None:
            errors["valid_until"] = _("Nhập ngày theo dạng dd/mm/yyyy.")
        else:
            data["valid_until"] = valid
    elif action == "return_result" and str(form.get("tracking_number", "")).strip():
        data["tracking_number"] = str(form.get("tracking_number", "")).strip()[:40]
    elif action == "extend":
        day = parse_day_text(form.get("new_due_date", ""))
        clock = str(form.get("new_due_time", "")).strip() or "17:00"
        try:
            if day is None:
                raise ValueError("new_due_date")
            data["new_due_at"] = datetime.combine(day, time.fromisoformat(clock), common.tz())
        except ValueError:
            errors["new_due_at"] = _("Nhập ngày (dd/mm/yyyy) và giờ hẹn trả mới.")
    try:
        inp = ActionIn.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "action"
            if name in ("comment", "data_problems"):
                errors[name] = _("Nội dung quá dài.")
            else:
                errors.setdefault("_form", _("Thao tác không hợp lệ."))
        return None, errors
    return inp, errors


@router.post("/can-bo/ho-so/{dossier_id}/thao-tac", dependencies=[Depends(verify_csrf)])
async def dossier_action(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Take one action on the dossier from its form; errors come back next to the fields."""
    form = await request.form()
    upload, upload_error = await common.form_upload(form)
    return await run_in_threadpool(
        _act, request, session, user, dossier_id, form, upload, upload_error
    )


def _act(
    request: Request,
    session: Session,
    user: User,
    dossier_id: int,
    form: FormData,
    upload: tuple[str, bytes] | None,
    upload_error: DomainError | None,
) -> Response:
    _ = translator(request)
    common.require_staff(user)
    dossier = dossier_service.get_visible(session, user, dossier_id)
    action = str(form.get("action", ""))[:30]
    values = _form_values(form)
    if action not in ACTION_FIELDS:
        return _dossier_page(
            request,
            session,
            user,
            dossier,
            page_error=_("Thao tác không hợp lệ."),
            status_code=422,
        )
    inp, errors = _action_input(_, action, form)
    status = 422
    if upload_error is not None:
        errors["file"] = _(upload_error.detail)
        status = upload_error.status_code
    if inp is None or errors:
        form_error = errors.pop("_form", None)
        return _dossier_page(
            request,
            session,
            user,
            dossier,
            errors=errors,
            error_action=action,
            values=values,
            form_error=form_error,
            status_code=status,
        )
    try:
        workflow.perform(session, dossier, user, inp, upload)
    except DomainError as exc:
        if exc.status_code == 401:
            raise
        # Nothing of a failed action is kept (the request would otherwise commit it).
        session.rollback()
        dossier = dossier_service.get_visible(session, user, dossier_id)
        fields = ACTION_FIELDS[action]
        mapped = {name: _(exc.detail) for name in exc.fields if name in fields}
        form_error = None if mapped else _(exc.detail)
        page_error = None
        if exc.status_code == 409:
            # A rule that holds the action back says so; otherwise someone else acted first.
            still = action in workflow.available_actions(session, dossier, user)
            still = still or workflow.refusal(session, dossier, user, action) is not None
            page_error = (
                _(exc.detail)
                if still
                else _(
                    "Hồ sơ vừa được người khác xử lý: thao tác “%(action)s” không còn thực hiện "
                    "được. Trang đã hiển thị tình trạng mới nhất của hồ sơ."
                )
                % {"action": _(workflow.ACTION_LABELS[action])}
            )
            form_error = None
        return _dossier_page(
            request,
            session,
            user,
            dossier,
            errors=mapped,
            error_action=action,
            values=values,
            form_error=form_error,
            page_error=page_error,
            status_code=exc.status_code,
        )
    return common.see_other(session, f"/can-bo/ho-so/{dossier.id}?msg={action}")
