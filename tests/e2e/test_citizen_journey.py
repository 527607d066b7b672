"""A citizen's first visit, in Chromium against the real server: find a procedure, read it,
register (with a failed first attempt), log out and log in again — with an axe-core check
on every page on the way."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PROCEDURE_CODE = "1.001193"
PROCEDURE_NAME = "Đăng ký khai sinh"


def _expect_field_error(page: Any, name: str) -> None:
    """The field is marked invalid and described by its own visible error message."""
    field = page.locator(f"#f-{name}")
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = (field.get_attribute("aria-describedby") or "").split()
    assert f"f-{name}-error" in described_by, (name, described_by)
    message = page.locator(f"#f-{name}-error")
    expect(message).to_be_visible()
    assert message.inner_text().strip(), f"empty error message for {name}"
    # "Next to the field": the message belongs to the same field group as the input.
    expect(page.locator(".field", has=field).locator(f"#f-{name}-error")).to_have_count(1)


def test_citizen_finds_procedure_registers_and_logs_in(
    web: Any, assert_accessible: Callable[[Any], None], log_in: Callable[..., None]
) -> None:
    page = web
    run = uuid.uuid4().hex[:10]
    email = f"e2e.{run}@example.com"
    full_name = f"Nguyễn Thị Thử {run[:4].upper()}"
    password = f"Kiem-tra-{run}"
    phone = "09" + "".join(secrets.choice("0123456789") for _ in range(8))

    # Home, in Vietnamese.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cổng dịch vụ công Một cửa")
    assert_accessible(page)

    # Accent-free search from the home search box.
    page.get_by_role("searchbox", name="Tìm thủ tục").fill("dang ky khai sinh")
    with page.expect_navigation():
        page.get_by_role("button", name="Tìm kiếm").click()
    expect(page).to_have_url(re.compile(r"/thu-tuc\?q=dang\+ky\+khai\+sinh"))
    result = page.locator(".procedure-list").get_by_role("link", name=PROCEDURE_NAME, exact=True)
    expect(result).to_be_visible()
    assert_accessible(page)

    # The procedure page.
    with page.expect_navigation():
        result.click()
    expect(page).to_have_url(re.compile(rf"/thu-tuc/{re.escape(PROCEDURE_CODE)}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PROCEDURE_NAME)
    expect(page.locator("dl.facts")).to_contain_text(PROCEDURE_CODE)
    expect(page.get_by_role("heading", name="Thành phần hồ sơ")).to_be_visible()
    expect(page.get_by_role("heading", name="Quy trình xử lý")).to_be_visible()
    steps = page.locator("ol.steps > li")
    assert steps.count() >= 2, "the process steps are listed"
    expect(steps.first).not_to_be_empty()
    assert_accessible(page)

    # Register: a bad phone number and passwords that do not match.
    page.goto("/dang-ky")
    assert_accessible(page)
    page.get_by_label("Họ và tên").fill(full_name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Số điện thoại").fill("12345")
    page.get_by_label(re.compile(r"^Mật khẩu")).fill(password)
    page.get_by_label("Nhập lại mật khẩu").fill(password + "x")
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name="Đăng ký").click()
    expect(page).to_have_url(re.compile(r"/dang-ky$"))
    expect(page.get_by_role("alert")).to_be_visible()
    _expect_field_error(page, "phone")
    _expect_field_error(page, "password_confirm")
    expect(page.locator("#f-full_name")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Họ và tên")).to_have_value(full_name)
    expect(page.get_by_label("Email")).to_have_value(email)
    assert_accessible(page)

    # Fixed: the account is created and the citizen is logged in.
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label(re.compile(r"^Mật khẩu")).fill(password)
    page.get_by_label("Nhập lại mật khẩu").fill(password)
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name="Đăng ký").click()
    expect(page).to_have_url(re.compile(r"/tai-khoan(\?|$)"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(full_name)
    expect(page.get_by_role("status")).to_contain_text("Đăng ký tài khoản thành công")
    assert_accessible(page)

    # Log out (a POST form in the header).
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng xuất", exact=True).click()
    expect(page).to_have_url(re.compile(r"/(\?msg=logged_out)?$"))
    expect(page.get_by_role("link", name="Đăng nhập")).to_be_visible()
    page.goto("/tai-khoan")
    expect(page).to_have_url(re.compile(r"/dang-nhap"))

    # Log in again with the new account.
    page.goto("/dang-nhap")
    assert_accessible(page)
    log_in(page, email, password)
    expect(page).to_have_url(re.compile(r"/tai-khoan$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(full_name)
    expect(page.locator("dl.facts")).to_contain_text(email)
    assert_accessible(page)
