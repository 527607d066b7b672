"""Administration pages under /quan-tri: agencies, users, the procedure designer, calendar and
rules, receipt series and signing certificates.

Plain HTML forms that work without JavaScript: every list item of the designer is its own
small form (save, move up/down, remove), and a rejected form comes back with the values as
typed, an error summary and each message next to its field. Authorisation is in the service.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.calendar import admin as calendar_admin
from app.calendar import service as calendar_service
from app.catalog import designer as designer_service
from app.catalog import designer_schemas
from app.catalog.designer import Section
from app.catalog.models import FIELD_TYPES, ProcedureVersion
from app.db import utcnow
from app.errors import Conflict, DomainError, InvalidInput, NotFound
from app.i18n_markers import N_
from app.receipts import series as series_service
from app.signing import certificates as certificate_service
from app.signing.service import MAX_PKCS12_BYTES
from app.web import render, translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)
MAX_IMPORT_BYTES = 2 * 1024 * 1024
NOT_FOUND = N_("Không tìm thấy trang")

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
}
FEE_KIND_LABELS = {"fee": N_("Phí"), "charge": N_("Lệ phí")}
CHANNEL_LABELS = {
    "": N_("Mọi hình thức nộp"),
    "online": N_("Nộp trực tuyến"),
    "counter": N_("Nộp trực tiếp"),
}
ACTION_LABELS = {
    "receive": N_("Tiếp nhận hồ sơ"),
    "request_supplement": N_("Yêu cầu bổ sung hồ sơ"),
    "reject": N_("Từ chối hồ sơ"),
    "forward": N_("Chuyển bước tiếp theo"),
    "send_back": N_("Trả lại bước trước"),
    "approve": N_("Phê duyệt"),
    "request_payment": N_("Yêu cầu thanh toán"),
    "attach_result": N_("Đính kèm kết quả"),
    "return_result": N_("Trả kết quả"),
    "stop": N_("Dừng xử lý hồ sơ"),
    "extend": N_("Gia hạn, xin lỗi"),
}
STATUS_LABELS = {
    "draft": N_("Bản nháp"),
    "published": N_("Đang áp dụng"),
    "retired": N_("Hết hiệu lực"),
}
OVERRIDE_KIND_LABELS = {"day_off": N_("Ngày nghỉ bổ sung"), "working_day": N_("Ngày làm việc bù")}
DAY_KIND_LABELS = {
    "holiday": N_("Nghỉ lễ, Tết"),
    "day_off": N_("Ngày nghỉ bổ sung"),
    "working_day": N_("Ngày làm việc bù"),
}
WEEKDAY_LABELS = {
    "mon": N_("Thứ Hai"),
    "tue": N_("Thứ Ba"),
    "wed": N_("Thứ Tư"),
    "thu": N_("Thứ Năm"),
    "fri": N_("Thứ Sáu"),
    "sat": N_("Thứ Bảy"),
    "sun": N_("Chủ nhật"),
}
UNIT_LABELS = {"calendar_days": N_("ngày (theo lịch)"), "working_days": N_("ngày làm việc")}
PERIODS_PER_DAY = 3
RULE_KEYS = (
    "cutoff_hour",
    "answer_window_hours",
    "supplement_window_days",
    "supplement_limit_days",
    "supplement_limit_unit",
    "max_extensions",
    "apology_lead_days",
)

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
ITEM_OPS = {"luu", "xoa", "len", "xuong"}

INFO_MESSAGES = {
    "code": N_("Mã thủ tục gồm chữ, số, dấu chấm hoặc gạch, ví dụ 1.001193."),
    "name": N_("Vui lòng nhập tên thủ tục (ít nhất 3 ký tự)."),
    "field": N_("Vui lòng nhập lĩnh vực."),
    "level": N_("Chọn cấp thực hiện."),
    "online_level": N_("Chọn mức độ trực tuyến."),
    "processing_days": N_("Thời hạn giải quyết là số ngày làm việc lớn hơn 0 (tối đa 365)."),
    "agencies": N_("Chọn ít nhất một cơ quan thực hiện."),
    "payment_moment": N_("Chọn thời điểm thu phí."),
    "result_type_code": N_("Mã loại kết quả tối đa 20 ký tự."),
}
ITEM_MESSAGES: dict[Section, dict[str, str]] = {
    "fields": {
        "name": N_("Tên trường gồm chữ thường không dấu, số và dấu gạch dưới, bắt đầu bằng chữ."),
        "label": N_("Vui lòng nhập nhãn hiển thị."),
        "type": N_("Chọn kiểu dữ liệu."),
        "options": N_("Danh sách chọn cần ít nhất một lựa chọn (mỗi dòng một lựa chọn)."),
        "max_length": N_("Độ dài tối đa là số từ 1 đến 4000."),
        "prefill": N_("Chọn thông tin tự điền hợp lệ."),
    },
    "components": {
        "code": N_("Mã giấy tờ gồm chữ, số, dấu gạch, tối đa 40 ký tự."),
        "name": N_("Vui lòng nhập tên giấy tờ."),
        "copies": N_("Số bản từ 1 đến 20."),
        "paper_kind": N_("Chọn loại bản."),
        "accepted_types": N_("Chọn ít nhất một định dạng tệp."),
        "max_size_mb": N_("Dung lượng tối đa từ 1 đến 50 MB."),
    },
    "fees": {
        "name": N_("Vui lòng nhập tên khoản thu."),
        "amount": N_("Mức thu là số tiền (đồng) không âm."),
        "kind": N_("Chọn loại khoản thu."),
        "channel": N_("Chọn hình thức nộp."),
    },
    "steps": {
        "code": N_("Mã bước gồm chữ, số, dấu gạch, tối đa 40 ký tự."),
        "name": N_("Vui lòng nhập tên bước."),
        "role": N_("Chọn vai trò xử lý."),
        "agency": N_("Chọn cơ quan hợp lệ."),
        "duration_hours": N_("Thời gian xử lý là số giờ làm việc lớn hơn 0."),
        "actions": N_("Chọn ít nhất một thao tác."),
    },
}


# --- helpers -----------------------------------------------------------------------------------


def redirect(path: str, msg: str | None = None, **query: Any) -> RedirectResponse:
    """303 to ``path`` with a flash message (``msg``) and the non-empty query values."""
    params = {k: v for k, v in query.items() if v not in (None, "")}
    if msg:
        params["msg"] = msg
    return RedirectResponse(f"{path}?{urlencode(params)}" if params else path, status_code=303)


def parse(
    request: Request, model: type[M], data: Mapping[str, Any], messages: Mapping[str, str]
) -> tuple[M | None, dict[str, str]]:
    """Validate form data into ``model``; on failure one translated message per field."""
    _ = translator(request)
    try:
        return model.model_validate(dict(data)), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            loc = err.get("loc", ())
            name = str(loc[0]) if loc else "form"
            if name == "form" and "options" in str(err.get("msg", "")):
                name = "options"  # the select-needs-options check of the whole field
            fallback = N_("Giá trị không hợp lệ.")
            errors.setdefault(name, _(messages.get(name, fallback)))
        return None, errors


def domain_errors(request: Request, exc: DomainError) -> dict[str, str]:
    """A service's refusal as form errors: its message on each field it names."""
    _ = translator(request)
    message = _(exc.detail)
    if exc.fields:
        return {name: message for name in exc.fields}
    return {"form": message}


