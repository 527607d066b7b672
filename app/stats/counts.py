"""The raw counts behind the service indicators, per receiving agency.

Everything is counted in SQL (GROUP BY with conditional sums); no dossier is loaded into
Python. Counts are kept per receiving agency and are additive, so an agency's figures are the
sums over its subtree: a province includes its departments, districts and communes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select, text
from sqlalchemy.orm import Session

from app.catalog.models import (
    Component,
    FeeItem,
    ProcedureAgency,
    ProcedureVersion,
    ProcessStep,
)
from app.db import utcnow
from app.documents.models import Document
from app.dossiers.models import UNFINISHED_PREDICATE, Dossier, DossierFile
from app.feedback.models import FeedbackItem
from app.payments.models import ONLINE_METHODS, Payment
from app.ratings.models import Rating
from app.stats import tallies
from app.stats.dates import bounds
from app.stats.figures import IndicatorSettings, indicator_settings
from app.stats.models import COUNTER_NAMES
from app.stats.tallies import finished_condition, finished_moment, synchronised_condition

# --- raw counts per agency ----------------------------------------------------------------------


@dataclass
class RawCounts:
    """Additive counts of one agency (or, once summed, of a subtree)."""

    received: int = 0
    synchronised: int = 0
    online: int = 0
    finished: int = 0
    on_time: int = 0
    overdue_open: int = 0
    extended: int = 0
    multi_supplement: int = 0
    eligible: int = 0
    eligible_online: int = 0
    full_total: int = 0
    full_online: int = 0
    completed: int = 0
    unhappy: int = 0
    ratings: int = 0
    score_sum: int = 0
    digitised: int = 0
    electronic_results: int = 0
    paid: int = 0
    paid_online: int = 0
    reused: int = 0
    procedures: int = 0
    procedures_published: int = 0
    # Dossiers with a complaint the agency upheld (feedback, SPEC §12), and those of them not
    # already counted unhappy: the satisfaction figure counts a dossier once.
    upheld: int = 0
    upheld_extra: int = 0

    def add(self, other: RawCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def decided(self) -> int:
        """Dossiers judged for timeliness: finished, or not finished but already overdue."""
        return self.finished + self.overdue_open

    @property
    def late(self) -> int:
        return self.decided - self.on_time


def count_if(condition: ColumnElement[bool]) -> Any:
    """COUNT of rows matching a condition, as a conditional sum (0 when no row matches)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in_period(start: datetime, end: datetime, agency_ids: Collection[int] | None) -> Any:
    conditions = [
        Dossier.received_at.is_not(None),
        Dossier.received_at >= start,
        Dossier.received_at < end,
    ]
    if agency_ids is not None:
        conditions.append(Dossier.agency_id.in_(sorted(agency_ids)))
    return and_(*conditions)


def appointment(cfg: IndicatorSettings) -> Any:
    """The appointment timeliness is measured against (see docs/decisions/0008)."""
    if cfg.extension_counts_on_time:
        return Dossier.due_at
    return func.coalesce(Dossier.original_due_at, Dossier.due_at)


def on_time_condition(cfg: IndicatorSettings) -> ColumnElement[bool]:
    return and_(
        finished_condition(),
        finished_moment() <= appointment(cfg),
        Dossier.supplement_count <= cfg.max_supplements,
    )


def overdue_open_condition(cfg: IndicatorSettings, now: datetime) -> ColumnElement[bool]:
    # While a supplement is awaited the clock stops (Decree 118/2025 Art. 19): not overdue;
    # nor while a withdrawal waits for acceptance (it ends withdrawn, neither on time nor late:
    # docs/decisions/0025-withdrawal-on-request.md).
    return and_(
        not_(finished_condition()),
        Dossier.status.not_in(
            ("withdrawn", "stopped", "supplement_requested", "withdrawal_requested")
        ),
        appointment(cfg) < now,
    )


