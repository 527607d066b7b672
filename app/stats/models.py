"""Maintained counters behind the indicators (docs/decisions/0010-indicator-tallies.md).

``stat_dossier_tallies`` holds what each received dossier currently adds to the counters;
``stat_daily_tallies`` holds the sums per receiving agency, local day of reception and number
of supplement requests; ``stat_finish_tallies`` the finished ones per local day of finishing.
All change in the transaction that changes the dossier, so a province-year of indicators reads
a few thousand counter rows instead of every dossier.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

# The counters of one day, in the order of the columns below (all additive).
COUNTER_NAMES = (
    "received",
    "synchronised",
    "online",
    "finished",
    "within_original",
    "within_due",
    "extended",
    "eligible",
    "eligible_online",
    "full_total",
    "full_online",
    "completed",
    "ratings",
    "score_sum",
    "unhappy_1",
    "unhappy_2",
    "unhappy_3",
    "unhappy_4",
    "digitised",
    "electronic_results",
    "paid",
    "paid_online",
    "reused",
)
# The counters by local day of finishing, in the order of FinishTally's columns.
FINISH_COUNTER_NAMES = ("finished", "within_original", "within_due")
# Supplement counts above this are kept together: the setting allows at most 20.
SUPPLEMENTS_CAP = 21


class DossierTally(Base):
    """What one received dossier adds to the day counters now (its last applied facts)."""

    __tablename__ = "stat_dossier_tallies"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), primary_key=True)
    agency_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    supplements: Mapped[int]
    # One bit per yes/no fact, in the order of app.stats.tallies.FLAGS.
    flags: Mapped[int]
    score: Mapped[int] = mapped_column(default=0)  # 0: not rated
    paid: Mapped[int] = mapped_column(default=0)
    paid_online: Mapped[int] = mapped_column(default=0)
    # Local day the dossier's processing finished (its result ready, or its refusal): the key of
    # its share of ``stat_finish_tallies``; None while it is still being processed.
    finish_day: Mapped[date | None] = mapped_column(Date)


class DailyTally(Base):
    """Sums over the dossiers an agency received on one local day with a supplement count."""

    __tablename__ = "stat_daily_tallies"
    __table_args__ = (Index("ix_stat_daily_tallies_day", "day", "agency_id"),)

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    supplements: Mapped[int] = mapped_column(primary_key=True)
    received: Mapped[int] = mapped_column(default=0)
    synchronised: Mapped[int] = mapped_column(default=0)
    online: Mapped[int] = mapped_column(default=0)
    finished: Mapped[int] = mapped_column(default=0)
    within_original: Mapped[int] = mapped_column(default=0)
    within_due: Mapped[int] = mapped_column(default=0)
    extended: Mapped[int] = mapped_column(default=0)
    eligible: Mapped[int] = mapped_column(default=0)
    eligible_online: Mapped[int] = mapped_column(default=0)
    full_total: Mapped[int] = mapped_column(default=0)
    full_online: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    ratings: Mapped[int] = mapped_column(default=0)
    score_sum: Mapped[int] = mapped_column(default=0)
    unhappy_1: Mapped[int] = mapped_column(default=0)
    unhappy_2: Mapped[int] = mapped_column(default=0)
    unhappy_3: Mapped[int] = mapped_column(default=0)
    unhappy_4: Mapped[int] = mapped_column(default=0)
    digitised: Mapped[int] = mapped_column(default=0)
    electronic_results: Mapped[int] = mapped_column(default=0)
    paid: Mapped[int] = mapped_column(default=0)
    paid_online: Mapped[int] = mapped_column(default=0)
    # Dossiers that took at least one component from the citizen's document store (0030).
    reused: Mapped[int] = mapped_column(default=0)


class FinishTally(Base):
    """Sums over the dossiers an agency received whose processing finished on one local day,
    with a supplement count: the leader's trend of finished and late dossiers by month reads
    these instead of the dossiers (late against either appointment, as the settings say)."""

    __tablename__ = "stat_finish_tallies"
    __table_args__ = (Index("ix_stat_finish_tallies_day", "day", "agency_id"),)

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    supplements: Mapped[int] = mapped_column(primary_key=True)
    finished: Mapped[int] = mapped_column(default=0)
    within_original: Mapped[int] = mapped_column(default=0)
    within_due: Mapped[int] = mapped_column(default=0)
