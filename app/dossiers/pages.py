"""Citizen dossier pages: start, fill, attach files and submit a dossier; follow and withdraw
it; the public lookup (/tra-cuu) and the public document verification (/xac-minh/{token}).

The draft page is one multipart form: saving, uploading, removing a file and submitting all
post every field, so nothing typed is lost whichever button is pressed (with or without
JavaScript; app/static/js/uploads.js only adds uploads without a page reload).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from math import ceil
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.accounts.deps import client_ip
from app.accounts.models import User
from app.agencies.models import Agency
from app.calendar import service as calendar_service
from app.catalog import service as catalog_service
from app.catalog.models import Component, ProcedureVersion
from app.config import get_settings
from app.db import utcnow
from app.documents import service as document_service
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.api import MAX_UPLOAD_BYTES
from app.dossiers.models import Dossier, DossierFile
from app.dossiers.schemas import ActionIn, ApplicantIn, DossierCreate, DossierUpdate
from app.errors import DomainError, InvalidInput, NotFound, PayloadTooLarge
from app.i18n_markers import N_
from app.payments import service as payment_service
from app.ratelimit import lookup_limiter
from app.ratings import service as rating_service
from app.storage import service as storage
from app.web import content_disposition, render, request_locale, templates, translator, verify_csrf
from app.web.deps import CurrentUser, OptionalUser, SessionDep
from app.workflow import service as workflow

router = APIRouter(include_in_schema=False)

# Profile attributes a declared field may be prefilled from (its ``prefill`` key).
PREFILL_ATTRS = ("full_name", "phone", "id_number", "email", "address")
# The applicant block: (key, label, field type, autocomplete, required at submission).
APPLICANT_FIELDS = (
    ("full_name", N_("Họ và tên"), "text", "name", True),
    ("phone", N_("Số điện thoại"), "phone", "tel", True),
    ("id_number", N_("Số định danh cá nhân (CCCD)"), "id_number", "off", False),
    ("email", N_("Email"), "email", "email", False),
    ("address", N_("Địa chỉ liên hệ"), "text", "street-address", False),
)
PREFILL_AUTOCOMPLETE = {
    "full_name": "name",
    "phone": "tel",
    "email": "email",
    "address": "street-address",
}
FILE_EXTENSIONS = {
    "pdf": ".pdf,application/pdf",
    "jpg": ".jpg,.jpeg,image/jpeg",
    "png": ".png,image/png",
    "docx": ".docx",
}
KIND_LABELS = {
    "form_01": N_("Mẫu số 01 — Thông tư 03/2025/TT-VPCP"),
    "form_02": N_("Mẫu số 02 — Thông tư 03/2025/TT-VPCP"),
    "form_03": N_("Mẫu số 03 — Thông tư 03/2025/TT-VPCP"),
    "form_04": N_("Mẫu số 04 — Thông tư 03/2025/TT-VPCP"),
    "form_05": N_("Mẫu số 05 — Thông tư 03/2025/TT-VPCP"),
    "form_06": N_("Mẫu số 06 — Thông tư 03/2025/TT-VPCP"),
    "form_07": N_("Mẫu số 07 — Thông tư 03/2025/TT-VPCP"),
    "receipt": N_("Biên lai điện tử thu phí, lệ phí"),
    "result": N_("Kết quả giải quyết thủ tục hành chính"),
}
LOOKUP_WINDOW = timedelta(minutes=10)
LOOKUP_TOO_MANY = N_("Tra cứu quá nhiều lần, vui lòng thử lại sau ít phút.")


# --- helpers shared by the pages ---------------------------------------------------------


def expected_result_at(version: ProcedureVersion) -> datetime | None:
    """When a dossier submitted now would get its result (shown on the procedure page).

    Uses the session the version was loaded with, i.e. the request's own transaction."""
    session = object_session(version)
    if session is None:
        return None
    calendar = calendar_service.get_calendar(session)
    return calendar.due_after_working_days(utcnow(), version.processing_days)


# The catalogue's procedure page renders the expected-result line through this global.
templates().env.globals["expected_result_at"] = expected_result_at