def _dossier_counts(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    cfg: IndicatorSettings,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    finished = finished_condition()
    eligible = ProcedureVersion.online_level.in_(("full", "partial"))
    full = ProcedureVersion.online_level == "full"
    online = Dossier.channel == "online"
    unhappy = and_(
        finished,
        or_(Rating.complaint.is_(True), Rating.score <= cfg.negative_score_max),
    )
    stmt = (
        select(
            Dossier.agency_id,
            func.count(Dossier.id),
            count_if(synchronised_condition()),
            count_if(online),
            count_if(finished),
            count_if(on_time_condition(cfg)),
            count_if(overdue_open_condition(cfg, now)),
            count_if(Dossier.extension_count > 0),
            count_if(Dossier.supplement_count > cfg.max_supplements),
            count_if(eligible),
            count_if(and_(eligible, online)),
            count_if(full),
            count_if(and_(full, online)),
            count_if(Dossier.status == "completed"),
            count_if(unhappy),
            func.count(Rating.id),
            func.coalesce(func.sum(Rating.score), 0),
        )
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.version_id)
        .outerjoin(Rating, Rating.dossier_id == Dossier.id)
        .where(_in_period(start, end, agency_ids))
        .group_by(Dossier.agency_id)
    )
    names = (
        "received",
        "synchronised",
        "online",
        "finished",
        "on_time",
        "overdue_open",
        "extended",
        "multi_supplement",
        "eligible",
        "eligible_online",
        "full_total",
        "full_online",
        "completed",
        "unhappy",
        "ratings",
        "score_sum",
    )
    for row in session.execute(stmt):
        counts = out.setdefault(row[0], RawCounts())
        for name, value in zip(names, row[1:], strict=True):
            setattr(counts, name, int(value or 0))


