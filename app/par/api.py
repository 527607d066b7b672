"""The PAR index in the JSON API (SPEC §13): rounds, a unit's scores, the ranking and its
XLSX. Unpublished scores only for the Department of Home Affairs, the council and (their own
unit) the unit's leader."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.par import criteria as criteria_rules
from app.par import outputs, results, schemas, service
from app.web.deps import OptionalUser, SessionDep
from app.web.errors import translate_for_api

router = APIRouter(prefix="/api/v1/par", tags=["PAR index"])
Year = Annotated[int, Path(ge=service.MIN_YEAR, le=service.MAX_YEAR)]
AgencyCode = Annotated[str, Path(min_length=1, max_length=35)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/rounds", response_model=schemas.RoundPage)
def list_rounds(
    request: Request,
    session: SessionDep,
    year: int | None = Query(None, ge=service.MIN_YEAR, le=service.MAX_YEAR),
    status: Literal["open", "appraisal", "approved", "published"] | None = None,
) -> schemas.RoundPage:
    """The yearly rounds of the PAR index, newest first (no scores)."""
    rows = service.rounds(session, year, status)
    return schemas.RoundPage(
        items=[
            schemas.RoundRead(
                year=r.year,
                status=r.status,
                status_label=translate_for_api(request, service.ROUND_STATUS_LABELS[r.status]),
                deadline=r.deadline,
                decision=r.decision,
                units=len(r.units),
                published_at=r.published_at,
            )
            for r in rows
        ]
    )


@router.get("/rounds/{year}/units/{agency_code}", response_model=schemas.UnitRead)
def unit_scores(
    request: Request, year: Year, agency_code: AgencyCode, session: SessionDep, user: OptionalUser
) -> schemas.UnitRead:
    """A unit's criteria with score, evidence and, for automatic ones, formula and the frozen
    snapshot of the portal figures; its total."""
    round_ = service.get_round(session, year)
    unit = service.get_unit(session, round_, agency_code)
    results.require_unit_visible(user, unit)
    b = results.breakdown(session, unit)
    t = lambda s: translate_for_api(request, s)  # noqa: E731
    return schemas.UnitRead(
        year=year,
        agency_code=unit.agency.code,
        name=unit.agency.name,
        unit_type=unit.unit_type,
        status=unit.status,
        fields=[
            schemas.FieldRead(
                code=f.criterion.code,
                name=f.criterion.name,
                max_points=f.criterion.max_points,
                score=f.score or 0.0,
            )
            for f in b.fields
        ],
        criteria=[
            schemas.CriterionRead(
                code=line.criterion.code,
                name=line.criterion.name,
                max_points=line.criterion.max_points,
                method=line.criterion.method or "",
                score=line.score,
                self_score=line.self_score,
                adjusted=line.adjusted,
                adjust_reason=line.adjust_reason,
                evidence=[
                    schemas.EvidenceRead(filename=e.filename, size=e.size) for e in line.evidence
                ],
                formula=criteria_rules.formula_text(line.criterion.rule, t)
                if line.criterion.method == "auto" and line.criterion.rule
                else None,
                snapshot=line.snapshot if line.criterion.method == "auto" else None,
            )
            for line in b.lines
            if line.criterion.method is not None
        ],
        total=unit.total if unit.total is not None else b.total,
        max_points=b.max_points,
        rank=unit.rank,
    )


@router.get("/rounds/{year}/ranking", response_model=schemas.RankingRead)
def ranking(year: Year, session: SessionDep, user: OptionalUser) -> schemas.RankingRead:
    """Units by total, ranked within their unit type (department, commune)."""
    round_ = service.get_round(session, year)
    results.require_ranking_visible(user, round_)
    rows = results.ranking(session, round_)
    return schemas.RankingRead(
        year=year,
        status=round_.status,
        items=[
            schemas.RankingItem(
                agency_code=r.unit.agency.code,
                name=r.unit.agency.name,
                unit_type=r.unit.unit_type,
                total=r.total,
                rank=r.rank,
            )
            for r in rows
        ],
    )


@router.get(
    "/rounds/{year}/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def export_xlsx(year: Year, session: SessionDep, user: OptionalUser) -> Response:
    """The ranking with each field's points, one sheet per unit type."""
    round_ = service.get_round(session, year)
    results.require_ranking_visible(user, round_)
    data = outputs.ranking_xlsx(round_, results.ranking(session, round_))
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="chi-so-cchc-{year}.xlsx"'},
    )
