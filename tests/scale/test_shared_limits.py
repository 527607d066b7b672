"""The lookup limit is shared by every web process through Redis when `PORTAL_REDIS_URL` is
set (SPEC §14); without Redis, or while it does not answer, each process keeps its own."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.errors import TooManyRequests
from app.ratelimit import SharedLimiter
from tests.notifications.test_mail import _free_port

MESSAGE = "Tra cứu quá nhiều lần"


def test_two_processes_share_one_window(shared_redis: str) -> None:
    # Two limiters stand for two web processes: nothing of theirs is shared but Redis.
    first, second = SharedLimiter("t", 600), SharedLimiter("t", 600)
    for limiter in (first, second, first):
        limiter.hit("lookup:203.0.113.7", 3, MESSAGE)
    with pytest.raises(TooManyRequests, match=MESSAGE):
        second.hit("lookup:203.0.113.7", 3, MESSAGE)
    # A refusal does not count: another address is untouched, and the count stays at 3.
    second.hit("lookup:203.0.113.8", 3, MESSAGE)
    first.reset()
    second.hit("lookup:203.0.113.7", 3, MESSAGE)


def test_lookup_api_refuses_past_the_shared_limit(
    shared_redis: str, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "lookup_rate_limit", 2)
    query = {"code": "000.00.51.H31-261206-9999", "secret": "SAI"}
    answers = [client.get("/api/v1/lookup", params=query).status_code for _ in range(3)]
    assert answers == [404, 404, 429]
    refused = client.get("/api/v1/lookup", params=query)
    assert refused.json()["detail"].startswith("Tra cứu quá nhiều lần")


def test_without_redis_each_process_counts_alone() -> None:
    assert get_settings().redis_url == ""
    first, second = SharedLimiter("local", 600), SharedLimiter("local", 600)
    first.hit("k", 1, MESSAGE)
    second.hit("k", 1, MESSAGE)  # another process's window
    with pytest.raises(TooManyRequests):
        first.hit("k", 1, MESSAGE)


def test_a_redis_that_does_not_answer_falls_back_to_the_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from app import redis_store

    monkeypatch.setattr(get_settings(), "redis_url", f"redis://127.0.0.1:{_free_port()}/0")
    redis_store.forget()
    try:
        limiter = SharedLimiter("down", 600)
        limiter.hit("k", 1, MESSAGE)
        with pytest.raises(TooManyRequests):
            limiter.hit("k", 1, MESSAGE)
    finally:
        redis_store.forget()
    assert "shared rate limit unavailable" in caplog.text
