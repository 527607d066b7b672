"""A real S3-protocol server on loopback (moto's server mode) and a fresh bucket per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from app.config import get_settings
from tests.conftest import IN_CI
from tests.s3server import make_bucket, start_server


@dataclass
class S3:
    endpoint: str
    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of the server; in CI a server that cannot start fails the test."""
    try:
        server, endpoint = start_server()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"the S3 server on loopback could not start: {exc}")
        pytest.skip(f"the S3 server on loopback could not start: {exc}")
    yield endpoint
    server.stop()


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> S3:
    """The portal's files in a new, empty bucket (under the prefix ``portal``) for this test."""
    store = S3(s3_server, make_bucket(s3_server), "portal")
    settings = get_settings()
    monkeypatch.setattr(settings, "storage_url", store.url)
    monkeypatch.setattr(settings, "s3_endpoint_url", store.endpoint)
    return store
