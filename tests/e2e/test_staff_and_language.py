"""Staff landing pages and permissions, the language switch, phone layout, keyboard use and
pages without JavaScript — in Chromium against the real server."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
PROCEDURE_PATH = "/thu-tuc/1.001193"


def test_reception_officer_lands_on_staff_desk(web: Any, log_in: Callable[..., None]) -> None:
    log_in(web, "tiepnhan.tinh@motcua.local")
    expect(web).to_have_url(re.compile(r"/can-bo$"))
    expect(web.get_by_role("heading", level=1)).to_have_text("Bàn làm việc của cán bộ")
    expect(web.locator("main")).to_contain_text("Trung tâm Phục vụ hành chính công tỉnh Hưng Yên")
    expect(web.locator("main")).to_contain_text("Cán bộ tiếp nhận")


def test_system_admin_sees_whole_agency_tree(web: Any, log_in: Callable[..., None]) -> None:
    log_in(web, "admin@motcua.local")
    expect(web).to_have_url(re.compile(r"/quan-tri$"))
    tree = web.locator("main table")
    expect(tree).to_contain_text("Ủy ban nhân dân tỉnh Hưng Yên")
    expect(tree).to_contain_text("Sở Tư pháp tỉnh Hưng Yên")
    expect(tree).to_contain_text("Ủy ban nhân dân phường Phố Hiến")
    expect(tree).to_contain_text("Ủy ban nhân dân xã Liên Phương")


def test_agency_admin_sees_only_its_subtree(web: Any, log_in: Callable[..., None]) -> None:
    log_in(web, "quantri.phohien@motcua.local")
    expect(web).to_have_url(re.compile(r"/quan-tri$"))
    tree = web.locator("main table")
    expect(tree).to_contain_text("Ủy ban nhân dân phường Phố Hiến")
    expect(tree).not_to_contain_text("Sở Tư pháp")
    expect(tree).not_to_contain_text("Ủy ban nhân dân tỉnh Hưng Yên")
    expect(tree).not_to_contain_text("phường Sơn Nam")


def test_citizen_gets_403_page_on_staff_desk(
    web: Any, log_in: Callable[..., None], assert_accessible: Callable[[Any], None]
) -> None:
    log_in(web, "congdan@motcua.local")
    expect(web).to_have_url(re.compile(r"/tai-khoan$"))
    response = web.goto("/can-bo")
    assert response is not None and response.status == 403
    expect(web.get_by_role("heading", level=1)).to_have_text("Không có quyền truy cập")
    expect(web.locator("main")).to_contain_text("403")
    assert_accessible(web)


def test_wrong_password_is_refused(
    web: Any, log_in: Callable[..., None], assert_accessible: Callable[[Any], None]
) -> None:
    log_in(web, "congdan2@motcua.local", "not-the-password")
    expect(web).to_have_url(re.compile(r"/dang-nhap"))
    expect(web.get_by_role("alert")).to_have_text("Email hoặc mật khẩu không đúng.")
    expect(web.get_by_label("Email")).to_have_value("congdan2@motcua.local")
    expect(web.get_by_label("Mật khẩu")).to_have_value("")
    assert_accessible(web)


def test_language_switch_to_english_persists_and_back(
    web: Any, assert_accessible: Callable[[Any], None]
) -> None:
    web.goto("/thu-tuc")
    expect(web.locator("html")).to_have_attribute("lang", "vi")
    with web.expect_navigation():
        web.get_by_role("banner").get_by_role("link", name="English").click()
    expect(web).to_have_url(re.compile(r"/thu-tuc$"))
    expect(web.locator("html")).to_have_attribute("lang", "en")
    expect(web.get_by_role("navigation", name=re.compile(".")).first).to_contain_text(
        "Administrative procedures"
    )
    assert_accessible(web)

    # The choice is remembered (a cookie) on the next page.
    web.goto("/")
    expect(web.locator("html")).to_have_attribute("lang", "en")
    expect(web.get_by_role("banner")).to_contain_text("Administrative procedures")

    with web.expect_navigation():
        web.get_by_role("banner").get_by_role("link", name="Tiếng Việt").click()
    expect(web.locator("html")).to_have_attribute("lang", "vi")
    expect(web.get_by_role("banner")).to_contain_text("Thủ tục hành chính")
    expect(web.get_by_role("banner")).not_to_contain_text("Administrative procedures")


@pytest.mark.parametrize("path", ["/", "/thu-tuc", PROCEDURE_PATH])
def test_phone_layout_has_no_horizontal_scroll(
    new_web_context: Callable[..., Any], path: str
) -> None:
    page = new_web_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    response = page.goto(path)
    assert response is not None and response.ok
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"] + 1, f"horizontal scroll on {path}: {widths}"
    # Every search form's submit button is on screen (the home and the catalogue have one).
    buttons = page.locator("form[role=search] [type=submit]")
    if path in ("/", "/thu-tuc"):
        assert buttons.count() >= 1, f"no search form on {path}"
    for i in range(buttons.count()):
        button = buttons.nth(i)
        expect(button).to_be_visible()
        expect(button).to_be_in_viewport()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1


def test_skip_link_is_first_tab_stop_and_moves_focus_to_main(web: Any) -> None:
    web.goto("/")
    web.keyboard.press("Tab")
    skip = web.locator(":focus")
    expect(skip).to_have_text("Bỏ qua, đến nội dung chính")
    expect(skip).to_have_attribute("href", "#main")
    expect(skip).to_be_in_viewport()  # visible when focused
    web.keyboard.press("Enter")
    expect(web.locator("main")).to_be_focused()
    expect(web).to_have_url(re.compile(r"#main$"))


def test_login_works_without_javascript(
    new_web_context: Callable[..., Any], log_in: Callable[..., None]
) -> None:
    page = new_web_context(java_script_enabled=False).new_page()
    page.goto("/")
    assert page.evaluate("1 + 1") == 2  # Playwright still evaluates; the page's scripts do not run
    log_in(page, "congdan@motcua.local")
    expect(page).to_have_url(re.compile(r"/tai-khoan$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nguyễn Thị Lan")
    page.goto(PROCEDURE_PATH)
    expect(page.get_by_role("heading", name="Thành phần hồ sơ")).to_be_visible()
