"""In Chromium against the real server: reception asks once for a supplement naming a missing
paper and a wrongly declared field, the citizen reads both; a received dossier's withdrawal is
requested by the citizen and accepted by reception — every step by the pages' forms, on a
phone-sized screen, checked by axe-core."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_desk import (
    CITIZEN,
    DEMO_PASSWORD,
    PHONE,
    RECEPTION,
    click_action,
    no_horizontal_scroll,
    sign_in,
    submit_online_dossier,
)

pytestmark = pytest.mark.e2e

PROBLEM = "Tên của trẻ khác giấy chứng sinh"
SHOTS = os.environ.get("PORTAL_E2E_SCREENSHOTS", "")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _receive(base_url: str, dossier_id: int) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        token = http.post(
            "/api/v1/auth/token", data={"username": RECEPTION, "password": DEMO_PASSWORD}
        )
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        done = http.post(
            f"/api/v1/dossiers/{dossier_id}/actions", json={"action": "receive"}, headers=auth
        )
        assert done.status_code == 200, done.text


def test_one_complete_supplement_request(
    new_web_context: Callable[..., Any],
    live_server: str,
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
) -> None:
    dossier_id = submit_online_dossier(live_server)
    page = new_web_context(viewport=PHONE).new_page()
    sign_in(log_in, page, RECEPTION)
    page.goto(f"/can-bo/ho-so/{dossier_id}")
    card = page.locator("#act-request_supplement")
    card.get_by_label("Giấy chứng sinh").check()
    card.get_by_label("Họ, chữ đệm, tên của trẻ").fill(PROBLEM)
    card.get_by_label("Lý do, nội dung cần bổ sung, hoàn thiện").fill("Hồ sơ chưa đầy đủ")
    assert_accessible(page)
    no_horizontal_scroll(page)
    _shot(page, "staff-supplement-form")
    click_action(page, "request_supplement", "Yêu cầu bổ sung hồ sơ")
    expect(page.locator(".supplement-problems")).to_contain_text(PROBLEM)
    # Nor can reception stop it before the supplement limit: the page says why.
    page.goto(f"/can-bo/ho-so/{dossier_id}")
    expect(page.locator("#held-stop")).to_contain_text("chưa được dừng xử lý")

    citizen = new_web_context(viewport=PHONE).new_page()
    log_in(citizen, CITIZEN)
    citizen.goto(f"/ho-so/{dossier_id}")
    expect(citizen.locator(".supplement-problems")).to_contain_text(
        f"Họ, chữ đệm, tên của trẻ: {PROBLEM}"
    )
    assert_accessible(citizen)
    _shot(citizen, "citizen-supplement")


def test_withdrawal_requested_then_accepted(
    new_web_context: Callable[..., Any],
    live_server: str,
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
) -> None:
    dossier_id = submit_online_dossier(live_server)
    _receive(live_server, dossier_id)
    citizen = new_web_context(viewport=PHONE).new_page()
    log_in(citizen, CITIZEN)
    citizen.goto(f"/ho-so/{dossier_id}")
    form = citizen.locator("section.withdraw")
    form.get_by_label("Lý do rút hồ sơ").fill("Đã đăng ký ở nơi khác")
    form.get_by_label("Tôi xác nhận muốn rút hồ sơ này").check()
    with citizen.expect_navigation():
        form.get_by_role("button", name="Đề nghị rút hồ sơ").click()
    expect(citizen.get_by_role("status")).to_contain_text("Đã gửi đề nghị rút hồ sơ")
    expect(citizen.locator(".dossier-facts .badge.status")).to_have_text("Chờ chấp nhận rút hồ sơ")
    assert_accessible(citizen)
    _shot(citizen, "citizen-withdrawal-requested")

    page = new_web_context(viewport=PHONE).new_page()
    sign_in(log_in, page, RECEPTION)
    page.goto(f"/can-bo/ho-so/{dossier_id}")
    expect(page.locator(".withdrawal-request")).to_contain_text("Đã đăng ký ở nơi khác")
    assert_accessible(page)
    _shot(page, "staff-accept-withdrawal")
    click_action(page, "accept_withdrawal", "Chấp nhận rút hồ sơ")
    expect(page.locator(".st-status")).to_have_text("Đã rút")
