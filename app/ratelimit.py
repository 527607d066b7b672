"""Rate limits: in the database (they hold across processes), and for the hot public lookups
per process or, with ``PORTAL_REDIS_URL``, in Redis shared by every web process."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from math import ceil

from sqlalchemy import String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app import redis_store
from app.db import Base, UTCDateTime, utcnow
from app.errors import TooManyRequests
from app.formatting import format_datetime


class RateEvent(Base):
    __tablename__ = "rate_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def hit(session: Session, key: str, limit: int, window: timedelta, message: str) -> None:
    """Record one event for ``key``; raise when ``limit`` already fall within ``window``.

    The caller must commit even when its own answer is an error (return, don't raise)."""
    refuse_when_full(session, key, limit, window, message)
    record(session, key, window)


class LimitReached(TooManyRequests):
    """A refusal that lifts at a known moment: ``detail`` names it with ``%(time)s``, filled
    in by ``message`` after translation."""

    def __init__(self, detail: str, until: datetime) -> None:
        super().__init__(detail)
        self.until = until

    @property
    def retry_after(self) -> int:
        """Seconds until the refusal lifts (the ``Retry-After`` header)."""
        return max(1, ceil((self.until - utcnow()).total_seconds()))

    def message(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.detail) % {"time": format_datetime(self.until)}


def refuse_when_full(
    session: Session, key: str, limit: int, window: timedelta, message: str
) -> None:
    """Raise ``LimitReached`` while ``limit`` events of ``key`` fall within ``window``: until
    the oldest of the newest ``limit`` leaves it. Records nothing (``record`` does)."""
    since = utcnow() - window
    nth = session.scalar(
        select(RateEvent.at)
        .where(RateEvent.key == key, RateEvent.at >= since)
        .order_by(RateEvent.at.desc())
        .offset(max(limit, 1) - 1)
        .limit(1)
    )
    if nth is not None:
        raise LimitReached(message, nth + window)


def record(session: Session, key: str, window: timedelta) -> None:
    """Count one event of ``key`` (the caller commits, even when it answers an error)."""
    now = utcnow()
    session.add(RateEvent(key=key, at=now))
    session.execute(delete(RateEvent).where(RateEvent.key == key, RateEvent.at < now - window))
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


log = logging.getLogger(__name__)


class SharedLimiter:
    """The sliding window of ``MemoryLimiter`` kept in Redis when ``PORTAL_REDIS_URL`` is set,
    so that the limit holds for all web processes together; in the process otherwise, and
    while Redis does not answer (a limit is not worth refusing every lookup for)."""

    def __init__(self, name: str, window_seconds: float) -> None:
        self.name = name
        self.window = window_seconds
        self.local = MemoryLimiter(window_seconds)

    def hit(self, key: str, limit: int, message: str) -> None:
        shared = redis_store.client()
        if shared is None:
            self.local.hit(key, limit, message)
            return
        name = redis_store.key("limit", self.name, key)
        now = time.time()
        member = f"{now:.6f}:{secrets.token_hex(4)}"
        try:
            pipe = shared.pipeline(transaction=True)
            pipe.zremrangebyscore(name, "-inf", now - self.window)
            pipe.zadd(name, {member: now})
            pipe.zcard(name)
            pipe.expire(name, ceil(self.window))
            count = int(pipe.execute()[2])
            if count > limit:
                shared.zrem(name, member)  # a refused request does not count
        except redis_store.redis.RedisError as exc:
            log.warning(
                "shared rate limit unavailable, kept in the process (%s)", type(exc).__name__
            )
            self.local.hit(key, limit, message)
            return
        if count > limit:
            raise TooManyRequests(message)

    def reset(self) -> None:
        """Forget every count of this limiter (tests)."""
        self.local.reset()
        shared = redis_store.client()
        if shared is not None:
            for name in shared.scan_iter(redis_store.key("limit", self.name, "*")):
                shared.delete(name)


lookup_limiter = SharedLimiter("lookup", window_seconds=600)
