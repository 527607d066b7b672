"""The list sections of a procedure draft in the designer: form fields, components, fees and
steps under /quan-tri/thu-tuc/{code}/ban-nhap/{section}. Every item is its own small form
(save, move up/down, remove), so the pages work without JavaScript.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from app.accounts.models import User
from app.agencies import service as agency_service
from app.catalog import designer as designer_service
from app.catalog import schemas
from app.catalog.designer import Section
from app.catalog.models import ProcedureVersion
from app.catalog.pages import designer
from app.errors import Conflict, InvalidInput, NotFound
from app.formatting import day_text, format_number, parse_day_text
from app.i18n_markers import N_
from app.payments import fees as fee_rules
from app.web import forms as admin_forms
from app.web import translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
ITEM_OPS = {"luu", "xoa", "len", "xuong"}
ITEM_MESSAGES: dict[Section, dict[str, str]] = {
    "fields": {
        "name": N_("Tên trường gồm chữ thường không dấu, số và dấu gạch dưới, bắt đầu bằng chữ."),
        "label": N_("Vui lòng nhập nhãn hiển thị."),
        "type": N_("Chọn kiểu dữ liệu."),
        "options": N_("Danh sách chọn cần ít nhất một lựa chọn (mỗi dòng một lựa chọn)."),
        "max_length": N_("Độ dài tối đa là số từ 1 đến 4000."),
        "prefill": N_("Chọn thông tin tự điền hợp lệ."),
        "min": N_("Giá trị nhỏ nhất là một số, không lớn hơn giá trị lớn nhất."),
        "max": N_("Giá trị lớn nhất là một số."),
        "min_date": N_(
            "Ngày sớm nhất và muộn nhất là ngày dd/mm/yyyy từ 01/01/1900 đến 31/12/2100, "
            "ngày sớm nhất không sau ngày muộn nhất."
        ),
        "max_date": N_("Ngày muộn nhất là ngày dd/mm/yyyy từ 01/01/1900 đến 31/12/2100."),
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
        "quantity_field": fee_rules.NOT_A_NUMBER_FIELD,
        "multiplier_field": fee_rules.NOT_A_NUMBER_FIELD,
        "multiplier_unit": N_("Đơn vị của trường nhân tối đa 60 ký tự."),
        "tiers": fee_rules.TIERS_ORDER,
        "cap": fee_rules.CAP_NEGATIVE,
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


def _amount(text: str) -> str:
    return text.replace(" ", "").replace(".", "").replace(",", "").replace("₫", "").strip()


def _bound(value: Any) -> str:
    """A number field's bound as the editor shows it ("1", "0,5"), empty when unset."""
    return "" if value is None else format_number(float(value), grouping=False)


def _day(text: str) -> str | None:
    """A bound typed as dd/mm/yyyy, as ISO for the schema (as typed when it is no day, so that
    the schema refuses it at its field)."""
    day = parse_day_text(text)
    return day.isoformat() if day is not None else (text or None)


def _section(slug: str) -> Section:
    section = designer.SECTION_SLUGS.get(slug)
    if section is None:
        raise NotFound(admin_forms.NOT_FOUND)
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
            "not_future": bool(item.get("not_future")),
            "min": _bound(item.get("min")),
            "max": _bound(item.get("max")),
            "integer": bool(item.get("integer")),
            "min_date": day_text(item.get("min_date") or ""),
            "max_date": day_text(item.get("max_date") or ""),
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
            "blank_form_name": item.blank_form_name if item.blank_form_sha256 else "",
        }
    if section == "fees":
        return {
            "name": item.name,
            "amount": item.amount,
            "kind": item.kind,
            "unit": item.unit,
            "channel": item.channel or "",
            "note": item.note,
            "quantity_field": item.quantity_field or "",
            "tiers": fee_rules.tiers_text(item.tiers or []),
            "cap": "" if item.cap is None else item.cap,
            "multiplier_field": item.multiplier_field or "",
            "multiplier_unit": item.multiplier_unit,
        }
    return {
        "code": item.code,
        "name": item.name,
        "role": item.role,
        "unit": item.unit,
        "agency": item.agency.code if item.agency else "",
        "duration_hours": format_number(item.duration_hours, grouping=False),
        "actions": list(item.actions),
    }