def size_label(size: int, locale: str = "vi") -> str:
    """``12 KB`` / ``1,5 MB`` (decimal comma in Vietnamese)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    text = f"{size / (1024 * 1024):.1f}"
    return f"{text.replace('.', ',') if locale == 'vi' else text} MB"


def _redirect(path: str, msg: str | None = None, anchor: str = "") -> RedirectResponse:
    query = f"?{urlencode({'msg': msg})}" if msg else ""
    return RedirectResponse(f"{path}{query}{'#' + anchor if anchor else ''}", status_code=303)


def _saved_redirect(
    session: Session, path: str, msg: str | None = None, anchor: str = ""
) -> RedirectResponse:
    """Commit, then redirect (post/redirect/get).

    The request-scoped session dependency commits only after the response has been sent, so
    a browser following the redirect at once could read the state from before this request.
    """
    session.commit()
    return _redirect(path, msg, anchor)


def _owned(session: Session, user: User, dossier_id: int) -> Dossier:
    """The caller's own dossier; anybody else's is "not found"."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    if not dossier_service.is_owner(user, dossier):
        raise NotFound(N_("Không tìm thấy hồ sơ."))
    return dossier


def _declared(version: ProcedureVersion) -> list[dict[str, Any]]:
    return list((version.form_schema or {}).get("fields", []))


def _iso_date(text: str) -> str | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date().isoformat()
        except ValueError:
            continue
    return None


def _accept(types: Iterable[str]) -> str:
    return ",".join(FILE_EXTENSIONS.get(t, f".{t}") for t in types)


def _types_label(comp: Component) -> str:
    return ", ".join(t.upper() for t in comp.accepted_types)


# --- starting a dossier from the procedure page --------------------------------------------


def _start_page(
    request: Request,
    version: ProcedureVersion,
    errors: dict[str, str] | None = None,
    chosen: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "dossiers/start.html",
        {
            "p": version,
            "agencies": version.agencies,
            "chosen": chosen,
            "errors": errors or {},
            "expected_at": expected_result_at(version),
        },
        status_code=status_code,
    )


