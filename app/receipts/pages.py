"""Receipt pages: a receipt and its PDF, cancel/replace, the cashier's counter, the register;
and the receipt series of the agencies under /quan-tri/bien-lai (agency admins)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.accounts import service as account_service
from app.accounts.deps import client_ip
from app.accounts.models import User
from app.agencies import service as agency_service
from app.calendar import service as calendar_service
from app.db import MAX_ID, utcnow
from app.documents import service as document_service
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.errors import Conflict, DomainError, InvalidInput
from app.formatting import BAD_DAY, DAY_OUT_OF_RANGE, day_in_range, parse_day_text
from app.payments import refunds
from app.payments import service as payment_service
from app.receipts import series as series_service
from app.receipts import service, usage
from app.receipts.api import receipt_read
from app.receipts.models import DEFAULT_RECEIPT_NAME
from app.web import content_disposition, render, translator, verify_csrf
from app.web import forms as admin_forms
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def _receipt_page(
    request: Request,
    session: Session,
    user: User,
    receipt_id: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    receipt = service.get_visible(session, user, receipt_id)
    return render(
        request,
        "receipts/view.html",
        {
            "r": receipt_read(session, receipt),
            "can_manage": receipt.status == "issued"
            and service.can_manage(session, user, receipt.agency_id),
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/bien-lai/{receipt_id}")
def view(
    receipt_id: Id,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    return _receipt_page(request, session, user, receipt_id)


@router.get("/bien-lai/{receipt_id}/pdf")
def pdf(
    receipt_id: Id,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    receipt = service.get_visible(session, user, receipt_id)
    data = service.pdf_bytes(session, receipt)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(
                document_service.receipt_file_name(
                    receipt.series, service.number_text(receipt.number)
                ),
                inline=True,
            ),
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/bien-lai/{receipt_id}/huy", dependencies=[Depends(verify_csrf)])
async def cancel(
    receipt_id: Id,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await request.form()
    reason = str(form.get("cancel_reason", ""))

    def do() -> Response:
        receipt = service.get_visible(session, user, receipt_id)
        try:
            service.cancel_receipt(session, receipt, user, reason)
        except DomainError as exc:
            return _receipt_page(
                request,
                session,
                user,
                receipt_id,
                {"cancel_reason": translator(request)(exc.detail)},
                exc.status_code,
            )
        return RedirectResponse(f"/bien-lai/{receipt_id}?msg=receipt_cancelled", 303)

    return await run_in_threadpool(do)


@router.post("/bien-lai/{receipt_id}/thay-the", dependencies=[Depends(verify_csrf)])
async def replace(
    receipt_id: Id,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await request.form()
    fields = {
        k: str(form.get(k, ""))
        for k in ("payer_name", "payer_address", "payer_id_number", "payer_tax_code")
    }
    fields["reason"] = str(form.get("replace_reason", ""))

    def do() -> Response:
        receipt = service.get_visible(session, user, receipt_id)
        try:
            new = service.replace_receipt(
                session,
                receipt,
                user,
                fields["reason"],
                payer_name=fields["payer_name"] or None,
                payer_address=fields["payer_address"] or None,
                payer_id_number=fields["payer_id_number"] or None,
                # The form shows the current tax code: sent back empty, it is taken off.
                payer_tax_code=fields["payer_tax_code"] if "payer_tax_code" in form else None,
                items=None,
            )
        except DomainError as exc:
            field = (
                "payer_tax_code"
                if isinstance(exc, InvalidInput) and "payer_tax_code" in exc.fields
                else "replace_reason"
            )
            return _receipt_page(
                request,
                session,
                user,
                receipt_id,
                {field: translator(request)(exc.detail)},
                exc.status_code,
            )
        return RedirectResponse(f"/bien-lai/{new.id}?msg=receipt_replaced", 303)

    return await run_in_threadpool(do)


def _counter_page(
    request: Request,
    session: Session,
    user: User,
    error: str = "",
    code: str = "",
    status_code: int = 200,
    refund_form: dict[str, Any] | None = None,
) -> Response:
    account_service.require_role(user, "cashier")
    waiting = list(
        session.scalars(
            select(Dossier)
            .where(Dossier.agency_id == user.agency_id, Dossier.status == "awaiting_payment")
            .order_by(Dossier.step_due_at, Dossier.id)
            .limit(100)
        )
    )
    found = dossier_service.find_by_code(session, code.strip()) if code.strip() else None
    if found is not None and found.agency_id != user.agency_id:
        found = None
    # A dossier found that ended without the service owes nothing: it is listed below, among
    # those whose fees are paid back.
    collect = found is not None and found.status not in refunds.REFUNDABLE_STATUSES
    rows = [
        (d, payment_service.outstanding(session, d), payment_service.fee_items(d))
        for d in ([found] if found is not None and collect else []) + waiting
    ]
    today = service.local_today()
    agency = service.own_agency(user)
    recent = service.register(session, user, agency, today - timedelta(days=1), today)
    to_refund = refunds.awaiting_refund(session, agency.id)
    if found is not None and found.id not in [a.dossier.id for a in to_refund]:
        to_refund = refunds.awaiting_refund(session, agency.id, [found.id]) + to_refund
    return render(
        request,
        "receipts/counter.html",
        {
            "rows": rows,
            "to_refund": to_refund,
            # The form sent back with its errors: {"dossier_id", "values", "errors"}.
            "refund_form": refund_form or {},
            "refund_methods": refunds.METHOD_LABELS,
            "code": code,
            "error": error,
            "recent": recent[-20:],
            "searched": bool(code.strip()),
            "found": found,
        },
        status_code=status_code,
    )


@router.get("/can-bo/thu-phi")
def counter(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    code: str = "",
) -> Response:
    """The cashier's counter: dossiers waiting for fees, collect cash or record a transfer."""
    return _counter_page(request, session, user, code=code[:60])


