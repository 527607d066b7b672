"""The unit leader's self-assessment (/chi-so-cchc/{year}/tu-danh-gia): a score and an
explanation per manual criterion, evidence documents, then submission — the automatic
criteria are filled and frozen at that moment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.errors import DomainError
from app.par import results, service
from app.par.pages.common import BASE, FORM_ERRORS, error_context
from app.par.pages.public import Year
from app.web import forms as web_forms
from app.web import render, translator, verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)


def _context(request: Request, session: SessionDep, user: CurrentUser, year: int) -> dict[str, Any]:
    _ = translator(request)
    unit = service.my_unit(session, user, year)
    b = results.breakdown(session, unit)
    return {
        "round": unit.round,
        "unit": unit,
        "breakdown": b,
        "editable": unit.status == "draft" and unit.round.status == "open",
        "method_labels": service.METHOD_LABELS,
        "unit_status_labels": service.UNIT_STATUS_LABELS,
        "error": "",
        "error_field": "",
        "problems": [],
        "values": {},
    }


def _refused(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    year: int,
    exc: DomainError,
    values: dict[str, str] | None = None,
) -> Response:
    context = _context(request, session, user, year)
    context.update(error_context(request, exc))
    context["values"] = values or {}
    return render(request, "par/self.html", context, status_code=exc.status_code)


@router.get(BASE + "/{year}/tu-danh-gia")
def self_page(request: Request, year: Year, session: SessionDep, user: CurrentUser) -> Response:
    """The caller's unit's self-assessment form."""
    return render(request, "par/self.html", _context(request, session, user, year))


def _values(form: FormData) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    for key in form:
        if key.startswith("score_") and key[6:].isdigit():
            criterion_id = int(key[6:])
            out[criterion_id] = (
                web_forms.text(form, key, 20),
                web_forms.text(form, f"note_{criterion_id}", 4000),
            )
    return out


@router.post(BASE + "/{year}/tu-danh-gia", dependencies=[Depends(verify_csrf)])
async def save_self(
    request: Request, year: Year, session: SessionDep, user: CurrentUser
) -> Response:
    """Save the scores and explanations (submission is a separate step)."""
    form = await web_forms.read_form(request)
    values = _values(form)
    submit_now = web_forms.text(form, "then", 10) == "submit"

    def work() -> Response:
        try:
            service.self_assess(session, user, year, values)
            if submit_now:
                service.submit(session, user, year)
        except DomainError as exc:
            if exc.status_code not in FORM_ERRORS:
                raise
            raw = {f"score_{k}": v[0] for k, v in values.items()}
            raw.update({f"note_{k}": v[1] for k, v in values.items()})
            return _refused(request, session, user, year, exc, raw)
        session.commit()
        msg = "par_submitted" if submit_now else "par_saved"
        return RedirectResponse(f"{BASE}/{year}/tu-danh-gia?msg={msg}", status_code=303)

    return await web_forms.threaded(work)


@router.post(BASE + "/{year}/tu-danh-gia/minh-chung", dependencies=[Depends(verify_csrf)])
async def add_evidence(
    request: Request, year: Year, session: SessionDep, user: CurrentUser
) -> Response:
    """Attach an evidence document to a criterion."""
    form = await web_forms.read_form(request)
    upload = form.get("file")
    name = (upload.filename or "") if isinstance(upload, UploadFile) else ""
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    criterion = web_forms.text(form, "criterion_id", 12)

    def work() -> Response:
        try:
            criterion_id = int(criterion) if criterion.isdigit() else 0
            service.add_evidence(session, user, year, criterion_id, data, name)
        except DomainError as exc:
            if exc.status_code not in FORM_ERRORS:
                raise
            return _refused(request, session, user, year, exc)
        session.commit()
        url = f"{BASE}/{year}/tu-danh-gia?msg=par_evidence_added#c-{criterion}"
        return RedirectResponse(url, status_code=303)

    return await web_forms.threaded(work)


@router.post(BASE + "/{year}/tu-danh-gia/nop", dependencies=[Depends(verify_csrf)])
async def submit_self(
    request: Request, year: Year, session: SessionDep, user: CurrentUser
) -> Response:
    """Submit the self-assessment."""

    def work() -> Response:
        try:
            service.submit(session, user, year)
        except DomainError as exc:
            if exc.status_code not in FORM_ERRORS:
                raise
            return _refused(request, session, user, year, exc)
        session.commit()
        return RedirectResponse(f"{BASE}/{year}/tu-danh-gia?msg=par_submitted", status_code=303)

    return await web_forms.threaded(work)
