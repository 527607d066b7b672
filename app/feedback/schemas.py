"""JSON shapes of feedback (SPEC §12)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SenderIn(BaseModel):
    """Who files without an account: a name and a phone or an e-mail."""

    model_config = ConfigDict(extra="forbid")

    full_name: str = Field("", max_length=120)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=200)
    content: str = Field(max_length=5000)
    category: Literal["procedure", "dossier", "officer", "agency", "other"] = "other"
    agency_code: str | None = Field(None, max_length=35)
    dossier_code: str | None = Field(None, max_length=60)
    dossier_secret: str | None = Field(
        None,
        max_length=20,
        description="the cited dossier's lookup secret (not needed for one's own)",
    )
    sender: SenderIn | None = None
    publish_consent: bool = False


class FeedbackCreated(BaseModel):
    id: int
    code: str
    secret: str = Field(description="shown once: with the code it opens the lookup")
    status: str
    due_at: datetime


class LookupRead(BaseModel):
    """What the lookup shows: never the sender's data."""

    code: str
    subject: str
    status: str
    status_label: str
    agency_name: str
    created_at: datetime
    due_at: datetime
    answer: str | None
    reject_reason: str | None
    closed_at: datetime | None


class FileRead(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int


class SenderRead(BaseModel):
    full_name: str
    phone: str
    email: str
    has_account: bool


class FeedbackRead(BaseModel):
    """One item as its agency's staff see it."""

    id: int
    code: str
    category: str
    subject: str
    content: str
    status: str
    status_label: str
    agency_code: str
    agency_name: str
    dossier_code: str | None
    sender: SenderRead
    publish_consent: bool
    assignee_id: int | None
    answer: str
    upheld: bool | None
    leader_comment: str
    reject_reason: str
    public_subject: str
    public_content: str
    public_answer: str
    created_at: datetime
    due_at: datetime
    overdue: bool
    escalated: bool
    closed_at: datetime | None
    files: list[FileRead]


class FeedbackRow(BaseModel):
    id: int
    code: str
    subject: str
    category: str
    status: str
    agency_code: str
    due_at: datetime
    overdue: bool
    escalated: bool
    created_at: datetime


class FeedbackPage(BaseModel):
    items: list[FeedbackRow]
    next_after: str | None = Field(description="pass as ?after= for the next page")


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["assign", "answer", "approve", "reject"]
    assignee_id: int | None = Field(None, ge=1, le=2_147_483_647)
    answer: str | None = Field(None, max_length=10000)
    upheld: bool | None = None
    comment: str | None = Field(None, max_length=2000)
    public_subject: str | None = Field(None, max_length=200)
    public_content: str | None = Field(None, max_length=5000)
    public_answer: str | None = Field(None, max_length=10000)


class PublicRead(BaseModel):
    id: int
    code: str
    category: str
    agency_name: str
    subject: str
    content: str
    answer: str
    published_at: datetime | None


class PublicPage(BaseModel):
    items: list[PublicRead]
    total: int
