"""In-app notices and the durable e-mail outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow


class Notice(Base):
    """A notice shown in the user's notification list (in-app)."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(255), default="")
    # Title and summary in every interface language, written from the same facts at the same
    # time: {"vi": {"title", "body"}, "en": {...}}; ``title``/``body`` are the account's own.
    texts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def title_in(self, locale: str) -> str:
        """The title in ``locale`` (the stored one for notices written before both were)."""
        return str(((self.texts or {}).get(locale) or {}).get("title") or self.title)

    def body_in(self, locale: str) -> str:
        entry = (self.texts or {}).get(locale)
        return str(entry.get("body", "")) if entry else self.body


class OutboxMessage(Base):
    """An e-mail written in the same transaction as its event; delivered by a worker.

    A sender claims a row by moving ``claimed_until`` forward with a conditional UPDATE, so two
    workers never send one message twice; failures are retried with back-off."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The request that wrote it, for the worker's log lines (app/telemetry.py, revision 0031).
    request_id: Mapped[str] = mapped_column(String(64), default="")