@router.post("/can-bo/thu-phi/{dossier_id}", dependencies=[Depends(verify_csrf)])
async def collect(
    dossier_id: Id,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await request.form()
    method = str(form.get("method", ""))

    def do() -> Response:
        _ = translator(request)
        if method not in ("cash", "transfer"):
            return _counter_page(
                request, session, user, _("Chọn tiền mặt hoặc chuyển khoản."), status_code=422
            )
        dossier = dossier_service.get_visible(session, user, dossier_id)
        try:
            payment = payment_service.start_payment(
                session, dossier, user, method, client_ip(request)
            )
        except DomainError as exc:
            return _counter_page(request, session, user, _(exc.detail), status_code=exc.status_code)
        receipt_id = service.receipt_id(session, payment)
        return RedirectResponse(f"/bien-lai/{receipt_id}?msg=paid", 303)

    return await run_in_threadpool(do)


@router.post("/can-bo/thu-phi/{dossier_id}/hoan-phi", dependencies=[Depends(verify_csrf)])
async def refund(
    dossier_id: Id,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """Pay back the fees of a dossier that ended without the service; the receipt is
    cancelled with the reason."""
    form = await request.form()
    values = {"method": str(form.get("method", "")), "reason": str(form.get("reason", ""))}

    def do() -> Response:
        _ = translator(request)
        dossier = refunds.dossier_to_refund(session, user, dossier_id)
        try:  # an error undoes whatever the refund had written before the page is answered
            with session.begin_nested():
                done = refunds.record_refund(
                    session, dossier, user, values["method"], values["reason"], client_ip(request)
                )
        except DomainError as exc:
            field = next(iter(exc.fields), "") if isinstance(exc, InvalidInput) else ""
            errors = {field or "form": _(exc.detail)}
            return _counter_page(
                request,
                session,
                user,
                status_code=exc.status_code,
                refund_form={"dossier_id": dossier.id, "values": values, "errors": errors},
            )
        if done.status != "refunded":
            message = _("Cổng thanh toán từ chối hoàn tiền: %(message)s") % {
                "message": done.message
            }
            return _counter_page(
                request,
                session,
                user,
                status_code=502,
                refund_form={
                    "dossier_id": dossier.id,
                    "values": values,
                    "errors": {"method": message},
                },
            )
        target = f"/bien-lai/{done.receipt_id}" if done.receipt_id else "/can-bo/thu-phi"
        return RedirectResponse(f"{target}?msg=refunded", 303)

    return await run_in_threadpool(do)


@router.get("/can-bo/bien-lai")
def register_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    date_from: str = "",
    date_to: str = "",
) -> Response:
    """The receipt register of the officer's agency for a period, with the XLSX export; days
    typed as dd/mm/yyyy (or YYYY-MM-DD)."""
    account_service.require_role(user, "cashier", "leader", "agency_admin")
    agency = service.own_agency(user)
    values = {"date_from": date_from.strip()[:20], "date_to": date_to.strip()[:20]}
    days = {name: parse_day_text(text) for name, text in values.items()}
    errors = {
        name: translator(request)(BAD_DAY)
        for name, text in values.items()
        if text and not days[name]
    }
    for name, day in list(days.items()):
        if day is not None and not day_in_range(day):
            errors[name] = translator(request)(DAY_OUT_OF_RANGE)
            days[name] = None
    end = days["date_to"] or service.local_today()
    start = days["date_from"] or end.replace(day=1)
    if start > end or (end - start).days > service.MAX_REGISTER_DAYS:
        start, end = end.replace(day=1), end
    receipts = service.register(session, user, agency, start, end)
    return render(
        request,
        "receipts/register.html",
        {
            "receipts": receipts,
            "start": start,
            "end": end,
            "values": {
                name: values[name] if name in errors else day
                for name, day in (("date_from", start), ("date_to", end))
            },
            "errors": errors,
            "agency": agency,
            "total": sum(r.amount for r in receipts if r.status == "issued"),
            "refunds": refunds.by_receipt(session, [r.id for r in receipts]),
            "labels": service.STATUS_LABELS,
            "methods": service.METHOD_LABELS,
        },
    )


@router.get("/can-bo/bien-lai/su-dung")
def usage_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    date_from: str = "",
    date_to: str = "",
    agency: str = "",
) -> Response:
    """The receipt usage report of a period for the cashiers' leader: per series, the numbers
    used, the range, those cancelled or replaced; days typed as dd/mm/yyyy."""
    _ = translator(request)
    target = (
        agency_service.get_by_code(session, agency.strip()[:35])
        if agency.strip()
        else service.own_agency(user)
    )
    values = {"date_from": date_from.strip()[:20], "date_to": date_to.strip()[:20]}
    days = {name: parse_day_text(text) for name, text in values.items()}
    errors = {name: _(BAD_DAY) for name, text in values.items() if text and not days[name]}
    today = service.local_today()
    end = days["date_to"] or today
    start = days["date_from"] or end.replace(day=1)
    if not errors:
        try:
            service.check_period(start, end)
        except InvalidInput as exc:
            field = {"from": "date_from", "to": "date_to"}.get(next(iter(exc.fields), ""), "")
            errors[field or "date_to"] = _(exc.detail)
    if errors:  # the form again with its errors; the report of this month meanwhile
        start, end = today.replace(day=1), today
    report = usage.usage_report(session, user, target, start, end)
    return render(
        request,
        "receipts/usage.html",
        {
            "report": report,
            "values": {
                name: values[name] if name in errors else day.strftime("%d/%m/%Y")
                for name, day in (("date_from", start), ("date_to", end))
            },
            "errors": errors,
            "agency_query": agency.strip()[:35],
            "totals": {
                key: sum(row[key] for row in report.series)
                for key in ("used", "valid", "cancelled", "replaced")
            },
        },
        status_code=422 if errors else 200,
    )


