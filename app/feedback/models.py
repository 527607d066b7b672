"""Feedback items (phản ánh, kiến nghị) and their attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.agencies.models import Agency
from app.db import Base, UTCDateTime, utcnow

STATUSES = ("new", "assigned", "answered", "published", "rejected")
OPEN_STATUSES = ("new", "assigned", "answered")
CATEGORIES = ("procedure", "dossier", "officer", "agency", "other")


class FeedbackItem(Base):
    """One piece of feedback or complaint: who sent it (an account, or a name with a phone or
    an e-mail), where it is routed, its answer, and the wording published with consent."""

    __tablename__ = "feedback_items"
    __table_args__ = (
        # The staff queue: an agency's items by status in due order, read by keyset.
        Index("ix_feedback_queue", "agency_id", "status", "due_at", "id"),
        Index("ix_feedback_escalated", "escalated_to_id", "status", "due_at", "id"),
        Index("ix_feedback_public", "status", "published_at"),
        Index("ix_feedback_fingerprint", "fingerprint", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    sender_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    sender_name: Mapped[str] = mapped_column(String(120))
    sender_phone: Mapped[str] = mapped_column(String(20), default="")
    sender_email: Mapped[str] = mapped_column(String(254), default="")
    publish_consent: Mapped[bool] = mapped_column(default=False)
    # Same sender, same agency, same words: a duplicate within minutes (sha256 of those).
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="new")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[str] = mapped_column(Text, default="")
    upheld: Mapped[bool | None] = mapped_column()  # a complaint found justified (Decision 766)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leader_comment: Mapped[str] = mapped_column(Text, default="")
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The wording shown on the public page (masked, reviewed by the officer).
    public_subject: Mapped[str] = mapped_column(String(200), default="")
    public_content: Mapped[str] = mapped_column(Text, default="")
    public_answer: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id], lazy="joined")
    files: Mapped[list[FeedbackFile]] = relationship(
        lazy="selectin", order_by="FeedbackFile.id", back_populates="item"
    )


class FeedbackFile(Base):
    """An attachment of a feedback item, stored by SHA-256 (``app/storage``)."""

    __tablename__ = "feedback_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[FeedbackItem] = relationship(back_populates="files")
