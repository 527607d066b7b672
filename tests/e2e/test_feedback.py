"""The feedback cycle in Chromium against the real server: an anonymous sender files on a
phone without JavaScript (with an attachment), the specialist answers on a desktop in English,
the leader approves on a desktop in Vietnamese, and the sender reads the answer on the lookup
page; the public list shows the question and answer with the phone and ID numbers masked.
axe-core checks the pages."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dossiers.helpers import pdf_bytes
from tests.e2e.test_staff_desk import LEADER, PHONE, SPECIALIST, no_horizontal_scroll, sign_in

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1280, "height": 900}


def test_feedback_cycle(
    live_server: str,
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
    tmp_path: Any,
) -> None:
    tag = secrets.token_hex(3)
    subject = f"Thái độ tiếp dân {tag}"
    attachment = tmp_path / "anh-chup.pdf"
    attachment.write_bytes(pdf_bytes("anh chup " + tag))

    # The sender, on a phone, without JavaScript.
    sender = new_web_context(viewport=PHONE, java_script_enabled=False).new_page()
    sender.goto("/")
    sender.get_by_role("banner").get_by_role("link", name="Phản ánh, kiến nghị").click()
    sender.get_by_role("link", name="Gửi phản ánh, kiến nghị").click()
    expect(sender.get_by_role("heading", level=1)).to_have_text("Gửi phản ánh, kiến nghị")
    no_horizontal_scroll(sender)
    # Sent empty: the error summary names the fields, nothing is filed.
    sender.wait_for_timeout(3100)  # the form is refused when sent faster than a person could
    sender.get_by_role("button", name="Gửi phản ánh").click()
    expect(sender.locator("#error-summary")).to_contain_text("Tiêu đề")
    sender.get_by_label("Loại phản ánh").select_option("officer")
    sender.get_by_label("Cơ quan tiếp nhận phản ánh").select_option("000.00.51.H31")
    sender.get_by_label("Tiêu đề").fill(subject)
    sender.get_by_label("Nội dung").fill(
        "Cán bộ không hướng dẫn rõ. Số tôi là 0912 345 678, CCCD 034199887766."
    )
    sender.get_by_label("Tệp đính kèm").set_input_files(str(attachment))
    sender.get_by_label("Họ và tên").fill("Trần Thị Gửi")
    sender.get_by_label("Số điện thoại").fill("0912345678")
    sender.get_by_label(re.compile("Đồng ý công khai")).check()
    sender.wait_for_timeout(3100)
    sender.get_by_role("button", name="Gửi phản ánh").click()
    expect(sender.get_by_role("heading", level=1)).to_have_text("Đã gửi phản ánh")
    code = sender.locator("#feedback-code").inner_text()
    secret = sender.locator("#feedback-secret").inner_text()
    assert code.startswith("PA-") and len(secret) == 8
    no_horizontal_scroll(sender)

    # The specialist, on a desktop, in English.
    officer = new_web_context(viewport=DESKTOP).new_page()
    sign_in(log_in, officer, SPECIALIST)
    officer.get_by_role("link", name="Xử lý phản ánh, kiến nghị").click()
    officer.get_by_role("banner").get_by_role("link", name="English").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Complaint or recommendation")
    officer.get_by_role("link", name=code).click()
    expect(officer.get_by_role("link", name="anh-chup.pdf")).to_be_visible()
    assert_accessible(officer)
    officer.get_by_role("textbox", name=re.compile("^Answer")).fill(
        "The ward has reminded the officer; we apologise. Call 0987654321 if needed."
    )
    officer.get_by_label("Complaint finding").select_option("yes")
    officer.get_by_role("button", name="Send for approval").click()
    expect(officer.locator("#feedback-status")).to_contain_text("Awaiting the leader")

    # The leader, on a desktop, in Vietnamese: the masked wording is shown before approval.
    leader = new_web_context(viewport=DESKTOP).new_page()
    sign_in(log_in, leader, LEADER)
    leader.goto("/can-bo/phan-anh?status=answered")
    leader.get_by_role("link", name=code).click()
    expect(leader.get_by_text("[số điện thoại]").first).to_be_visible()
    leader.get_by_role("button", name="Duyệt và gửi trả lời").click()
    expect(leader.locator("#feedback-status")).to_contain_text("Đã trả lời")

    # The sender reads the answer on the lookup page (phone, JavaScript on).
    reader = new_web_context(viewport=PHONE).new_page()
    reader.goto(f"/phan-anh/tra-cuu?code={code}")
    reader.get_by_label("Mã tra cứu").fill(secret)
    reader.get_by_role("button", name="Tra cứu").click()
    expect(reader.locator("#feedback-status")).to_have_text("Đã trả lời")
    expect(reader.locator("#feedback-answer")).to_contain_text("reminded the officer")
    assert "Trần Thị Gửi" not in reader.content()
    assert_accessible(reader)
    no_horizontal_scroll(reader)
    # axe-core needs JavaScript: the filing form is checked here, with it.
    reader.goto("/phan-anh/gui")
    assert_accessible(reader)
    reader.goto(f"/phan-anh?q={tag}")
    card = reader.locator("article", has_text=subject)
    expect(card).to_have_count(1)
    text = card.inner_text()
    assert "0912" not in text and "034199887766" not in text and "0987654321" not in text
