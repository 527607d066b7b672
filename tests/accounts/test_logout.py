"""Logging out (SPEC §9 account): ``POST /api/v1/auth/logout`` revokes the caller's token,
``?everywhere=true`` every session of the user; "Đăng xuất khỏi mọi thiết bị" on /tai-khoan."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import DEMO_PASSWORD, api_token, csrf_from

CITIZEN = "congdan2@motcua.local"


def _log_in_browser(client: TestClient) -> None:
    page = client.get("/dang-nhap")
    response = client.post(
        "/dang-nhap",
        data={"email": CITIZEN, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_logout_revokes_only_the_callers_token(client: TestClient) -> None:
    first, second = api_token(client, CITIZEN), api_token(client, CITIZEN)
    assert client.get("/api/v1/auth/me", headers=first).status_code == 200

    out = client.post("/api/v1/auth/logout", headers=first)
    assert out.status_code == 204

    refused = client.get("/api/v1/auth/me", headers=first)
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    assert client.get("/api/v1/auth/me", headers=second).status_code == 200
    # Logging out again with the revoked token is refused, not a 500.
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 401
    assert client.post("/api/v1/auth/logout").status_code == 401


def test_logout_everywhere_ends_every_session_and_token(client: TestClient) -> None:
    _log_in_browser(client)
    assert client.get("/tai-khoan").status_code == 200
    browser = client.cookies.get("portal_session")
    assert browser
    token = api_token(client, CITIZEN)
    other = api_token(client, CITIZEN)
    out = client.post("/api/v1/auth/logout", params={"everywhere": "true"}, headers=token)
    assert out.status_code == 204
    for h in (token, other):
        assert client.get("/api/v1/auth/me", headers=h).status_code == 401
    # the browser session of the same account ended too, on the server: the old cookie is dead
    client.cookies.set("portal_session", browser)
    assert client.get("/tai-khoan", follow_redirects=False).status_code in (302, 303)


def test_account_page_button_logs_out_of_every_device(client: TestClient) -> None:
    token = api_token(client, CITIZEN)  # "another device"
    _log_in_browser(client)
    page = client.get("/tai-khoan")
    browser = client.cookies.get("portal_session")
    assert browser
    assert 'action="/tai-khoan/dang-xuat-moi-noi"' in page.text
    assert "Đăng xuất khỏi mọi thiết bị" in page.text
    # without the form's token nothing happens
    assert client.post("/tai-khoan/dang-xuat-moi-noi").status_code == 403
    assert client.get("/api/v1/auth/me", headers=token).status_code == 200

    done = client.post(
        "/tai-khoan/dang-xuat-moi-noi",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/?msg=logged_out_everywhere"
    assert "Bạn đã đăng xuất khỏi mọi thiết bị." in client.get(done.headers["location"]).text
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401
    client.cookies.set("portal_session", browser)
    assert client.get("/tai-khoan", follow_redirects=False).status_code in (302, 303)
