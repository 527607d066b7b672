"""Administration of the agency tree under /quan-tri/co-quan: the agencies an admin looks after,
adding one under a parent, editing, deactivating and reactivating."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import schemas
from app.agencies import service as agency_service
from app.agencies.models import LEVELS
from app.errors import Conflict, InvalidInput, NotFound
from app.i18n_markers import N_
from app.web import forms as admin_forms
from app.web import verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)

LEVEL_LABELS = {
    "province": N_("Cấp tỉnh"),
    "center": N_("Trung tâm Phục vụ hành chính công"),
    "department": N_("Sở, ban, ngành"),
    "commune": N_("Cấp xã"),
    "district": N_("Cấp huyện (dữ liệu cũ)"),
}
AGENCY_MESSAGES = {
    "code": N_(
        "Mã định danh phải theo dạng V1V2V3.Z1Z2.Y1Y2.M1X1X2 (QCVN 102:2016), ví dụ 000.00.15.H31."
    ),
    "parent_code": N_("Chọn cơ quan cấp trên."),
    "name": N_("Vui lòng nhập tên cơ quan (ít nhất 3 ký tự)."),
    "short_name": N_("Tên viết tắt tối đa 120 ký tự."),
    "abbreviation": N_(
        "Chữ viết tắt trong ký hiệu văn bản gồm chữ in hoa và chữ số, tối đa 20 ký tự, "
        "ví dụ UBND, STP, CAT."
    ),
    "place_name": N_("Địa danh tối đa 60 ký tự."),
    "level": N_("Chọn cấp của cơ quan."),
    "tax_code": N_("Mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu gạch ngang và 3 chữ số."),
    "address": N_("Địa chỉ tối đa 255 ký tự."),
    "phone": N_("Số điện thoại chỉ gồm chữ số, dấu cách và các ký tự + ( ) . -"),
    "email": N_("Email không hợp lệ."),
}
_LABELS: dict[str, Any] = {"level_labels": LEVEL_LABELS, "agency_levels": LEVELS}


AGENCY_FORM_FIELDS = agency_service.AGENCY_FIELDS


def _agency_values(form: FormData) -> dict[str, str]:
    return {k: admin_forms.text(form, k, 400) for k in ("code", "parent_code", *AGENCY_FORM_FIELDS)}


def _agency_page(
    request: Request,
    session: Session,
    user: User,
    *,
    agency: Any = None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return admin_forms.render_page(
        request,
        "agencies/form.html",
        {
            **_LABELS,
            "agency": agency,
            "values": values,
            "errors": errors or {},
            "choices": agency_service.agency_choices(session, user),
            "can_top_level": user.is_admin,
        },
        status,
    )


@router.get("/quan-tri/co-quan")
def agencies(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    return admin_forms.render_page(
        request,
        "agencies/list.html",
        {**_LABELS, "tree": agency_service.agency_tree(session, user)},
    )


@router.get("/quan-tri/co-quan/them")
def agency_new(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    parent: str = "",
) -> Response:
    account_service.require_admin_area(user)
    default_parent = parent[:35] or (
        "" if user.is_admin else (user.agency.code if user.agency else "")
    )
    return _agency_page(
        request, session, user, values={"parent_code": default_parent, "level": "commune"}
    )


@router.post("/quan-tri/co-quan/them", dependencies=[Depends(verify_csrf)])
async def agency_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        values = _agency_values(form)
        data, errors = admin_forms.parse(
            request,
            schemas.AgencyCreate,
            {**values, "parent_code": values["parent_code"] or None},
            AGENCY_MESSAGES,
        )
        if data is not None:
            try:
                agency = agency_service.create_agency(session, user, data)
            except (InvalidInput, Conflict) as exc:
                errors = admin_forms.domain_errors(request, exc)
            else:
                return admin_forms.redirect(f"/quan-tri/co-quan/{agency.code}", "agency_created")
        return _agency_page(request, session, user, values=values, errors=errors, status=422)

    return await admin_forms.threaded(work)


@router.get("/quan-tri/co-quan/{code}")
def agency_edit(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    agency = agency_service.get_agency(session, user, code)
    values = {k: getattr(agency, k) for k in AGENCY_FORM_FIELDS}
    return _agency_page(request, session, user, agency=agency, values=values)


@router.post("/quan-tri/co-quan/{code}", dependencies=[Depends(verify_csrf)])
async def agency_update(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        agency = agency_service.get_agency(session, user, code)
        values = {k: admin_forms.text(form, k, 400) for k in AGENCY_FORM_FIELDS}
        data, errors = admin_forms.parse(request, schemas.AgencyUpdate, values, AGENCY_MESSAGES)
        if data is not None:
            try:
                agency_service.update_agency(session, user, code, data)
            except (InvalidInput, Conflict) as exc:
                errors = admin_forms.domain_errors(request, exc)
            else:
                return admin_forms.redirect(f"/quan-tri/co-quan/{code}", "agency_saved")
        return _agency_page(
            request, session, user, agency=agency, values=values, errors=errors, status=422
        )

    return await admin_forms.threaded(work)


@router.post("/quan-tri/co-quan/{code}/{op}", dependencies=[Depends(verify_csrf)])
def agency_activation(
    code: str,
    op: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    if op not in ("ngung", "kich-hoat"):
        raise NotFound(admin_forms.NOT_FOUND)
    active = op == "kich-hoat"
    try:
        agency_service.set_agency_active(session, user, code, active)
    except Conflict as exc:
        agency = agency_service.get_agency(session, user, code)
        values = {k: getattr(agency, k) for k in AGENCY_FORM_FIELDS}
        errors = admin_forms.domain_errors(request, exc)
        return _agency_page(
            request, session, user, agency=agency, values=values, errors=errors, status=409
        )
    return admin_forms.redirect(
        f"/quan-tri/co-quan/{code}", "agency_reactivated" if active else "agency_deactivated"
    )
