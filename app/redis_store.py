"""The Redis connection shared by the limits that must hold across web processes
(``PORTAL_REDIS_URL``; none when it is empty, and every caller then keeps its state in the
process or the database). docs/decisions/0031-several-processes.md."""

from __future__ import annotations

import threading
from typing import Any

import redis

from app.config import get_settings

# A Redis that does not answer within this long counts as down (the request goes on).
TIMEOUT_SECONDS = 0.5

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def client() -> redis.Redis | None:
    """The process's client for ``PORTAL_REDIS_URL`` (a connection pool), or None."""
    url = get_settings().redis_url
    if not url:
        return None
    with _lock:
        found = _clients.get(url)
        if found is None:
            found = _clients[url] = redis.Redis.from_url(
                url,
                socket_timeout=TIMEOUT_SECONDS,
                socket_connect_timeout=TIMEOUT_SECONDS,
                health_check_interval=30,
            )
    return found


def key(*parts: str) -> str:
    """A key of this portal: ``PORTAL_REDIS_PREFIX`` then the parts."""
    return get_settings().redis_prefix + ":".join(parts)


def ready() -> None:
    """Raise unless Redis answers (``/readyz``); nothing when it is not configured."""
    found = client()
    if found is not None:
        found.ping()


def forget() -> None:
    """Drop the clients (tests that change the URL)."""
    with _lock:
        for found in _clients.values():
            found.close()
        _clients.clear()