@router.get("/thu-tuc/{code}/nop-ho-so")
def start_form(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Choose the receiving agency (when several implement the procedure) and start."""
    return _start_page(request, catalog_service.get_published(session, code))


@router.post("/thu-tuc/{code}/nop-ho-so", dependencies=[Depends(verify_csrf)])
async def start_submit(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Create the draft (declared fields prefilled from the profile) and open it."""
    form = await request.form()
    agency_code = str(form.get("agency_code", "")).strip()[:35]

    def work() -> Response:
        version = catalog_service.get_published(session, code)
        prefill: dict[str, Any] = {}
        for declared in _declared(version):
            attr = declared.get("prefill")
            if attr in PREFILL_ATTRS and getattr(user, attr, None):
                prefill[declared["name"]] = str(getattr(user, attr))
        data = DossierCreate(
            procedure_code=version.code, agency_code=agency_code or None, form_data=prefill
        )
        try:
            dossier = dossier_service.create_draft(session, user, data)
        except InvalidInput as exc:
            _ = translator(request)
            return _start_page(
                request, version, {"agency_code": _(exc.detail)}, agency_code, status_code=422
            )
        return _saved_redirect(session, f"/ho-so/{dossier.id}/khai", "created")

    return await run_in_threadpool(work)


# --- the draft page ----------------------------------------------------------------------


@dataclass
class Posted:
    """What a draft form carried, as typed (shown again when the page is re-rendered)."""

    applicant: dict[str, str] = field(default_factory=dict)
    form: dict[str, Any] = field(default_factory=dict)


@dataclass
class Upload:
    component: str
    filename: str
    data: bytes | None  # None: larger than any accepted file


def _posted(version: ProcedureVersion, form: FormData) -> Posted | None:
    """The applicant block and declared fields of a posted draft form (None if absent)."""
    if not any(k.startswith(("applicant.", "form.")) for k in form):
        return None
    posted = Posted()
    for key, *_rest in APPLICANT_FIELDS:
        posted.applicant[key] = str(form.get(f"applicant.{key}", ""))
    for declared in _declared(version):
        name = f"form.{declared['name']}"
        if declared["type"] == "checkbox":
            posted.form[declared["name"]] = name in form
        else:
            posted.form[declared["name"]] = str(form.get(name, ""))
    return posted


async def _read_uploads(form: FormData) -> list[Upload]:
    """Files chosen in the form: ``file_<CODE>`` inputs, or ``file`` with ``component``."""
    uploads: list[Upload] = []
    for key, value in form.multi_items():
        if not isinstance(value, UploadFile) or not value.filename:
            continue  # an <input type=file> left empty
        if key == "file":
            code = str(form.get("component", ""))
        elif key.startswith("file_"):
            code = key.removeprefix("file_")
        else:
            continue
        data = await value.read(MAX_UPLOAD_BYTES + 1)
        uploads.append(
            Upload(code[:40], value.filename, data if len(data) <= MAX_UPLOAD_BYTES else None)
        )
    return uploads


def _upload_message(request: Request, dossier: Dossier, code: str, exc: DomainError) -> str:
    """A Vietnamese (or English) message for a refused file, naming what is accepted."""
    _ = translator(request)
    comp = next((c for c in dossier.version.components if c.code == code), None)
    message = _(exc.detail)
    if comp is not None and exc.status_code == 415:
        message += " " + _("Chỉ chấp nhận tệp %(types)s.") % {"types": _types_label(comp)}
    elif comp is not None and exc.status_code == 413:
        message += " " + _("Dung lượng tối đa %(size)d MB.") % {"size": comp.max_size_mb}
    return message


def _applicant_in(
    values: dict[str, str], stored: dict[str, Any]
) -> tuple[ApplicantIn, dict[str, int]]:
    """ApplicantIn from what was typed; values that do not fit keep the stored ones and are
    reported (the page shows them again as typed)."""
    try:
        return ApplicantIn(**values), {}
    except ValidationError as exc:
        too_long: dict[str, int] = {}
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            too_long[key] = int((err.get("ctx") or {}).get("max_length", 0))
        kept = {k: (str(stored.get(k, "")) if k in too_long else v) for k, v in values.items()}
        return ApplicantIn(**kept), too_long


def _apply_posted(
    request: Request,
    session: Session,
    user: User,
    dossier: Dossier,
    form: FormData,
    uploads: list[Upload],
) -> tuple[dict[str, str], int, Posted | None]:
    """Save what was typed (without validating it) and attach the chosen files.

    Returns (errors by field key, HTTP status for them, what was posted)."""
    _ = translator(request)
    errors: dict[str, str] = {}
    status = 0
    posted = _posted(dossier.version, form)
    if posted is not None:
        applicant, too_long = _applicant_in(posted.applicant, dossier.applicant or {})
        for key, limit in too_long.items():
            errors[f"applicant.{key}"] = _("Nội dung quá dài (tối đa %(n)d ký tự).") % {"n": limit}
            status = status or 422
        dossier_service.update_draft(
            session, user, dossier, DossierUpdate(applicant=applicant, form_data=posted.form)
        )
    for upload in uploads:
        try:
            if upload.data is None:
                raise PayloadTooLarge(N_("Tệp vượt quá dung lượng cho phép."))
            dossier_service.add_file(
                session, user, dossier, upload.component, upload.filename, upload.data
            )
        except DomainError as exc:
            if exc.status_code not in (413, 415, 422):
                raise
            errors[f"component.{upload.component}"] = _upload_message(
                request, dossier, upload.component, exc
            )
            status = status or exc.status_code
    return errors, status or 422, posted


def _completeness_errors(dossier: Dossier) -> dict[str, str]:
    try:
        dossier_service.check_complete(dossier)
    except InvalidInput as exc:
        return dict(exc.fields)
    return {}


def _field_view(
    declared: dict[str, Any], value: Any, error: str | None, input_name: str, input_id: str
) -> dict[str, Any]:
    kind = declared.get("type", "text")
    view = {
        **declared,
        "input_name": input_name,
        "id": input_id,
        "error": error,
        "date_text": False,
        "autocomplete": declared.get("autocomplete")
        or PREFILL_AUTOCOMPLETE.get(declared.get("prefill") or ""),
    }
    if kind == "checkbox":
        view["value"] = value is True
    else:
        text = "" if value is None or isinstance(value, bool) else str(value)
        if kind == "date" and text:
            iso = _iso_date(text)
            # A value that is not a date stays visible (as text) rather than being dropped.
            view["date_text"] = iso is None
            text = iso or text
        view["value"] = text
    return view


def _draft_page(
    request: Request,
    session: Session,
    dossier: Dossier,
    errors: dict[str, str] | None = None,
    posted: Posted | None = None,
    status_code: int = 200,
    general: str | None = None,
) -> Response:
    _ = translator(request)
    errors = errors or {}
    version = dossier.version
    applicant = {**(dossier.applicant or {}), **(posted.applicant if posted else {})}
    values = {**(dossier.form_data or {}), **(posted.form if posted else {})}
    summary: list[tuple[str, str, str]] = []

    applicant_views = []
    for key, label, kind, autocomplete, required in APPLICANT_FIELDS:
        error = errors.get(f"applicant.{key}")
        view = _field_view(
            {
                "name": key,
                "label": _(label),
                "type": kind,
                "required": required,
                "autocomplete": autocomplete,
            },
            applicant.get(key, ""),
            error,
            f"applicant.{key}",
            f"f-applicant-{key}",
        )
        applicant_views.append(view)
        if error:
            summary.append((view["id"], view["label"], error))

    field_views = []
    for declared in _declared(version):
        name = declared["name"]
        error = errors.get(name)
        view = _field_view(declared, values.get(name), error, f"form.{name}", f"f-{name}")
        field_views.append(view)
        if error:
            summary.append((view["id"], declared["label"], error))

    files_by_component: dict[str, list[DossierFile]] = {}
    for row in dossier_service.active_files(dossier):
        files_by_component.setdefault(row.component_code or "", []).append(row)
    request_info = dossier.supplement_request or {}
    requested = (
        {item.get("code") for item in request_info.get("items", [])}
        if dossier.status == "supplement_requested"
        else set()
    )
    component_views = []
    for comp in version.components:
        error = errors.get(f"component.{comp.code}")
        component_views.append(
            {
                "code": comp.code,
                "name": comp.name,
                "note": comp.note,
                "required": comp.required,
                "copies": comp.copies,
                "paper_kind": comp.paper_kind,
                "types_label": _types_label(comp),
                "accept": _accept(comp.accepted_types),
                "max_size_mb": comp.max_size_mb,
                "files": files_by_component.get(comp.code, []),
                "requested": comp.code in requested,
                "error": error,
                "msg_415": _("Định dạng tệp không được chấp nhận.")
                + " "
                + _("Chỉ chấp nhận tệp %(types)s.") % {"types": _types_label(comp)},
                "msg_413": _("Tệp vượt quá dung lượng cho phép.")
                + " "
                + _("Dung lượng tối đa %(size)d MB.") % {"size": comp.max_size_mb},
            }
        )
        if error:
            summary.append((f"f-file-{comp.code}", comp.name, error))

    known = {f"applicant.{k}" for k, *_r in APPLICANT_FIELDS}
    known |= {d["name"] for d in _declared(version)}
    known |= {f"component.{c.code}" for c in version.components}
    others = [msg for key, msg in errors.items() if key not in known]
    if general:
        others.insert(0, general)

    return render(
        request,
        "dossiers/draft.html",
        {
            "d": dossier,
            "version": version,
            "applicant_fields": applicant_views,
            "fields": field_views,
            "components": component_views,
            "summary": summary,
            "general_errors": others,
            "supplement": request_info if dossier.status == "supplement_requested" else None,
            "missing": dossier_service.missing_components(dossier),
            "status_labels": dossier_service.STATUS_LABELS,
            "size_label": lambda n: size_label(n, request_locale(request)),
            "expected_at": expected_result_at(version),
        },
        status_code=status_code,
    )


def _translated(request: Request, fields: dict[str, str]) -> dict[str, str]:
    _ = translator(request)
    return {key: _(message) for key, message in fields.items()}


@router.get("/ho-so/{dossier_id}/khai")
def draft_form(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Fill in a draft (or answer a supplement request): applicant, declared fields, files."""
    dossier = _owned(session, user, dossier_id)
    if dossier.status not in dossier_service.EDITABLE:
        return _redirect(f"/ho-so/{dossier.id}")
    return _draft_page(request, session, dossier)


@router.post("/ho-so/{dossier_id}/khai", dependencies=[Depends(verify_csrf)])
async def draft_save(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """ "Lưu nháp": keep everything as typed, without validating it."""
    form = await request.form()
    uploads = await _read_uploads(form)

    def work() -> Response:
        dossier = _owned(session, user, dossier_id)
        errors, status, posted = _apply_posted(request, session, user, dossier, form, uploads)
        if errors:
            return _draft_page(request, session, dossier, errors, posted, status)
        return _saved_redirect(session, f"/ho-so/{dossier.id}/khai", "saved")

    return await run_in_threadpool(work)


@router.post("/ho-so/{dossier_id}/tep", dependencies=[Depends(verify_csrf)])
async def draft_upload(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Attach a file to a component (multipart ``component`` and ``file``)."""
    form = await request.form()
    uploads = await _read_uploads(form)
    code = str(form.get("component", ""))[:40]

    def work() -> Response:
        _ = translator(request)
        dossier = _owned(session, user, dossier_id)
        errors, status, posted = _apply_posted(request, session, user, dossier, form, uploads)
        if code and f"component.{code}" not in errors and all(u.component != code for u in uploads):
            errors[f"component.{code}"] = _("Vui lòng chọn tệp cần tải lên.")
        if errors:
            return _draft_page(request, session, dossier, errors, posted, status)
        anchor = f"c-{code}" if code else ""
        return _saved_redirect(session, f"/ho-so/{dossier.id}/khai", "file_added", anchor)

    return await run_in_threadpool(work)


@router.post("/ho-so/{dossier_id}/tep/{file_id}/xoa", dependencies=[Depends(verify_csrf)])
async def draft_remove_file(
    dossier_id: int,
    file_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Remove an attached file (what was typed is saved on the way)."""
    form = await request.form()
    uploads = await _read_uploads(form)

    def work() -> Response:
        dossier = _owned(session, user, dossier_id)
        errors, status, posted = _apply_posted(request, session, user, dossier, form, uploads)
        row = session.get(DossierFile, file_id)
        code = row.component_code if row is not None and row.dossier_id == dossier.id else ""
        dossier_service.remove_file(session, user, dossier, file_id)
        if errors:
            return _draft_page(request, session, dossier, errors, posted, status)
        anchor = f"c-{code}" if code else ""
        return _saved_redirect(session, f"/ho-so/{dossier.id}/khai", "file_removed", anchor)

    return await run_in_threadpool(work)


@router.post("/ho-so/{dossier_id}/nop", dependencies=[Depends(verify_csrf)])
async def draft_submit(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Save what was posted, then submit: every problem is shown next to its field."""
    form = await request.form()
    uploads = await _read_uploads(form)

    def work() -> Response:
        dossier = _owned(session, user, dossier_id)
        errors, status, posted = _apply_posted(request, session, user, dossier, form, uploads)
        if errors:
            errors = {**_translated(request, _completeness_errors(dossier)), **errors}
            return _draft_page(request, session, dossier, errors, posted, status)
        try:
            workflow.perform(session, dossier, user, ActionIn(action="submit"))
        except InvalidInput as exc:
            return _draft_page(
                request, session, dossier, _translated(request, exc.fields), posted, 422
            )
        resubmitted = dossier.events[-1].action == "resubmit" if dossier.events else False
        msg = "resubmitted" if resubmitted else "submitted"
        return _saved_redirect(session, f"/ho-so/{dossier.id}", msg)

    return await run_in_threadpool(work)


# --- my dossiers -------------------------------------------------------------------------


@router.get("/ho-so")
def my_dossiers(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: int = 1,
) -> Response:
    """ "Hồ sơ của tôi": the citizen's dossiers, newest first."""
    size = get_settings().page_size
    page = max(1, min(page, 10_000))
    rows, total = dossier_service.list_mine(session, user, size, (page - 1) * size)
    return render(
        request,
        "dossiers/list.html",
        {
            "items": rows,
            "total": total,
            "page": page,
            "pages": max(1, ceil(total / size)),
            "status_labels": dossier_service.STATUS_LABELS,
        },
    )


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
            "component_files": [
                (names.get(f.component_code or "", f.component_code or ""), f)
                for f in dossier_service.active_files(dossier)
            ],
            "result_files": dossier_service.active_files(dossier, "result"),
            "events": [e for e in dossier.events if e.action != "create"],
            "status_labels": dossier_service.STATUS_LABELS,
            "channel_labels": dossier_service.CHANNEL_LABELS,
            "action_labels": workflow.ACTION_LABELS,
            "size_label": lambda n: size_label(n, request_locale(request)),
            "errors": errors or {},
            "values": values or {},
            "outstanding": payment_service.outstanding(session, dossier)
            if dossier.status != "draft"
            else 0,
            "receipts": receipts_of(session, dossier.id),
            "rating": rating_service.rating_for(session, dossier.id),
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
        dossier = _owned(session, user, dossier_id)
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
        return _saved_redirect(session, f"/ho-so/{dossier.id}", "withdrawn")

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
    return Response(
        storage.read_bytes(row.sha256),
        media_type=row.content_type,
        headers={
            "Content-Disposition": content_disposition(row.filename),
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
            "Content-Disposition": content_disposition(f"{doc.kind}-{doc.id}.pdf", inline=True),
            "Cache-Control": "private, no-store",
        },
    )


# --- public lookup and verification ------------------------------------------------------


@router.get("/tra-cuu")
def lookup_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    code: str | None = None,
    secret: str | None = None,
) -> Response:
    """Public lookup by dossier code and lookup secret (or phone): status and timeline only."""
    _ = translator(request)
    code_text = (code or "").strip()[:60]
    secret_text = (secret or "").strip()[:20]
    errors: dict[str, str] = {}
    message = ""
    result = None
    status_code = 200
    if code is not None or secret is not None:
        if not code_text:
            errors["code"] = _("Vui lòng nhập mã hồ sơ.")
        if not secret_text:
            errors["secret"] = _("Vui lòng nhập mã tra cứu hoặc số điện thoại.")
        if errors:
            status_code = 422
        else:
            try:
                lookup_limiter.hit(
                    f"lookup:{client_ip(request)}",
                    get_settings().lookup_rate_limit,
                    LOOKUP_TOO_MANY,
                )
                found = dossier_service.lookup(session, code_text, secret_text)
                result = dossier_service.lookup_read(found)
            except DomainError as exc:
                # Rendered, not raised: the attempt must be committed for the limit to hold.
                message, status_code = _(exc.detail), exc.status_code
    return render(
        request,
        "dossiers/lookup.html",
        {
            "code": code_text,
            "secret": secret_text,
            "errors": errors,
            "message": message,
            "result": result,
            "action_labels": workflow.ACTION_LABELS,
        },
        status_code=status_code,
    )


@router.get("/xac-minh/{token}")
def verify_document(
    token: str,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
) -> Response:
    """Public verification of an issued document (the QR code on every generated PDF)."""
    doc = document_service.by_token(session, token[:64])
    pdf = document_service.pdf_bytes(session, doc)  # renders and stores it the first time
    signature = None
    if doc.kind in ("receipt", "result"):
        from app.signing import service as signing_service

        # The stored file is checked as any validator would: intact, and a trusted chain.
        signature = signing_service.validate_pdf(pdf, signing_service.trust_roots_pem(session))
    receipt_status = None
    if doc.kind == "receipt" and (doc.context or {}).get("receipt_id"):
        from app.receipts.models import Receipt

        receipt = session.get(Receipt, int(doc.context["receipt_id"]))
        receipt_status = receipt.status if receipt else None
    agency = session.get(Agency, doc.agency_id) if doc.agency_id else None
    dossier = session.get(Dossier, doc.dossier_id) if doc.dossier_id else None
    frozen = (doc.context or {}).get("dossier") or {}
    issued: date | datetime = doc.created_at
    return render(
        request,
        "dossiers/verify.html",
        {
            "doc": doc,
            "kind_label": KIND_LABELS.get(doc.kind, doc.kind),
            "agency_name": agency.name if agency else "",
            "dossier_code": frozen.get("code") or (dossier.code if dossier else "") or "",
            "issued_at": issued,
            "signature": signature,
            "receipt_status": receipt_status,
        },
    )


def receipts_of(session: Session, dossier_id: int) -> list[Any]:
    from app.receipts.models import Receipt

    return list(
        session.scalars(
            select(Receipt).where(Receipt.dossier_id == dossier_id).order_by(Receipt.id)
        )
    )
