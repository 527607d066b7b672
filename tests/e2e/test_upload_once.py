"""Uploads with JavaScript in Chromium (issue 16 item 9, findings M8 and m29): a chosen file
is attached once even when the upload is slow and the old "Tải lên" button is triggered
meanwhile; a refused file is named in its error, which further clicks do not replace; the
files already attached stay listed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dossiers.helpers import pdf_bytes
from tests.e2e.test_dossier_citizen import CITIZEN, _start_draft

pytestmark = pytest.mark.e2e


def _attached(page: Any, dossier_id: str, component: str) -> list[str]:
    """What the server holds for the component (the citizen's own API, same session)."""
    body = page.request.get(f"/api/v1/dossiers/{dossier_id}").json()
    return [f["filename"] for f in body["files"] if f["component"] == component]


def test_a_chosen_file_is_attached_once_and_a_refused_one_is_named(
    web: Any, log_in: Callable[..., None], assert_accessible: Callable[[Any], None]
) -> None:
    page = web
    log_in(page, CITIZEN)
    _start_draft(page)
    dossier_id = re.search(r"/ho-so/(\d+)/khai", page.url).group(1)  # type: ignore[union-attr]
    block = page.locator("#c-TK")
    file_input = block.locator("input[type=file]")
    button = block.locator("[data-upload-button]")
    # The file goes as soon as it is chosen, so the button that would send it again is gone.
    expect(button).to_be_hidden()

    # The upload is held on its way (the walk reproduced the double upload with a slow one).
    held: list[Any] = []
    page.route("**/api/v1/dossiers/*/files", lambda route: held.append(route))
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    file_input.focus()  # as after choosing in the browser's dialog
    file_input.set_input_files(
        {"name": "to_khai.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("to khai")}
    )
    expect(block.locator("[data-upload-status]")).to_contain_text("Đang tải lên: to_khai.pdf")
    expect(file_input).to_be_disabled()
    # What a click on "Tải lên" (or a second "change") does while it uploads: nothing more.
    button.dispatch_event("click")
    file_input.dispatch_event("change")
    page.wait_for_timeout(500)
    assert len(held) == 1
    held[0].continue_()
    expect(block.locator("[data-upload-status]")).to_contain_text("Đã tải lên: to_khai.pdf")
    expect(file_input).to_be_enabled()
    expect(file_input).to_be_focused()
    expect(block.locator(".file-list li")).to_have_count(1)
    assert len(held) == 1
    assert _attached(page, dossier_id, "TK") == ["to_khai.pdf"]
    page.unroute("**/api/v1/dossiers/*/files")

    # A file of the wrong kind: refused, named, and the error stays.
    file_input.set_input_files(
        {"name": "x.exe", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\0" * 300}
    )
    error = block.locator("#f-file-TK-error")
    expect(error).to_have_text(
        "Tệp “x.exe”: Định dạng tệp không được chấp nhận. Chỉ chấp nhận tệp PDF, JPG, PNG."
    )
    expect(file_input).to_have_attribute("aria-invalid", "true")
    expect(file_input).to_have_attribute("aria-describedby", "c-TK-hint f-file-TK-error")
    button.dispatch_event("click")
    button.dispatch_event("click")
    expect(error).to_contain_text("Tệp “x.exe”: Định dạng tệp không được chấp nhận.")
    expect(block.locator(".error-text")).to_have_count(1)
    expect(block.locator(".file-list li")).to_have_count(1)
    expect(block.locator(".file-list")).to_contain_text("to_khai.pdf")

    # The same content again under another name: refused with the server's message, named.
    file_input.set_input_files(
        {"name": "to_khai (1).pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("to khai")}
    )
    expect(error).to_have_text(
        "Tệp “to_khai (1).pdf”: Tệp có cùng nội dung đã được đính kèm cho thành phần hồ sơ này."
    )
    expect(block.locator(".file-list li")).to_have_count(1)
    assert _attached(page, dossier_id, "TK") == ["to_khai.pdf"]

    # A good file clears the error and joins the list.
    file_input.set_input_files(
        {"name": "trang-2.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("trang 2")}
    )
    expect(block.locator("[data-upload-status]")).to_contain_text("Đã tải lên: trang-2.pdf")
    expect(error).to_have_count(0)
    expect(block.locator(".file-list li")).to_have_count(2)
    assert sorted(_attached(page, dossier_id, "TK")) == ["to_khai.pdf", "trang-2.pdf"]
    assert navigations == [], navigations
    assert_accessible(page)


def test_without_javascript_the_upload_button_is_there_and_names_a_refused_file(
    new_web_context: Callable[..., Any], log_in: Callable[..., None]
) -> None:
    page = new_web_context(java_script_enabled=False).new_page()
    log_in(page, CITIZEN)
    _start_draft(page)
    block = page.locator("#c-TK")
    block.locator("input[type=file]").set_input_files(
        {"name": "x.exe", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\0" * 300}
    )
    with page.expect_navigation():
        block.get_by_role("button", name=re.compile("^Tải lên")).click()
    expect(page.locator("#c-TK #f-file-TK-error")).to_contain_text(
        "Tệp “x.exe”: Định dạng tệp không được chấp nhận."
    )
