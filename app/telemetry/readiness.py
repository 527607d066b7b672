"""``GET /readyz``: can this process serve now? The database, the file storage and Redis
(when configured) are each asked the cheapest question that proves them usable."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.orm import Session

from app import redis_store
from app.storage import service as storage

log = logging.getLogger(__name__)


def check(session: Session) -> dict[str, str]:
    """``ok`` or ``down`` per dependency; a failure is logged with its class only (a message
    could name a host or a user)."""
    results: dict[str, str] = {}
    probes = [
        ("database", lambda: session.execute(text("SELECT 1"))),
        ("storage", storage.ready),
    ]
    if redis_store.client() is not None:
        probes.append(("redis", redis_store.ready))
    for name, probe in probes:
        try:
            probe()
        except Exception as exc:  # any failure means "not ready", whatever its kind
            log.warning("readiness: %s is down (%s)", name, type(exc).__name__)
            results[name] = "down"
            if name == "database":
                session.rollback()
        else:
            results[name] = "ok"
    return results
