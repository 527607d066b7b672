"""Rating endpoints of the JSON API: the applicant rates a completed dossier once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from app.db import MAX_ID
from app.ratings import service
from app.ratings.models import Rating
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1", tags=["ratings"])


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=service.MIN_SCORE, le=service.MAX_SCORE, description="1 (very bad)–5")
    comment: str = Field("", max_length=service.MAX_COMMENT)
    complaint: bool = Field(False, description="A complaint (phản ánh, kiến nghị)")


class RatingRead(BaseModel):
    dossier_id: int
    score: int
    comment: str
    complaint: bool
    created_at: datetime


def _read(rating: Rating) -> RatingRead:
    return RatingRead(
        dossier_id=rating.dossier_id,
        score=rating.score,
        comment=rating.comment,
        complaint=rating.complaint,
        created_at=rating.created_at,
    )


@router.post(
    "/dossiers/{dossier_id}/rating",
    status_code=201,
    response_model=RatingRead,
    responses={
        403: {"description": "Not the applicant"},
        404: {"description": "No such dossier visible to the caller"},
        409: {"description": "Not completed yet, or already rated"},
        422: {"description": "Score outside 1–5 or comment too long"},
    },
)
def rate(
    body: RatingIn,
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> RatingRead:
    """Rate the service of a completed dossier (1–5, a comment, a complaint); only once."""
    rating = service.rate(session, user, dossier_id, body.score, body.comment, body.complaint)
    return _read(rating)


@router.get(
    "/dossiers/{dossier_id}/rating",
    response_model=RatingRead,
    responses={404: {"description": "No such dossier, or not rated yet"}},
)
def get_rating(
    dossier_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    user: CurrentUser,
) -> RatingRead:
    """The rating of a dossier (its applicant and the staff who may see it)."""
    return _read(service.get_rating(session, user, dossier_id))
