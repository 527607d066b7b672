"""Date fields in an English-language Chromium read and take dd/mm/yyyy (a browser's own
date picker would show mm/dd/yyyy there): a citizen's declared date, and the statistics
period."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_dossier_citizen import CITIZEN, _start_draft

pytestmark = pytest.mark.e2e


def test_a_declared_date_reads_dd_mm_yyyy_in_an_english_browser(
    new_web_context: Callable[..., Any], log_in: Callable[..., None]
) -> None:
    page = new_web_context(locale="en-US").new_page()
    assert page.evaluate("navigator.language") == "en-US"
    log_in(page, CITIZEN)
    _start_draft(page)

    birth = page.get_by_label("Ngày sinh của trẻ")
    expect(birth).to_have_attribute("type", "text")
    expect(birth).to_have_attribute("placeholder", "dd/mm/yyyy")
    birth.fill("02/11/2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu nháp").click()
    expect(page.locator("main")).to_contain_text("Đã lưu nháp.")
    # 2 November, not 11 February: shown back the way it was typed.
    expect(page.get_by_label("Ngày sinh của trẻ")).to_have_value("02/11/2026")

    # A day that does not exist is refused next to the field, and kept to be corrected.
    page.get_by_label("Ngày sinh của trẻ").fill("31/02/2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
    birth = page.locator("#f-child_birth_date")
    expect(birth).to_have_value("31/02/2026")
    expect(birth).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-child_birth_date-error")).to_have_text(
        "Ngày không hợp lệ (dd/mm/yyyy)."
    )
    described = birth.get_attribute("aria-describedby") or ""
    assert "f-child_birth_date-error" in described.split()


def test_the_statistics_period_is_typed_dd_mm_yyyy_in_an_english_browser(
    new_web_context: Callable[..., Any],
) -> None:
    page = new_web_context(locale="en-US").new_page()
    page.goto("/thong-ke")
    start = page.get_by_label("Tiếp nhận từ ngày")
    expect(start).to_have_value(re.compile(r"^01/01/\d{4}$"))
    start.fill("01/03/2026")
    page.get_by_label("Đến ngày").fill("31/03/2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Xem thống kê").click()
    expect(page.get_by_label("Tiếp nhận từ ngày")).to_have_value("01/03/2026")
    expect(page.get_by_label("Đến ngày")).to_have_value("31/03/2026")
    expect(page.locator("#f-from-error")).to_have_count(0)
