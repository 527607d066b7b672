"""Service indicators after Decision 766/QĐ-TTg (SPEC §7) of an agency and its subtree, and
the ranking of agencies by their points. See docs/decisions/0008-indicators.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.db import utcnow
from app.errors import InvalidInput
from app.i18n_markers import N_
from app.postal import service as postal_service
from app.stats import schemas
from app.stats.counts import RawCounts, raw_counts, sum_counts
from app.stats.dates import bounds
from app.stats.figures import (
    FIGURES,
    GROUP_LABELS,
    LEVEL_LABELS,
    ON_TIME_FORMULA_EXTENDED,
    SATISFACTION_PARTS,
    IndicatorSettings,
    indicator_settings,
)

# --- figures and points ---------------------------------------------------------------------


def _fractions(c: RawCounts) -> dict[str, tuple[int, int]]:
    """(numerator, denominator) of every figure."""
    return {
        "published_rate": (c.procedures_published, c.procedures),
        "synchronised_rate": (c.synchronised, c.received),
        "on_time_rate": (c.on_time, c.decided),
        "online_rate": (c.eligible_online, c.eligible),
        "full_online_rate": (c.full_online, c.full_total),
        "online_payment_rate": (c.paid_online, c.paid),
        "digitised_rate": (c.digitised, c.received),
        "electronic_result_rate": (c.electronic_results, c.completed),
        "reuse_rate": (c.reused, c.received),
        # 100% − (% late + % unhappy or with an upheld complaint) over the same base, ≥ 0.
        "satisfaction_rate": (
            max(0, c.decided - c.late - c.unhappy - c.upheld_extra),
            c.decided,
        ),
    }


def figure_points(numerator: int, denominator: int, max_points: float, threshold: float) -> float:
    """Linear up to the threshold, full points from it on; no dossier, no points."""
    if denominator <= 0:
        return 0.0
    share = 100.0 * numerator / denominator
    return max_points * min(1.0, share / threshold)


def rate(numerator: int, denominator: int) -> float:
    return round(100.0 * numerator / denominator, 2) if denominator > 0 else 0.0


def _parts(c: RawCounts, t: Any) -> list[schemas.Part]:
    """The satisfaction group's three ratios (Decision 766), over the dossiers judged."""
    return [
        schemas.Part(
            key=key,
            label=t(label),
            numerator=num,
            denominator=c.decided,
            rate=rate(num, c.decided),
            formula=t(formula),
        )
        for key, label, num, formula in (
            ("late_rate", SATISFACTION_PARTS[0][0], c.late, SATISFACTION_PARTS[0][1]),
            ("upheld_complaint_rate", SATISFACTION_PARTS[1][0], c.upheld, SATISFACTION_PARTS[1][1]),
            ("negative_rating_rate", SATISFACTION_PARTS[2][0], c.unhappy, SATISFACTION_PARTS[2][1]),
        )
    ]


def build_indicators(
    agency: Agency,
    date_from: date,
    date_to: date,
    counts: RawCounts,
    cfg: IndicatorSettings,
    translate: Any = None,
    now: datetime | None = None,
) -> schemas.IndicatorsRead:
    """The five groups with their figures and points from an agency's summed counts."""
    t = translate or (lambda s: s)
    fractions = _fractions(counts)
    groups: dict[str, schemas.Group] = {}
    total = 0.0
    for key, label in GROUP_LABELS.items():
        figures: dict[str, schemas.Figure] = {}
        points = 0.0
        max_points = 0.0
        for spec in (f for f in FIGURES if f.group == key):
            num, den = fractions[spec.key]
            threshold = cfg.thresholds[spec.key]
            earned = figure_points(num, den, spec.max_points, threshold)
            formula = spec.formula
            if spec.key == "on_time_rate" and cfg.extension_counts_on_time:
                formula = ON_TIME_FORMULA_EXTENDED
            figures[spec.key] = schemas.Figure(
                key=spec.key,
                label=t(spec.label),
                numerator=num,
                denominator=den,
                rate=rate(num, den),
                threshold=threshold,
                points=round(earned, 2),
                max_points=spec.max_points,
                formula=t(formula),
            )
            points += earned
            max_points += spec.max_points
        groups[key] = schemas.Group(
            key=key,
            label=t(label),
            points=round(points, 2),
            max_points=max_points,
            figures=figures,
            parts=_parts(counts, t) if key == "satisfaction" else [],
        )
        total += points
    average = round(counts.score_sum / counts.ratings, 2) if counts.ratings else None
    return schemas.IndicatorsRead(
        agency=schemas.AgencyRef(code=agency.code, name=agency.name, level=agency.level),
        date_from=date_from,
        date_to=date_to,
        generated_at=now or utcnow(),
        points=round(total, 2),
        max_points=sum(f.max_points for f in FIGURES),
        groups=groups,
        counts=schemas.Counts(
            received=counts.received,
            online=counts.online,
            finished=counts.finished,
            on_time=counts.on_time,
            late=counts.late,
            overdue_open=counts.overdue_open,
            extended=counts.extended,
            supplemented_more_than_once=counts.multi_supplement,
            completed=counts.completed,
            ratings=counts.ratings,
            average_score=average,
            unhappy=counts.unhappy,
            upheld=counts.upheld,
        ),
    )


