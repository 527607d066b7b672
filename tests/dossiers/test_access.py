"""Who may see and do what: refused without leaking that a dossier exists."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from tests.dossiers.helpers import (
    OTHER_CITIZEN,
    RECEPTION,
    act,
    headers,
    submitted_dossier,
)

NOT_FOUND = {"error": "not_found", "detail": "Không tìm thấy hồ sơ."}


def test_other_citizen_and_other_agency_see_nothing(client: TestClient) -> None:
    dossier_id, citizen = submitted_dossier(client)
    file_url = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["files"][0][
        "url"
    ]
    for who in (
        OTHER_CITIZEN,
        "tiepnhan.lienphuong@motcua.local",
        "chuyenvien.tuphap@motcua.local",
    ):
        h = headers(client, who)
        assert client.get(f"/api/v1/dossiers/{dossier_id}", headers=h).json() == NOT_FOUND
        assert client.get(file_url, headers=h).status_code == 404
        assert client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=h).status_code == 404
        assert act(client, h, dossier_id, "receive").status_code == 404
    # A dossier that does not exist answers exactly the same.
    h = headers(client, OTHER_CITIZEN)
    assert client.get("/api/v1/dossiers/999999", headers=h).json() == NOT_FOUND


def test_anonymous_is_401(client: TestClient) -> None:
    dossier_id, _ = submitted_dossier(client)
    response = client.get(f"/api/v1/dossiers/{dossier_id}")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert client.get("/api/v1/queue").status_code == 401


def test_owner_downloads_own_file_and_staff_of_the_agency_too(client: TestClient) -> None:
    dossier_id, citizen = submitted_dossier(client)
    file = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["files"][0]
    own = client.get(file["url"], headers=citizen)
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
    assert own.headers["content-disposition"].startswith("attachment;")
    assert client.get(file["url"], headers=headers(client, RECEPTION)).status_code == 200


def test_citizen_cannot_take_staff_actions(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    response = act(client, citizen, dossier_id, "receive")
    assert response.status_code == 403
    assert db.get(Dossier, dossier_id).status == "submitted"
    unknown = act(client, citizen, dossier_id, "teleport")
    assert unknown.status_code == 422 and unknown.json()["fields"] == {"action": "unknown action"}


def test_staff_queue_shows_only_own_agency(client: TestClient) -> None:
    dossier_id, _ = submitted_dossier(client)
    mine = client.get("/api/v1/queue", headers=headers(client, RECEPTION)).json()
    assert dossier_id in [i["id"] for i in mine["items"]]
    other = client.get(
        "/api/v1/queue", headers=headers(client, "tiepnhan.lienphuong@motcua.local")
    ).json()
    assert dossier_id not in [i["id"] for i in other["items"]]
    citizen = client.get("/api/v1/queue", headers=headers(client, OTHER_CITIZEN))
    assert citizen.status_code == 403


def test_cookie_authenticated_api_writes_need_the_csrf_header(
    client: TestClient, db: Session
) -> None:
    from tests.conftest import csrf_from

    page = client.get("/dang-nhap")
    client.post(
        "/dang-nhap",
        data={
            "email": "congdan@motcua.local",
            "password": "MotCua@2026",
            "csrf_token": csrf_from(page.text),
        },
    )
    before = db.scalar(select(func.count()).select_from(Dossier))
    body = {"procedure_code": "1.001193", "agency_code": "000.00.51.H31", "form_data": {}}
    forged = client.post("/api/v1/dossiers", json=body)
    assert forged.status_code == 403
    assert db.scalar(select(func.count()).select_from(Dossier)) == before
    token = csrf_from(client.get("/tai-khoan").text)
    ok = client.post("/api/v1/dossiers", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201
    # Reading with the cookie needs no header.
    assert client.get(f"/api/v1/dossiers/{ok.json()['id']}").status_code == 200
