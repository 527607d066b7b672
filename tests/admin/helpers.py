"""Shared steps of the administration tests: log in through the form, post forms with the
page's CSRF token, and the demo accounts and agencies."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import DEMO_PASSWORD, csrf_from

ADMIN = "admin@motcua.local"
PHO_HIEN_ADMIN = "quantri.phohien@motcua.local"
PROVINCE_ADMIN = "quantri.tinh@motcua.local"
CITIZEN = "congdan@motcua.local"
PROVINCE = "000.00.00.H31"
JUSTICE = "000.00.15.H31"
PHO_HIEN = "000.00.51.H31"


def log_in(client: TestClient, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the /dang-nhap form (the session cookie stays on the client)."""
    token = csrf_from(client.get("/dang-nhap").text)
    response = client.post(
        "/dang-nhap",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def post_form(
    client: TestClient,
    path: str,
    data: dict[str, Any] | list[tuple[str, Any]] | None = None,
    *,
    page: str = "/quan-tri",
    files: dict[str, Any] | None = None,
) -> Response:
    """POST a form as a browser would: with the CSRF token shown on ``page``; no redirects
    followed (so the status of the POST itself is checked)."""
    token = csrf_from(client.get(page).text)
    items = list(data.items()) if isinstance(data, dict) else list(data or [])
    items.append(("csrf_token", token))
    body: dict[str, Any] = {}
    for key, value in items:
        if key in body:
            current = body[key]
            body[key] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            body[key] = value
    return client.post(path, data=body, files=files, follow_redirects=False)
