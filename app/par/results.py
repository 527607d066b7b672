"""The index of a round: each unit's total and its breakdown by field, the ranking per unit
type, approval (totals and ranks frozen) and publication, and the trend of a unit over the
published years."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import service as audit
from app.db import utcnow
from app.errors import Conflict, NotFound, Unauthorized
from app.i18n_markers import N_
from app.par import service
from app.par.models import Criterion, Evidence, Round, RoundUnit, Score


@dataclass
class CriterionLine:
    """One criterion of a unit's breakdown (a group's ``score`` is the sum of its leaves)."""

    criterion: Criterion
    score: float | None
    self_score: float | None
    note: str = ""
    snapshot: dict[str, Any] | None = None
    adjusted: bool = False
    adjust_reason: str = ""
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def lost(self) -> float:
        return round(self.criterion.max_points - (self.score or 0.0), 2)


@dataclass
class Breakdown:
    unit: RoundUnit
    lines: list[CriterionLine]
    total: float
    max_points: float

    @property
    def fields(self) -> list[CriterionLine]:
        return [line for line in self.lines if line.criterion.parent_code is None]


@dataclass
class RankRow:
    unit: RoundUnit
    total: float
    rank: int
    fields: list[tuple[str, float, float]]  # (name, points, max) per field


def can_see_unit(user: User | None, unit: RoundUnit) -> bool:
    return (
        unit.round.status == "published"
        or service.sees_unpublished(user)
        or service.leads(user, unit)
    )


def require_unit_visible(user: User | None, unit: RoundUnit) -> None:
    if not can_see_unit(user, unit):
        if user is None:
            raise Unauthorized(service.NOT_PUBLISHED)
        raise NotFound(service.NOT_PUBLISHED)


def require_ranking_visible(user: User | None, round_: Round) -> None:
    if round_.status != "published" and not service.sees_unpublished(user):
        if user is None:
            raise Unauthorized(service.NOT_PUBLISHED)
        raise NotFound(service.NOT_PUBLISHED)


def breakdown(
    session: Session,
    unit: RoundUnit,
    scores: dict[int, Score] | None = None,
    evidence: dict[int, list[Evidence]] | None = None,
) -> Breakdown:
    """The unit's criteria with their scores, groups summed from their leaves."""
    scores = scores if scores is not None else service.scores_of(session, unit)
    evidence = evidence if evidence is not None else service.evidence_of(session, unit)
    lines: list[CriterionLine] = []
    by_code: dict[str, CriterionLine] = {}
    for criterion in unit.criteria_set.criteria:
        score = scores.get(criterion.id)
        if criterion.method is None or score is None:
            line = CriterionLine(criterion, 0.0, None)
        else:
            line = CriterionLine(
                criterion,
                round(score.final, 2),
                score.score,
                score.note,
                score.snapshot,
                score.adjusted_score is not None,
                score.adjust_reason,
                evidence.get(criterion.id, []),
            )
        lines.append(line)
        by_code[criterion.code] = line
    for line in reversed(lines):  # children come after their parent: add bottom-up
        parent = line.criterion.parent_code
        if parent and parent in by_code:
            target = by_code[parent]
            target.score = round((target.score or 0.0) + (line.score or 0.0), 2)
    total = round(sum((line.score or 0.0) for line in lines if not line.criterion.parent_code), 2)
    return Breakdown(unit, lines, total, unit.criteria_set.max_points)


def _all_scores(session: Session, round_: Round) -> dict[int, dict[int, Score]]:
    out: dict[int, dict[int, Score]] = {u.id: {} for u in round_.units}
    stmt = select(Score).join(RoundUnit).where(RoundUnit.round_id == round_.id)
    for score in session.scalars(stmt):
        out[score.unit_id][score.criterion_id] = score
    return out


def ranking(session: Session, round_: Round, unit_type: str | None = None) -> list[RankRow]:
    """Units by total, best first, ranked within their unit type (equal totals share a rank).
    Approved and published rounds read the frozen totals."""
    all_scores = _all_scores(session, round_)
    rows: list[RankRow] = []
    for unit in round_.units:
        if unit_type and unit.unit_type != unit_type:
            continue
        b = breakdown(session, unit, all_scores[unit.id], {})
        total = unit.total if unit.total is not None else b.total
        fields = [(f.criterion.name, f.score or 0.0, f.criterion.max_points) for f in b.fields]
        rows.append(RankRow(unit, total, 0, fields))
    rows.sort(key=lambda r: (r.unit.unit_type, -r.total, r.unit.agency.name))
    previous: dict[str, RankRow] = {}
    position: dict[str, int] = {}
    for row in rows:
        kind = row.unit.unit_type
        position[kind] = position.get(kind, 0) + 1
        last = previous.get(kind)
        row.rank = last.rank if last and last.total == row.total else position[kind]
        if row.unit.rank is not None:
            row.rank = row.unit.rank
        previous[kind] = row
    return rows


def approve(
    session: Session, user: User | None, year: int, decision: str, now: datetime | None = None
) -> Round:
    """Approve the index: totals and ranks are frozen on the units."""
    user = service.require_par_admin(user)
    round_ = service.get_round(session, year)
    if round_.status != "appraisal":
        service.check_not_frozen(round_)
        raise Conflict(NOT_CLOSED)
    rows = ranking(session, round_)
    for row in rows:
        row.unit.total = row.total
        row.unit.rank = row.rank
    round_.status = "approved"
    round_.decision = decision.strip()[:200]
    round_.approved_at = now or utcnow()
    round_.approved_by_id = user.id
    session.flush()
    audit.record(
        session,
        "par.approved",
        actor=user,
        object_type="par_round",
        object_id=year,
        details={
            "decision": round_.decision,
            "totals": {r.unit.agency.code: r.total for r in rows},
        },
    )
    return round_


NOT_CLOSED = N_("Chỉ phê duyệt khi đã kết thúc tự đánh giá và đang thẩm định.")


def publish(session: Session, user: User | None, year: int, now: datetime | None = None) -> Round:
    """Publish an approved index: public from now on, and never changed again."""
    user = service.require_par_admin(user)
    round_ = service.get_round(session, year)
    if round_.status != "approved":
        if round_.status == "published":
            raise Conflict(service.PUBLISHED_FROZEN)
        raise Conflict(N_("Chỉ công bố kết quả đã được phê duyệt."))
    round_.status = "published"
    round_.published_at = now or utcnow()
    round_.published_by_id = user.id
    session.flush()
    audit.record(session, "par.published", actor=user, object_type="par_round", object_id=year)
    return round_


def trend(session: Session, agency_id: int) -> list[tuple[int, float, int | None, float]]:
    """(year, total, rank, max points) of a unit over the published years, oldest first."""
    stmt = (
        select(RoundUnit)
        .join(Round)
        .where(RoundUnit.agency_id == agency_id, Round.status == "published")
        .order_by(Round.year)
    )
    return [
        (u.round.year, u.total or 0.0, u.rank, u.criteria_set.max_points)
        for u in session.scalars(stmt)
    ]
