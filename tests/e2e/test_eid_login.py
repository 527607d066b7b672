"""Login with the national e-ID in Chromium (SPEC §11, issue 20): a portal of its own, configured
for a real OpenID Connect provider on loopback (`oidc-provider-mock`); the citizen presses
"Đăng nhập bằng VNeID", is identified at the provider, lands with a verified profile, and
submits a dossier whose applicant data came from the claims (read-only in the form)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import oidc_provider_mock
import pytest
from playwright.sync_api import expect

from tests.accounts.eid_helpers import CITIZEN_CLAIMS, CLIENT_ID, CLIENT_SECRET, mock_provider
from tests.dossiers.helpers import pdf_bytes
from tests.e2e.conftest import running_portal

pytestmark = pytest.mark.e2e

SUB = "vneid-079190001234"
PROCEDURE = "1.001193"
COMMUNE = "000.00.51.H31"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with mock_provider(oidc_provider_mock.User(sub=SUB, claims=CITIZEN_CLAIMS)) as issuer:
        yield issuer


@pytest.fixture(scope="module")
def eid_portal(provider: str) -> Iterator[str]:
    settings = {
        "PORTAL_OIDC_ISSUER": provider,
        "PORTAL_OIDC_CLIENT_ID": CLIENT_ID,
        "PORTAL_OIDC_CLIENT_SECRET": CLIENT_SECRET,
    }
    with running_portal(settings) as base_url:
        yield base_url


@pytest.fixture
def page(chromium_browser: Any, eid_portal: str) -> Iterator[Any]:
    context = chromium_browser.new_context(base_url=eid_portal, locale="vi-VN")
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    console: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: console.append(message.text))
    try:
        yield page
        blocked = [text for text in console if "Content Security Policy" in text]
        assert not blocked, blocked
    finally:
        context.close()


def _pdf(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(name)}


def test_citizen_logs_in_with_the_e_id_and_submits_with_verified_data(
    page: Any, provider: str, assert_accessible: Callable[[Any], None]
) -> None:
    page.goto("/dang-nhap")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Đăng nhập bằng VNeID").click()
    assert page.url.startswith(provider + "/oauth2/authorize")
    with page.expect_navigation(url=re.compile(r"/tai-khoan$")):
        page.get_by_role("button", name=SUB).click()
    expect(page.locator("main")).to_contain_text("Trần Thị Bích")

    page.goto(f"/thu-tuc/{PROCEDURE}/nop-ho-so")
    page.get_by_label("Cơ quan tiếp nhận hồ sơ").select_option(COMMUNE)
    with page.expect_navigation():
        page.get_by_role("button", name="Bắt đầu khai hồ sơ").click()
    expect(page).to_have_url(re.compile(r"/ho-so/\d+/khai\?msg=created$"))
    draft_url = page.url.split("?")[0]
    # The applicant block and the declared fields prefilled from the claims: read-only.
    name = page.locator("#f-applicant-full_name")
    expect(name).to_have_value("Trần Thị Bích")
    expect(name).to_have_attribute("readonly", "")
    expect(page.locator("#f-applicant-id_number")).to_have_value("079190001234")
    expect(page.locator("#f-applicant-phone")).to_have_value("0912345678")
    expect(page.locator("label[for=f-applicant-full_name]")).to_contain_text(
        "đã xác thực qua VNeID"
    )
    declared_name = page.get_by_label(re.compile("Họ tên người đi đăng ký"))
    expect(declared_name).to_have_value("Trần Thị Bích")
    expect(declared_name).to_have_attribute("readonly", "")
    assert_accessible(page)

    # A changed verified value (the read-only attribute removed) is refused by the server.
    page.evaluate("document.querySelector('#f-applicant-full_name').removeAttribute('readonly')")
    name.fill("Người Khác")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu nháp").click()
    expect(page.locator("#f-applicant-full_name-error")).to_contain_text(
        "đã được xác thực qua VNeID"
    )
    page.goto(draft_url)
    expect(page.locator("#f-applicant-full_name")).to_have_value("Trần Thị Bích")

    page.get_by_label("Họ, chữ đệm, tên của trẻ").fill("Trần Minh An")
    page.get_by_label("Ngày sinh của trẻ").fill("20/11/2026")
    page.get_by_label("Giới tính").select_option("Nam")
    page.get_by_label("Nơi sinh").fill("Bệnh viện Đa khoa tỉnh Hưng Yên")
    page.get_by_label("Quan hệ với trẻ").select_option("Mẹ")
    for code, file_name in (("TK", "to-khai.pdf"), ("GCS", "giay-chung-sinh.pdf")):
        block = page.locator(f"#c-{code}")
        block.locator("input[type=file]").set_input_files(_pdf(file_name))
        expect(block.locator(".file-list")).to_contain_text(file_name)
    with page.expect_navigation():
        page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
    expect(page).to_have_url(re.compile(r"/ho-so/\d+\?msg=submitted$"))
    expect(page.get_by_role("status")).to_contain_text("Đã nộp hồ sơ với mã hồ sơ")

    # Logging out ends the portal's session and goes to the provider's logout, which comes
    # back to the portal.
    with page.expect_navigation(url=re.compile(r"/oauth2/end_session\?")):
        page.locator("form[action='/dang-xuat'] button").click()
    assert page.url.startswith(provider)
    assert "id_token_hint=" in page.url and "post_logout_redirect_uri=" in page.url
    with page.expect_navigation(url=re.compile(r"/\?msg=logged_out$")):
        page.get_by_role("button", name="End session").click()
    page.goto("/tai-khoan")
    expect(page).to_have_url(re.compile(r"/dang-nhap"))
