"""The PAR index: criteria sets per year and unit type, the year's round, each unit's scores
with their evidence, and the survey imports waiting for confirmation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.agencies.models import Agency
from app.db import Base, JSONType, UTCDateTime, utcnow

UNIT_TYPES = ("department", "commune")
METHODS = ("manual", "auto", "survey")
ROUND_STATUSES = ("open", "appraisal", "approved", "published")
UNIT_STATUSES = ("draft", "submitted", "not_submitted")


class CriteriaSet(Base):
    """One version of the year's criteria for one unit type (sở, ngành or xã, phường)."""

    __tablename__ = "par_criteria_sets"
    __table_args__ = (UniqueConstraint("year", "unit_type", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    unit_type: Mapped[str] = mapped_column(String(12))  # department | commune
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    max_points: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="criteria_set",
        order_by="Criterion.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )


class Criterion(Base):
    """A field (no parent), a criterion or a sub-criterion of any depth. Only leaves are scored:
    ``method`` says how; an ``auto`` leaf holds its rule (a portal figure and point bands)."""

    __tablename__ = "par_criteria"
    __table_args__ = (UniqueConstraint("set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("par_criteria_sets.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))  # "1", "1.2", "1.2.3"
    parent_code: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(500))
    max_points: Mapped[float] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(String(8))  # manual | auto | survey; None: a group
    # For ``auto``: {"figure": "on_time_rate", "bands": [[98, 2.0], [90, 1.0], [0, 0]]}
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    criteria_set: Mapped[CriteriaSet] = relationship(back_populates="criteria")

    @property
    def depth(self) -> int:
        return self.code.count(".")


class Round(Base):
    """The year's assessment: opened by the Department of Home Affairs with a deadline,
    appraised, approved and published; a published round never changes."""

    __tablename__ = "par_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    deadline: Mapped[date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(200), default="")  # the approving decision
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    units: Mapped[list[RoundUnit]] = relationship(
        back_populates="round", lazy="selectin", order_by="RoundUnit.id"
    )


class RoundUnit(Base):
    """One assessed unit of a round, bound to the criteria set version in force at opening;
    ``total`` and ``rank`` are frozen at approval."""

    __tablename__ = "par_round_units"
    __table_args__ = (UniqueConstraint("round_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("par_rounds.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    unit_type: Mapped[str] = mapped_column(String(12))
    set_id: Mapped[int] = mapped_column(ForeignKey("par_criteria_sets.id"))
    status: Mapped[str] = mapped_column(String(14), default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    total: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None]

    round: Mapped[Round] = relationship(back_populates="units")
    agency: Mapped[Agency] = relationship(lazy="joined")
    criteria_set: Mapped[CriteriaSet] = relationship(lazy="joined")


class Score(Base):
    """A unit's score on one scored criterion: self-assessed (``manual``), computed at
    submission with its frozen ``snapshot`` (``auto``) or imported (``survey``); the council's
    adjustment, with its reason, replaces it."""

    __tablename__ = "par_scores"
    __table_args__ = (UniqueConstraint("unit_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("par_round_units.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("par_criteria.id"))
    score: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    adjusted_score: Mapped[float | None] = mapped_column(Float)
    adjust_reason: Mapped[str] = mapped_column(Text, default="")
    adjusted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    adjusted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def final(self) -> float:
        if self.adjusted_score is not None:
            return self.adjusted_score
        return self.score or 0.0


class Evidence(Base):
    """A document a unit attached to a criterion (checked and stored by ``app.storage``)."""

    __tablename__ = "par_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("par_round_units.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("par_criteria.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyImport(Base):
    """Survey scores read from an XLSX/CSV file, checked, shown for preview and applied once
    confirmed: ``rows`` are ``[agency_code, criterion_code, score]``."""

    __tablename__ = "par_survey_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("par_rounds.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[list[Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
