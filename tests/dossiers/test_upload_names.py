"""A stored file is named by the type its content has (probe finding L5): a PDF sent as
``poly.html`` is kept and downloaded as ``poly.pdf``, so a browser never saves it as HTML."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dossiers.models import DossierFile
from tests.dossiers.helpers import CITIZEN, attach, create_draft, headers, png_bytes

# Polyglots of the probe: the magic bytes of a PDF or a JPEG, then a page with a script.
PDF_HTML = b"%PDF-1.4\n<html><script>alert(document.domain)</script></html>"
JPEG_HTML = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00<svg onload=alert(1)></svg>"


@pytest.mark.parametrize(
    ("component", "data", "sent", "stored", "mime"),
    [
        ("TK", PDF_HTML, "poly.html", "poly.pdf", "application/pdf"),
        ("GCS", JPEG_HTML, "img.svg", "img.jpg", "image/jpeg"),
        ("GCS", png_bytes(), "giay-chung-sinh", "giay-chung-sinh.png", "image/png"),
        ("GCS", png_bytes(), "bản sao v1.2", "bản sao v1.2.png", "image/png"),
        ("TK", PDF_HTML, "TO-KHAI.PDF", "TO-KHAI.PDF", "application/pdf"),
        ("GCS", JPEG_HTML, "anh.jpeg", "anh.jpeg", "image/jpeg"),
    ],
    ids=["pdf-as-html", "jpeg-as-svg", "no-extension", "dot-not-extension", "upper", "jpeg"],
)
def test_the_stored_and_downloaded_name_has_the_extension_of_the_content(
    client: TestClient,
    db: Session,
    component: str,
    data: bytes,
    sent: str,
    stored: str,
    mime: str,
) -> None:
    h = headers(client, CITIZEN)
    dossier = create_draft(client, h)
    response = attach(client, h, dossier["id"], component, data, sent)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["filename"], body["content_type"]) == (stored, mime)
    row = db.scalars(select(DossierFile).where(DossierFile.id == body["id"])).one()
    assert row.filename == stored
    download = client.get(body["url"], headers=h)
    assert download.status_code == 200
    assert download.headers["content-type"] == mime
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith(f"filename*=UTF-8''{quote(stored)}")
    # The plain fallback name too (what older clients save under).
    assert f'.{stored.rpartition(".")[2]}";' in disposition


def test_a_long_name_with_the_wrong_extension_stays_within_120_characters(
    client: TestClient,
) -> None:
    h = headers(client, CITIZEN)
    dossier = create_draft(client, h)
    response = attach(client, h, dossier["id"], "TK", PDF_HTML, "t" * 118 + ".html")
    assert response.status_code == 201, response.text
    name = response.json()["filename"]
    assert name.endswith(".pdf") and len(name) <= 120 and ".html" not in name
