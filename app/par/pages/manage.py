"""The Department of Home Affairs' and the council's screens (/chi-so-cchc/quan-ly): criteria
sets (XLSX import and export), opening the year's round, and a round's work — closing the
self-assessment, the survey import with its preview, approval and publication."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile
from starlette.responses import Response

from app.db import MAX_ID
from app.errors import DomainError, InvalidInput
from app.formatting import parse_day_text
from app.i18n_markers import N_
from app.par import figures, results, service, survey
from app.par.pages.common import FORM_ERRORS, MANAGE, error_context
from app.par.pages.public import Year
from app.web import content_disposition, render, verify_csrf
from app.web import forms as web_forms
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _home_context(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    service.require_par_staff(user)
    return {
        "sets": service.criteria_sets(session),
        "rounds": service.rounds(session),
        "status_labels": service.ROUND_STATUS_LABELS,
        "unit_type_labels": service.UNIT_TYPE_LABELS,
        "figures": figures.registered(),
        "is_par_admin": service.is_par_admin(user),
        "error": "",
        "error_field": "",
        "problems": [],
        "values": {},
    }


@router.get(MANAGE)
def manage_home(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Criteria sets and rounds."""
    return render(request, "par/manage.html", _home_context(session, user))


async def _upload(request: Request) -> tuple[Any, str, bytes]:
    form = await web_forms.read_form(request)
    upload = form.get("file")
    name = (upload.filename or "") if isinstance(upload, UploadFile) else ""
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    return form, name, data