def _posted_item(section: Section, form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values as typed, payload for the schema) of a posted item form."""
    if section == "fields":
        values: dict[str, Any] = {
            "name": admin_forms.text(form, "name", 60),
            "label": admin_forms.text(form, "label", 400),
            "type": admin_forms.text(form, "type", 20),
            "required": admin_forms.checked(form, "required"),
            "options": admin_forms.text(form, "options", 8000),
            "help": admin_forms.text(form, "help", 600),
            "prefill": admin_forms.text(form, "prefill", 20),
            "max_length": admin_forms.text(form, "max_length", 10),
            "not_future": admin_forms.checked(form, "not_future"),
            "min": admin_forms.text(form, "min", 30),
            "max": admin_forms.text(form, "max", 30),
            "integer": admin_forms.checked(form, "integer"),
            "min_date": admin_forms.text(form, "min_date", 30),
            "max_date": admin_forms.text(form, "max_date", 30),
        }
        payload = {
            **values,
            "options": [line for line in values["options"].splitlines() if line.strip()],
            "prefill": values["prefill"] or None,
            "max_length": values["max_length"] or None,
            "min": values["min"].replace(",", ".") or None,
            "max": values["max"].replace(",", ".") or None,
            "min_date": _day(values["min_date"]),
            "max_date": _day(values["max_date"]),
        }
        return values, payload
    if section == "components":
        values = {
            "code": admin_forms.text(form, "code", 60),
            "name": admin_forms.text(form, "name", 600),
            "required": admin_forms.checked(form, "required"),
            "copies": admin_forms.text(form, "copies", 10),
            "paper_kind": admin_forms.text(form, "paper_kind", 20),
            "accepted_types": admin_forms.text_list(form, "accepted_types"),
            "max_size_mb": admin_forms.text(form, "max_size_mb", 10),
            "note": admin_forms.text(form, "note", 2000),
        }
        return values, values
    if section == "fees":
        values = {
            "name": admin_forms.text(form, "name", 300),
            "amount": admin_forms.text(form, "amount", 30),
            "kind": admin_forms.text(form, "kind", 20),
            "unit": admin_forms.text(form, "unit", 80),
            "channel": admin_forms.text(form, "channel", 20),
            "note": admin_forms.text(form, "note", 2000),
            "quantity_field": admin_forms.text(form, "quantity_field", 60),
            "tiers": admin_forms.text(form, "tiers", 2000),
            "cap": admin_forms.text(form, "cap", 30),
            "multiplier_field": admin_forms.text(form, "multiplier_field", 60),
            "multiplier_unit": admin_forms.text(form, "multiplier_unit", 80),
        }
        tiers = fee_rules.parse_tiers(values["tiers"])
        return values, {
            **values,
            "amount": _amount(values["amount"]),
            "channel": values["channel"] or None,
            "quantity_field": values["quantity_field"] or None,
            "multiplier_field": values["multiplier_field"] or None,
            # A line that cannot be read fails the schema on "tiers", with its message.
            "tiers": tiers if tiers is not None else "?",
            "cap": _amount(values["cap"]) or None,
        }
    values = {
        "code": admin_forms.text(form, "code", 60),
        "name": admin_forms.text(form, "name", 300),
        "role": admin_forms.text(form, "role", 20),
        "unit": admin_forms.text(form, "unit", 300),
        "agency": admin_forms.text(form, "agency", 35),
        "duration_hours": admin_forms.text(form, "duration_hours", 20),
        "actions": admin_forms.text_list(form, "actions"),
    }
    return values, {
        **values,
        "agency": values["agency"] or None,
        "duration_hours": admin_forms.number(values["duration_hours"]),
    }


ITEM_MODELS: dict[Section, type[BaseModel]] = {
    "fields": schemas.FormFieldIn,
    "components": schemas.ComponentIn,
    "fees": schemas.FeeIn,
    "steps": schemas.StepIn,
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
    trial: dict[str, Any] | None = None,
) -> Response:
    items = designer_service.section_items(version, section)
    trial = trial or {}
    rows = [
        {
            "index": i,
            "key": designer_service.item_key(section, item),
            "values": values
            if editing == str(i) and values is not None
            else _item_values(section, item),
            "errors": errors if editing == str(i) and errors else {},
            **_example(section, item, trial if trial.get("index") == i else None),
        }
        for i, item in enumerate(items)
    ]
    new_row = {
        "index": "new",
        "key": "",
        "values": values if editing == "new" and values is not None else _new_item_values(section),
        "errors": errors if editing == "new" and errors else {},
    }
    return admin_forms.render_page(
        request,
        "catalog/designer/procedure_section.html",
        {
            **designer.LABELS,
            **designer.designer_context(session, version),
            "version": version,
            "section": section,
            "slug": designer.SLUG_OF[section],
            "rows": rows,
            "new_row": new_row,
            "editing": editing,
            "choices": agency_service.agency_choices(session, user),
            "number_fields": [
                (f["name"], f.get("label") or f["name"])
                for f in designer_service.section_items(version, "fields")
                if f.get("type") == "number"
            ],
        },
        status,
    )


def _example(section: Section, item: Any, trial: dict[str, Any] | None) -> dict[str, Any]:
    """A worked example of a saved fee per quantity, computed here (no script needed): 5 units
    × 2, or the quantities typed in its "Tính thử" form (``example`` and ``trial`` of a row)."""
    default = {
        "values": {
            "so_luong": fee_rules.EXAMPLE_QUANTITY,
            "nhan": fee_rules.EXAMPLE_MULTIPLIER,
        },
        "errors": {},
    }
    if section != "fees":
        return {"example": None, "trial": default}
    rule = fee_rules.FeeRule.of(item)
    example = fee_rules.example(rule)
    if example is None or trial is None:
        return {"example": example, "trial": default}
    used = {"so_luong": rule.quantity_field, "nhan": rule.multiplier_field}
    errors = {k: v for k, v in trial["errors"].items() if used[k]}
    if not errors:
        example = fee_rules.line(rule, trial["quantity"], trial["multiplier"])
    return {"example": example, "trial": {"values": trial["values"], "errors": errors}}


def _trial(request: Request, _: Any) -> dict[str, Any]:
    """The quantities typed in a fee's "Tính thử" form (a GET, so it works without script)."""
    index = request.query_params.get("muc", "")
    if not index.isdigit():
        return {}
    values = {
        "so_luong": request.query_params.get("so_luong", "")[:12],
        "nhan": request.query_params.get("nhan", "")[:12],
    }
    quantity, q_error = fee_rules.parse_quantity(values["so_luong"] or None)
    multiplier, m_error = fee_rules.parse_quantity(values["nhan"] or None)
    errors = {k: _(e) for k, e in (("so_luong", q_error), ("nhan", m_error)) if e}
    return {
        "index": int(index),
        "values": values,
        "errors": errors,
        "quantity": quantity or fee_rules.EXAMPLE_QUANTITY,
        "multiplier": multiplier or fee_rules.EXAMPLE_MULTIPLIER,
    }


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
    trial = _trial(request, translator(request)) if section == "fees" else {}
    return _section_page(request, session, user, version, section, trial=trial)


