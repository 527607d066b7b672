"""Starting a dossier from the procedure page and the draft page: one multipart form, so
saving, uploading, removing a file and submitting all post every field, and nothing typed is
lost whichever button is pressed (with or without JavaScript; app/static/js/uploads.js only adds
uploads without a page reload)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.accounts.models import User
from app.catalog import service as catalog_service
from app.catalog.models import Component, ProcedureVersion
from app.docstore import service as docstore_service
from app.dossiers import checks as dossier_checks
from app.dossiers import service as dossier_service
from app.dossiers.api import MAX_UPLOAD_BYTES
from app.dossiers.models import Dossier, DossierFile
from app.dossiers.pages import common
from app.dossiers.schemas import ActionIn, ApplicantIn, DossierCreate, DossierUpdate
from app.errors import DomainError, InvalidInput, PayloadTooLarge
from app.i18n_markers import N_
from app.postal import pages as postal_pages
from app.postal import service as postal_service
from app.web import render, request_locale, translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep
from app.workflow import service as workflow

router = APIRouter(include_in_schema=False)

# Profile attributes a declared field may be prefilled from (its ``prefill`` key).
PREFILL_ATTRS = ("full_name", "phone", "id_number", "email", "address", "birth_date")
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


def _declared(version: ProcedureVersion) -> list[dict[str, Any]]:
    return list((version.form_schema or {}).get("fields", []))


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
            "expected_at": common.expected_result_at(version),
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
        verified = dossier_service.verified_of(user)  # what the e-ID vouched for comes first
        for declared in _declared(version):
            attr = declared.get("prefill")
            if attr in verified:
                prefill[declared["name"]] = verified[attr]
            elif attr in PREFILL_ATTRS and getattr(user, attr, None):
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
        return common.saved_redirect(session, f"/ho-so/{dossier.id}/khai", "created")

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


def _reuse_choices(form: FormData) -> dict[str, str]:
    """Documents chosen from the store: ``reuse_<CODE>`` selects with a value (a document id)."""
    return {
        key.removeprefix("reuse_")[:40]: str(value).strip()
        for key, value in form.multi_items()
        if key.startswith("reuse_") and isinstance(value, str) and value.strip()
    }


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
        try:
            dossier_service.update_draft(
                session, user, dossier, DossierUpdate(applicant=applicant, form_data=posted.form)
            )
        except InvalidInput as exc:  # a number that is none (NaN, 1e400): nothing is saved
            errors.update({key: _(message) for key, message in exc.fields.items()})
            status = status or 422
    for upload in uploads:
        try:
            if upload.data is None:
                raise PayloadTooLarge(N_("Tệp vượt quá dung lượng cho phép."))
            dossier_service.add_file(
                session, user, dossier, upload.component, upload.filename, upload.data
            )
        except DomainError as exc:
            if exc.status_code not in (409, 413, 415, 422):
                raise
            # The refused file is not kept by the browser: the message names it.
            errors[f"component.{upload.component}"] = _("Tệp “%(name)s”: %(message)s") % {
                "name": upload.filename[:120],
                "message": _upload_message(request, dossier, upload.component, exc),
            }
            status = status or exc.status_code
    for code, value in _reuse_choices(form).items():
        try:
            if not value.isdigit() or not 0 < int(value) < 2**31:
                raise InvalidInput(docstore_service.NOT_FOUND)
            docstore_service.reuse(session, user, dossier, code, int(value))
        except DomainError as exc:
            if exc.status_code not in (403, 404, 409, 413, 415, 422):
                raise
            errors[f"component.{code}"] = _("Tài liệu từ kho dữ liệu: %(message)s") % {
                "message": _upload_message(request, dossier, code, exc),
            }
            status = status or exc.status_code
    if "result_delivery" in form:
        typed = {k: str(form.get(k, ""))[:600] for k in postal_pages.FIELDS}
        request.state.postal_typed = typed
        try:
            postal_service.choose(
                session,
                user,
                dossier,
                typed["result_delivery"][:10],
                recipient_name=typed["postal_recipient"],
                phone=typed["postal_phone"],
                address=typed["postal_address"],
            )
        except InvalidInput as exc:
            errors.update({key: _(message) for key, message in exc.fields.items()})
            status = status or 422
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
        "autocomplete": declared.get("autocomplete")
        or PREFILL_AUTOCOMPLETE.get(declared.get("prefill") or ""),
    }
    if kind == "checkbox":
        view["value"] = value is True
    else:
        text = "" if value is None or isinstance(value, bool) else str(value)
        # A date is shown as dd/mm/yyyy by the template; a value that is not one stays
        # visible as typed rather than being dropped.
        view["value"] = text
    return view


def _with_range(_: Any, declared: dict[str, Any]) -> str:
    """The field's help followed by the bounds of a number ("Từ 1 đến 20.")."""
    hint = (
        dossier_checks.range_hint(declared) if declared.get("type") in ("number", "date") else None
    )
    parts = [declared.get("help") or "", (_(hint[0]) % hint[1]) if hint else ""]
    return " ".join(p for p in parts if p)