def text(form: FormData, name: str, limit: int = 20000) -> str:
    value = form.get(name, "")
    return value[:limit].strip() if isinstance(value, str) else ""


def text_list(form: FormData, name: str) -> list[str]:
    """The non-empty values of a repeated field (checkboxes, multiple select)."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "1", "true")


def number(typed: str) -> str:
    """Vietnamese-typed numbers: ``0,5`` → ``0.5``; thousands dots of an amount kept apart."""
    return typed.replace(" ", "").replace(",", ".")


async def read_form(request: Request) -> FormData:
    return await request.form()


def render_page(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    """Render an admin page; ``choices`` (depth, agency) become the agency picker's options."""
    if "choices" in context:
        # Agency pickers show the tree: "— — Name (code)".
        context["agency_options"] = [
            (a.code, f"{'— ' * depth}{a.name} ({a.code})") for depth, a in context["choices"]
        ]
    return render(request, template, context, status_code=status)


async def threaded(work: Callable[[], Response]) -> Response:
    """Run the synchronous part of an async form handler (database work) in the thread pool."""
    return await run_in_threadpool(work)


# The names the screens still here use.
_redirect, _parse, _domain_errors, _text, _list = redirect, parse, domain_errors, text, text_list
_checked, _number, _form, _page, _threaded = checked, number, read_form, render_page, threaded


