"""Staff pages (§3–§5): the officer's queue, a dossier as staff see it with one form per
available action, counter reception, and the tracking book (form 07).

Every page works without JavaScript; a domain error re-renders the page with the message
next to the field it is about, and a success redirects (303) with a flash message.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.accounts import service as account_service
from app.accounts.models import STAFF_ROLES, User, UserRole
from app.accounts.schemas import ID_NUMBER_RE, PHONE_RE, clean_phone
from app.calendar import service as calendar_service
from app.catalog import service as catalog_service
from app.catalog.models import ProcedureVersion, ProcessStep
from app.config import get_settings
from app.db import utcnow
from app.documents import service as document_service
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn, ApplicantIn, DossierCreate, DossierUpdate
from app.errors import DomainError, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from app.i18n_markers import N_
from app.reports import service as report_service
from app.storage import service as storage
from app.web import content_disposition, render, translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep
from app.workflow import service as workflow

router = APIRouter(include_in_schema=False)

QUEUE_PAGE_SIZE = 25
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
APPLICANT_KEYS = ("full_name", "id_number", "phone", "email", "address")
APPLICANT_MAX = {"full_name": 120, "id_number": 12, "phone": 20, "email": 254, "address": 255}
# Order of the action forms on the dossier page: the usual next step first.
ACTION_ORDER = (
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
    "attach_result": ("file", "comment"),
    "return_result": ("comment",),
    "request_supplement": ("missing_components", "comment"),
    "send_back": ("comment",),
    "extend": ("new_due_at", "comment"),
    "reject": ("reasons",),
    "stop": ("comment",),
}
# Actions that hand the dossier on to a next step, where an officer may be chosen.
HAND_ON = ("receive", "forward", "approve")
# A tracking-book page link that was altered, cut short or belongs to another book.
BAD_PAGE_LINK = N_("Liên kết trang của sổ không hợp lệ. Bấm “Xem sổ” để xem lại sổ từ trang đầu.")
COUNTER_FLASH = ("created", "saved", "uploaded", "removed")


# --- helpers ------------------------------------------------------------------------------


def _require_staff(user: User) -> None:
    account_service.require_role(user, *STAFF_ROLES)


def _require_reception(user: User) -> None:
    if not user.has_role("reception") or user.agency is None:
        raise Forbidden(N_("Chỉ cán bộ tiếp nhận mới nhập được hồ sơ trực tiếp."))


def _see_other(session: Session, url: str) -> Response:
    """The 303 after a successful form, with the transaction committed first: the session
    dependency commits only once the response has been sent, and the browser must not load
    the next page before the change is visible."""
    session.commit()
    return RedirectResponse(url, status_code=303)


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _local_today() -> date:
    return utcnow().astimezone(_tz()).date()


async def _read_upload(upload: UploadFile) -> bytes:
    """Read an upload without holding more than the limit + 1 bytes."""
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(N_("Tệp vượt quá dung lượng cho phép."))
    return data


async def _form_upload(
    form: FormData,
) -> tuple[tuple[str, bytes] | None, DomainError | None]:
    """The form's ``file`` part, if a file was chosen, or the error reading it."""
    part = form.get("file")
    if not isinstance(part, UploadFile) or not part.filename:
        return None, None
    try:
        return (part.filename, await _read_upload(part)), None
    except PayloadTooLarge as exc:
        return None, exc


def _parse_cursor(cursor: str) -> tuple[datetime, int] | None:
    """``<step due ISO>_<id>`` of the last row of the previous page; nonsense restarts."""
    moment, _sep, ident = cursor.rpartition("_")
    try:
        at = datetime.fromisoformat(moment)
        return (at, int(ident)) if at.tzinfo is not None else None
    except ValueError:
        return None


def _officers(session: Session, dossier: Dossier, step: ProcessStep | None) -> list[User]:
    """Active officers of the step's agency holding the step's role."""
    if step is None:
        return []
    agency_id = step.agency_id or dossier.agency_id
    return list(
        session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.agency_id == agency_id, User.is_active.is_(True), UserRole.role == step.role
            )
            .order_by(User.full_name, User.id)
        )
    )


