"""Files in S3-compatible object storage: uploads land in the bucket under their SHA-256, are
served through the portal after the same authorisation checks, and nothing touches the local
disk; a store that cannot be used is named by ``ready()``."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.dossiers.models import DossierFile
from app.errors import NotFound
from app.storage import service as storage
from tests.dossiers.helpers import (
    CITIZEN,
    OTHER_CITIZEN,
    attach,
    create_draft,
    headers,
    pdf_bytes,
    png_bytes,
)
from tests.s3server import client as s3_client
from tests.s3server import keys
from tests.storage.conftest import S3


def _local_files() -> set[Path]:
    root = get_settings().data_dir / "files"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_an_upload_lands_in_the_bucket_and_is_served_only_to_its_owner(
    client: TestClient, db: Session, s3: S3
) -> None:
    before = _local_files()
    h = headers(client, CITIZEN)
    dossier = create_draft(client, h)
    data = png_bytes() + b"s3 upload"
    response = attach(client, h, dossier["id"], "GCS", data, "giấy chứng sinh.png")
    assert response.status_code == 201, response.text
    digest = hashlib.sha256(data).hexdigest()
    assert response.json()["sha256"] == digest

    assert keys(s3.endpoint, s3.bucket) == [f"portal/{digest[:2]}/{digest[2:4]}/{digest}"]
    assert _local_files() == before, "nothing may be written to the local disk"

    download = client.get(response.json()["url"], headers=h)
    assert download.status_code == 200 and download.content == data
    stranger = client.get(response.json()["url"], headers=headers(client, OTHER_CITIZEN))
    assert stranger.status_code in (403, 404)
    assert stranger.content != data
    assert client.get(response.json()["url"]).status_code in (401, 403, 404)


def test_the_same_bytes_are_stored_once(client: TestClient, s3: S3) -> None:
    h = headers(client, CITIZEN)
    data = pdf_bytes("một lần")
    for _ in range(2):
        dossier = create_draft(client, h)
        assert attach(client, h, dossier["id"], "TK", data).status_code == 201
    assert len(keys(s3.endpoint, s3.bucket)) == 1


def test_a_refused_upload_puts_nothing_in_the_bucket(
    client: TestClient, db: Session, s3: S3
) -> None:
    h = headers(client, CITIZEN)
    dossier = create_draft(client, h)
    rows = db.scalar(select(func.count()).select_from(DossierFile))
    refused = attach(client, h, dossier["id"], "TK", b"MZ\x90\x00" + b"\x00" * 500, "don.pdf")
    assert refused.status_code == 415
    assert refused.json()["fields"] == {"file": "accepted: PDF, JPG, PNG"}
    assert keys(s3.endpoint, s3.bucket) == []
    assert db.scalar(select(func.count()).select_from(DossierFile)) == rows


def test_a_file_missing_from_the_bucket_is_not_found(s3: S3) -> None:
    digest = storage.write_bytes(b"%PDF-1.4 gone")
    assert storage.exists(digest) and storage.read_bytes(digest) == b"%PDF-1.4 gone"
    s3_client(s3.endpoint).delete_object(
        Bucket=s3.bucket, Key=f"portal/{digest[:2]}/{digest[2:4]}/{digest}"
    )
    assert not storage.exists(digest)
    with pytest.raises(NotFound):
        storage.read_bytes(digest)
    for bad in ("../../etc/passwd", "A" * 64, ""):
        assert not storage.exists(bad)
        with pytest.raises(NotFound):
            storage.read_bytes(bad)


def test_ready_names_a_missing_bucket_and_an_unreachable_server(
    s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage.ready()  # the bucket exists
    settings = get_settings()
    monkeypatch.setattr(settings, "storage_url", "s3://no-such-bucket/portal")
    with pytest.raises(storage.StorageUnavailable, match="s3://no-such-bucket answered 404"):
        storage.ready()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setattr(settings, "s3_endpoint_url", f"http://127.0.0.1:{closed}")
    with pytest.raises(storage.StorageUnavailable, match="is not reachable"):
        storage.ready()


def test_ready_names_a_local_folder_that_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    storage.ready()
    assert (tmp_path / "files").is_dir() and not any((tmp_path / "files").iterdir())
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "files").write_text("a file where the folder should be")
    monkeypatch.setattr(settings, "data_dir", blocked)
    with pytest.raises(storage.StorageUnavailable, match=r"blocked/files is not writable"):
        storage.ready()


@pytest.mark.parametrize(
    "url", ["s3://", "http://bucket/x", "s3://Bad_Bucket/x", "s3://b/x?y=1", "/var/files"]
)
def test_a_wrong_storage_url_stops_the_start(url: str) -> None:
    with pytest.raises(ValidationError, match="PORTAL_STORAGE_URL must be empty"):
        Settings(storage_url=url)


def test_storage_url_defaults_to_the_local_disk() -> None:
    assert Settings(storage_url="").storage_url == ""
    assert Settings(storage_url="s3://ho-so-hung-yen/portal/").storage_url == (
        "s3://ho-so-hung-yen/portal"
    )
    assert os.environ.get("PORTAL_STORAGE_URL", "") == get_settings().storage_url