def _draft_page(
    request: Request,
    session: Session,
    dossier: Dossier,
    errors: dict[str, str] | None = None,
    posted: Posted | None = None,
    status_code: int = 200,
    general: str | None = None,
    saved: bool = False,
) -> Response:
    """The draft form; ``saved`` when "Lưu nháp" kept values that submission would refuse
    (the summary is then a warning, not an error)."""
    _ = translator(request)
    errors = errors or {}
    version = dossier.version
    applicant = {**(dossier.applicant or {}), **(posted.applicant if posted else {})}
    values = {**(dossier.form_data or {}), **(posted.form if posted else {})}
    summary: list[tuple[str, str, str]] = []

    verified = (
        dossier_service.verified_of(dossier.applicant_user) if dossier.channel == "online" else {}
    )
    held = dossier_service.verified_declared(version, verified)
    locked = {
        *(f"applicant.{k}" for k in dossier_service.VERIFIED_APPLICANT_KEYS if k in verified),
        *held,
    }
    # A read-only field shows what the e-ID vouches for now (an older draft may hold another).
    applicant.update(
        {k: verified[k] for k in dossier_service.VERIFIED_APPLICANT_KEYS if k in verified}
    )
    values.update(held)
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
        view["verified"] = f"applicant.{key}" in locked
        applicant_views.append(view)
        if error:
            summary.append((view["id"], view["label"], error))

    field_views = []
    for declared in _declared(version):
        name = declared["name"]
        error = errors.get(name)
        view = _field_view(declared, values.get(name), error, f"form.{name}", f"f-{name}")
        view["help"] = _with_range(_, declared)
        view["verified"] = name in locked
        field_views.append(view)
        if error:
            summary.append((view["id"], declared["label"], error))

    files_by_component: dict[str, list[DossierFile]] = {}
    attached = dossier_service.active_files(dossier)
    for row in attached:
        files_by_component.setdefault(row.component_code or "", []).append(row)
    # Only the applicant reaches this page (common.owned): their store is offered.
    owner = dossier.applicant_user
    store = docstore_service.choices(session, owner, dossier) if owner is not None else {}
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
                "store": store.get(comp.code, []),
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

    postal = postal_pages.draft_view(request, session, dossier, errors)
    summary.extend(postal["summary"])
    known = {f"applicant.{k}" for k, *_r in APPLICANT_FIELDS} | set(postal_pages.FIELDS)
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
            "saved_with_problems": saved and bool(summary or others),
            "supplement": request_info if dossier.status == "supplement_requested" else None,
            "missing": dossier_service.missing_components(dossier),
            "origins": docstore_service.origins(session, [f.id for f in attached]),
            "status_labels": dossier_service.STATUS_LABELS,
            "size_label": lambda n: common.size_label(n, request_locale(request)),
            "expected_at": common.expected_result_at(version),
            "postal": postal,
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
    dossier = common.owned(session, user, dossier_id)
    if dossier.status not in dossier_service.EDITABLE:
        return common.redirect(f"/ho-so/{dossier.id}")
    return _draft_page(request, session, dossier)


@router.post("/ho-so/{dossier_id}/khai", dependencies=[Depends(verify_csrf)])
async def draft_save(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """ "Lưu nháp": keep everything as typed; what submission would refuse is pointed out."""
    form = await request.form()
    uploads = await _read_uploads(form)

    def work() -> Response:
        dossier = common.owned(session, user, dossier_id)
        errors, status, posted = _apply_posted(request, session, user, dossier, form, uploads)
        if errors:
            return _draft_page(request, session, dossier, errors, posted, status)
        problems = dossier_checks.typed_problems(dossier)
        if problems:
            # Saved all the same (finding m2): a warning now, a refusal only at submission.
            return _draft_page(
                request, session, dossier, _translated(request, problems), saved=True
            )
        return common.saved_redirect(session, f"/ho-so/{dossier.id}/khai", "saved")

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
        dossier = common.owned(session, user, dossier_id)
        errors, status, posted = _apply_posted(request, session, user, dossier, form, uploads)
        chosen = all(u.component != code for u in uploads) and code not in _reuse_choices(form)
        if code and f"component.{code}" not in errors and chosen:
            errors[f"component.{code}"] = _("Vui lòng chọn tệp cần tải lên.")
        if errors:
            return _draft_page(request, session, dossier, errors, posted, status)
        anchor = f"c-{code}" if code else ""
        return common.saved_redirect(session, f"/ho-so/{dossier.id}/khai", "file_added", anchor)

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
        dossier = common.owned(session, user, dossier_id)
        errors, status, posted = _apply_posted(request, session, user, dossier, form, uploads)
        row = session.get(DossierFile, file_id)
        code = row.component_code if row is not None and row.dossier_id == dossier.id else ""
        dossier_service.remove_file(session, user, dossier, file_id)
        if errors:
            return _draft_page(request, session, dossier, errors, posted, status)
        anchor = f"c-{code}" if code else ""
        return common.saved_redirect(session, f"/ho-so/{dossier.id}/khai", "file_removed", anchor)

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
        dossier = common.owned(session, user, dossier_id)
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
        return common.saved_redirect(session, f"/ho-so/{dossier.id}", msg)

    return await run_in_threadpool(work)