def _next_step(dossier: Dossier, action: str) -> ProcessStep | None:
    steps = list(dossier.version.steps)
    if not steps:
        return None
    if action == "receive":
        return steps[1] if len(steps) > 1 else steps[0]
    index = next((i for i, s in enumerate(steps) if s.id == dossier.current_step_id), None)
    if index is None or index + 1 >= len(steps):
        return None
    return steps[index + 1]


def _accept(types: list[str]) -> str:
    """The file input's accept list for a component's accepted types."""
    extensions = {"jpg": ".jpg,.jpeg"}
    return ",".join(extensions.get(t, f".{t}") for t in types)


def _display_value(field: dict[str, Any], value: Any) -> Any:
    if field.get("type") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


def _declared(version: ProcedureVersion) -> list[dict[str, Any]]:
    return list((version.form_schema or {}).get("fields", []))


# --- the queue ----------------------------------------------------------------------------


def _queue_item(cal: calendar_service.WorkCalendar, d: Dossier, now: datetime) -> dict[str, Any]:
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
        "applicant_name": (d.applicant or {}).get("full_name", ""),
        "channel": d.channel,
        "status": d.status,
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
    _require_staff(user)
    after = _parse_cursor(cursor) if cursor else None
    entries = workflow.queue(session, user, QUEUE_PAGE_SIZE + 1, after) if user.is_staff else []
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
        {"label": f.get("label", f["name"]), "type": f.get("type"), "value": _display_value(f, v)}
        for f in _declared(version)
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
    due_local = dossier.due_at.astimezone(_tz()) if dossier.due_at else None
    flash = request.query_params.get("msg")
    return render(
        request,
        "workflow/dossier.html",
        {
            "d": dossier,
            "version": version,
            "agency": dossier.agency,
            "overdue": overdue,
            "due_today": due_today,
            "answer": answer,
            "declared": declared,
            "components": components,
            "result_files": dossier_service.active_files(dossier, "result"),
            "documents": documents,
            "form_01": form_01,
            "runs": list(dossier.step_runs),
            "events": list(dossier.events),
            "actions": actions,
            "officers": {
                a: _officers(session, dossier, _next_step(dossier, a))
                for a in HAND_ON
                if a in actions
            },
            "next_steps": {a: _next_step(dossier, a) for a in HAND_ON if a in actions},
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
            "extend_default": {
                "date": due_local.date().isoformat() if due_local else "",
                "time": due_local.strftime("%H:%M") if due_local else "17:00",
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
    _require_staff(user)
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
    _require_staff(user)
    row = dossier_service.get_file(session, user, dossier_id, file_id)
    return Response(
        storage.read_bytes(row.sha256),
        media_type=row.content_type,
        headers={
            "Content-Disposition": content_disposition(row.filename),
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
    _require_staff(user)
    dossier = dossier_service.get_visible(session, user, dossier_id)
    doc = session.get(Document, document_id)
    if doc is None or doc.dossier_id != dossier.id:
        raise NotFound(N_("Không tìm thấy văn bản."))
    return Response(
        document_service.pdf_bytes(session, doc),
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(
                f"{doc.kind}-{dossier.code or dossier.id}.pdf", True
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
        if not comment:
            errors["comment"] = _("Nêu lý do yêu cầu bổ sung.")
    elif action == "reject":
        raw = str(form.get("reasons", ""))
        data["reasons"] = [line.strip() for line in raw.splitlines() if line.strip()]
    elif action == "extend":
        day = str(form.get("new_due_date", "")).strip()
        clock = str(form.get("new_due_time", "")).strip() or "17:00"
        try:
            data["new_due_at"] = datetime.combine(
                date.fromisoformat(day), time.fromisoformat(clock), _tz()
            )
        except ValueError:
            errors["new_due_at"] = _("Nhập ngày và giờ hẹn trả mới.")
    try:
        inp = ActionIn.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "action"
            if name == "comment":
                errors["comment"] = _("Nội dung quá dài.")
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
    upload, upload_error = await _form_upload(form)
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
    _require_staff(user)
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
            still = action in workflow.available_actions(session, dossier, user)
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
    return _see_other(session, f"/can-bo/ho-so/{dossier.id}?msg={action}")


# --- counter reception --------------------------------------------------------------------


def _read_dossier_form(
    _: Any, version: ProcedureVersion, form: FormData
) -> tuple[dict[str, str], dict[str, Any], dict[str, str], dict[str, Any]]:
    """Applicant data and declared fields typed at the counter: (applicant, form data, errors,
    values to show again)."""
    applicant = {k: str(form.get(f"applicant_{k}", "")).strip() for k in APPLICANT_KEYS}
    values: dict[str, Any] = {f"applicant_{k}": v for k, v in applicant.items()}
    errors: dict[str, str] = {}
    if not applicant["full_name"]:
        errors["applicant_full_name"] = _("Vui lòng nhập họ tên người nộp.")
    if not PHONE_RE.match(clean_phone(applicant["phone"])):
        errors["applicant_phone"] = _("Số điện thoại không hợp lệ (ví dụ 0912345678).")
    if applicant["id_number"] and not ID_NUMBER_RE.match(applicant["id_number"]):
        errors["applicant_id_number"] = _("Số định danh cá nhân phải gồm đúng 12 chữ số.")
    if applicant["email"] and not dossier_service.EMAIL_RE.match(applicant["email"]):
        errors["applicant_email"] = _("Email không hợp lệ.")
    for key, limit in APPLICANT_MAX.items():
        if len(applicant[key]) > limit:
            errors[f"applicant_{key}"] = _("Nội dung quá dài.")
    form_data: dict[str, Any] = {}
    for field in _declared(version):
        name = field["name"]
        raw = form.get(f"fd-{name}")
        if field.get("type") == "checkbox":
            form_data[name] = raw is not None
            values[f"fd-{name}"] = raw is not None
            continue
        text = raw.strip() if isinstance(raw, str) else ""
        # Fields the citizen's account would prefill take the applicant data typed above.
        if not text and field.get("prefill") in APPLICANT_KEYS:
            text = applicant[str(field["prefill"])]
        form_data[name] = text
        values[f"fd-{name}"] = text
    for name, message in dossier_service.validate_form(version, form_data).items():
        errors[f"fd-{name}"] = _(message)
    return applicant, form_data, errors, values


def _dossier_values(dossier: Dossier) -> dict[str, Any]:
    values: dict[str, Any] = {
        f"applicant_{k}": (dossier.applicant or {}).get(k, "") for k in APPLICANT_KEYS
    }
    for field in _declared(dossier.version):
        values[f"fd-{field['name']}"] = dossier.form_data.get(field["name"], "")
    return values


def _counter_new_page(
    request: Request,
    session: Session,
    user: User,
    *,
    q: str = "",
    code: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    page_error: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request)
    assert user.agency is not None
    flt = catalog_service.CatalogFilter(q=q[:200], agency=user.agency.code)
    procedures, _total = catalog_service.list_procedures(session, flt, 100, 0)
    if not code and q and len(procedures) == 1:
        code = procedures[0].code
    version = None
    errors = dict(errors or {})
    if code:
        try:
            version = catalog_service.get_published(session, code[:40])
        except NotFound:
            errors["thu_tuc"] = _("Không tìm thấy thủ tục.")
        if version is not None and user.agency not in version.agencies:
            errors["thu_tuc"] = _("Cơ quan của bạn không thực hiện thủ tục này.")
            version = None
    if version is not None and version not in procedures:
        procedures.insert(0, version)
    return render(
        request,
        "workflow/counter_new.html",
        {
            "q": q,
            "procedures": procedures,
            "version": version,
            "selected": version.code if version else code,
            "fields": _declared(version) if version else [],
            "values": values or {},
            "errors": errors,
            "page_error": page_error,
        },
        status_code=422 if errors and status_code == 200 else status_code,
    )


@router.get("/can-bo/tiep-nhan")
def counter_new(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    q: str = Query("", max_length=200),
    thu_tuc: str = Query("", max_length=40),
) -> Response:
    """Counter reception, step 1: the procedure, the applicant and the declared data."""
    _require_reception(user)
    return _counter_new_page(request, session, user, q=q, code=thu_tuc)


@router.post("/can-bo/tiep-nhan", dependencies=[Depends(verify_csrf)])
async def counter_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Create the counter dossier (a draft of the officer's agency), then scan its papers."""
    form = await request.form()
    return await run_in_threadpool(_counter_create, request, session, user, form)


def _counter_create(request: Request, session: Session, user: User, form: FormData) -> Response:
    _ = translator(request)
    _require_reception(user)
    code = str(form.get("procedure_code", "")).strip()[:40]
    try:
        version = catalog_service.get_published(session, code)
    except NotFound:
        return _counter_new_page(request, session, user, code=code, status_code=422)
    applicant, form_data, errors, values = _read_dossier_form(_, version, form)
    if errors:
        return _counter_new_page(
            request, session, user, code=code, values=values, errors=errors, status_code=422
        )
    try:
        dossier = dossier_service.create_draft(
            session,
            user,
            DossierCreate(
                procedure_code=code,
                channel="counter",
                applicant=ApplicantIn(**applicant),
                form_data=form_data,
            ),
        )
    except (Forbidden, InvalidInput) as exc:
        session.rollback()
        return _counter_new_page(
            request,
            session,
            user,
            code=code,
            values=values,
            page_error=_(exc.detail),
            status_code=exc.status_code,
        )
    return _see_other(session, f"/can-bo/tiep-nhan/{dossier.id}?msg=created")


def _counter_dossier(session: Session, user: User, dossier_id: int) -> Dossier | None:
    """The counter draft being entered, or None when it is no longer one (received …)."""
    _require_reception(user)
    dossier = dossier_service.get_visible(session, user, dossier_id)
    if dossier.status == "draft" and dossier_service.may_edit(session, user, dossier):
        return dossier
    return None


def _counter_page(
    request: Request,
    session: Session,
    user: User,
    dossier: Dossier,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    page_error: str | None = None,
    status_code: int = 200,
) -> Response:
    files = dossier_service.active_files(dossier)
    components = [
        {"c": c, "files": [f for f in files if f.component_code == c.code]}
        for c in dossier.version.components
    ]
    flash = request.query_params.get("msg")
    return render(
        request,
        "workflow/counter_files.html",
        {
            "d": dossier,
            "version": dossier.version,
            "fields": _declared(dossier.version),
            "values": values or _dossier_values(dossier),
            "errors": errors or {},
            "page_error": page_error,
            "components": components,
            "officers": _officers(session, dossier, _next_step(dossier, "receive")),
            "next_step": _next_step(dossier, "receive"),
            "counter_flash": flash if flash in COUNTER_FLASH else None,
            "data_open": any(k.startswith(("applicant_", "fd-")) for k in errors or {}),
            "accept": _accept,
        },
        status_code=status_code,
    )


def _after_counter(dossier_id: int) -> Response:
    return RedirectResponse(f"/can-bo/ho-so/{dossier_id}", status_code=303)


@router.get("/can-bo/tiep-nhan/{dossier_id}")
def counter_dossier(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Counter reception, step 2: scan each paper component, then receive the dossier."""
    dossier = _counter_dossier(session, user, dossier_id)
    if dossier is None:
        return _after_counter(dossier_id)
    return _counter_page(request, session, user, dossier)


@router.post("/can-bo/tiep-nhan/{dossier_id}/thong-tin", dependencies=[Depends(verify_csrf)])
async def counter_save(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Correct the applicant data or the declared fields of a counter dossier."""
    form = await request.form()
    return await run_in_threadpool(_counter_save, request, session, user, dossier_id, form)


def _counter_save(
    request: Request, session: Session, user: User, dossier_id: int, form: FormData
) -> Response:
    _ = translator(request)
    dossier = _counter_dossier(session, user, dossier_id)
    if dossier is None:
        return _after_counter(dossier_id)
    applicant, form_data, errors, values = _read_dossier_form(_, dossier.version, form)
    if errors:
        return _counter_page(
            request, session, user, dossier, values=values, errors=errors, status_code=422
        )
    dossier_service.update_draft(
        session,
        user,
        dossier,
        DossierUpdate(applicant=ApplicantIn(**applicant), form_data=form_data),
    )
    return _see_other(session, f"/can-bo/tiep-nhan/{dossier.id}?msg=saved")


@router.post("/can-bo/tiep-nhan/{dossier_id}/tep", dependencies=[Depends(verify_csrf)])
async def counter_upload(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Store the scan of one paper component (counted as a digitised component)."""
    form = await request.form()
    upload, upload_error = await _form_upload(form)
    component = str(form.get("component", ""))[:40]
    return await run_in_threadpool(
        _counter_upload, request, session, user, dossier_id, component, upload, upload_error
    )


def _counter_upload(
    request: Request,
    session: Session,
    user: User,
    dossier_id: int,
    component: str,
    upload: tuple[str, bytes] | None,
    upload_error: DomainError | None,
) -> Response:
    _ = translator(request)
    dossier = _counter_dossier(session, user, dossier_id)
    if dossier is None:
        return _after_counter(dossier_id)
    codes = {c.code for c in dossier.version.components}
    if component not in codes:
        return _counter_page(
            request,
            session,
            user,
            dossier,
            page_error=_("Thành phần hồ sơ không tồn tại."),
            status_code=422,
        )
    error: str | None = None
    status = 422
    if upload_error is not None:
        error, status = _(upload_error.detail), upload_error.status_code
    elif upload is None:
        error = _("Chọn tệp bản quét cần tải lên.")
    else:
        try:
            dossier_service.add_file(session, user, dossier, component, upload[0], upload[1])
        except DomainError as exc:
            session.rollback()
            dossier = dossier_service.get_visible(session, user, dossier_id)
            error, status = _(exc.detail), exc.status_code
    if error is not None:
        return _counter_page(
            request, session, user, dossier, errors={f"file-{component}": error}, status_code=status
        )
    return _see_other(session, f"/can-bo/tiep-nhan/{dossier.id}?msg=uploaded#c-{component}")


@router.post(
    "/can-bo/tiep-nhan/{dossier_id}/tep/{file_id}/xoa", dependencies=[Depends(verify_csrf)]
)
def counter_remove_file(
    dossier_id: int,
    file_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Remove a scan uploaded by mistake."""
    dossier = _counter_dossier(session, user, dossier_id)
    if dossier is None:
        return _after_counter(dossier_id)
    dossier_service.remove_file(session, user, dossier, file_id)
    return _see_other(session, f"/can-bo/tiep-nhan/{dossier.id}?msg=removed")


@router.post("/can-bo/tiep-nhan/{dossier_id}/tiep-nhan", dependencies=[Depends(verify_csrf)])
async def counter_receive(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Receive the counter dossier: code, appointment and form 01."""
    form = await request.form()
    return await run_in_threadpool(_counter_receive, request, session, user, dossier_id, form)


def _counter_receive(
    request: Request, session: Session, user: User, dossier_id: int, form: FormData
) -> Response:
    _ = translator(request)
    dossier = _counter_dossier(session, user, dossier_id)
    if dossier is None:
        return _after_counter(dossier_id)
    errors: dict[str, str] = {}
    try:
        dossier_service.check_complete(dossier)
    except InvalidInput as exc:
        for name, message in exc.fields.items():
            kind, _sep, rest = name.partition(".")
            key = {"applicant": f"applicant_{rest}", "component": f"file-{rest}"}.get(
                kind, f"fd-{name}"
            )
            errors[key] = _(message)
        return _counter_page(
            request,
            session,
            user,
            dossier,
            errors=errors,
            page_error=_(exc.detail),
            status_code=422,
        )
    assignee = str(form.get("assignee_id", "")).strip()
    inp = ActionIn(action="receive", assignee_id=int(assignee) if assignee.isdigit() else None)
    try:
        workflow.perform(session, dossier, user, inp)
    except DomainError as exc:
        if exc.status_code == 401:
            raise
        session.rollback()
        dossier = dossier_service.get_visible(session, user, dossier_id)
        if "assignee_id" in exc.fields:
            errors["assignee_id"] = _(exc.detail)
        return _counter_page(
            request,
            session,
            user,
            dossier,
            errors=errors,
            page_error=_(exc.detail),
            status_code=exc.status_code,
        )
    return _see_other(session, f"/can-bo/ho-so/{dossier.id}?msg=receive")


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
    _require_staff(user)
    agencies = report_service.book_agencies(session, user)
    today = _local_today()
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
            days[name] = report_service.parse_day(values[name], name)
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
