"""Two-factor login in Chromium against the real server: a staff member turns it on from the
account page (QR code, secret, confirm, recovery codes), then logs in with the password and a
code from the app, in a browser with JavaScript and in one without."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.accounts.twofactor_helpers import step_codes, wrong_code
from tests.e2e.conftest import DEMO_PASSWORD, ContextFactory

pytestmark = pytest.mark.e2e

# Used by no other browser test: its two-factor login must not surprise them.
STAFF = "chuyenvien.congan@motcua.local"


def test_staff_turns_on_two_factor_and_logs_in_with_a_code(
    new_web_context: ContextFactory,
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
) -> None:
    page = new_web_context().new_page()
    log_in(page, STAFF)
    page.goto("/tai-khoan")
    page.get_by_role("link", name="Xác thực hai bước").click()
    page.get_by_role("button", name="Bắt đầu bật xác thực hai bước").click()
    expect(page.get_by_role("img", name=re.compile("Mã QR"))).to_be_visible()
    assert_accessible(page)
    secret = page.locator("#secret").inner_text().strip()
    page.get_by_label("Mã 6 chữ số trong ứng dụng").fill(step_codes(secret)[0])
    page.get_by_role("button", name="Bật xác thực hai bước").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mã khôi phục")
    expect(page.locator("ol.recovery-codes li")).to_have_count(10)

    # Another browser: the password, then the code (a wrong one first).
    _previous, current, following = step_codes(secret)
    other = new_web_context().new_page()
    log_in(other, STAFF)
    expect(other).to_have_url(re.compile(r"/dang-nhap/ma-xac-thuc$"))
    other.get_by_label("Mã xác thực hoặc mã khôi phục").fill(
        wrong_code(_previous, current, following)
    )
    other.get_by_role("button", name="Xác nhận").click()
    expect(other.get_by_role("alert")).to_contain_text("Mã xác thực không đúng")
    assert_accessible(other)
    other.get_by_label("Mã xác thực hoặc mã khôi phục").fill(current)
    other.get_by_role("button", name="Xác nhận").click()
    expect(other).to_have_url(re.compile(r"/can-bo$"))

    # And a browser without JavaScript, with the next step's code.
    plain = new_web_context(java_script_enabled=False).new_page()
    log_in(plain, STAFF)
    expect(plain).to_have_url(re.compile(r"/dang-nhap/ma-xac-thuc$"))
    plain.get_by_label("Mã xác thực hoặc mã khôi phục").fill(following)
    plain.get_by_role("button", name="Xác nhận").click()
    expect(plain).to_have_url(re.compile(r"/can-bo$"))

    # Back to the password alone, for whoever uses this account next.
    page.goto("/tai-khoan/xac-thuc-hai-buoc")
    page.get_by_label("Hoặc mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Tắt xác thực hai bước").click()
    expect(page.get_by_role("status")).to_contain_text("Đã tắt xác thực hai bước.")
