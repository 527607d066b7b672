"""The procedure designer under /quan-tri/thu-tuc: the procedures an admin may see, a new
procedure, JSON import, a procedure's versions, and its draft's general information, preview,
publishing and discarding. The draft's list sections (fields, components, fees, steps) are in
``designer_items``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.calendar import service as calendar_service
from app.catalog import designer as designer_service
from app.catalog import schemas
from app.catalog.designer import Section
from app.catalog.models import FIELD_TYPES, STANDARD_ACTIONS, ProcedureVersion
from app.db import utcnow
from app.dossiers import service as dossier_service
from app.errors import Conflict, InvalidInput
from app.formatting import format_number
from app.i18n_markers import N_
from app.web import forms as admin_forms
from app.web import translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep
from app.workflow import labels as workflow_labels

router = APIRouter(include_in_schema=False)
MAX_IMPORT_BYTES = 2 * 1024 * 1024

PROCEDURE_LEVEL_LABELS = {"province": N_("Cấp tỉnh"), "commune": N_("Cấp xã")}
ONLINE_LEVEL_LABELS = {"full": N_("Toàn trình"), "partial": N_("Một phần")}
PAYMENT_MOMENT_LABELS = {
    "none": N_("Không thu hoặc thu khi trả kết quả tại quầy"),
    "submission": N_("Khi nộp hồ sơ"),
    "reception": N_("Khi tiếp nhận hồ sơ"),
    "before_result": N_("Trước khi trả kết quả"),
}
FIELD_TYPE_LABELS = {
    "text": N_("Văn bản ngắn"),
    "textarea": N_("Văn bản dài"),
    "date": N_("Ngày"),
    "number": N_("Số"),
    "select": N_("Danh sách chọn"),
    "checkbox": N_("Ô đánh dấu"),
    "email": N_("Email"),
    "phone": N_("Số điện thoại"),
    "id_number": N_("Số định danh cá nhân"),
}
PREFILL_LABELS = {
    "full_name": N_("Họ và tên"),
    "phone": N_("Số điện thoại"),
    "id_number": N_("Số định danh cá nhân"),
    "email": N_("Email"),
    "address": N_("Địa chỉ"),
    "birth_date": N_("Ngày sinh (từ VNeID)"),
}
FEE_KIND_LABELS = {"fee": N_("Phí"), "charge": N_("Lệ phí")}
CHANNEL_LABELS = {
    "": N_("Mọi hình thức nộp"),
    "online": N_("Nộp trực tuyến"),
    "counter": N_("Nộp trực tiếp"),
}
# The actions a process step may offer (a citizen's withdrawal is not a step's), named as
# everywhere else.
ACTION_LABELS = {a: workflow_labels.ACTION_LABELS[a] for a in STANDARD_ACTIONS if a != "withdraw"}
STATUS_LABELS = {
    "draft": N_("Bản nháp"),
    "published": N_("Đang áp dụng"),
    "retired": N_("Hết hiệu lực"),
}

SECTION_SLUGS: dict[str, Section] = {
    "truong": "fields",
    "thanh-phan": "components",
    "phi": "fees",
    "quy-trinh": "steps",
}
SLUG_OF = {section: slug for slug, section in SECTION_SLUGS.items()}
SECTION_TITLES = {
    "fields": N_("Biểu mẫu khai"),
    "components": N_("Thành phần hồ sơ"),
    "fees": N_("Phí, lệ phí"),
    "steps": N_("Quy trình xử lý"),
}
INFO_MESSAGES = {
    "code": N_("Mã thủ tục gồm chữ, số, dấu chấm hoặc gạch, ví dụ 1.001193."),
    "name": N_("Vui lòng nhập tên thủ tục (ít nhất 3 ký tự)."),
    "field": N_("Vui lòng nhập lĩnh vực."),
    "level": N_("Chọn cấp thực hiện."),
    "online_level": N_("Chọn mức độ trực tuyến."),
    "processing_days": N_("Thời hạn giải quyết là số ngày làm việc từ 0 (trong ngày) đến 365."),
    "agencies": N_("Chọn ít nhất một cơ quan thực hiện."),
    "payment_moment": N_("Chọn thời điểm thu phí."),
    "result_type_code": N_("Mã loại kết quả tối đa 20 ký tự."),
}
LABELS: dict[str, Any] = {
    "procedure_level_labels": PROCEDURE_LEVEL_LABELS,
    "online_level_labels": ONLINE_LEVEL_LABELS,
    "payment_moment_labels": PAYMENT_MOMENT_LABELS,
    "field_type_labels": FIELD_TYPE_LABELS,
    "prefill_labels": PREFILL_LABELS,
    "fee_kind_labels": FEE_KIND_LABELS,
    "channel_labels": CHANNEL_LABELS,
    "action_labels": ACTION_LABELS,
    "status_labels": STATUS_LABELS,
    "section_titles": SECTION_TITLES,
    "slug_of": SLUG_OF,
    "step_roles": schemas.STEP_ROLES,
    "step_actions": schemas.STEP_ACTIONS,
    "field_types": FIELD_TYPES,
    "accepted_types": schemas.ACCEPTED_TYPES,
    "fmt_hours": format_number,
}


@router.get("/quan-tri/thu-tuc")
def procedures(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    q: str = "",
) -> Response:
    items = designer_service.list_procedures(session, user, q[:200])
    return admin_forms.render_page(
        request, "catalog/designer/procedures.html", {**LABELS, "items": items, "q": q[:200]}
    )


INFO_FIELDS = (
    "name",
    "field",
    "level",
    "online_level",
    "processing_days",
    "time_note",
    "result",
    "result_type_code",
    "legal_basis",
    "description",
    "fee_note",
    "payment_moment",
)


def _info_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: admin_forms.text(form, k) for k in ("code", *INFO_FIELDS)}
    values["processing_days"] = admin_forms.number(values["processing_days"])
    values["agencies"] = admin_forms.text_list(form, "agencies")
    return values


def _version_values(version: ProcedureVersion) -> dict[str, Any]:
    values: dict[str, Any] = {k: getattr(version, k) for k in INFO_FIELDS}
    values["processing_days"] = format_number(version.processing_days, grouping=False)
    values["agencies"] = [link.agency.code for link in version.agency_links]
    values["code"] = version.code
    return values


def _info_page(
    request: Request,
    session: Session,
    user: User,
    *,
    version: ProcedureVersion | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        **LABELS,
        "version": version,
        "values": values,
        "errors": errors or {},
        "choices": agency_service.agency_choices(session, user),
        "section": "info",
    }
    if version is not None:
        context.update(designer_context(session, version))
    return admin_forms.render_page(request, "catalog/designer/procedure_info.html", context, status)


def designer_context(session: Session, version: ProcedureVersion) -> dict[str, Any]:
    total, limit = designer_service.time_budget(session, version)
    return {
        "problems": designer_service.check_version(session, version),
        "budget_total": total,
        "budget_limit": limit,
        "hours_per_day": designer_service.hours_per_working_day(session),
    }


@router.get("/quan-tri/thu-tuc/moi")
def procedure_new(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    account_service.require_admin_area(user)
    values = {
        "level": "commune",
        "online_level": "full",
        "payment_moment": "none",
        "agencies": [] if user.is_admin or user.agency is None else [user.agency.code],
    }
    return _info_page(request, session, user, version=None, values=values)


@router.post("/quan-tri/thu-tuc/moi", dependencies=[Depends(verify_csrf)])
async def procedure_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        values = _info_values(form)
        data, errors = admin_forms.parse(request, schemas.NewProcedure, values, INFO_MESSAGES)
        if data is not None:
            try:
                version = designer_service.create_procedure(session, user, data)
            except (InvalidInput, Conflict) as exc:
                errors = admin_forms.domain_errors(request, exc)
            else:
                return admin_forms.redirect(
                    f"/quan-tri/thu-tuc/{version.code}/ban-nhap", "procedure_created"
                )
        return _info_page(
            request, session, user, version=None, values=values, errors=errors, status=422
        )

    return await admin_forms.threaded(work)


@router.get("/quan-tri/thu-tuc/nhap")
def procedure_import_form(request: Request, user: CurrentUser) -> Response:
    account_service.require_admin_area(user)
    return admin_forms.render_page(
        request, "catalog/designer/procedure_import.html", {"errors": {}, "details": [], "code": ""}
    )


@router.post("/quan-tri/thu-tuc/nhap", dependencies=[Depends(verify_csrf)])
async def procedure_import(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)
    upload = form.get("file")
    raw = await upload.read(MAX_IMPORT_BYTES + 1) if isinstance(upload, UploadFile) else b""
    code = admin_forms.text(form, "code", 40)
    _ = translator(request)

    def failed(errors: dict[str, str], details: list[str], status: int = 422) -> Response:
        return admin_forms.render_page(
            request,
            "catalog/designer/procedure_import.html",
            {"errors": errors, "details": details, "code": code},
            status,
        )

    def work() -> Response:
        if not raw:
            return failed({"file": _("Chọn tệp JSON của thủ tục.")}, [])
        if len(raw) > MAX_IMPORT_BYTES:
            return failed({"file": _("Tệp quá lớn (tối đa 2 MB).")}, [], 413)
        try:
            payload = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return failed({"file": _("Tệp không phải JSON hợp lệ.")}, [])
        if not isinstance(payload, dict) or payload.get("format") != schemas.FORMAT:
            return failed({"file": _("Tệp không đúng định dạng motcua.procedure/1.")}, [])
        try:
            doc = schemas.ProcedureDocument.model_validate(payload)
        except ValidationError as exc:
            details = [
                f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                for e in exc.errors()[:20]
            ]
            return failed({"file": _("Nội dung tệp chưa hợp lệ:")}, details)
        try:
            version = designer_service.import_document(session, user, doc, code or None)
        except (InvalidInput, Conflict) as exc:
            details = [f"{k}: {v}" for k, v in exc.fields.items()]
            return failed({"file": _(exc.detail)}, details)
        return admin_forms.redirect(f"/quan-tri/thu-tuc/{version.code}/ban-nhap", "imported")

    return await admin_forms.threaded(work)


@router.get("/quan-tri/thu-tuc/{code}")
def procedure_overview(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    item = designer_service.get_procedure(session, user, code)
    return admin_forms.render_page(
        request,
        "catalog/designer/procedure.html",
        {
            **LABELS,
            "item": item,
            "counts": dossier_service.counts_by_version(session, item.procedure),
        },
    )


@router.post("/quan-tri/thu-tuc/{code}/sua", dependencies=[Depends(verify_csrf)])
def procedure_open_draft(
    code: str,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    version = designer_service.open_draft(session, user, code)
    return admin_forms.redirect(f"/quan-tri/thu-tuc/{version.code}/ban-nhap", "draft_opened")


# --- procedures: the draft ---------------------------------------------------------------------


@router.get("/quan-tri/thu-tuc/{code}/ban-nhap")
def draft_info(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    version = designer_service.get_draft(session, user, code)
    return _info_page(request, session, user, version=version, values=_version_values(version))


@router.post("/quan-tri/thu-tuc/{code}/ban-nhap", dependencies=[Depends(verify_csrf)])
async def draft_info_save(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        version = designer_service.get_draft(session, user, code)
        values = {**_info_values(form), "code": version.code}
        info = {k: v for k, v in values.items() if k != "code"}
        data, errors = admin_forms.parse(request, schemas.ProcedureInfo, info, INFO_MESSAGES)
        if data is not None:
            try:
                designer_service.update_info(session, user, version, data)
            except (InvalidInput, Conflict) as exc:
                errors = admin_forms.domain_errors(request, exc)
            else:
                return admin_forms.redirect(f"/quan-tri/thu-tuc/{code}/ban-nhap", "saved")
        return _info_page(
            request, session, user, version=version, values=values, errors=errors, status=422
        )

    return await admin_forms.threaded(work)


def _preview_page(
    request: Request,
    session: Session,
    version: ProcedureVersion,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    calendar = calendar_service.get_calendar(session)
    fields = [
        {
            **f,
            "id": f"preview-{f['name']}",
            "input_name": f"form.{f['name']}",
            "value": "",
            "error": None,
        }
        for f in (version.form_schema or {}).get("fields", [])
    ]
    return admin_forms.render_page(
        request,
        "catalog/designer/procedure_preview.html",
        {
            **LABELS,
            **designer_context(session, version),
            "version": version,
            "p": version,
            "section": "preview",
            "preview_fields": fields,
            "expected_at": calendar.due_after_working_days(utcnow(), version.processing_days),
            "errors": errors or {},
        },
        status,
    )


@router.get("/quan-tri/thu-tuc/{code}/ban-nhap/xem-truoc")
def draft_preview(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    return _preview_page(request, session, designer_service.get_draft(session, user, code))


@router.post("/quan-tri/thu-tuc/{code}/ban-nhap/cong-bo", dependencies=[Depends(verify_csrf)])
def draft_publish(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    version = designer_service.get_draft(session, user, code)
    try:
        designer_service.publish(session, user, version)
    except InvalidInput as exc:
        errors = {"form": translator(request)(exc.detail)}
        return _preview_page(request, session, version, errors, status=422)
    return admin_forms.redirect(f"/quan-tri/thu-tuc/{code}", "published")


@router.post("/quan-tri/thu-tuc/{code}/ban-nhap/huy", dependencies=[Depends(verify_csrf)])
def draft_discard(
    code: str,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    version = designer_service.get_draft(session, user, code)
    if designer_service.discard_draft(session, user, version):
        return admin_forms.redirect("/quan-tri/thu-tuc", "draft_discarded")
    return admin_forms.redirect(f"/quan-tri/thu-tuc/{code}", "draft_discarded")
