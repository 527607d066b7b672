"""JSON shapes of the personal document store."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class SourceRef(BaseModel):
    """The dossier a stored document came from."""

    dossier_id: int
    code: str | None
    procedure_code: str


class PersonalDocumentRead(BaseModel):
    id: int
    kind: str = Field(description="result | component")
    kind_label: str
    name: str
    component_code: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    number: str | None = Field(description="an electronic result's number")
    valid_until: date | None
    added_at: datetime
    source: SourceRef
    times_reused: int
    url: str = Field(description="download")


class PersonalDocumentPage(BaseModel):
    items: list[PersonalDocumentRead]
    total: int