def _amount(text: str) -> str:
    return text.replace(" ", "").replace(".", "").replace(",", "").replace("₫", "").strip()


def _labels() -> dict[str, Any]:
    return {
        "procedure_level_labels": PROCEDURE_LEVEL_LABELS,
        "online_level_labels": ONLINE_LEVEL_LABELS,
        "payment_moment_labels": PAYMENT_MOMENT_LABELS,
        "field_type_labels": FIELD_TYPE_LABELS,
        "prefill_labels": PREFILL_LABELS,
        "fee_kind_labels": FEE_KIND_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "action_labels": ACTION_LABELS,
        "status_labels": STATUS_LABELS,
        "override_kind_labels": OVERRIDE_KIND_LABELS,
        "day_kind_labels": DAY_KIND_LABELS,
        "weekday_labels": WEEKDAY_LABELS,
        "unit_labels": UNIT_LABELS,
        "section_titles": SECTION_TITLES,
        "slug_of": SLUG_OF,
        "step_roles": designer_schemas.STEP_ROLES,
        "step_actions": designer_schemas.STEP_ACTIONS,
        "field_types": FIELD_TYPES,
        "accepted_types": designer_schemas.ACCEPTED_TYPES,
        "fmt_hours": lambda h: f"{h:g}",
    }


# --- procedures: list, new, import, overview -----------------------------------------------


@router.get("/quan-tri/thu-tuc")
def procedures(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    q: str = "",
) -> Response:
    items = designer_service.list_procedures(session, user, q[:200])
    return _page(request, "admin/procedures.html", {**_labels(), "items": items, "q": q[:200]})


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
    values: dict[str, Any] = {k: _text(form, k) for k in ("code", *INFO_FIELDS)}
    values["processing_days"] = _number(values["processing_days"])
    values["agencies"] = _list(form, "agencies")
    return values


def _version_values(version: ProcedureVersion) -> dict[str, Any]:
    values: dict[str, Any] = {k: getattr(version, k) for k in INFO_FIELDS}
    values["processing_days"] = f"{version.processing_days:g}"
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
        **_labels(),
        "version": version,
        "values": values,
        "errors": errors or {},
        "choices": agency_service.agency_choices(session, user),
        "section": "info",
    }
    if version is not None:
        context.update(_designer_context(session, version))
    return _page(request, "admin/procedure_info.html", context, status)


def _designer_context(session: Session, version: ProcedureVersion) -> dict[str, Any]:
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
    form = await _form(request)

    def work() -> Response:
        values = _info_values(form)
        data, errors = _parse(request, designer_schemas.NewProcedure, values, INFO_MESSAGES)
        if data is not None:
            try:
                version = designer_service.create_procedure(session, user, data)
            except (InvalidInput, Conflict) as exc:
                errors = _domain_errors(request, exc)
            else:
                return _redirect(f"/quan-tri/thu-tuc/{version.code}/ban-nhap", "procedure_created")
        return _info_page(
            request, session, user, version=None, values=values, errors=errors, status=422
        )

    return await _threaded(work)


