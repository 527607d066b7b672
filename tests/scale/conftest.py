"""Fixtures of the several-processes tests: Redis with a key prefix of this run, and the
PostgreSQL-only tests kept to the PostgreSQL suite (deselected, not skipped, on SQLite)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from app import redis_store
from app.config import get_settings
from tests.conftest import IN_CI

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ON_POSTGRES = os.environ.get("PORTAL_DATABASE_URL", "").startswith("postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``postgres``-marked tests run in the PostgreSQL suite (``make test-postgres``) only."""
    if ON_POSTGRES:
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    dropped = [item for item in items if item.get_closest_marker("postgres") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def require_redis() -> None:
    """Outside CI a missing Redis skips; in CI it is a failure."""
    if redis_up():
        return
    if IN_CI:
        pytest.fail(f"CI: Redis is not reachable at {REDIS_URL}", pytrace=False)
    pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def run_prefix() -> str:
    """A key prefix no other test run shares (they use the same Redis server)."""
    return f"motcua-test-{os.getpid()}-{secrets.token_hex(4)}:"


@pytest.fixture
def shared_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The portal set up with Redis under a prefix of its own; its keys are deleted after."""
    require_redis()
    prefix = run_prefix()
    settings = get_settings()
    monkeypatch.setattr(settings, "redis_url", REDIS_URL)
    monkeypatch.setattr(settings, "redis_prefix", prefix)
    redis_store.forget()
    try:
        yield prefix
    finally:
        client = redis_store.client()
        if client is not None:
            for key in client.scan_iter(prefix + "*"):
                client.delete(key)
        redis_store.forget()
