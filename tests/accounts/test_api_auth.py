"""Registration and tokens through the JSON API."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import AuthSession, LoginAttempt, User
from app.db import utcnow
from tests.conftest import api_token

NEW = {
    "email": "Minh.Anh@Example.vn",
    "password": "mat-khau-dai",
    "full_name": "Lê  Minh   Anh",
    "phone": "0912 345 679",
    "id_number": "034095001234",
}


def _users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


def test_register_then_token_then_me(client: TestClient, db: Session) -> None:
    response = client.post("/api/v1/auth/register", json=NEW)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "minh.anh@example.vn"
    assert body["full_name"] == "Lê Minh Anh"
    assert body["phone"] == "0912345679"
    assert body["roles"] == [] and body["is_admin"] is False
    assert "password" not in response.text and "hash" not in response.text

    stored = db.scalar(select(User).where(User.email == "minh.anh@example.vn"))
    assert stored is not None and stored.password_hash.startswith("$argon2")

    token = client.post(
        "/api/v1/auth/token", data={"username": "minh.anh@example.vn", "password": "mat-khau-dai"}
    )
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["email"] == "minh.anh@example.vn"


def test_register_rejects_bad_input_naming_the_field(client: TestClient, db: Session) -> None:
    before = _users(db)
    for field, value in (
        ("id_number", "12345"),
        ("phone", "12ab"),
        ("email", "not-an-email"),
        ("password", "short"),
    ):
        response = client.post("/api/v1/auth/register", json={**NEW, field: value})
        assert response.status_code == 422, (field, response.text)
        body = response.json()
        assert body["error"] == "invalid_input"
        assert field in body["fields"], body
    assert _users(db) == before


def test_register_twice_is_a_conflict(client: TestClient, db: Session) -> None:
    assert client.post("/api/v1/auth/register", json=NEW).status_code == 201
    again = client.post("/api/v1/auth/register", json={**NEW, "id_number": None})
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"
    same_id = client.post("/api/v1/auth/register", json={**NEW, "email": "other@example.vn"})
    assert same_id.status_code == 409
    assert same_id.json()["fields"] == {"id_number": "already registered"}


def test_wrong_password_is_401_and_throttled_after_five(client: TestClient, db: Session) -> None:
    creds = {"username": "congdan@motcua.local", "password": "wrong-password"}
    for _ in range(5):
        response = client.post("/api/v1/auth/token", data=creds)
        assert response.status_code == 401
        assert response.json() == {
            "error": "unauthorized",
            "detail": "Email hoặc mật khẩu không đúng.",
        }
    failures = db.scalar(
        select(func.count()).where(
            LoginAttempt.email == "congdan@motcua.local", LoginAttempt.succeeded.is_(False)
        )
    )
    assert failures == 5
    # Even the right password is refused while locked out.
    locked = client.post(
        "/api/v1/auth/token", data={"username": "congdan@motcua.local", "password": "MotCua@2026"}
    )
    assert locked.status_code == 429
    assert locked.json()["error"] == "too_many_requests"


def test_unknown_user_and_bad_token(client: TestClient) -> None:
    response = client.post("/api/v1/auth/token", data={"username": "ghost@x.vn", "password": "x"})
    assert response.status_code == 401
    me = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer forged"})
    assert me.status_code == 401
    assert me.json()["error"] == "unauthorized"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_staff_token_shows_agency_and_roles(client: TestClient) -> None:
    token = client.post(
        "/api/v1/auth/token",
        data={"username": "tiepnhan.lienphuong@motcua.local", "password": "MotCua@2026"},
    ).json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["agency_code"] == "000.00.54.H31"
    assert me["roles"] == ["cashier", "reception", "specialist"]


def test_expired_token_and_deactivated_user_are_refused(client: TestClient, db: Session) -> None:
    headers = api_token(client, "tiepnhan.lienphuong@motcua.local")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    digest = hashlib.sha256(headers["Authorization"][7:].encode()).hexdigest()
    db.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == digest)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401

    headers = api_token(client, "tiepnhan.lienphuong@motcua.local")
    user = db.scalars(select(User).where(User.email == "tiepnhan.lienphuong@motcua.local")).one()
    user.is_active = False
    db.flush()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_browser_session_is_not_a_bearer_token(client: TestClient, db: Session) -> None:
    user = db.scalars(select(User).where(User.email == "congdan@motcua.local")).one()
    web_token, _ = account_service.open_session(db, user, "web")
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {web_token}"})
    assert me.status_code == 401
