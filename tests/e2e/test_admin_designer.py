"""The procedure designer in Chromium against the real server: the system admin designs a
small procedure through the /quan-tri pages (general information, a declared field, a
component, a fee, two steps), previews and publishes it; a citizen then finds it in the
catalogue and starts a dossier for it. axe-core checks every admin page visited."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ADMIN = "admin@motcua.local"
CITIZEN = "congdan@motcua.local"
CODE = "9.990001"
NAME = "Xác nhận tình trạng cư trú (thử nghiệm trình duyệt)"
PHONE = {"width": 375, "height": 740}


def _submit(page: Any, name: str, scope: Any = None) -> None:
    with page.expect_navigation():
        (scope or page).get_by_role("button", name=name, exact=True).click()


def _open_section(page: Any, title: str, heading: str | None = None) -> None:
    with page.expect_navigation():
        page.get_by_role("navigation", name="Các phần của thủ tục").get_by_role(
            "link", name=title
        ).click()
    expect(page.get_by_role("heading", level=2, name=heading or title)).to_be_visible()


def _add_step(
    page: Any, code: str, name: str, hours: str, check: list[str], uncheck: list[str]
) -> None:
    new = page.locator("#item-new")
    new.get_by_label("Tên bước").fill(name)
    new.get_by_label("Mã bước").fill(code)
    new.get_by_label("Vai trò xử lý").select_option("reception")
    new.get_by_label("Đơn vị, bộ phận xử lý").fill("Bộ phận Một cửa")
    new.get_by_label("Thời gian (giờ làm việc)").fill(hours)
    for label in check:
        new.get_by_label(label, exact=True).check()
    for label in uncheck:
        new.get_by_label(label, exact=True).uncheck()
    _submit(page, "Thêm", new)
    expect(page.get_by_role("status")).to_contain_text("Đã thêm.")


def test_admin_designs_and_publishes_then_a_citizen_starts_a_dossier(
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
) -> None:
    page = new_web_context().new_page()
    log_in(page, ADMIN)
    page.goto("/quan-tri")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quản trị hệ thống")
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("navigation", name="Mục quản trị").get_by_role(
            "link", name="Thủ tục và quy trình"
        ).click()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Thêm thủ tục mới").click()

    # General information; submitting without a name first shows the error summary.
    page.get_by_label("Mã thủ tục").fill(CODE)
    page.get_by_label("Lĩnh vực").fill("Cư trú")
    page.get_by_label("Thời hạn giải quyết (ngày làm việc)").fill("1")
    page.get_by_label(re.compile(r"Phố Hiến \(000\.00\.51\.H31\)")).check()
    _submit(page, "Tạo bản nháp")
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Vui lòng nhập tên thủ tục")
    expect(page.get_by_label("Mã thủ tục")).to_have_value(CODE)
    assert_accessible(page)
    page.get_by_label("Tên thủ tục").fill(NAME)
    page.get_by_label("Kết quả giải quyết").fill("Giấy xác nhận thông tin về cư trú")
    _submit(page, "Tạo bản nháp")
    expect(page).to_have_url(re.compile(rf"/quan-tri/thu-tuc/{re.escape(CODE)}/ban-nhap\?"))
    expect(page.locator("#problems")).to_contain_text("Quy trình chưa có bước nào")
    assert_accessible(page)

    # A declared field, prefilled from the citizen's account.
    _open_section(page, "Biểu mẫu khai")
    new = page.locator("#item-new")
    new.get_by_label("Nhãn hiển thị").fill("Họ và tên người đề nghị")
    new.get_by_label("Tên trường (mã)").fill("ho_ten")
    new.get_by_label("Tự điền từ tài khoản").select_option("full_name")
    _submit(page, "Thêm", new)
    expect(page.locator("#item-0")).to_contain_text("Họ và tên người đề nghị")
    assert_accessible(page)

    # A component (PDF only, 5 MB) and a free fee.
    _open_section(page, "Thành phần hồ sơ")
    new = page.locator("#item-new")
    new.get_by_label("Tên giấy tờ").fill("Tờ khai đề nghị xác nhận")
    new.get_by_label("Mã giấy tờ").fill("TK")
    new.get_by_label("Dung lượng tối đa (MB)").fill("5")
    new.get_by_label("JPG", exact=True).uncheck()
    new.get_by_label("PNG", exact=True).uncheck()
    _submit(page, "Thêm", new)
    expect(page.locator("#item-0")).to_contain_text("Tờ khai đề nghị xác nhận")
    assert_accessible(page)
    _open_section(page, "Phí, lệ phí")
    new = page.locator("#item-new")
    new.get_by_label("Tên khoản thu").fill("Lệ phí xác nhận")
    new.get_by_label("Mức thu (đồng)").fill("0")
    _submit(page, "Thêm", new)

    # Two steps; a too long one first: the legal-time check shows and blocks publishing.
    _open_section(page, "Quy trình xử lý")
    _add_step(page, "TN", "Tiếp nhận hồ sơ", "6", ["Tiếp nhận hồ sơ"], ["Trả lại bước trước"])
    _add_step(
        page,
        "TKQ",
        "Trả kết quả",
        "4",
        ["Đính kèm kết quả", "Trả kết quả"],
        ["Chuyển bước tiếp theo", "Trả lại bước trước"],
    )
    expect(page.locator("#problems")).to_contain_text("vượt quá thời hạn giải quyết")
    assert_accessible(page)
    first = page.locator("#item-0")
    first.get_by_label("Thời gian (giờ làm việc)").fill("1,5")
    _submit(page, "Lưu mục 1", first)
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator(".budget")).to_contain_text("5,5 / 7,5 giờ làm việc")

    # Preview, then publish.
    _open_section(page, "Xem trước và công bố", "Xem trước trang thủ tục")
    expect(page.locator(".preview-frame").first).to_contain_text("Tờ khai đề nghị xác nhận")
    expect(page.get_by_label("Họ và tên người đề nghị")).to_be_disabled()
    assert_accessible(page)
    _submit(page, "Công bố phiên bản 1")
    expect(page.get_by_role("status")).to_contain_text("Đã công bố phiên bản mới")
    expect(page.locator("table")).to_contain_text("Đang áp dụng")
    assert_accessible(page)

    # The citizen, on a phone, finds it in the catalogue and starts a dossier.
    citizen = new_web_context(viewport=PHONE).new_page()
    log_in(citizen, CITIZEN)
    citizen.goto("/thu-tuc")
    citizen.get_by_label("Từ khóa").fill("xac nhan tinh trang cu tru thu nghiem")
    with citizen.expect_navigation():
        citizen.get_by_role("button", name="Lọc").click()
    with citizen.expect_navigation():
        citizen.get_by_role("link", name=NAME).click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(citizen.locator("main")).to_contain_text("Miễn phí")
    with citizen.expect_navigation():
        citizen.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    expect(citizen).to_have_url(re.compile(rf"/thu-tuc/{re.escape(CODE)}/nop-ho-so$"))
    with citizen.expect_navigation():
        citizen.get_by_role("button", name="Bắt đầu khai hồ sơ").click()
    expect(citizen).to_have_url(re.compile(r"/ho-so/\d+/khai\?msg=created$"))
    expect(citizen.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(citizen.get_by_label("Họ và tên người đề nghị")).to_have_value("Nguyễn Thị Lan")
    expect(citizen.locator("#c-TK")).to_contain_text("PDF")
