"""The public PAR index (/chi-so-cchc): the ranking of a published year per unit type with a
chart, each unit's breakdown with where points were lost and its trend, the XLSX and the
decision's annex. Before publication the same pages serve the Department and the council
(a unit's leader sees their own unit's page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.db import MAX_ID
from app.errors import DomainError, NotFound
from app.par import criteria as criteria_rules
from app.par import figures, outputs, results, service
from app.par.pages.common import BASE, FORM_ERRORS, error_context
from app.web import content_disposition, private_download, render, translator, verify_csrf
from app.web import forms as web_forms
from app.web.deps import CurrentUser, OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)
Year = Annotated[int, Path(ge=service.MIN_YEAR, le=service.MAX_YEAR)]
AgencyCode = Annotated[str, Path(min_length=1, max_length=35)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _visible_rounds(session: SessionDep, user: OptionalUser) -> list[service.Round]:
    rows = service.rounds(session)
    return [r for r in rows if r.status == "published" or service.sees_unpublished(user)]


@router.get(BASE)
def index_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    nam: int | None = Query(None, ge=service.MIN_YEAR, le=service.MAX_YEAR),
) -> Response:
    """The PAR index of a year (default: the latest one the caller may see)."""
    _ = translator(request)
    visible = _visible_rounds(session, user)
    chosen = next((r for r in visible if r.year == nam), None) if nam else None
    if nam and chosen is None:
        raise NotFound(service.NOT_PUBLISHED)
    chosen = chosen or next(iter(visible), None)
    tables = []
    if chosen is not None:
        rows = results.ranking(session, chosen)
        for unit_type in ("department", "commune"):
            part = [r for r in rows if r.unit.unit_type == unit_type]
            if part:
                label = _(service.UNIT_TYPE_LABELS[unit_type])
                title = _("Chỉ số cải cách hành chính năm {year}: {kind}").format(
                    year=chosen.year, kind=label
                )
                tables.append(
                    {
                        "kind": unit_type,
                        "label": label,
                        "rows": part,
                        "fields": [(n, m) for n, _p, m in part[0].fields],
                        "chart": outputs.ranking_chart(part, f"chart-{unit_type}", title),
                    }
                )
    my_units = [
        r for r in service.rounds(session, status="open") for u in r.units if service.leads(user, u)
    ]
    return render(
        request,
        "par/index.html",
        {
            "rounds": visible,
            "chosen": chosen,
            "tables": tables,
            "status_labels": service.ROUND_STATUS_LABELS,
            "staff": service.sees_unpublished(user),
            "is_par_admin": service.is_par_admin(user),
            "self_rounds": my_units,
        },
    )


def _unit_context(
    request: Request, session: SessionDep, user: OptionalUser, year: int, agency_code: str
) -> dict[str, object]:
    _ = translator(request)
    round_ = service.get_round(session, year)
    unit = service.get_unit(session, round_, agency_code)
    results.require_unit_visible(user, unit)
    b = results.breakdown(session, unit)
    points = results.trend(session, unit.agency_id)
    formulas = {
        line.criterion.id: criteria_rules.formula_text(line.criterion.rule, _)
        for line in b.lines
        if line.criterion.method == "auto" and line.criterion.rule
    }
    figure_labels = {f.name: _(f.label) for f in figures.registered()}
    lost = sorted(
        (line for line in b.lines if line.criterion.method and line.lost > 0),
        key=lambda line: -line.lost,
    )
    return {
        "round": round_,
        "unit": unit,
        "breakdown": b,
        "total": unit.total if unit.total is not None else b.total,
        "formulas": formulas,
        "figure_labels": figure_labels,
        "lost": lost,
        "trend": points,
        "trend_chart": outputs.trend_chart(
            points,
            "trend",
            _("Tổng điểm qua các năm đã công bố"),
            _("Tổng điểm"),
        )
        if points
        else None,
        "method_labels": service.METHOD_LABELS,
        "unit_status_labels": service.UNIT_STATUS_LABELS,
        "can_adjust": service.is_council(user)
        and round_.status in ("open", "appraisal")
        and unit.status != "draft",
        "sees_evidence": service.sees_unpublished(user) or service.leads(user, unit),
        "error": "",
        "error_field": "",
        "problems": [],
        "form": {},
    }


@router.get(BASE + "/{year}/don-vi/{agency_code}")
def unit_page(
    request: Request, year: Year, agency_code: AgencyCode, session: SessionDep, user: OptionalUser
) -> Response:
    """A unit's index: fields, each criterion with where points were lost, the portal figures
    behind the automatic ones, and the trend over the published years."""
    return render(
        request, "par/unit.html", _unit_context(request, session, user, year, agency_code)
    )


@router.post(BASE + "/{year}/don-vi/{agency_code}/dieu-chinh", dependencies=[Depends(verify_csrf)])
async def adjust_score(
    request: Request, year: Year, agency_code: AgencyCode, session: SessionDep, user: CurrentUser
) -> Response:
    """The council's score for one criterion, with the reason for the change."""
    form = await web_forms.read_form(request)
    criterion = web_forms.text(form, "criterion_id", 12)
    score = web_forms.text(form, "score", 20)
    reason = web_forms.text(form, "reason", 2000)

    def work() -> Response:
        try:
            criterion_id = int(criterion) if criterion.isdigit() else 0
            service.adjust(session, user, year, agency_code, criterion_id, score, reason)
        except DomainError as exc:
            if exc.status_code not in FORM_ERRORS:
                raise
            context = _unit_context(request, session, user, year, agency_code)
            context.update(error_context(request, exc))
            context["form"] = {"criterion_id": criterion, "score": score, "reason": reason}
            return render(request, "par/unit.html", context, status_code=exc.status_code)
        session.commit()
        url = f"{BASE}/{year}/don-vi/{agency_code}?msg=par_adjusted#c-{criterion}"
        return RedirectResponse(url, status_code=303)

    return await web_forms.threaded(work)


@router.get(BASE + "/{year}/xuat-excel")
def ranking_xlsx(year: Year, session: SessionDep, user: OptionalUser) -> Response:
    """The year's ranking as XLSX."""
    round_ = service.get_round(session, year)
    results.require_ranking_visible(user, round_)
    data = outputs.ranking_xlsx(round_, results.ranking(session, round_))
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": content_disposition(f"chi-so-cchc-{year}.xlsx")},
    )


@router.get(BASE + "/{year}/phu-luc.pdf")
def annex_pdf(year: Year, session: SessionDep, user: OptionalUser) -> Response:
    """The annex of the approving decision, as PDF (once approved)."""
    round_ = service.get_round(session, year)
    results.require_ranking_visible(user, round_)
    if round_.status not in ("approved", "published"):
        raise NotFound(service.NOT_PUBLISHED)
    data = outputs.annex_pdf(round_, results.ranking(session, round_))
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition(f"phu-luc-chi-so-cchc-{year}.pdf")},
    )


@router.get(BASE + "/minh-chung/{evidence_id}")
def evidence_download(
    evidence_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, user: OptionalUser
) -> Response:
    """An evidence document (the Department, the council, the unit's leader)."""
    row, data = service.evidence_file(session, user, evidence_id)
    return private_download(data, row.content_type, row.filename)