# --- receipt series (administration) ----------------------------------------------------------


def _this_year() -> int:
    return calendar_service.WorkCalendar().local(utcnow()).year


def _series_page(
    request: Request,
    session: Session,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return admin_forms.render_page(
        request,
        "receipts/series.html",
        {
            "groups": series_service.list_series(session, user),
            "choices": agency_service.agency_choices(session, user),
            "values": values
            or {
                "year": _this_year(),
                "letters": "AA",
                "template_symbol": service.TEMPLATE_SYMBOL,
                "receipt_name": DEFAULT_RECEIPT_NAME,
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
    form = await admin_forms.read_form(request)

    def work() -> Response:
        _ = translator(request)
        values = {k: admin_forms.text(form, k, 35) for k in ("agency_code", "year", "letters")}
        # A form without the template fields (an older page) declares the usual template.
        values["template_symbol"] = (
            admin_forms.text(form, "template_symbol", 35)
            if "template_symbol" in form
            else service.TEMPLATE_SYMBOL
        )
        values["receipt_name"] = (
            admin_forms.text(form, "receipt_name", 200)
            if "receipt_name" in form
            else DEFAULT_RECEIPT_NAME
        )
        try:
            year = int(values["year"])
        except ValueError:
            errors = {"year": _("Năm phải trong khoảng 2000–2099.")}
        else:
            try:
                series_service.create_series(
                    session,
                    user,
                    values["agency_code"],
                    year,
                    values["letters"],
                    template_symbol=values["template_symbol"],
                    receipt_name=values["receipt_name"],
                )
            except (InvalidInput, Conflict) as exc:
                errors = admin_forms.domain_errors(request, exc)
            else:
                return admin_forms.redirect("/quan-tri/bien-lai", "series_created")
        return _series_page(request, session, user, values=values, errors=errors, status=422)

    return await admin_forms.threaded(work)


@router.post("/quan-tri/bien-lai/{series_id}/ngung", dependencies=[Depends(verify_csrf)])
def receipt_series_close(
    series_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    series_service.deactivate_series(session, user, series_id)
    return admin_forms.redirect("/quan-tri/bien-lai", "series_closed")
