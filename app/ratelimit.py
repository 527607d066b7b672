"""Fixed-window rate limits kept in the database, so they hold across worker processes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, UTCDateTime, utcnow
from app.errors import TooManyRequests


class RateEvent(Base):
    __tablename__ = "rate_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def hit(session: Session, key: str, limit: int, window: timedelta, message: str) -> None:
    """Record one event for ``key``; raise when more than ``limit`` fall within ``window``.

    The caller must commit even when its own answer is an error (return, don't raise)."""
    now = utcnow()
    since = now - window
    count = (
        session.scalar(select(func.count()).where(RateEvent.key == key, RateEvent.at >= since)) or 0
    )
    if count >= limit:
        raise TooManyRequests(message)
    session.add(RateEvent(key=key, at=now))
    # Old rows are useless: prune this key's history now and then.
    if count == 0:
        session.execute(delete(RateEvent).where(RateEvent.key == key, RateEvent.at < since))
    session.flush()
