"""Statistics endpoints of the JSON API (§9): the service indicators and the ranking."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from app.stats import dates, schemas
from app.stats import indicators as indicator_service
from app.web.deps import SessionDep
from app.web.errors import translate_for_api

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])


@router.get(
    "/indicators",
    response_model=schemas.IndicatorsRead,
    responses={
        404: {"description": "No agency with that code"},
        422: {"description": "Bad dates or a period longer than 366 days"},
    },
)
def indicators(
    request: Request,
    session: SessionDep,
    agency: str | None = Query(
        None, max_length=35, description="Agency code (default: the top agency, the province)"
    ),
    date_from: str | None = Query(
        None, alias="from", max_length=10, description="First day received, YYYY-MM-DD"
    ),
    date_to: str | None = Query(
        None, alias="to", max_length=10, description="Last day received, YYYY-MM-DD"
    ),
) -> schemas.IndicatorsRead:
    """Decision 766 indicators of an agency and its sub-agencies for dossiers received in a
    period (default: this year): five groups with points, each figure with numerator,
    denominator, rate (%), threshold, points and formula."""
    start, end = dates.parse_period(date_from, date_to)
    return indicator_service.indicators(
        session,
        agency or None,
        start,
        end,
        translate=lambda text: translate_for_api(request, text),
    )


@router.get(
    "/ranking",
    response_model=schemas.RankingRead,
    responses={422: {"description": "Bad dates, period or level"}},
)
def ranking(
    session: SessionDep,
    date_from: str | None = Query(None, alias="from", max_length=10),
    date_to: str | None = Query(None, alias="to", max_length=10),
    level: str | None = Query(
        None, max_length=20, description="province | center | department | district | commune"
    ),
) -> schemas.RankingRead:
    """Agencies by total indicator points for the period (each including its sub-agencies)."""
    start, end = dates.parse_period(date_from, date_to)
    return indicator_service.ranking(session, start, end, level or None)
