"""Counter reception (/can-bo/tiep-nhan): the reception officer types the applicant and the
declared data of a paper dossier, scans each paper component, then receives it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from app.accounts.models import User
from app.catalog import service as catalog_service
from app.catalog.models import ProcedureVersion
from app.dossiers import checks as dossier_checks
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn, ApplicantIn, DossierCreate, DossierUpdate
from app.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.i18n_markers import N_
from app.web import render, translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep
from app.workflow import service as workflow
from app.workflow.pages import common

router = APIRouter(include_in_schema=False)

APPLICANT_KEYS = ("full_name", "id_number", "phone", "email", "address")
APPLICANT_MAX = {"full_name": 120, "id_number": 12, "phone": 20, "email": 254, "address": 255}
COUNTER_FLASH = ("created", "saved", "uploaded", "removed")
# The applicant fields' labels (templates/workflow/_applicant_fields.html), for the summary.
APPLICANT_LABELS = {
    "full_name": N_("Họ và tên"),
    "id_number": N_("Số định danh cá nhân (CCCD)"),
    "phone": N_("Số điện thoại"),
    "email": N_("Email"),
    "address": N_("Địa chỉ"),
}


def _require_reception(user: User) -> None:
    if not user.has_role("reception") or user.agency is None:
        raise Forbidden(N_("Chỉ cán bộ tiếp nhận mới nhập được hồ sơ trực tiếp."))


def _accept(types: list[str]) -> str:
    """The file input's accept list for a component's accepted types."""
    extensions = {"jpg": ".jpg,.jpeg"}
    return ",".join(extensions.get(t, f".{t}") for t in types)


# --- counter reception --------------------------------------------------------------------


def _read_dossier_form(
    _: Any, version: ProcedureVersion, form: FormData
) -> tuple[dict[str, str], dict[str, Any], dict[str, str], dict[str, Any]]:
    """Applicant data and declared fields typed at the counter: (applicant, form data, errors,
    values to show again)."""
    applicant = {k: str(form.get(f"applicant_{k}", "")).strip() for k in APPLICANT_KEYS}
    values: dict[str, Any] = {f"applicant_{k}": v for k, v in applicant.items()}
    errors: dict[str, str] = {
        key.replace(".", "_"): _(message)
        for key, message in dossier_checks.applicant_problems(applicant).items()
    }
    for key, limit in APPLICANT_MAX.items():
        if len(applicant[key]) > limit:
            errors[f"applicant_{key}"] = _("Nội dung quá dài.")
    form_data: dict[str, Any] = {}
    for field in common.declared(version):
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
    for name, message in dossier_checks.declared_errors(version, form_data, "counter").items():
        errors[f"fd-{name}"] = _(message)
    return applicant, form_data, errors, values


def _dossier_values(dossier: Dossier) -> dict[str, Any]:
    values: dict[str, Any] = {
        f"applicant_{k}": (dossier.applicant or {}).get(k, "") for k in APPLICANT_KEYS
    }
    for field in common.declared(dossier.version):
        values[f"fd-{field['name']}"] = dossier.form_data.get(field["name"], "")
    return values


def _with_range(_: Any, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Declared fields whose help also gives a number's bounds ("Từ 1 đến 20.")."""
    shown = []
    for field in fields:
        hint = dossier_checks.range_hint(field) if field.get("type") in ("number", "date") else None
        if hint:
            field = {
                **field,
                "help": " ".join(p for p in (field.get("help"), _(hint[0]) % hint[1]) if p),
            }
        shown.append(field)
    return shown


def _summary_labels(_: Any, version: ProcedureVersion | None) -> dict[str, str]:
    """What each error of the summary is about: "Số điện thoại: …" rather than the bare
    message (finding m16)."""
    labels = {f"applicant_{k}": _(label) for k, label in APPLICANT_LABELS.items()}
    if version is not None:
        for field in common.declared(version):
            labels[f"fd-{field['name']}"] = field.get("label") or field["name"]
        for comp in version.components:
            labels[f"file-{comp.code}"] = comp.name
    labels["thu_tuc"] = _("Thủ tục")
    labels["assignee_id"] = _("Giao cho cán bộ")
    return labels


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
            "fields": _with_range(_, common.declared(version) if version else []),
            "values": values or {},
            "errors": errors,
            "labels": _summary_labels(_, version),
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
    return common.see_other(session, f"/can-bo/tiep-nhan/{dossier.id}?msg=created")


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
    _ = translator(request)
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
            "fields": _with_range(_, common.declared(dossier.version)),
            "values": values or _dossier_values(dossier),
            "errors": errors or {},
            "labels": _summary_labels(_, dossier.version),
            "page_error": page_error,
            "components": components,
            "officers": common.officers(session, dossier, common.next_step(dossier, "receive")),
            "next_step": common.next_step(dossier, "receive"),
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
    return common.see_other(session, f"/can-bo/tiep-nhan/{dossier.id}?msg=saved")


@router.post("/can-bo/tiep-nhan/{dossier_id}/tep", dependencies=[Depends(verify_csrf)])
async def counter_upload(
    dossier_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Store the scan of one paper component (counted as a digitised component)."""
    form = await request.form()
    upload, upload_error = await common.form_upload(form)
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
    return common.see_other(session, f"/can-bo/tiep-nhan/{dossier.id}?msg=uploaded#c-{component}")


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
    return common.see_other(session, f"/can-bo/tiep-nhan/{dossier.id}?msg=removed")


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
    return common.see_other(session, f"/can-bo/ho-so/{dossier.id}?msg=receive")
