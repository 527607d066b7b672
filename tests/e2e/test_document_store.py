"""In Chromium against the real server, on a phone-sized screen: a citizen whose earlier
dossier was received finds its papers in "Kho dữ liệu", reuses them in a new dossier instead of
uploading again, and reception sees where the files came from. axe-core checks the pages."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_dossier_citizen import _fill_declared, _start_draft, _submit
from tests.e2e.test_staff_desk import (
    CITIZEN,
    DEMO_PASSWORD,
    PHONE,
    RECEPTION,
    no_horizontal_scroll,
    sign_in,
    submit_online_dossier,
)

pytestmark = pytest.mark.e2e


def _received(base_url: str) -> str:
    """An earlier dossier of the citizen, received by reception; returns its code."""
    # Papers of their own: earlier tests on the same server stored the usual ones already,
    # from their own dossiers (a file enters the store once).
    dossier_id = submit_online_dossier(base_url, tag=secrets.token_hex(4))
    with httpx.Client(base_url=base_url, timeout=30) as http:
        token = http.post(
            "/api/v1/auth/token", data={"username": RECEPTION, "password": DEMO_PASSWORD}
        )
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        done = http.post(
            f"/api/v1/dossiers/{dossier_id}/actions", json={"action": "receive"}, headers=auth
        )
        assert done.status_code == 200, done.text
        return str(done.json()["code"])


def test_citizen_reuses_stored_papers_and_reception_sees_their_origin(
    live_server: str,
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
) -> None:
    earlier = _received(live_server)
    page = new_web_context(viewport=PHONE).new_page()
    log_in(page, CITIZEN)

    page.goto("/tai-khoan")
    with page.expect_navigation():
        page.get_by_role("link", name="Kho dữ liệu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kho dữ liệu")
    card = page.locator(".dossier-card", has_text=earlier).filter(
        has_text="Tờ khai đăng ký khai sinh theo mẫu"
    )
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Giấy tờ đã số hóa")
    assert_accessible(page)
    no_horizontal_scroll(page)

    _start_draft(page)
    _fill_declared(page)
    for code in ("TK", "GCS"):
        block = page.locator(f"#c-{code}")
        choice = block.get_by_label("Hoặc dùng từ kho dữ liệu")
        # The paper stored for the same component of this procedure is offered first.
        first = choice.locator("optgroup").first
        expect(first).to_have_attribute("label", "Cùng loại giấy tờ")
        option = first.locator("option", has_text=earlier).first
        choice.select_option(option.get_attribute("value"))
        with page.expect_navigation():
            block.get_by_role("button", name=re.compile(r"^Dùng tài liệu này")).click()
        expect(page).to_have_url(re.compile(rf"/ho-so/\d+/khai\?msg=file_added#c-{code}$"))
        expect(page.locator(f"#c-{code} .file-list")).to_contain_text(f"{code}.pdf")
        expect(page.locator(f"#c-{code} .file-list")).to_contain_text("Từ kho dữ liệu")
        # What was typed survived the round trip.
        expect(page.get_by_label("Họ, chữ đệm, tên của trẻ")).to_have_value("Nguyễn Minh An")
    assert_accessible(page)
    no_horizontal_scroll(page)
    dossier_id = re.search(r"/ho-so/(\d+)/khai", page.url).group(1)  # type: ignore[union-attr]
    _submit(page)
    expect(page).to_have_url(re.compile(r"/ho-so/\d+\?msg=submitted$"))

    reception = new_web_context(viewport=PHONE).new_page()
    sign_in(log_in, reception, RECEPTION)
    reception.goto(f"/can-bo/ho-so/{dossier_id}")
    origins = reception.locator(".reused-from")
    expect(origins).to_have_count(2)
    expect(origins.first).to_have_text(f"tái sử dụng từ kho dữ liệu – hồ sơ {earlier}")
    assert_accessible(reception)