@router.post("/quan-tri/thu-tuc/{code}/ban-nhap/{slug}/them", dependencies=[Depends(verify_csrf)])
async def draft_item_add(
    code: str,
    slug: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)
    return await admin_forms.threaded(
        lambda: _save_item(request, session, user, code, slug, None, form)
    )


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
    data, errors = admin_forms.parse(request, ITEM_MODELS[section], payload, ITEM_MESSAGES[section])
    if data is not None:
        try:
            designer_service.save_item(
                session,
                user,
                version,
                section,
                data,  # type: ignore[arg-type]
                index,
                admin_forms.text(form, "key", 300) if index is not None else None,
            )
        except (InvalidInput, Conflict) as exc:
            errors = admin_forms.domain_errors(request, exc)
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
    form = await admin_forms.read_form(request)
    if op == "luu":
        return await admin_forms.threaded(
            lambda: _save_item(request, session, user, code, slug, index, form)
        )

    def work() -> Response:
        section = _section(slug)
        if op not in ITEM_OPS:
            raise NotFound(admin_forms.NOT_FOUND)
        version = designer_service.get_draft(session, user, code)
        key = admin_forms.text(form, "key", 300) or None
        if op == "xoa":
            designer_service.remove_item(session, user, version, section, index, key)
            msg = "item_removed"
        else:
            offset = -1 if op == "len" else 1
            designer_service.move_item(session, user, version, section, index, offset, key)
            msg = "item_moved"
        return admin_forms.redirect(f"/quan-tri/thu-tuc/{code}/ban-nhap/{slug}", msg)

    return await admin_forms.threaded(work)
