"""Pages know who is logged in, /thong-ke included: the header keeps the user's links (not
"Đăng nhập"), and a leader finds the dashboard from the statistics."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import DEMO_PASSWORD, csrf_from

LEADER = "lanhdao.phohien@motcua.local"
SPECIALIST = "chuyenvien.phohien@motcua.local"
CITIZEN = "congdan@motcua.local"
DASHBOARD_LINK = 'href="/can-bo/bang-dieu-khien"'


def log_in(client: TestClient, email: str) -> None:
    form = client.get("/dang-nhap")
    response = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def header(html: str) -> str:
    return html.split('<header class="site-header">')[1].split("</header>")[0]


def test_statistics_show_the_logged_in_leader_and_the_dashboard(client: TestClient) -> None:
    anonymous = client.get("/thong-ke")
    assert 'href="/dang-nhap"' in header(anonymous.text)
    assert DASHBOARD_LINK not in anonymous.text

    log_in(client, LEADER)
    page = client.get("/thong-ke")
    assert page.status_code == 200
    assert 'href="/dang-nhap"' not in header(page.text)
    assert "Đăng xuất" in header(page.text) and 'href="/can-bo"' in header(page.text)
    assert DASHBOARD_LINK in page.text
    assert client.get("/can-bo/bang-dieu-khien").status_code == 200

    client.cookies.delete("portal_session")
    log_in(client, SPECIALIST)
    page = client.get("/thong-ke")
    assert "Đăng xuất" in header(page.text)
    assert DASHBOARD_LINK not in page.text  # not a leader


@pytest.mark.parametrize(
    "path", ["/", "/thu-tuc", "/tra-cuu", "/thong-ke", "/thong-ke?from=nonsense", "/xac-minh/x"]
)
def test_every_public_page_keeps_the_session_in_its_header(client: TestClient, path: str) -> None:
    log_in(client, CITIZEN)
    page = client.get(path)
    assert page.headers["content-type"].startswith("text/html")
    assert "Đăng xuất" in header(page.text), (path, page.status_code)
    assert '<a href="/ho-so"' in header(page.text)
