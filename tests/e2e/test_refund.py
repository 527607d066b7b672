"""A refund in Chromium against the real server: a fee paid through the sandbox bank for a
dossier that reception then rejects is paid back by the cashier from the counter's "Hoàn phí"
form (reached from the staff dossier page, on a phone), the receipt is
cancelled with the reason and the citizen's page says when the money came back."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_payment_sandbox import CITIZEN, PASSWORD, _dossier_waiting_for_fees

pytestmark = pytest.mark.e2e

CASHIER = "thuphi.phohien@motcua.local"
RECEPTION = "tiepnhan.phohien@motcua.local"
PHONE = {"width": 375, "height": 740}
REASON = "Hồ sơ bị từ chối, hoàn trả lệ phí"


def _token(http: httpx.Client, email: str) -> dict[str, str]:
    answer = http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _paid_then_rejected(base_url: str) -> int:
    dossier_id = _dossier_waiting_for_fees(base_url)
    with httpx.Client(base_url=base_url, timeout=30) as http:
        payer = _token(http, CITIZEN)
        started = http.post(
            f"/api/v1/dossiers/{dossier_id}/payments", json={"method": "sandbox"}, headers=payer
        )
        bank_url = started.json()["redirect_url"]
        bank = http.get(bank_url, headers=payer)  # the test bank answers only the payer
        token = re.search(r'name="csrf_token" value="([^"]+)"', bank.text)
        assert token is not None
        http.post(
            bank_url, data={"decision": "confirm", "csrf_token": token.group(1)}, headers=payer
        )
        rejected = http.post(
            f"/api/v1/dossiers/{dossier_id}/actions",
            json={"action": "reject", "reasons": ["Không thuộc thẩm quyền"]},
            headers=_token(http, RECEPTION),
        )
        assert rejected.json()["status"] == "rejected", rejected.text
    return dossier_id


def test_cashier_refunds_from_the_counter(
    new_web_context: Callable[..., Any],
    live_server: str,
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
) -> None:
    dossier_id = _paid_then_rejected(live_server)
    citizen = new_web_context(viewport=PHONE).new_page()
    log_in(citizen, CITIZEN)
    citizen.goto(f"/ho-so/{dossier_id}")
    expect(citizen.locator(".refund-due")).to_have_text("Số tiền được hoàn trả: 5.000 ₫")

    page = new_web_context(viewport=PHONE).new_page()
    log_in(page, CASHIER)
    page.goto(f"/can-bo/ho-so/{dossier_id}")
    page.get_by_role("link", name="Hoàn phí").click()
    expect(page.get_by_role("heading", name="Hồ sơ chờ hoàn phí")).to_be_visible()
    assert_accessible(page)
    item = page.locator(f"#rf-{dossier_id}")
    expect(item).to_contain_text("5.000 ₫")
    item.get_by_label("Tiền mặt").check()
    item.get_by_label("Lý do hoàn phí").fill(REASON)
    item.get_by_role("button", name="Hoàn phí").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Đã hoàn trả phí, lệ phí và hủy biên lai."
    )
    expect(page.locator("main")).to_contain_text(f"Đã hủy: {REASON}")
    expect(page.locator("main")).to_contain_text("đã được hoàn trả cho người nộp")
    assert_accessible(page)

    citizen.goto(f"/ho-so/{dossier_id}")
    expect(citizen.locator(".refund-done")).to_contain_text("Đã hoàn trả 5.000 ₫ ngày")
    expect(citizen.locator(".refund-due")).to_have_count(0)
