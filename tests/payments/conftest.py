"""Fixtures of the payment tests: VNPay's stand-in on loopback, with the portal set up to use
it (merchant code, hash secret, merchant API URL, a short time-out)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.config import get_settings
from tests.payments.vnpay_gateway import SECRET, TMN_CODE, Gateway, serve

# The portal's time-out for the merchant API in these tests; ``hang`` outlasts it.
CLIENT_TIMEOUT = 0.5


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    running = serve()
    state = next(running)
    settings = get_settings()
    monkeypatch.setattr(settings, "vnpay_tmn_code", TMN_CODE)
    monkeypatch.setattr(settings, "vnpay_hash_secret", SECRET)
    monkeypatch.setattr(settings, "vnpay_api_url", state.url)
    monkeypatch.setattr(settings, "vnpay_api_timeout_seconds", CLIENT_TIMEOUT)
    try:
        yield state
    finally:
        running.close()
