"""JSON shapes of the PAR index (SPEC §13)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class RoundRead(BaseModel):
    year: int
    status: str = Field(description="open | appraisal | approved | published")
    status_label: str
    deadline: date
    decision: str
    units: int
    published_at: datetime | None


class RoundPage(BaseModel):
    items: list[RoundRead]


class EvidenceRead(BaseModel):
    filename: str
    size: int


class CriterionRead(BaseModel):
    code: str
    name: str
    max_points: float
    method: str = Field(description="manual | auto | survey")
    score: float | None = Field(description="the final score: the council's when it adjusted")
    self_score: float | None = Field(description="self-assessed, computed or imported score")
    adjusted: bool
    adjust_reason: str
    evidence: list[EvidenceRead]
    formula: str | None = Field(None, description="auto only: the rule in words")
    snapshot: dict[str, Any] | None = Field(
        None, description="auto only: the portal figures used, frozen at submission"
    )


class FieldRead(BaseModel):
    code: str
    name: str
    max_points: float
    score: float


class UnitRead(BaseModel):
    year: int
    agency_code: str
    name: str
    unit_type: str
    status: str
    fields: list[FieldRead]
    criteria: list[CriterionRead]
    total: float
    max_points: float
    rank: int | None


class RankingItem(BaseModel):
    agency_code: str
    name: str
    unit_type: str
    total: float
    rank: int


class RankingRead(BaseModel):
    year: int
    status: str
    items: list[RankingItem]
