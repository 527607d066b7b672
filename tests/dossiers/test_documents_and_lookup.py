"""Generated forms carry the code and the appointed date; public lookup and verification."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.documents.models import Document
from tests.dossiers.helpers import RECEPTION, act, headers, submitted_dossier


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_form_01_has_code_due_date_and_secret(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    body = act(client, headers(client, RECEPTION), dossier_id, "receive").json()
    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=citizen).json()["items"]
    form = next(d for d in docs if d["kind"] == "form_01")
    assert form["title"] == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    response = client.get(form["pdf_url"], headers=citizen)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = _text(response.content)
    due = datetime.fromisoformat(body["due_at"]).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert body["code"] in text
    assert due.strftime("%d/%m/%Y") in text
    assert body["lookup_secret"] in text
    assert "Nguyễn Thị Lan" in text
    # Rendered once, then served from storage: the same bytes every time.
    stored = db.get(Document, form["id"])
    assert stored is not None and stored.sha256
    assert client.get(form["pdf_url"], headers=citizen).content == response.content
    # Another citizen cannot fetch it.
    other = headers(client, "congdan2@motcua.local")
    assert client.get(form["pdf_url"], headers=other).status_code == 404


def test_form_02_and_03_texts(client: TestClient) -> None:
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    act(
        client,
        reception,
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="Ảnh giấy chứng sinh bị mờ",
    )
    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=citizen).json()["items"]
    text = _text(client.get(docs[0]["pdf_url"], headers=citizen).content)
    assert "Giấy chứng sinh" in text and "Ảnh giấy chứng sinh bị mờ" in text


def test_public_lookup_shows_status_never_personal_data(client: TestClient) -> None:
    dossier_id, _ = submitted_dossier(client)
    body = act(client, headers(client, RECEPTION), dossier_id, "receive").json()
    code, secret = body["code"], body["lookup_secret"]
    found = client.get("/api/v1/lookup", params={"code": code, "secret": secret})
    assert found.status_code == 200
    data = found.json()
    assert data["status"] == "received" and data["status_label"] == "Đã tiếp nhận"
    assert [e["action"] for e in data["timeline"]] == ["submit", "receive"]
    raw = found.text
    for private in ("Nguyễn Thị Lan", "0912345678", "034190001234", "Nguyễn Minh An"):
        assert private not in raw
    # A phone number is no secret (SPEC §3): it opens nothing.
    by_phone = client.get("/api/v1/lookup", params={"code": code, "secret": "0912 345 678"})
    assert by_phone.status_code == 404
    wrong = client.get("/api/v1/lookup", params={"code": code, "secret": "WRONG123"})
    unknown = client.get(
        "/api/v1/lookup", params={"code": "000.00.51.H31-000101-0001", "secret": secret}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()


def test_lookup_is_rate_limited(client: TestClient) -> None:
    # A different code each time: the limit per client address, not the one per code.
    statuses = [
        client.get("/api/v1/lookup", params={"code": f"X{n}", "secret": "Y"}).status_code
        for n in range(31)
    ]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429
