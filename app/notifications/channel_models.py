"""Notice channels chosen per account, and the outbox of SMS and Zalo ZNS messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow


class NoticePreference(Base):
    """The channels an account wants its notices on; no row: in-app and e-mail."""

    __tablename__ = "notice_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    channels: Mapped[list[str]] = mapped_column(JSONType)
    # The mobile number SMS and Zalo go to, normalised (84xxxxxxxxx); empty without them.
    phone: Mapped[str] = mapped_column(String(20), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelMessage(Base):
    """An SMS or a Zalo ZNS message written with its event and delivered by the worker; the
    row is also the delivery log (attempts, last error, the provider's message id)."""

    __tablename__ = "channel_messages"
    __table_args__ = (
        Index("ix_channel_messages_due", "status", "next_attempt_at"),
        Index("ix_channel_messages_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | zalo
    kind: Mapped[str] = mapped_column(String(40))
    to_phone: Mapped[str] = mapped_column(String(20))
    body_text: Mapped[str] = mapped_column(Text)
    template_id: Mapped[str] = mapped_column(String(60), default="")
    template_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_id: Mapped[str] = mapped_column(String(80), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
