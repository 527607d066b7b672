"""Procedure documents (format motcua.procedure/1): export through the API, import into a new
code as a draft equal to the source, missing agencies listed, then published."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.designer import document_of
from app.catalog.models import Procedure, ProcedureVersion
from tests.admin.helpers import ADMIN, PHO_HIEN_ADMIN, log_in, post_form
from tests.conftest import api_token

BIRTH = "1.001193"
INFORMATIVE = ("code", "version", "status", "exported_at")


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in INFORMATIVE}


def test_export_import_round_trip_into_a_new_code(client: TestClient, db: Session) -> None:
    h = api_token(client, ADMIN)
    exported = client.get(f"/api/v1/admin/procedures/{BIRTH}/export", headers=h)
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    doc = exported.json()
    assert doc["format"] == "motcua.procedure/1" and doc["code"] == BIRTH
    assert doc["status"] == "published" and doc["version"] == 1
    assert {"form_fields", "components", "fees", "steps", "agencies"} <= set(doc)
    assert doc["steps"][0]["actions"][0] == "receive"

    imported = client.post(
        "/api/v1/admin/procedures/import", headers=h, params={"code": "9.800001"}, json=doc
    )
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert body["code"] == "9.800001" and body["version"] == 1 and body["status"] == "draft"
    assert body["problems"] == []

    again = client.get("/api/v1/admin/procedures/9.800001/export", headers=h).json()
    assert again["status"] == "draft" and again["code"] == "9.800001"
    assert _comparable(again) == _comparable(doc)

    published = client.post("/api/v1/admin/procedures/9.800001/publish", headers=h)
    assert published.status_code == 200 and published.json()["status"] == "published"
    detail = client.get("/api/v1/procedures/9.800001").json()
    original = client.get(f"/api/v1/procedures/{BIRTH}").json()
    for key in ("name", "fees", "components", "form_schema", "steps", "agencies"):
        assert detail[key] == original[key], key


def test_import_lists_missing_agencies_and_refuses_bad_documents(
    client: TestClient, db: Session
) -> None:
    h = api_token(client, ADMIN)
    doc = client.get(f"/api/v1/admin/procedures/{BIRTH}/export", headers=h).json()
    doc["agencies"] = [*doc["agencies"], "000.00.99.H31", "000.00.98.H31"]
    doc["code"] = "9.800002"
    missing = client.post("/api/v1/admin/procedures/import", headers=h, json=doc)
    assert missing.status_code == 422
    assert missing.json()["fields"]["agencies"] == "000.00.99.H31, 000.00.98.H31"
    assert db.scalar(select(Procedure).where(Procedure.code == "9.800002")) is None

    wrong = client.post(
        "/api/v1/admin/procedures/import", headers=h, json={**doc, "format": "other/1"}
    )
    assert wrong.status_code == 422
    # Importing onto a procedure that already has a draft is a conflict.
    doc["agencies"] = doc["agencies"][:-2]
    doc["code"] = BIRTH
    first = client.post("/api/v1/admin/procedures/import", headers=h, json=doc)
    assert first.status_code == 201 and first.json()["version"] == 2
    second = client.post("/api/v1/admin/procedures/import", headers=h, json=doc)
    assert second.status_code == 409
    versions = db.scalars(
        select(ProcedureVersion.status).join(Procedure).where(Procedure.code == BIRTH)
    ).all()
    assert sorted(versions) == ["draft", "published"]


def test_import_page_and_agency_admin_scope(client: TestClient, db: Session) -> None:
    h = api_token(client, ADMIN)
    doc = client.get(f"/api/v1/admin/procedures/{BIRTH}/export", headers=h).json()
    # Every commune implements birth registration: a commune admin may not import it.
    commune = api_token(client, PHO_HIEN_ADMIN)
    refused = client.post(
        "/api/v1/admin/procedures/import", headers=commune, params={"code": "9.800003"}, json=doc
    )
    assert refused.status_code == 403
    assert db.scalar(select(Procedure).where(Procedure.code == "9.800003")) is None

    log_in(client, ADMIN)
    page = client.get("/quan-tri/thu-tuc/nhap")
    assert page.status_code == 200
    bad = post_form(
        client,
        "/quan-tri/thu-tuc/nhap",
        {"code": ""},
        page="/quan-tri/thu-tuc/nhap",
        files={"file": ("thu-tuc.json", b"{not json", "application/json")},
    )
    assert bad.status_code == 422 and "không phải JSON hợp lệ" in bad.text
    doc["agencies"] = ["000.00.99.H31"]
    missing = post_form(
        client,
        "/quan-tri/thu-tuc/nhap",
        {"code": "9.800004"},
        page="/quan-tri/thu-tuc/nhap",
        files={"file": ("thu-tuc.json", json.dumps(doc).encode(), "application/json")},
    )
    assert missing.status_code == 422 and "000.00.99.H31" in missing.text
    doc["agencies"] = ["000.00.51.H31"]
    done = post_form(
        client,
        "/quan-tri/thu-tuc/nhap",
        {"code": "9.800004"},
        page="/quan-tri/thu-tuc/nhap",
        files={"file": ("thu-tuc.json", json.dumps(doc).encode(), "application/json")},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/quan-tri/thu-tuc/9.800004/ban-nhap?msg=imported"
    assert client.get("/quan-tri/thu-tuc/9.800004/ban-nhap").status_code == 200


def test_every_catalogue_procedure_exports_and_opens_as_a_draft(
    client: TestClient, db: Session
) -> None:
    h = api_token(client, ADMIN)
    codes = [
        item["code"] for item in client.get("/api/v1/admin/procedures", headers=h).json()["items"]
    ]
    assert len(codes) >= 10
    log_in(client, ADMIN)
    for code in codes:
        exported = client.get(f"/api/v1/admin/procedures/{code}/export", headers=h)
        assert exported.status_code == 200, (code, exported.text)
        opened = post_form(client, f"/quan-tri/thu-tuc/{code}/sua")
        assert opened.status_code == 303, code
        # The export is still the published version; the draft is an equal copy of it.
        assert client.get(f"/api/v1/admin/procedures/{code}/export", headers=h).json() | {
            "exported_at": None
        } == exported.json() | {"exported_at": None}
        version = db.scalar(
            select(ProcedureVersion)
            .join(Procedure)
            .where(Procedure.code == code, ProcedureVersion.status == "draft")
        )
        assert version is not None
        copy = document_of(version).model_dump(mode="json")
        assert _comparable(copy) == _comparable(exported.json()), code
        assert client.get(f"/quan-tri/thu-tuc/{code}/ban-nhap/xem-truoc").status_code == 200
