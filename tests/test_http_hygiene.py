"""HTTP hygiene (probe findings L2 and L9): security headers on every response, a 500
included; ``Cache-Control: no-store`` on API answers; HEAD on every GET route; one clear
message for a body that is not JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.routing import Route

from app.dossiers.models import Dossier
from tests.conftest import api_token
from tests.dossiers.helpers import CITIZEN, attach, create_draft

SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
NOT_JSON = "Nội dung yêu cầu không phải JSON hợp lệ."


def _assert_security_headers(response: Any) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, response.headers
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)


@pytest.fixture
def failing_app(app: FastAPI) -> Iterator[TestClient]:
    """The app with two routes that fail the way a bug would (an exception nobody handles)."""

    def broken() -> None:
        raise RuntimeError("secret internals: SELECT * FROM users")

    app.add_api_route("/api/v1/test-failure", broken, methods=["GET"])
    app.add_api_route("/trang-loi-thu", broken, methods=["GET"])
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        yield c


def test_a_500_of_the_api_carries_the_security_headers_and_a_generic_body(
    failing_app: TestClient,
) -> None:
    response = failing_app.get("/api/v1/test-failure")
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "detail": "Internal server error"}
    _assert_security_headers(response)
    assert response.headers["cache-control"] == "no-store"


def test_a_500_page_carries_the_security_headers_and_says_nothing_of_the_cause(
    failing_app: TestClient,
) -> None:
    response = failing_app.get("/trang-loi-thu")
    assert response.status_code == 500
    assert "text/html" in response.headers["content-type"]
    assert "Lỗi hệ thống" in response.text
    assert "secret internals" not in response.text and "SELECT" not in response.text
    _assert_security_headers(response)
    assert response.headers["cache-control"] == "no-store"


# --- Cache-Control on API answers ---------------------------------------------------------


def test_personal_data_of_the_api_is_never_stored_by_a_cache(client: TestClient) -> None:
    h = api_token(client, CITIZEN)
    dossier = create_draft(client, h)
    assert attach(client, h, dossier["id"], "TK").status_code == 201
    for path in (
        "/api/v1/auth/me",
        f"/api/v1/dossiers/{dossier['id']}",
        "/api/v1/dossiers",
        "/api/v1/notifications",
        "/api/v1/dossiers/999999",  # an error answer too
    ):
        response = client.get(path, headers=h)
        assert response.headers.get("cache-control") == "no-store", (path, response.headers)
        _assert_security_headers(response)
    read = client.get(f"/api/v1/dossiers/{dossier['id']}", headers=h).json()
    download = client.get(read["files"][0]["url"], headers=h)
    assert download.status_code == 200
    assert download.headers["cache-control"] == "private, no-store"  # the route's own


def test_public_api_reads_are_not_stored_either(client: TestClient) -> None:
    for path in ("/api/v1/procedures", "/api/v1/calendar/holidays?year=2026"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers.get("cache-control") == "no-store", path


# --- HEAD ---------------------------------------------------------------------------------


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    for path in ("/", "/thu-tuc", "/api/v1/procedures", "/healthz", "/favicon.ico"):
        get = client.get(path)
        head = client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
        assert head.headers["content-length"] == str(len(get.content)), path
        _assert_security_headers(head)


def test_head_on_a_page_that_needs_login_redirects_like_get(client: TestClient) -> None:
    head = client.head("/ho-so", follow_redirects=False)
    assert head.status_code == 303
    assert head.headers["location"].startswith("/dang-nhap?next=")


def test_head_on_a_route_without_get_is_405(client: TestClient) -> None:
    assert client.head("/api/v1/auth/token").status_code == 405


def _get_paths(app: FastAPI) -> list[str]:
    """Every GET route of the app without a path parameter."""
    paths: list[str] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if isinstance(route, APIRoute | Route) and "GET" in (route.methods or ()):
                if "{" not in route.path:
                    paths.append(route.path)
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes)

    walk(app.routes)
    return sorted(set(paths))


def test_every_get_route_answers_head_as_it_answers_get(app: FastAPI, client: TestClient) -> None:
    paths = _get_paths(app)
    assert len(paths) > 40 and "/" in paths and "/api/v1/procedures" in paths
    for path in paths:
        get = client.get(path, follow_redirects=False)
        head = client.head(path, follow_redirects=False)
        assert head.status_code == get.status_code, (path, head.status_code, get.status_code)
        assert head.content == b"", path


# --- a body that is not JSON --------------------------------------------------------------


def test_a_body_that_is_not_json_gets_one_clear_message_and_nothing_is_stored(
    client: TestClient, db: Session
) -> None:
    h = api_token(client, CITIZEN)
    before = db.scalar(select(func.count()).select_from(Dossier))
    for body in (b"{bad json", b'{"procedure_code": "1.001193",', b"\xff\xfe"):
        response = client.post(
            "/api/v1/dossiers", content=body, headers={**h, "Content-Type": "application/json"}
        )
        assert response.status_code == 422, (body, response.text)
        assert response.json() == {"error": "invalid_json", "detail": NOT_JSON}
    assert db.scalar(select(func.count()).select_from(Dossier)) == before
    english = client.post(
        "/api/v1/dossiers",
        content=b"{bad json",
        headers={**h, "Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert english.json()["detail"] == "The request body is not valid JSON."


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/v1/dossiers/{id}"),
        ("POST", "/api/v1/dossiers/{id}/actions"),
        ("POST", "/api/v1/dossiers/{id}/payments"),
        ("POST", "/api/v1/dossiers/{id}/rating"),
        ("PATCH", "/api/v1/auth/me"),
        ("POST", "/api/v1/auth/register"),
    ],
)
def test_every_json_endpoint_names_a_body_that_is_not_json(
    client: TestClient, db: Session, method: str, path: str
) -> None:
    h = api_token(client, CITIZEN)
    dossier = create_draft(client, h)
    response = client.request(
        method,
        path.format(id=dossier["id"]),
        content=b"{bad json",
        headers={**h, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json() == {"error": "invalid_json", "detail": NOT_JSON}
    stored = db.get(Dossier, dossier["id"])
    assert stored is not None and stored.status == "draft"
