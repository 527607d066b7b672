"""A real S3-protocol server on loopback (moto's server mode) and a fresh bucket per test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.config import get_settings
from tests.s3server import make_bucket, s3_server

__all__ = ["S3", "s3", "s3_server"]


@dataclass
class S3:
    endpoint: str
    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> S3:
    """The portal's files in a new, empty bucket (under the prefix ``portal``) for this test."""
    store = S3(s3_server, make_bucket(s3_server), "portal")
    settings = get_settings()
    monkeypatch.setattr(settings, "storage_url", store.url)
    monkeypatch.setattr(settings, "s3_endpoint_url", store.endpoint)
    return store
