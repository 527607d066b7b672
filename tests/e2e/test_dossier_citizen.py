"""A citizen submits a birth-registration dossier in Chromium against the real server: from
the procedure page, through the draft (with an error state), uploads with progress without a
page reload, to the dossier page — and the same without JavaScript. axe-core checks the
draft, dossier, "my dossiers" and lookup pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.dossiers.helpers import pdf_bytes

pytestmark = pytest.mark.e2e

CITIZEN = "congdan@motcua.local"
PROCEDURE = "1.001193"
COMMUNE = "000.00.51.H31"


def _pdf(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(name)}


def _start_draft(page: Any) -> None:
    """Procedure page → "Nộp hồ sơ trực tuyến" → choose the commune → the draft page."""
    page.goto(f"/thu-tuc/{PROCEDURE}")
    expect(page.locator(".submit-cta")).to_contain_text("dự kiến có kết quả vào")
    with page.expect_navigation():
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    expect(page).to_have_url(re.compile(rf"/thu-tuc/{re.escape(PROCEDURE)}/nop-ho-so$"))
    page.get_by_label("Cơ quan tiếp nhận hồ sơ").select_option(COMMUNE)
    with page.expect_navigation():
        page.get_by_role("button", name="Bắt đầu khai hồ sơ").click()
    expect(page).to_have_url(re.compile(r"/ho-so/\d+/khai\?msg=created$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký khai sinh")
    # Prefilled from the account.
    expect(page.get_by_label("Họ tên người đi đăng ký")).to_have_value("Nguyễn Thị Lan")


def _fill_declared(page: Any) -> None:
    page.get_by_label("Số định danh cá nhân người đi đăng ký").fill("034190001234")
    page.get_by_label("Họ, chữ đệm, tên của trẻ").fill("Nguyễn Minh An")
    page.get_by_label("Ngày sinh của trẻ").fill("20/11/2026")
    page.get_by_label("Giới tính").select_option("Nam")
    page.get_by_label("Nơi sinh").fill("Bệnh viện Đa khoa tỉnh Hưng Yên")
    page.get_by_label("Quan hệ với trẻ").select_option("Mẹ")


def _submit(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()


def test_citizen_submits_a_dossier_with_javascript_uploads(
    web: Any, log_in: Callable[..., None], assert_accessible: Callable[[Any], None]
) -> None:
    page = web
    log_in(page, CITIZEN)
    _start_draft(page)
    assert_accessible(page)
    draft_url = page.url.split("?")[0]

    # Submitting at once: every problem is listed and shown next to its field.
    _submit(page)
    expect(page).to_have_url(re.compile(r"/ho-so/\d+/nop$"))
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("Họ, chữ đệm, tên của trẻ"))).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("Giấy chứng sinh"))).to_be_visible()
    child = page.locator("#f-child_name")
    expect(child).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-child_name-error")).to_be_visible()
    expect(page.locator("#f-file-GCS-error")).to_contain_text("Chưa đính kèm")
    expect(page.get_by_label("Họ tên người đi đăng ký")).to_have_value("Nguyễn Thị Lan")
    assert_accessible(page)

    _fill_declared(page)

    # JavaScript uploads: no page load, a progress bar and the result inline.
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    for code, name in (("TK", "to-khai.pdf"), ("GCS", "giay-chung-sinh.pdf")):
        block = page.locator(f"#c-{code}")
        block.locator("input[type=file]").set_input_files(_pdf(name))
        expect(block.locator("[data-upload-status]")).to_contain_text(f"Đã tải lên: {name}")
        expect(block.locator("progress")).to_be_visible()
        expect(block.locator("progress")).to_have_attribute("value", "100")
        expect(block.locator(".file-list")).to_contain_text(name)
        expect(block.locator("[data-no-files]")).to_be_hidden()

    # A wrong type is refused inline, next to its component.
    optional = page.locator("#c-UQ")
    optional.locator("input[type=file]").set_input_files(
        {"name": "uy-quyen.pdf", "mimeType": "application/pdf", "buffer": b"MZ" + b"\0" * 300}
    )
    expect(optional.locator("#f-file-UQ-error")).to_contain_text(
        "Định dạng tệp không được chấp nhận"
    )
    expect(optional.locator("input[type=file]")).to_have_attribute("aria-invalid", "true")
    # Remove without reloading: upload then delete it again.
    optional.locator("input[type=file]").set_input_files(_pdf("uy-quyen.pdf"))
    expect(optional.locator(".file-list")).to_contain_text("uy-quyen.pdf")
    expect(optional.locator("#f-file-UQ-error")).to_have_count(0)
    optional.get_by_role("button", name=re.compile(r"^Xóa")).click()
    expect(optional.locator(".file-list li")).to_have_count(0)
    expect(optional.locator("[data-upload-status]")).to_contain_text("Đã xóa tệp")
    assert navigations == [], navigations
    expect(page.get_by_label("Họ, chữ đệm, tên của trẻ")).to_have_value("Nguyễn Minh An")

    _submit(page)
    expect(page).to_have_url(re.compile(r"/ho-so/\d+\?msg=submitted$"))
    code = re.compile(r"000\.00\.51\.H31-\d{6}-\d{4}")
    expect(page.get_by_role("status")).to_contain_text("Đã nộp hồ sơ với mã hồ sơ")
    expect(page.get_by_role("status")).to_contain_text(code)
    expect(page.locator("dl.dossier-facts")).to_contain_text("Chờ tiếp nhận")
    expect(page.locator("dl.dossier-facts")).to_contain_text(code)
    expect(page.locator("dl.dossier-facts")).to_contain_text("Mã tra cứu")
    expect(page.locator(".timeline")).to_contain_text("Nộp hồ sơ")
    expect(page.get_by_role("link", name="giay-chung-sinh.pdf")).to_be_visible()
    assert_accessible(page)
    dossier_url = page.url.split("?")[0]
    assert draft_url == dossier_url + "/khai"

    page.goto("/ho-so")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hồ sơ của tôi")
    expect(page.locator(f'.dossier-card a[href="{urlparse(dossier_url).path}"]')).to_be_visible()
    assert_accessible(page)

    page.goto("/tra-cuu")
    assert_accessible(page)
    page.get_by_label("Mã hồ sơ").fill("000.00.51.H31-250101-0001")
    page.locator("#f-secret").fill("SAIMA123")
    with page.expect_navigation():
        page.get_by_role("button", name="Tra cứu").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Không tìm thấy hồ sơ với mã và mã tra cứu đã nhập."
    )
    assert_accessible(page)


def test_citizen_submits_a_dossier_without_javascript(
    new_web_context: Callable[..., Any], log_in: Callable[..., None]
) -> None:
    # No axe check here: axe-core is JavaScript (the pages are checked in the test above).
    page = new_web_context(java_script_enabled=False).new_page()
    log_in(page, CITIZEN)
    _start_draft(page)
    _fill_declared(page)

    # Each upload posts the whole form: the page reloads with the file and the typed values.
    for code, name in (("TK", "to-khai.pdf"), ("GCS", "giay-chung-sinh.pdf")):
        block = page.locator(f"#c-{code}")
        block.locator("input[type=file]").set_input_files(_pdf(name))
        with page.expect_navigation():
            block.get_by_role("button", name=re.compile(r"^Tải lên")).click()
        expect(page).to_have_url(re.compile(rf"/ho-so/\d+/khai\?msg=file_added#c-{code}$"))
        expect(page.locator(f"#c-{code} .file-list")).to_contain_text(name)
        expect(page.get_by_label("Họ, chữ đệm, tên của trẻ")).to_have_value("Nguyễn Minh An")
    expect(page.get_by_label("Ngày sinh của trẻ")).to_have_value("20/11/2026")

    _submit(page)
    expect(page).to_have_url(re.compile(r"/ho-so/\d+\?msg=submitted$"))
    expect(page.locator("dl.dossier-facts")).to_contain_text("Chờ tiếp nhận")

    # Withdraw from the dossier page (reason and confirmation required).
    page.get_by_label("Lý do rút hồ sơ").fill("Nộp nhầm cơ quan")
    page.get_by_label("Tôi xác nhận muốn rút hồ sơ này").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Rút hồ sơ").click()
    expect(page.locator("dl.dossier-facts")).to_contain_text("Đã rút")
