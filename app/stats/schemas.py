"""Shapes of the service indicators (Decision 766/QĐ-TTg, SPEC §7 and §9) and the ranking."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class Figure(BaseModel):
    """One measured figure: a share of dossiers (or procedures, or payments) and its points."""

    key: str = Field(description="e.g. on_time_rate, online_rate, digitised_rate")
    label: str
    numerator: int
    denominator: int
    rate: float = Field(description="numerator / denominator in percent, 2 decimals; 0 if none")
    threshold: float = Field(description="Rate (percent) that earns the full points")
    points: float
    max_points: float
    formula: str


class Part(BaseModel):
    """A ratio a figure is made of, shown beside it (the satisfaction group's three)."""

    key: str = Field(description="late_rate, upheld_complaint_rate, negative_rating_rate")
    label: str
    numerator: int
    denominator: int
    rate: float
    formula: str


class Group(BaseModel):
    """One of the five groups of Decision 766 with its points and figures."""

    key: str
    label: str
    points: float
    max_points: float
    figures: dict[str, Figure]
    parts: list[Part] = Field(default_factory=list)


class AgencyRef(BaseModel):
    code: str
    name: str
    level: str


class Counts(BaseModel):
    """Plain counts behind the figures (received in the period unless said otherwise)."""

    model_config = ConfigDict(extra="forbid")

    received: int = 0
    online: int = 0
    finished: int = 0
    on_time: int = 0
    late: int = 0
    overdue_open: int = Field(0, description="Not finished and past the appointment")
    extended: int = 0
    supplemented_more_than_once: int = 0
    completed: int = 0
    ratings: int = 0
    average_score: float | None = None
    unhappy: int = Field(0, description="Finished dossiers with a complaint or a score ≤ 2")
    results_by_post: int = Field(
        0, description="Received dossiers whose result goes by post (bưu chính công ích)"
    )
    upheld: int = Field(0, description="Dossiers with a complaint (feedback) found justified")


class IndicatorsRead(BaseModel):
    """The indicators of an agency (its whole subtree) for dossiers received in a period."""

    model_config = ConfigDict(populate_by_name=True)

    agency: AgencyRef
    date_from: date = Field(serialization_alias="from", validation_alias="from")
    date_to: date = Field(serialization_alias="to", validation_alias="to")
    generated_at: datetime
    points: float
    max_points: float
    groups: dict[str, Group]
    counts: Counts


class RankingRow(BaseModel):
    rank: int
    agency: AgencyRef
    points: float
    received: int
    on_time_rate: float
    online_rate: float
    satisfaction_rate: float


class RankingRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    date_from: date = Field(serialization_alias="from", validation_alias="from")
    date_to: date = Field(serialization_alias="to", validation_alias="to")
    level: str | None
    items: list[RankingRow]
    total: int