@router.post(MANAGE + "/bo-tieu-chi", dependencies=[Depends(verify_csrf)])
async def import_set(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Import a criteria set from XLSX as the next version of its year and unit type."""
    form, _name, data = await _upload(request)
    year_text = web_forms.text(form, "year", 4)
    unit_type = web_forms.text(form, "unit_type", 12)
    title = web_forms.text(form, "title", 300)

    def work() -> Response:
        try:
            if not year_text.isdigit():
                raise InvalidInput(N_("Năm không hợp lệ."), fields={"year": "YYYY"})
            row = service.import_set(session, user, int(year_text), unit_type, title, data)
        except DomainError as exc:
            if exc.status_code not in FORM_ERRORS:
                raise
            context = _home_context(session, user)
            context.update(error_context(request, exc))
            context["values"] = {"year": year_text, "unit_type": unit_type, "title": title}
            return render(request, "par/manage.html", context, status_code=exc.status_code)
        session.commit()
        return RedirectResponse(f"{MANAGE}?msg=par_set_imported#set-{row.id}", status_code=303)

    return await web_forms.threaded(work)


@router.get(MANAGE + "/bo-tieu-chi/{set_id}/xlsx")
def export_set(
    set_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, user: CurrentUser
) -> Response:
    """A criteria set as XLSX (the same columns the import reads)."""
    row, data = service.export_set(session, user, set_id)
    name = f"bo-tieu-chi-{row.year}-{row.unit_type}-v{row.version}.xlsx"
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": content_disposition(name)}
    )


@router.post(MANAGE + "/mo-ky", dependencies=[Depends(verify_csrf)])
async def open_round(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Open the year's round with its self-assessment deadline."""
    form = await web_forms.read_form(request)
    year_text = web_forms.text(form, "year", 4)
    deadline_text = web_forms.text(form, "deadline", 10)

    def work() -> Response:
        try:
            if not year_text.isdigit():
                raise InvalidInput(N_("Năm không hợp lệ."), fields={"year": "YYYY"})
            deadline: date | None = parse_day_text(deadline_text)
            if deadline is None:
                raise InvalidInput(
                    N_("Nhập hạn tự đánh giá dạng ngày/tháng/năm."),
                    fields={"deadline": "dd/mm/yyyy"},
                )
            service.open_round(session, user, int(year_text), deadline)
        except DomainError as exc:
            if exc.status_code not in FORM_ERRORS:
                raise
            context = _home_context(session, user)
            context.update(error_context(request, exc))
            context["values"] = {"round_year": year_text, "deadline": deadline_text}
            return render(request, "par/manage.html", context, status_code=exc.status_code)
        session.commit()
        return RedirectResponse(f"{MANAGE}/{year_text}?msg=par_round_opened", status_code=303)

    return await web_forms.threaded(work)


def _round_context(session: SessionDep, user: CurrentUser, year: int) -> dict[str, Any]:
    service.require_par_staff(user)
    round_ = service.get_round(session, year)
    return {
        "round": round_,
        "rows": results.ranking(session, round_),
        "status_labels": service.ROUND_STATUS_LABELS,
        "unit_status_labels": service.UNIT_STATUS_LABELS,
        "unit_type_labels": service.UNIT_TYPE_LABELS,
        "is_par_admin": service.is_par_admin(user),
        "preview": None,
        "error": "",
        "error_field": "",
        "problems": [],
        "values": {},
    }


@router.get(MANAGE + "/{year}")
def round_page(request: Request, year: Year, session: SessionDep, user: CurrentUser) -> Response:
    """A round: its units' status and totals, and the Department's next steps."""
    return render(request, "par/round.html", _round_context(session, user, year))


def _step(step: str) -> Any:
    async def handler(
        request: Request, year: Year, session: SessionDep, user: CurrentUser
    ) -> Response:
        form = await web_forms.read_form(request)
        decision = web_forms.text(form, "decision", 200)

        def work() -> Response:
            try:
                if step == "close":
                    service.close_self_assessment(session, user, year)
                elif step == "approve":
                    results.approve(session, user, year, decision)
                else:
                    results.publish(session, user, year)
            except DomainError as exc:
                if exc.status_code not in FORM_ERRORS:
                    raise
                context = _round_context(session, user, year)
                context.update(error_context(request, exc))
                return render(request, "par/round.html", context, status_code=exc.status_code)
            session.commit()
            return RedirectResponse(f"{MANAGE}/{year}?msg=par_{step}", status_code=303)

        return await web_forms.threaded(work)

    return handler


for _path, _step_name, _doc in (
    ("ket-thuc", "close", "End the self-assessment; the council appraises."),
    ("phe-duyet", "approve", "Approve the index: totals and ranks are frozen."),
    ("cong-bo", "publish", "Publish the approved index."),
):
    _handler = _step(_step_name)
    _handler.__doc__ = _doc
    router.add_api_route(
        MANAGE + "/{year}/" + _path,
        _handler,
        methods=["POST"],
        dependencies=[Depends(verify_csrf)],
        name=f"par_{_step_name}",
    )


@router.post(MANAGE + "/{year}/khao-sat", dependencies=[Depends(verify_csrf)])
async def survey_preview(
    request: Request, year: Year, session: SessionDep, user: CurrentUser
) -> Response:
    """Read a survey file (XLSX or CSV) and show what would be imported."""
    _form, name, data = await _upload(request)

    def work() -> Response:
        try:
            pending = survey.preview(session, user, year, data, name)
        except DomainError as exc:
            if exc.status_code not in FORM_ERRORS:
                raise
            context = _round_context(session, user, year)
            context.update(error_context(request, exc))
            return render(request, "par/round.html", context, status_code=exc.status_code)
        session.commit()
        context = _round_context(session, user, year)
        context["preview"] = pending
        return render(request, "par/round.html", context)

    return await web_forms.threaded(work)


@router.post(MANAGE + "/{year}/khao-sat/{import_id}", dependencies=[Depends(verify_csrf)])
async def survey_apply(
    request: Request,
    year: Year,
    import_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Apply a previewed survey import."""

    def work() -> Response:
        try:
            survey.apply(session, user, year, import_id)
        except DomainError as exc:
            if exc.status_code not in FORM_ERRORS:
                raise
            context = _round_context(session, user, year)
            context.update(error_context(request, exc))
            return render(request, "par/round.html", context, status_code=exc.status_code)
        session.commit()
        return RedirectResponse(f"{MANAGE}/{year}?msg=par_survey_imported", status_code=303)

    return await web_forms.threaded(work)