@router.get("/quan-tri/thu-tuc/nhap")
def procedure_import_form(request: Request, user: CurrentUser) -> Response:
    account_service.require_admin_area(user)
    return _page(request, "admin/procedure_import.html", {"errors": {}, "details": [], "code": ""})


@router.post("/quan-tri/thu-tuc/nhap", dependencies=[Depends(verify_csrf)])
async def procedure_import(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)
    upload = form.get("file")
    raw = await upload.read(MAX_IMPORT_BYTES + 1) if isinstance(upload, UploadFile) else b""
    code = _text(form, "code", 40)
    _ = translator(request)

    def failed(errors: dict[str, str], details: list[str], status: int = 422) -> Response:
        return _page(
            request,
            "admin/procedure_import.html",
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
        if not isinstance(payload, dict) or payload.get("format") != designer_schemas.FORMAT:
            return failed({"file": _("Tệp không đúng định dạng motcua.procedure/1.")}, [])
        try:
            doc = designer_schemas.ProcedureDocument.model_validate(payload)
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
        return _redirect(f"/quan-tri/thu-tuc/{version.code}/ban-nhap", "imported")

    return await _threaded(work)


@router.get("/quan-tri/thu-tuc/{code}")
def procedure_overview(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    item = designer_service.get_procedure(session, user, code)
    return _page(
        request,
        "admin/procedure.html",
        {
            **_labels(),
            "item": item,
            "counts": designer_service.dossier_counts(session, item.procedure),
        },
    )


@router.post("/quan-tri/thu-tuc/{code}/sua", dependencies=[Depends(verify_csrf)])
def procedure_open_draft(
    code: str,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    version = designer_service.open_draft(session, user, code)
    return _redirect(f"/quan-tri/thu-tuc/{version.code}/ban-nhap", "draft_opened")


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
    form = await _form(request)

    def work() -> Response:
        version = designer_service.get_draft(session, user, code)
        values = {**_info_values(form), "code": version.code}
        info = {k: v for k, v in values.items() if k != "code"}
        data, errors = _parse(request, designer_schemas.ProcedureInfo, info, INFO_MESSAGES)
        if data is not None:
            try:
                designer_service.update_info(session, user, version, data)
            except (InvalidInput, Conflict) as exc:
                errors = _domain_errors(request, exc)
            else:
                return _redirect(f"/quan-tri/thu-tuc/{code}/ban-nhap", "saved")
        return _info_page(
            request, session, user, version=version, values=values, errors=errors, status=422
        )

    return await _threaded(work)


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
            "date_text": False,
        }
        for f in (version.form_schema or {}).get("fields", [])
    ]
    return _page(
        request,
        "admin/procedure_preview.html",
        {
            **_labels(),
            **_designer_context(session, version),
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
    return _redirect(f"/quan-tri/thu-tuc/{code}", "published")


@router.post("/quan-tri/thu-tuc/{code}/ban-nhap/huy", dependencies=[Depends(verify_csrf)])
def draft_discard(
    code: str,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    version = designer_service.get_draft(session, user, code)
    if designer_service.discard_draft(session, user, version):
        return _redirect("/quan-tri/thu-tuc", "draft_discarded")
    return _redirect(f"/quan-tri/thu-tuc/{code}", "draft_discarded")


def _section(slug: str) -> Section:
    section = SECTION_SLUGS.get(slug)
    if section is None:
        raise NotFound(NOT_FOUND)
    return section


def _item_values(section: Section, item: Any) -> dict[str, Any]:
    """What an item's form shows, as text."""
    if section == "fields":
        return {
            "name": item.get("name", ""),
            "label": item.get("label", ""),
            "type": item.get("type", "text"),
            "required": bool(item.get("required")),
            "options": "\n".join(item.get("options") or []),
            "help": item.get("help", ""),
            "prefill": item.get("prefill") or "",
            "max_length": item.get("max_length") or "",
        }
    if section == "components":
        return {
            "code": item.code,
            "name": item.name,
            "required": item.required,
            "copies": item.copies,
            "paper_kind": item.paper_kind,
            "accepted_types": list(item.accepted_types),
            "max_size_mb": item.max_size_mb,
            "note": item.note,
        }
    if section == "fees":
        return {
            "name": item.name,
            "amount": item.amount,
            "kind": item.kind,
            "unit": item.unit,
            "channel": item.channel or "",
            "note": item.note,
        }
    return {
        "code": item.code,
        "name": item.name,
        "role": item.role,
        "unit": item.unit,
        "agency": item.agency.code if item.agency else "",
        "duration_hours": f"{item.duration_hours:g}",
        "actions": list(item.actions),
    }


def _posted_item(section: Section, form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values as typed, payload for the schema) of a posted item form."""
    if section == "fields":
        values: dict[str, Any] = {
            "name": _text(form, "name", 60),
            "label": _text(form, "label", 400),
            "type": _text(form, "type", 20),
            "required": _checked(form, "required"),
            "options": _text(form, "options", 8000),
            "help": _text(form, "help", 600),
            "prefill": _text(form, "prefill", 20),
            "max_length": _text(form, "max_length", 10),
        }
        payload = {
            **values,
            "options": [line for line in values["options"].splitlines() if line.strip()],
            "prefill": values["prefill"] or None,
            "max_length": values["max_length"] or None,
        }
        return values, payload
    if section == "components":
        values = {
            "code": _text(form, "code", 60),
            "name": _text(form, "name", 600),
            "required": _checked(form, "required"),
            "copies": _text(form, "copies", 10),
            "paper_kind": _text(form, "paper_kind", 20),
            "accepted_types": _list(form, "accepted_types"),
            "max_size_mb": _text(form, "max_size_mb", 10),
            "note": _text(form, "note", 2000),
        }
        return values, values
    if section == "fees":
        values = {
            "name": _text(form, "name", 300),
            "amount": _text(form, "amount", 30),
            "kind": _text(form, "kind", 20),
            "unit": _text(form, "unit", 80),
            "channel": _text(form, "channel", 20),
            "note": _text(form, "note", 2000),
        }
        return values, {
            **values,
            "amount": _amount(values["amount"]),
            "channel": values["channel"] or None,
        }
    values = {
        "code": _text(form, "code", 60),
        "name": _text(form, "name", 300),
        "role": _text(form, "role", 20),
        "unit": _text(form, "unit", 300),
        "agency": _text(form, "agency", 35),
        "duration_hours": _text(form, "duration_hours", 20),
        "actions": _list(form, "actions"),
    }
    return values, {
        **values,
        "agency": values["agency"] or None,
        "duration_hours": _number(values["duration_hours"]),
    }


ITEM_MODELS: dict[Section, type[BaseModel]] = {
    "fields": designer_schemas.FormFieldIn,
    "components": designer_schemas.ComponentIn,
    "fees": designer_schemas.FeeIn,
    "steps": designer_schemas.StepIn,
}


def _section_page(
    request: Request,
    session: Session,
    user: User,
    version: ProcedureVersion,
    section: Section,
    *,
    editing: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    items = designer_service.section_items(version, section)
    rows = [
        {
            "index": i,
            "key": designer_service.item_key(section, item),
            "values": values
            if editing == str(i) and values is not None
            else _item_values(section, item),
            "errors": errors if editing == str(i) and errors else {},
        }
        for i, item in enumerate(items)
    ]
    new_row = {
        "index": "new",
        "key": "",
        "values": values if editing == "new" and values is not None else _new_item_values(section),
        "errors": errors if editing == "new" and errors else {},
    }
    return _page(
        request,
        "admin/procedure_section.html",
        {
            **_labels(),
            **_designer_context(session, version),
            "version": version,
            "section": section,
            "slug": SLUG_OF[section],
            "rows": rows,
            "new_row": new_row,
            "editing": editing,
            "choices": agency_service.agency_choices(session, user),
        },
        status,
    )


def _new_item_values(section: Section) -> dict[str, Any]:
    if section == "fields":
        return {"type": "text", "required": True}
    if section == "components":
        return {
            "required": True,
            "copies": 1,
            "paper_kind": "copy",
            "accepted_types": ["pdf", "jpg", "png"],
            "max_size_mb": 10,
        }
    if section == "fees":
        return {"kind": "charge", "channel": "", "amount": 0}
    return {"role": "specialist", "actions": ["forward", "send_back"]}


@router.get("/quan-tri/thu-tuc/{code}/ban-nhap/{slug}")
def draft_section(
    code: str,
    slug: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    section = _section(slug)
    version = designer_service.get_draft(session, user, code)
    return _section_page(request, session, user, version, section)


@router.post("/quan-tri/thu-tuc/{code}/ban-nhap/{slug}/them", dependencies=[Depends(verify_csrf)])
async def draft_item_add(
    code: str,
    slug: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)
    return await _threaded(lambda: _save_item(request, session, user, code, slug, None, form))


def _save_item(
    request: Request,
    session: Session,
    user: User,
    code: str,
    slug: str,
    index: int | None,
    form: FormData,
) -> Response:
    section = _section(slug)
    version = designer_service.get_draft(session, user, code)
    values, payload = _posted_item(section, form)
    data, errors = _parse(request, ITEM_MODELS[section], payload, ITEM_MESSAGES[section])
    if data is not None:
        try:
            designer_service.save_item(
                session,
                user,
                version,
                section,
                data,  # type: ignore[arg-type]
                index,
                _text(form, "key", 300) if index is not None else None,
            )
        except (InvalidInput, Conflict) as exc:
            errors = _domain_errors(request, exc)
        else:
            anchor = f"#item-{index}" if index is not None else ""
            msg = "item_saved" if index is not None else "item_added"
            return RedirectResponse(
                f"/quan-tri/thu-tuc/{code}/ban-nhap/{slug}?msg={msg}{anchor}", status_code=303
            )
    editing = "new" if index is None else str(index)
    return _section_page(
        request,
        session,
        user,
        version,
        section,
        editing=editing,
        values=values,
        errors=errors,
        status=422,
    )


@router.post(
    "/quan-tri/thu-tuc/{code}/ban-nhap/{slug}/{index}/{op}", dependencies=[Depends(verify_csrf)]
)
async def draft_item_op(
    code: str,
    slug: str,
    index: int,
    op: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)
    if op == "luu":
        return await _threaded(lambda: _save_item(request, session, user, code, slug, index, form))

    def work() -> Response:
        section = _section(slug)
        if op not in ITEM_OPS:
            raise NotFound(NOT_FOUND)
        version = designer_service.get_draft(session, user, code)
        key = _text(form, "key", 300) or None
        if op == "xoa":
            designer_service.remove_item(session, user, version, section, index, key)
            msg = "item_removed"
        else:
            offset = -1 if op == "len" else 1
            designer_service.move_item(session, user, version, section, index, offset, key)
            msg = "item_moved"
        return _redirect(f"/quan-tri/thu-tuc/{code}/ban-nhap/{slug}", msg)

    return await _threaded(work)


# --- calendar and rules ----------------------------------------------------------------------


def _calendar_page(
    request: Request,
    session: Session,
    user: User,
    year: int,
    *,
    errors: dict[str, str] | None = None,
    day_values: dict[str, str] | None = None,
    schedule_values: dict[str, str] | None = None,
    rule_values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    view = calendar_admin.calendar_view(session, user, year)
    rules = view.rules
    if schedule_values is None:
        schedule_values = {}
        for day in calendar_service.WEEKDAYS:
            for i, (start, end) in enumerate(rules["schedule"].get(day, [])[:PERIODS_PER_DAY]):
                schedule_values[f"{day}-{i}-start"] = start
                schedule_values[f"{day}-{i}-end"] = end
    if rule_values is None:
        rule_values = {
            k: (f"{rules[k]:g}" if isinstance(rules[k], int | float) else str(rules[k]))
            for k in RULE_KEYS
        }
    overridden = {o.day for o in view.overrides}
    return _page(
        request,
        "admin/calendar.html",
        {
            **_labels(),
            "view": view,
            "overridden": overridden,
            "weekdays": calendar_service.WEEKDAYS,
            "periods": range(PERIODS_PER_DAY),
            "errors": errors or {},
            "day_values": day_values or {"kind": "day_off"},
            "schedule_values": schedule_values,
            "rule_values": rule_values,
            "defaults": calendar_service.DEFAULT_RULES,
        },
        status,
    )


def _this_year() -> int:
    return calendar_service.WorkCalendar().local(utcnow()).year


def _year(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        return _this_year()
    return year if 2000 <= year <= 2099 else _this_year()


def _parse_day(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


@router.get("/quan-tri/lich")
def calendar_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    year: str = "",
) -> Response:
    return _calendar_page(request, session, user, _year(year[:4]))


@router.post("/quan-tri/lich/ngay", dependencies=[Depends(verify_csrf)])
async def calendar_day_set(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        _ = translator(request)
        values = {k: _text(form, k, 500) for k in ("day", "kind", "note")}
        day = _parse_day(values["day"])
        year = day.year if day and 2000 <= day.year <= 2099 else _this_year()
        errors: dict[str, str] = {}
        if day is None:
            errors["day"] = _("Nhập ngày theo dạng dd/mm/yyyy.")
        else:
            try:
                calendar_admin.set_day(session, user, day, values["kind"], values["note"])
            except InvalidInput as exc:
                errors = {("day" if k == "day" else "kind"): _(exc.detail) for k in exc.fields}
            else:
                return _redirect("/quan-tri/lich", "day_saved", year=year)
        return _calendar_page(
            request, session, user, year, errors=errors, day_values=values, status=422
        )

    return await _threaded(work)


@router.post("/quan-tri/lich/ngay/xoa", dependencies=[Depends(verify_csrf)])
async def calendar_day_remove(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        day = _parse_day(_text(form, "day", 20))
        if day is None:
            raise InvalidInput(N_("Nhập ngày theo dạng dd/mm/yyyy."), fields={"day": "date"})
        calendar_admin.remove_day(session, user, day)
        return _redirect("/quan-tri/lich", "day_removed", year=day.year)

    return await _threaded(work)


@router.post("/quan-tri/lich/gio-lam-viec", dependencies=[Depends(verify_csrf)])
async def calendar_schedule(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        _ = translator(request)
        year = _year(_text(form, "year", 4))
        values: dict[str, str] = {}
        schedule: dict[str, list[list[str]]] = {}
        errors: dict[str, str] = {}
        for day in calendar_service.WEEKDAYS:
            schedule[day] = []
            for i in range(PERIODS_PER_DAY):
                start = _text(form, f"{day}-{i}-start", 5)
                end = _text(form, f"{day}-{i}-end", 5)
                values[f"{day}-{i}-start"], values[f"{day}-{i}-end"] = start, end
                if start or end:
                    if not (start and end):
                        errors.setdefault(
                            f"{day}-{i}-start", _("Nhập cả giờ bắt đầu và giờ kết thúc.")
                        )
                    schedule[day].append([start, end])
        if not errors:
            try:
                calendar_admin.set_rules(session, user, {"schedule": schedule})
            except InvalidInput as exc:
                hints = "; ".join(str(v) for v in exc.fields.values())
                errors = {"schedule": f"{_(exc.detail)} ({hints})"}
            else:
                return _redirect("/quan-tri/lich", "schedule_saved", year=year)
        return _calendar_page(
            request, session, user, year, errors=errors, schedule_values=values, status=422
        )

    return await _threaded(work)


def _rule_value(key: str, text: str) -> Any:
    if key in ("cutoff_hour", "supplement_limit_unit"):
        return text
    try:
        number = float(_number(text))
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


@router.post("/quan-tri/lich/quy-tac", dependencies=[Depends(verify_csrf)])
async def calendar_rules(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        _ = translator(request)
        year = _year(_text(form, "year", 4))
        values = {k: _text(form, k, 20) for k in RULE_KEYS}
        try:
            calendar_admin.set_rules(
                session, user, {k: _rule_value(k, v) for k, v in values.items()}
            )
        except InvalidInput as exc:
            errors = {k: _(exc.detail) + f" ({v})" for k, v in exc.fields.items()}
            return _calendar_page(
                request, session, user, year, errors=errors, rule_values=values, status=422
            )
        return _redirect("/quan-tri/lich", "rules_saved", year=year)

    return await _threaded(work)


@router.post("/quan-tri/lich/quy-tac/mac-dinh", dependencies=[Depends(verify_csrf)])
async def calendar_rules_reset(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        calendar_admin.reset_rules(session, user, RULE_KEYS)
        return _redirect("/quan-tri/lich", "rules_reset", year=_year(_text(form, "year", 4)))

    return await _threaded(work)


# --- receipt series and certificates ---------------------------------------------------------


def _series_page(
    request: Request,
    session: Session,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return _page(
        request,
        "admin/receipt_series.html",
        {
            "groups": series_service.list_series(session, user),
            "choices": agency_service.agency_choices(session, user),
            "values": values
            or {
                "year": _this_year(),
                "letters": "AA",
                "agency_code": user.agency.code if user.agency else "",
            },
            "errors": errors or {},
        },
        status,
    )


@router.get("/quan-tri/bien-lai")
def receipt_series(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    account_service.require_admin_area(user)
    return _series_page(request, session, user)


@router.post("/quan-tri/bien-lai", dependencies=[Depends(verify_csrf)])
async def receipt_series_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)

    def work() -> Response:
        _ = translator(request)
        values = {k: _text(form, k, 35) for k in ("agency_code", "year", "letters")}
        try:
            year = int(values["year"])
        except ValueError:
            errors = {"year": _("Năm phải trong khoảng 2000–2099.")}
        else:
            try:
                series_service.create_series(
                    session, user, values["agency_code"], year, values["letters"]
                )
            except (InvalidInput, Conflict) as exc:
                errors = _domain_errors(request, exc)
            else:
                return _redirect("/quan-tri/bien-lai", "series_created")
        return _series_page(request, session, user, values=values, errors=errors, status=422)

    return await _threaded(work)


@router.post("/quan-tri/bien-lai/{series_id}/ngung", dependencies=[Depends(verify_csrf)])
def receipt_series_close(
    series_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    series_service.deactivate_series(session, user, series_id)
    return _redirect("/quan-tri/bien-lai", "series_closed")


def _certificates_page(
    request: Request,
    session: Session,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return _page(
        request,
        "admin/certificates.html",
        {
            "groups": certificate_service.list_certificates(session, user),
            "choices": agency_service.agency_choices(session, user),
            "values": values or {"agency_code": user.agency.code if user.agency else ""},
            "errors": errors or {},
            "now": utcnow(),
        },
        status,
    )


@router.get("/quan-tri/chung-thu-so")
def certificates(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    account_service.require_admin_area(user)
    return _certificates_page(request, session, user)


@router.post("/quan-tri/chung-thu-so", dependencies=[Depends(verify_csrf)])
async def certificate_upload(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await _form(request)
    upload = form.get("file")
    data = await upload.read(MAX_PKCS12_BYTES + 1) if isinstance(upload, UploadFile) else b""
    passphrase = form.get("passphrase", "")

    def work() -> Response:
        values = {"agency_code": _text(form, "agency_code", 35)}
        try:
            certificate_service.upload_certificate(
                session,
                user,
                values["agency_code"],
                data,
                passphrase if isinstance(passphrase, str) else "",
            )
        except (InvalidInput, Conflict) as exc:
            errors = _domain_errors(request, exc)
            return _certificates_page(
                request, session, user, values=values, errors=errors, status=422
            )
        return _redirect("/quan-tri/chung-thu-so", "certificate_imported")

    return await _threaded(work)
