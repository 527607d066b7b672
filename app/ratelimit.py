"""Fixed-window rate limits kept in the database, so they hold across worker processes."""

from __future__ import annotations

import threading
import time
from collections import deque
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


class MemoryLimiter:
    """A per-process sliding-window limiter for hot public endpoints (lookups), where a
    database write per request would cost more than the lookup itself. With several worker
    processes the effective limit is the limit times the number of processes."""

    def __init__(self, window_seconds: float, max_keys: int = 100_000) -> None:
        self.window = window_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, message: str) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._hits.clear()  # crude but bounded memory under a flood of keys
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                raise TooManyRequests(message)
            hits.append(now)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


lookup_limiter = MemoryLimiter(window_seconds=600)