def root_agency(session: Session) -> Agency:
    """The top of the tree (the province), the default agency of the statistics."""
    tree = agency_service.tree(session)
    if not tree:
        raise InvalidInput(N_("Chưa có cơ quan nào."))
    return tree[0][1]


def indicators(
    session: Session,
    agency_code: str | None,
    date_from: date,
    date_to: date,
    now: datetime | None = None,
    translate: Any = None,
) -> schemas.IndicatorsRead:
    """The indicators of an agency and everything below it, for dossiers received in a period."""
    agency = agency_service.get_by_code(session, agency_code) if agency_code else None
    agency = agency or root_agency(session)
    cfg = indicator_settings(session)
    subtree = account_service.agency_subtree_ids(session, agency.id)
    per_agency = raw_counts(session, date_from, date_to, subtree, now, cfg)
    read = build_indicators(
        agency, date_from, date_to, sum_counts(per_agency, subtree), cfg, translate, now
    )
    # The result delivery channel (issue 24): counted beside the figures, not scored.
    read.counts.results_by_post = postal_service.count_received(
        session, subtree, *bounds(date_from, date_to)
    )
    return read


# --- ranking ----------------------------------------------------------------------------------


@dataclass
class Overview:
    """Everything the public page shows: the chosen agency's indicators and the ranking."""

    indicators: schemas.IndicatorsRead
    ranking: list[schemas.RankingRow]
    tree: list[tuple[int, Agency]] = field(default_factory=list)


def _rolled_up(
    tree: list[tuple[int, Agency]], per_agency: Mapping[int, RawCounts]
) -> dict[int, RawCounts]:
    """Counts of every agency's subtree (depth-first order: children follow their parent)."""
    totals = {a.id: RawCounts() for _depth, a in tree}
    for _depth, agency in reversed(tree):
        if agency.id in per_agency:
            totals[agency.id].add(per_agency[agency.id])
        if agency.parent_id in totals:
            totals[agency.parent_id].add(totals[agency.id])
    return totals


def ranking_rows(
    tree: list[tuple[int, Agency]],
    totals: Mapping[int, RawCounts],
    cfg: IndicatorSettings,
    date_from: date,
    date_to: date,
    level: str | None = None,
) -> list[schemas.RankingRow]:
    """Agencies by total points, best first (equal points share a rank)."""
    rows = []
    for _depth, agency in tree:
        if level and agency.level != level:
            continue
        counts = totals[agency.id]
        read = build_indicators(agency, date_from, date_to, counts, cfg)
        rows.append(
            (
                read.points,
                agency.name,
                schemas.RankingRow(
                    rank=0,
                    agency=read.agency,
                    points=read.points,
                    received=counts.received,
                    on_time_rate=read.groups["timeliness"].figures["on_time_rate"].rate,
                    online_rate=read.groups["online_service"].figures["online_rate"].rate,
                    satisfaction_rate=read.groups["satisfaction"].figures["satisfaction_rate"].rate,
                ),
            )
        )
    rows.sort(key=lambda r: (-r[0], r[1]))
    out: list[schemas.RankingRow] = []
    for i, (points, _name, row) in enumerate(rows, start=1):
        row.rank = out[-1].rank if out and out[-1].points == points else i
        out.append(row)
    return out


def ranking(
    session: Session, date_from: date, date_to: date, level: str | None = None
) -> schemas.RankingRead:
    """Every agency (or every agency of one level) by total points for the period."""
    if level and level not in LEVEL_LABELS:
        raise InvalidInput(N_("Cấp cơ quan không hợp lệ."), fields={"level": "unknown level"})
    cfg = indicator_settings(session)
    tree = agency_service.tree(session)
    totals = _rolled_up(tree, raw_counts(session, date_from, date_to, None, cfg=cfg))
    items = ranking_rows(tree, totals, cfg, date_from, date_to, level)
    return schemas.RankingRead(
        date_from=date_from, date_to=date_to, level=level or None, items=items, total=len(items)
    )


def overview(
    session: Session,
    agency_code: str | None,
    date_from: date,
    date_to: date,
    level: str | None = None,
    translate: Any = None,
) -> Overview:
    """The public statistics page: one pass of the aggregate queries over every agency."""
    if level and level not in LEVEL_LABELS:
        raise InvalidInput(N_("Cấp cơ quan không hợp lệ."), fields={"level": "unknown level"})
    agency = agency_service.get_by_code(session, agency_code) if agency_code else None
    agency = agency or root_agency(session)
    cfg = indicator_settings(session)
    tree = agency_service.tree(session)
    totals = _rolled_up(tree, raw_counts(session, date_from, date_to, None, cfg=cfg))
    read = build_indicators(
        agency, date_from, date_to, totals.get(agency.id, RawCounts()), cfg, translate
    )
    return Overview(read, ranking_rows(tree, totals, cfg, date_from, date_to, level), tree)