def _digitised_counts(
    session: Session,
    start: datetime,
    end: datetime,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    # Per dossier: its active component files and how many of them are paper-only (neither
    # uploaded online nor scanned at the counter). No component file at all: not digitised.
    per_dossier = (
        select(
            Dossier.id.label("dossier_id"),
            Dossier.agency_id.label("agency_id"),
            Dossier.channel.label("channel"),
            func.sum(case((DossierFile.digitised.is_(False), 1), else_=0)).label("paper"),
        )
        .join(
            DossierFile,
            and_(
                DossierFile.dossier_id == Dossier.id,
                DossierFile.purpose == "component",
                DossierFile.removed_at.is_(None),
            ),
        )
        .where(_in_period(start, end, agency_ids))
        .group_by(Dossier.id, Dossier.agency_id, Dossier.channel)
        .subquery()
    )
    stmt = select(
        per_dossier.c.agency_id,
        count_if(or_(per_dossier.c.channel == "online", per_dossier.c.paper == 0)),
    ).group_by(per_dossier.c.agency_id)
    for agency_id, digitised in session.execute(stmt):
        out.setdefault(agency_id, RawCounts()).digitised = int(digitised or 0)


def _reuse_counts(
    session: Session,
    start: datetime,
    end: datetime,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    stmt = (
        select(Dossier.agency_id, count_if(tallies.reused_condition()))
        .where(_in_period(start, end, agency_ids))
        .group_by(Dossier.agency_id)
    )
    for agency_id, n in session.execute(stmt):
        out.setdefault(agency_id, RawCounts()).reused = int(n or 0)


def _upheld_counts(
    session: Session,
    start: datetime,
    end: datetime,
    cfg: IndicatorSettings,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    upheld = select(FeedbackItem.dossier_id).where(
        FeedbackItem.upheld.is_(True),
        FeedbackItem.status == "published",
        FeedbackItem.dossier_id.is_not(None),
    )
    unhappy = and_(
        finished_condition(),
        or_(Rating.complaint.is_(True), Rating.score <= cfg.negative_score_max),
    )
    stmt = (
        select(
            Dossier.agency_id,
            func.count(Dossier.id),
            func.coalesce(func.sum(case((unhappy, 0), else_=1)), 0),
        )
        .outerjoin(Rating, Rating.dossier_id == Dossier.id)
        .where(_in_period(start, end, agency_ids), Dossier.id.in_(upheld))
        .group_by(Dossier.agency_id)
    )
    for agency_id, n, extra in session.execute(stmt):
        counts = out.setdefault(agency_id, RawCounts())
        counts.upheld, counts.upheld_extra = int(n or 0), int(extra or 0)


def _result_counts(
    session: Session,
    start: datetime,
    end: datetime,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    stmt = (
        select(Dossier.agency_id, func.count(func.distinct(Dossier.id)))
        .join(Document, and_(Document.dossier_id == Dossier.id, Document.kind == "result"))
        .where(_in_period(start, end, agency_ids), Dossier.status == "completed")
        .group_by(Dossier.agency_id)
    )
    for agency_id, n in session.execute(stmt):
        out.setdefault(agency_id, RawCounts()).electronic_results = int(n or 0)


def _payment_counts(
    session: Session,
    start: datetime,
    end: datetime,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    stmt = (
        select(
            Dossier.agency_id,
            func.count(Payment.id),
            count_if(Payment.method.in_(ONLINE_METHODS)),
        )
        .join(Payment, Payment.dossier_id == Dossier.id)
        .where(_in_period(start, end, agency_ids), Payment.status == "paid")
        .group_by(Dossier.agency_id)
    )
    for agency_id, paid, paid_online in session.execute(stmt):
        counts = out.setdefault(agency_id, RawCounts())
        counts.paid, counts.paid_online = int(paid or 0), int(paid_online or 0)


def _form_has_fields(session: Session) -> ColumnElement[bool]:
    schema = ProcedureVersion.form_schema
    if session.get_bind().dialect.name == "postgresql":
        fields_ = schema["fields"]
        return (
            case(
                (func.jsonb_typeof(fields_) == "array", func.jsonb_array_length(fields_)),
                else_=0,
            )
            > 0
        )
    return func.coalesce(func.json_array_length(schema, "$.fields"), 0) > 0


def complete_condition(session: Session, end: datetime) -> ColumnElement[bool]:
    """Published before the end of the period with everything a citizen needs to apply."""
    version = ProcedureVersion
    return and_(
        version.status == "published",
        version.published_at.is_not(None),
        version.published_at < end,
        select(Component.id).where(Component.version_id == version.id).exists(),
        select(ProcessStep.id).where(ProcessStep.version_id == version.id).exists(),
        or_(
            select(FeeItem.id).where(FeeItem.version_id == version.id).exists(),
            func.trim(version.fee_note) != "",
        ),
        func.trim(version.legal_basis) != "",
        _form_has_fields(session),
    )


def _procedure_counts(
    session: Session,
    end: datetime,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    # One (agency, procedure) pair per procedure an agency implements: a commune procedure
    # counts once at every commune, so a province's figure is the sum of its units'.
    version = ProcedureVersion
    stmt = (
        select(
            ProcedureAgency.agency_id,
            func.count(func.distinct(version.procedure_id)),
            func.count(
                func.distinct(
                    case((complete_condition(session, end), version.procedure_id), else_=None)
                )
            ),
        )
        .join(version, version.id == ProcedureAgency.version_id)
        .where(version.status.in_(("draft", "published")))
        .group_by(ProcedureAgency.agency_id)
    )
    if agency_ids is not None:
        stmt = stmt.where(ProcedureAgency.agency_id.in_(sorted(agency_ids)))
    for agency_id, implemented, published in session.execute(stmt):
        counts = out.setdefault(agency_id, RawCounts())
        counts.procedures, counts.procedures_published = int(implemented), int(published)


def recount(
    session: Session,
    date_from: date,
    date_to: date,
    agency_ids: Collection[int] | None = None,
    now: datetime | None = None,
    cfg: IndicatorSettings | None = None,
) -> dict[int, RawCounts]:
    """Counts per receiving agency straight from the dossiers (the reference the maintained
    counters are checked against); five aggregate queries over every dossier of the period."""
    now = now or utcnow()
    cfg = cfg or indicator_settings(session)
    start, end = bounds(date_from, date_to)
    out: dict[int, RawCounts] = {}
    _dossier_counts(session, start, end, now, cfg, agency_ids, out)
    _digitised_counts(session, start, end, agency_ids, out)
    _result_counts(session, start, end, agency_ids, out)
    _reuse_counts(session, start, end, agency_ids, out)
    _payment_counts(session, start, end, agency_ids, out)
    _procedure_counts(session, end, agency_ids, out)
    _upheld_counts(session, start, end, cfg, agency_ids, out)
    return out


def _overdue_open_counts(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    cfg: IndicatorSettings,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    # Only unfinished dossiers change with the clock; ix_dossiers_unfinished keeps them apart.
    stmt = (
        select(Dossier.agency_id, func.count(Dossier.id))
        .where(
            text(UNFINISHED_PREDICATE),
            _in_period(start, end, agency_ids),
            overdue_open_condition(cfg, now),
        )
        .group_by(Dossier.agency_id)
    )
    for agency_id, n in session.execute(stmt):
        out.setdefault(agency_id, RawCounts()).overdue_open = int(n or 0)


def _tally_counts(
    session: Session,
    date_from: date,
    date_to: date,
    cfg: IndicatorSettings,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    daily = tallies.DAILY
    stmt = (
        select(
            daily.c.agency_id,
            daily.c.supplements,
            *(func.sum(daily.c[name]).label(name) for name in COUNTER_NAMES),
        )
        .where(daily.c.day >= date_from, daily.c.day <= date_to)
        .group_by(daily.c.agency_id, daily.c.supplements)
    )
    if agency_ids is not None:
        stmt = stmt.where(daily.c.agency_id.in_(sorted(agency_ids)))
    within = "within_due" if cfg.extension_counts_on_time else "within_original"
    unhappy = f"unhappy_{cfg.negative_score_max}"
    for row in session.execute(stmt):
        c = out.setdefault(row.agency_id, RawCounts())
        value = {name: int(getattr(row, name) or 0) for name in COUNTER_NAMES}
        allowed = row.supplements <= cfg.max_supplements
        c.received += value["received"]
        c.synchronised += value["synchronised"]
        c.online += value["online"]
        c.finished += value["finished"]
        c.on_time += value[within] if allowed else 0
        c.extended += value["extended"]
        c.multi_supplement += 0 if allowed else value["received"]
        c.eligible += value["eligible"]
        c.eligible_online += value["eligible_online"]
        c.full_total += value["full_total"]
        c.full_online += value["full_online"]
        c.completed += value["completed"]
        c.unhappy += value[unhappy]
        c.ratings += value["ratings"]
        c.score_sum += value["score_sum"]
        c.digitised += value["digitised"]
        c.electronic_results += value["electronic_results"]
        c.paid += value["paid"]
        c.paid_online += value["paid_online"]
        c.reused += value["reused"]


def raw_counts(
    session: Session,
    date_from: date,
    date_to: date,
    agency_ids: Collection[int] | None = None,
    now: datetime | None = None,
    cfg: IndicatorSettings | None = None,
) -> dict[int, RawCounts]:
    """Counts per receiving agency (only the given agencies, or all) for dossiers received
    between two local dates, from the maintained day counters plus a live count of the
    unfinished dossiers already overdue; equal to :func:`recount` (tests hold it)."""
    now = now or utcnow()
    cfg = cfg or indicator_settings(session)
    tallies.apply_pending(session)
    start, end = bounds(date_from, date_to)
    out: dict[int, RawCounts] = {}
    _tally_counts(session, date_from, date_to, cfg, agency_ids, out)
    _overdue_open_counts(session, start, end, now, cfg, agency_ids, out)
    _procedure_counts(session, end, agency_ids, out)
    _upheld_counts(session, start, end, cfg, agency_ids, out)
    return out


def sum_counts(per_agency: Mapping[int, RawCounts], agency_ids: Iterable[int]) -> RawCounts:
    total = RawCounts()
    for agency_id in agency_ids:
        if agency_id in per_agency:
            total.add(per_agency[agency_id])
    return total
