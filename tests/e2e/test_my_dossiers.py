""" "Hồ sơ của tôi" by clicking, in Chromium against the real server, on a phone, with and
without JavaScript: the header leads there, the groups filter the list, a draft is deleted after a
confirmation page, a submitted dossier is copied as a new draft; axe-core checks the pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.dossiers.helpers import BIRTH, BIRTH_FORM, PHO_HIEN, pdf_bytes

pytestmark = pytest.mark.e2e

CITIZEN = "congdan2@motcua.local"
PASSWORD = "MotCua@2026"
PHONE = {"width": 390, "height": 844}


def _dossier(base_url: str, submit: bool) -> int:
    """A birth registration of the citizen, with both files; submitted if asked."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        token = http.post("/api/v1/auth/token", data={"username": CITIZEN, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        draft = http.post(
            "/api/v1/dossiers",
            json={"procedure_code": BIRTH, "agency_code": PHO_HIEN, "form_data": BIRTH_FORM},
            headers=auth,
        )
        assert draft.status_code == 201, draft.text
        dossier_id = int(draft.json()["id"])
        for component in ("TK", "GCS"):
            uploaded = http.post(
                f"/api/v1/dossiers/{dossier_id}/files",
                data={"component": component},
                files={"file": (f"{component}.pdf", pdf_bytes(component), "application/pdf")},
                headers=auth,
            )
            assert uploaded.status_code == 201, uploaded.text
        if submit:
            done = http.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=auth)
            assert done.status_code == 200, done.text
    return dossier_id


def _no_horizontal_scroll(page: Any) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"] + 1, f"horizontal scroll on {page.url}: {widths}"


@pytest.mark.parametrize("javascript", [False, True], ids=["without-js", "with-js"])
def test_a_citizen_filters_deletes_a_draft_and_copies_a_dossier(
    javascript: bool,
    live_server: str,
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
) -> None:
    draft = _dossier(live_server, submit=False)
    submitted = _dossier(live_server, submit=True)
    page = new_web_context(java_script_enabled=javascript, viewport=PHONE).new_page()

    def accessible() -> None:
        if javascript:  # axe-core runs as a script in the page
            assert_accessible(page)

    log_in(page, CITIZEN, PASSWORD)
    _no_horizontal_scroll(page)

    with page.expect_navigation():
        page.locator("header").get_by_role("link", name="Hồ sơ của tôi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hồ sơ của tôi")
    _no_horizontal_scroll(page)
    accessible()

    filters = page.get_by_role("navigation", name="Lọc hồ sơ theo tình trạng")
    with page.expect_navigation():
        filters.get_by_role("link", name=re.compile(r"^Hồ sơ nháp \(\d+\)$")).click()
    expect(page).to_have_url(re.compile(r"/ho-so\?group=draft$"))
    expect(filters.locator("a[aria-current=page]")).to_have_text(re.compile("Hồ sơ nháp"))
    expect(page.locator(f'a[href="/ho-so/{submitted}"]')).to_have_count(0)
    card = page.locator(".dossier-card", has=page.locator(f'a[href="/ho-so/{draft}"]'))
    with page.expect_navigation():
        card.get_by_role("link", name=re.compile("^Xóa hồ sơ nháp")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Xóa hồ sơ nháp?")
    expect(page.locator("main")).to_contain_text("không thể khôi phục")
    _no_horizontal_scroll(page)
    accessible()
    with page.expect_navigation():
        page.get_by_role("button", name="Xóa hồ sơ nháp").click()
    expect(page).to_have_url(re.compile(r"/ho-so\?group=draft&msg=draft_deleted$"))
    expect(page.get_by_role("status")).to_have_text("Đã xóa hồ sơ nháp.")
    expect(page.locator(f'a[href="/ho-so/{draft}"]')).to_have_count(0)

    with page.expect_navigation():
        filters.get_by_role("link", name=re.compile(r"^Đang giải quyết \(\d+\)$")).click()
    with page.expect_navigation():
        page.locator(f'a[href="/ho-so/{submitted}"]').click()
    with page.expect_navigation():
        page.get_by_role("button", name="Sao chép thành hồ sơ mới").click()
    expect(page).to_have_url(re.compile(r"/ho-so/\d+/khai\?msg=copied$"))
    expect(page.locator(".notice-success")).to_contain_text("thông tin đã khai được chép lại")
    expect(page.get_by_label("Họ, chữ đệm, tên của trẻ")).to_have_value("Nguyễn Minh An")
    expect(page.locator(".file-list li")).to_have_count(0)  # files are attached again
    copy = int(re.findall(r"/ho-so/(\d+)/khai", page.url)[0])
    assert copy not in (draft, submitted)
    accessible()
