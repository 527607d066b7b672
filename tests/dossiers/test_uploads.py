"""Uploads are judged by content and size; a refused upload leaves nothing behind."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.dossiers.models import DossierFile
from app.storage import service as storage
from tests.dossiers.helpers import CITIZEN, attach, create_draft, headers, pdf_bytes, png_bytes
from tests.s3server import stored_names


def _stored_files() -> set[str]:
    return stored_names()


def _rows(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(DossierFile)) or 0


def test_bad_uploads_are_refused_with_nothing_stored(client: TestClient, db: Session) -> None:
    h = headers(client, CITIZEN)
    dossier = create_draft(client, h)
    rows, files = _rows(db), _stored_files()

    disguised = attach(client, h, dossier["id"], "TK", b"MZ\x90\x00" + b"\x00" * 500, "don.pdf")
    assert disguised.status_code == 415
    assert disguised.json()["error"] == "unsupported_media_type"
    assert disguised.json()["fields"] == {"file": "accepted: PDF, JPG, PNG"}

    html = attach(client, h, dossier["id"], "TK", b"<html><script>x</script></html>", "a.pdf")
    assert html.status_code == 415

    empty = attach(client, h, dossier["id"], "TK", b"", "rong.pdf")
    assert empty.status_code == 422 and empty.json()["fields"] == {"file": "empty"}

    big = pdf_bytes() + b"0" * (10 * 1024 * 1024)
    oversize = attach(client, h, dossier["id"], "TK", big, "lon.pdf")
    assert oversize.status_code == 413
    assert oversize.json()["fields"] == {"file": "max 10 MB"}

    unknown = attach(client, h, dossier["id"], "XYZ")
    assert unknown.status_code == 422 and unknown.json()["fields"] == {
        "component": "unknown component"
    }

    assert _rows(db) == rows
    assert _stored_files() == files


def test_good_upload_is_stored_by_hash_with_a_clean_name(client: TestClient, db: Session) -> None:
    h = headers(client, CITIZEN)
    dossier = create_draft(client, h)
    data = png_bytes()
    response = attach(client, h, dossier["id"], "GCS", data, "../../etc/giấy chứng sinh.PNG")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["filename"] == "giấy chứng sinh.PNG"
    assert body["content_type"] == "image/png"
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    assert body["sha256"] == digest
    assert storage.read_bytes(digest) == data
    removed = client.delete(f"/api/v1/dossiers/{dossier['id']}/files/{body['id']}", headers=h)
    assert removed.status_code == 204
    assert client.get(body["url"], headers=h).status_code == 404


def test_submit_names_every_missing_thing_and_keeps_data(client: TestClient) -> None:
    h = headers(client, CITIZEN)
    dossier = create_draft(client, h, form_data={"child_name": "Bé Na", "applicant_phone": "12"})
    response = client.post(f"/api/v1/dossiers/{dossier['id']}/submit", headers=h)
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert fields["applicant_phone"].startswith("Số điện thoại không hợp lệ")
    assert fields["child_birth_date"] == "Vui lòng nhập thông tin này."
    assert fields["component.TK"] == fields["component.GCS"]
    assert "component.UQ" not in fields
    kept = client.get(f"/api/v1/dossiers/{dossier['id']}", headers=h).json()
    assert kept["status"] == "draft"
    assert kept["form_data"] == {"child_name": "Bé Na", "applicant_phone": "12"}
