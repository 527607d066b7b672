"""Citizens rate the service (mức độ hài lòng) once, after the result was returned (§3).

A rating counts in the satisfaction indicator (Decision 766): a complaint, or a score at or
below the negative threshold (2 of 5 by default), makes the dossier one "with complaints or
negative ratings".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.i18n_markers import N_
from app.ratings.models import Rating

MIN_SCORE, MAX_SCORE = 1, 5
MAX_COMMENT = 2000
SCORE_LABELS = {
    1: N_("Rất không hài lòng"),
    2: N_("Không hài lòng"),
    3: N_("Bình thường"),
    4: N_("Hài lòng"),
    5: N_("Rất hài lòng"),
}


def rating_for(session: Session, dossier_id: int) -> Rating | None:
    """The dossier's rating, if it was rated (for the dossier page)."""
    return session.scalar(select(Rating).where(Rating.dossier_id == dossier_id))


def can_rate(user: User | None, dossier: Dossier, rating: Rating | None) -> bool:
    """The applicant may rate a completed dossier that has no rating yet."""
    return (
        rating is None and dossier.status == "completed" and dossier_service.is_owner(user, dossier)
    )


def check_input(score: object, comment: str) -> tuple[int, str]:
    """A score 1–5 and a comment of at most 2000 characters, or InvalidInput naming the field."""
    if isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
        raise InvalidInput(N_("Chọn mức độ hài lòng từ 1 đến 5."), fields={"score": "integer 1–5"})
    text = comment.strip()
    if len(text) > MAX_COMMENT:
        raise InvalidInput(
            N_("Ý kiến dài tối đa 2000 ký tự."), fields={"comment": f"at most {MAX_COMMENT}"}
        )
    return score, text


def rate(
    session: Session,
    user: User,
    dossier_id: int,
    score: object,
    comment: str = "",
    complaint: bool = False,
    now: datetime | None = None,
) -> Rating:
    """Record the applicant's rating of a completed dossier; only once (``now``: its moment,
    for the demo history)."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    if not dossier_service.is_owner(user, dossier):
        raise Forbidden(N_("Chỉ người nộp hồ sơ được đánh giá mức độ hài lòng."))
    value, text = check_input(score, comment)
    if dossier.status != "completed":
        raise Conflict(N_("Chỉ đánh giá được sau khi đã nhận kết quả giải quyết."))
    if rating_for(session, dossier.id) is not None:
        raise Conflict(N_("Hồ sơ này đã được đánh giá."))
    rating = Rating(
        dossier_id=dossier.id,
        user_id=user.id,
        score=value,
        comment=text,
        complaint=bool(complaint),
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(rating)
    except IntegrityError as exc:  # a concurrent rating of the same dossier won
        raise Conflict(N_("Hồ sơ này đã được đánh giá.")) from exc
    return rating


def get_rating(session: Session, user: User, dossier_id: int) -> Rating:
    """The rating of a dossier the caller may see (the applicant or its agency's staff)."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    rating = rating_for(session, dossier.id)
    if rating is None:
        raise NotFound(N_("Hồ sơ chưa được đánh giá."))
    return rating
