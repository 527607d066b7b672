"""The administration home as each kind of admin sees it: titled for what they administer,
with the audit log, the statistics and the dashboard one click away (in the admin navigation
and as cards)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.admin.helpers import ADMIN, PHO_HIEN_ADMIN, log_in


def _nav(html: str) -> str:
    return html.split('class="admin-nav"')[1].split("</nav>")[0]


def _h1(html: str) -> str:
    return html.split("<h1>")[1].split("</h1>")[0]


def test_an_agency_admins_home_is_titled_for_the_agency(client: TestClient) -> None:
    log_in(client, PHO_HIEN_ADMIN)
    page = client.get("/quan-tri")
    assert page.status_code == 200
    assert _h1(page.text) == "Quản trị cơ quan: Ủy ban nhân dân phường Phố Hiến"
    assert "<title>Quản trị cơ quan: Ủy ban nhân dân phường Phố Hiến" in page.text
    assert "Quản trị hệ thống" not in page.text
    nav = _nav(page.text)
    assert 'href="/quan-tri/nhat-ky"' in nav and 'href="/thong-ke"' in nav
    cards = page.text.split('class="dashboard-cards"')[1].split("</ul>")[0]
    for link in ("/quan-tri/nhat-ky", "/thong-ke", "/can-bo/bang-dieu-khien"):
        assert f'<a href="{link}">' in cards, link
        assert client.get(link).status_code == 200, link


def test_the_system_admins_home_links_the_audit_log_and_statistics(client: TestClient) -> None:
    log_in(client, ADMIN)
    page = client.get("/quan-tri")
    assert _h1(page.text) == "Quản trị hệ thống"
    nav = _nav(page.text)
    assert 'href="/quan-tri/nhat-ky"' in nav and 'href="/thong-ke"' in nav
    for link in ("/quan-tri/nhat-ky", "/thong-ke", "/can-bo/bang-dieu-khien"):
        assert f'<a href="{link}">' in page.text, link
        assert client.get(link).status_code == 200, link
