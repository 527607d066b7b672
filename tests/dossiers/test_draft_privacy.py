"""A citizen's unsubmitted online draft is theirs alone, the system administrator's reads
included (probe finding L8): every read and sub-resource answers 404 as for other staff,
through the API and the pages; once submitted the dossier is the agency's and the admin's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.dossiers.models import Dossier, DossierFile
from tests.admin.helpers import ADMIN, log_in
from tests.conftest import csrf_from
from tests.dossiers.helpers import BIRTH_FORM, CITIZEN, attach, create_draft, headers

API_READS = [
    "/api/v1/dossiers/{id}",
    "/api/v1/dossiers/{id}/files/{file}",
    "/api/v1/dossiers/{id}/documents",
    "/api/v1/dossiers/{id}/payments",
    "/api/v1/dossiers/{id}/refunds",
    "/api/v1/dossiers/{id}/rating",
]
API_WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PATCH", "/api/v1/dossiers/{id}", {"form_data": {"child_name": "Người khác"}}),
    ("DELETE", "/api/v1/dossiers/{id}", None),
    ("POST", "/api/v1/dossiers/{id}/copy", None),
    ("DELETE", "/api/v1/dossiers/{id}/files/{file}", None),
    ("POST", "/api/v1/dossiers/{id}/submit", None),
    ("POST", "/api/v1/dossiers/{id}/actions", {"action": "receive"}),
    ("POST", "/api/v1/dossiers/{id}/payments", {"method": "cash"}),
]
PAGES = [
    "/ho-so/{id}",
    "/ho-so/{id}/khai",
    "/ho-so/{id}/xoa",
    "/ho-so/{id}/tep/{file}",
    "/ho-so/{id}/thanh-toan",
    "/can-bo/ho-so/{id}",
    "/can-bo/ho-so/{id}/tep/{file}",
]


@pytest.fixture
def draft(client: TestClient) -> dict[str, Any]:
    """The demo citizen's online birth-registration draft with one file."""
    h = headers(client, CITIZEN)
    dossier = create_draft(client, h)
    uploaded = attach(client, h, dossier["id"], "TK")
    assert uploaded.status_code == 201, uploaded.text
    return {"id": dossier["id"], "file": uploaded.json()["id"], "owner": h}


def _state(db: Session, draft: dict[str, Any]) -> tuple[Any, ...]:
    db.expire_all()
    dossier = db.get(Dossier, draft["id"])
    assert dossier is not None
    files = db.scalar(
        select(func.count())
        .select_from(DossierFile)
        .where(DossierFile.dossier_id == draft["id"], DossierFile.removed_at.is_(None))
    )
    return dossier.status, dict(dossier.form_data), files


def test_the_system_admin_reads_nothing_of_a_citizens_draft_through_the_api(
    client: TestClient, db: Session, draft: dict[str, Any]
) -> None:
    admin = headers(client, ADMIN)
    for path in API_READS:
        response = client.get(path.format(**draft), headers=admin)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"] == "not_found"
        assert BIRTH_FORM["child_name"] not in response.text
    # No staff read of the citizen's file happened, so none is in the log.
    downloads = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "file.download", AuditEntry.object_id == str(draft["file"]))
    )
    assert downloads == 0
    # The owner still reads all of it.
    owner = draft["owner"]
    assert client.get(f"/api/v1/dossiers/{draft['id']}", headers=owner).status_code == 200
    file_url = f"/api/v1/dossiers/{draft['id']}/files/{draft['file']}"
    assert client.get(file_url, headers=owner).status_code == 200


def test_the_system_admin_changes_nothing_of_a_citizens_draft_through_the_api(
    client: TestClient, db: Session, draft: dict[str, Any]
) -> None:
    admin = headers(client, ADMIN)
    before = _state(db, draft)
    copies = db.scalar(select(func.count()).select_from(Dossier))
    for method, path, body in API_WRITES:
        response = client.request(method, path.format(**draft), json=body, headers=admin)
        assert response.status_code == 404, (method, path, response.text)
    assert _state(db, draft) == before
    assert db.scalar(select(func.count()).select_from(Dossier)) == copies


def test_the_system_admin_opens_no_page_of_a_citizens_draft(
    client: TestClient, db: Session, draft: dict[str, Any]
) -> None:
    log_in(client, ADMIN)
    for path in PAGES:
        response = client.get(path.format(**draft), follow_redirects=False)
        assert response.status_code == 404, (path, response.status_code)
        assert BIRTH_FORM["child_name"] not in response.text
    before = _state(db, draft)
    token = csrf_from(client.get("/quan-tri").text)
    for path in ("/ho-so/{id}/xoa", "/ho-so/{id}/nop", "/ho-so/{id}/tep/{file}/xoa"):
        response = client.post(
            path.format(**draft), data={"csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 404, (path, response.status_code)
    assert _state(db, draft) == before


def test_once_submitted_the_dossier_is_open_to_the_system_admin(
    client: TestClient, draft: dict[str, Any]
) -> None:
    owner = draft["owner"]
    assert attach(client, owner, draft["id"], "GCS").status_code == 201
    submitted = client.post(f"/api/v1/dossiers/{draft['id']}/submit", headers=owner)
    assert submitted.status_code == 200, submitted.text
    admin = headers(client, ADMIN)
    assert client.get(f"/api/v1/dossiers/{draft['id']}", headers=admin).status_code == 200
    file_url = f"/api/v1/dossiers/{draft['id']}/files/{draft['file']}"
    assert client.get(file_url, headers=admin).status_code == 200
