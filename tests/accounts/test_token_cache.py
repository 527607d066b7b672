"""The process remembers who holds a token for a few seconds, and forgets at once whatever a
logout, a disabled account or a role change made untrue (app/accounts/token_cache.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.accounts import token_cache
from app.accounts.models import User
from app.config import get_settings
from app.db import utcnow
from tests.admin.helpers import ADMIN
from tests.conftest import api_token
from tests.dossiers.helpers import RECEPTION


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    token_cache.forget_all()
    yield
    token_cache.forget_all()


def _token_reads(client: TestClient, db: Session, path: str, headers: dict[str, str]) -> int:
    """How many statements of this request looked a token up (join of auth_sessions)."""
    seen: list[str] = []
    engine = db.get_bind().engine  # type: ignore[union-attr]

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert response.status_code == 200, response.text
    return sum(1 for s in seen if "JOIN auth_sessions" in s)


def test_a_second_request_with_the_same_token_reads_no_token(
    client: TestClient, db: Session
) -> None:
    headers = api_token(client, RECEPTION)
    assert _token_reads(client, db, "/api/v1/auth/me", headers) == 1
    assert _token_reads(client, db, "/api/v1/auth/me", headers) == 0
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["email"] == RECEPTION
    assert "reception" in me["roles"]


def test_with_no_memory_every_request_reads_its_token(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "auth_cache_seconds", 0.0)
    headers = api_token(client, RECEPTION)
    assert _token_reads(client, db, "/api/v1/auth/me", headers) == 1
    assert _token_reads(client, db, "/api/v1/auth/me", headers) == 1


def test_logout_ends_the_remembered_token_at_once(client: TestClient) -> None:
    headers = api_token(client, RECEPTION)
    assert client.get("/api/v1/queue", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code in (200, 204)
    refused = client.get("/api/v1/queue", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]


def test_a_disabled_account_and_a_role_taken_away_apply_at_once(
    client: TestClient, db: Session
) -> None:
    admin = api_token(client, ADMIN)
    officer = api_token(client, RECEPTION)
    assert client.get("/api/v1/queue", headers=officer).status_code == 200
    user_id = db.scalars(select(User.id).where(User.email == RECEPTION)).one()

    # The admin makes the receptionist a cashier only: the very next request knows.
    changed = client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"roles": ["cashier"]}
    )
    assert changed.status_code == 200, changed.text
    me = client.get("/api/v1/auth/me", headers=officer)
    assert me.status_code == 200
    assert me.json()["roles"] == ["cashier"]

    disabled = client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"is_active": False}
    )
    assert disabled.status_code == 200, disabled.text
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 401
    assert client.get("/api/v1/queue", headers=officer).status_code == 401


def test_a_copy_read_before_a_change_is_not_kept(client: TestClient, db: Session) -> None:
    """A request that read the user while another committed a change must not keep what it
    read: the generation it saw is older than the change."""
    api_token(client, RECEPTION)
    user = db.scalars(select(User).where(User.email == RECEPTION)).one()
    key = ("digest-of-a-token", "api")
    seen = token_cache.generation()
    token_cache.forget_all()  # what a commit of a watched row does meanwhile
    token_cache.keep(key, user, utcnow() + timedelta(hours=1), seen)
    assert token_cache.lookup(db, key, utcnow(), 60.0) is None
    token_cache.keep(key, user, utcnow() + timedelta(hours=1), token_cache.generation())
    kept = token_cache.lookup(db, key, utcnow(), 60.0)
    assert kept is not None and kept.email == RECEPTION


def test_a_kept_token_is_not_used_past_its_expiry_or_the_ttl(db: Session) -> None:
    user = db.scalars(select(User).where(User.email == RECEPTION)).one()
    key = ("another-digest", "web")
    expires = utcnow() + timedelta(minutes=5)
    token_cache.keep(key, user, expires, token_cache.generation())
    assert token_cache.lookup(db, key, expires + timedelta(seconds=1), 3600.0) is None
    token_cache.keep(key, user, expires, token_cache.generation())
    assert token_cache.lookup(db, key, utcnow(), 0.0) is None  # older than a TTL of 0 s
