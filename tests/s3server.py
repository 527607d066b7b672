"""A real S3-protocol server on loopback for the object-storage tests: moto's server mode
(``ThreadedMotoServer``, HTTP on 127.0.0.1 and a free port), spoken to by boto3 over TCP like
MinIO or AWS would be. ``PORTAL_TEST_STORAGE=s3`` runs the whole selected suite against it
(tests/conftest.py); tests/storage/ start one of their own."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "motcua-test",
    "AWS_SECRET_ACCESS_KEY": "motcua-test-secret",
    "AWS_DEFAULT_REGION": "ap-southeast-1",
}


def start_server(timeout: float = 30) -> tuple[ThreadedMotoServer, str]:
    """Start the server; its endpoint URL. RuntimeError (never a hang) if it does not come up."""
    for name, value in CREDENTIALS.items():
        os.environ.setdefault(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    starter = threading.Thread(target=server.start, daemon=True)
    starter.start()
    starter.join(timeout)
    if starter.is_alive():
        raise RuntimeError(f"the S3 server on loopback did not start within {timeout:.0f} s")
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of a server for the session; in CI one that cannot start fails."""
    try:
        server, endpoint = start_server()
    except Exception as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"the S3 server on loopback could not start: {exc}")
        pytest.skip(f"the S3 server on loopback could not start: {exc}")
    yield endpoint
    server.stop()


def make_bucket(endpoint: str, name: str | None = None) -> str:
    """A new, empty bucket on the server; its name."""
    bucket = name or f"motcua-{uuid.uuid4().hex[:12]}"
    client(endpoint).create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_DEFAULT_REGION"]},
    )
    return bucket


def client(endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client("s3", endpoint_url=endpoint)


def keys(endpoint: str, bucket: str) -> list[str]:
    """Every key in the bucket."""
    pages = client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def stored_names() -> set[str]:
    """What the portal's file store holds now: keys in the bucket when the tests run on object
    storage, paths under the data dir otherwise."""
    from app.config import get_settings

    settings = get_settings()
    if settings.storage_url:
        bucket = settings.storage_url.removeprefix("s3://").split("/", 1)[0]
        return set(keys(settings.s3_endpoint_url, bucket))
    root = settings.data_dir / "files"
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()
