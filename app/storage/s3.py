"""Files in S3-compatible object storage (AWS S3, MinIO, Ceph …) through boto3.

Used by ``app/storage/service.py`` when ``PORTAL_STORAGE_URL=s3://bucket/prefix``. The key of a
file is ``<prefix>/ab/cd/<sha256>``, the same layout as on disk. Credentials and region come
from boto3's standard sources (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION``, instance roles); ``PORTAL_S3_ENDPOINT_URL`` points at a server other
than AWS. One client per process and URL (boto3 clients are thread-safe)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


class StorageUnavailable(RuntimeError):
    """The file store cannot be used (a folder not writable, a bucket not reachable)."""


class S3Store:
    """One bucket and key prefix."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url or None
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            config=Config(
                s3={"addressing_style": "path"} if self.endpoint_url else {},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    def key(self, sha256: str) -> str:
        name = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                return False
            raise
        return True

    def put(self, sha256: str, data: bytes) -> None:
        # A PUT is atomic: readers see the whole object or none.
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.key(sha256),
            Body=data,
            ContentType="application/octet-stream",
        )

    def get(self, sha256: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                return None
            raise
        body = answer["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def ready(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "?")
            raise StorageUnavailable(
                f"object storage s3://{self.bucket} answered {code} to HEAD bucket"
            ) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(
                f"object storage s3://{self.bucket} is not reachable "
                f"({self.endpoint_url or 'AWS'}): {type(exc).__name__}"
            ) from exc


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix); ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"PORTAL_STORAGE_URL must be empty (local disk) or s3://bucket/prefix, not {url!r}"
        )
    return parts.netloc, parts.path.strip("/")


_stores: dict[tuple[str, str], S3Store] = {}
_lock = threading.Lock()


def store_for(url: str, endpoint_url: str) -> S3Store:
    """The process's store for this URL and endpoint (made once)."""
    with _lock:
        store = _stores.get((url, endpoint_url))
        if store is None:
            bucket, prefix = parse_url(url)
            store = _stores[(url, endpoint_url)] = S3Store(bucket, prefix, endpoint_url)
        return store
