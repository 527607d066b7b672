"""Notice channels and results by post end to end, in Chromium, on a portal of its own whose
embedded worker sends SMS to the stand-in started with the real command (``portal
sms-sandbox --fail-every 2``) on 127.0.0.1.

- A citizen chooses SMS on the account page (a bad number is refused by the field); a status
  change of their dossier arrives as an unaccented SMS in the stand-in's log, the refused one
  retried.
- A citizen chooses the result by post on the draft (without an address: refused, still a
  draft), pays the postal fee through the sandbox gateway; reception records the carrier's
  tracking number; the citizen sees it on the dossier page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.dossiers.helpers import pdf_bytes
from tests.e2e.conftest import SMS_KEY, login, running_portal, sms_log, wait_until
from tests.e2e.test_axe_tables_landmarks import _complete_draft, _received_dossier, _token

pytestmark = pytest.mark.e2e

CITIZEN = "congdan@motcua.local"
RECEPTION = "tiepnhan.phohien@motcua.local"
SPECIALIST = "chuyenvien.phohien@motcua.local"
LEADER = "lanhdao.phohien@motcua.local"
BIRTH = "1.001193"
TRACKING = "EB123456785VN"
ADDRESS = "Số 12 đường Nguyễn Văn Linh, phường Phố Hiến, tỉnh Hưng Yên"


@pytest.fixture(scope="module")
def portal(sms_stand_in: str) -> Iterator[str]:
    settings = {
        "PORTAL_SMS_URL": f"{sms_stand_in}/sms/send",
        "PORTAL_SMS_KEY": SMS_KEY,
        "PORTAL_CHANNEL_RETRY_SECONDS": "0",
        "PORTAL_WORKER_INTERVAL_SECONDS": "1",
    }
    with running_portal(settings) as base_url:
        yield base_url


def test_a_citizen_who_chooses_sms_gets_the_status_change_in_the_stand_in(
    chromium_browser: Any,
    portal: str,
    sms_stand_in: str,
    assert_accessible: Callable[[Any], None],
) -> None:
    page = chromium_browser.new_context(base_url=portal).new_page()
    login(page, CITIZEN)
    page.goto("/tai-khoan")
    page.get_by_role("link", name="Kênh nhận thông báo").click()
    assert_accessible(page)
    page.get_by_label("Tin nhắn SMS").check()
    page.get_by_label("Số điện thoại di động nhận SMS, Zalo").fill("0123")
    page.get_by_role("button", name="Lưu lựa chọn").click()
    expect(page.get_by_role("alert")).to_contain_text("không đúng định dạng")
    expect(page.locator("#f-phone-error")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Số điện thoại di động nhận SMS, Zalo").fill("0912 345 678")
    page.get_by_role("button", name="Lưu lựa chọn").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu kênh nhận thông báo")

    _received_dossier(portal)  # submitted, then received by reception

    def arrived() -> bool:
        return any(
            "da duoc tiep nhan" in m.get("text", "") for m in sms_log(sms_stand_in)["received"]
        )

    wait_until(arrived, "the SMS of the reception")
    log = sms_log(sms_stand_in)
    assert all(m["to"] == "84912345678" for m in log["received"])
    assert any(r["fault"] == "http503" for r in log["refused"])  # refused once, sent again
    # The stand-in's own page shows it too.
    page.goto(f"{sms_stand_in}/")
    expect(page.locator("table")).to_contain_text("da duoc tiep nhan")


def test_result_by_post_fee_paid_tracking_number_seen_by_the_citizen(
    chromium_browser: Any,
    portal: str,
    assert_accessible: Callable[[Any], None],
) -> None:
    with httpx.Client(base_url=portal, timeout=30) as http:
        citizen = _token(http, CITIZEN)
        dossier_id = _complete_draft(http, citizen)

    page = chromium_browser.new_context(base_url=portal).new_page()
    login(page, CITIZEN)
    page.goto(f"/ho-so/{dossier_id}/khai")
    page.get_by_label("Nhận qua dịch vụ bưu chính công ích").check()
    page.get_by_label("Người nhận", exact=True).fill("Nguyễn Thị Lan")
    page.get_by_label("Số điện thoại người nhận").fill("0912345678")
    page.get_by_label("Địa chỉ nhận kết quả").fill("")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator("#error-summary")).to_contain_text("Nhập địa chỉ nhận kết quả")
    expect(page.locator("#f-postal_address-error")).to_be_visible()
    assert_accessible(page)
    with httpx.Client(base_url=portal, timeout=30) as http:
        still = http.get(f"/api/v1/dossiers/{dossier_id}", headers=_token(http, CITIZEN))
        assert still.json()["status"] == "draft"
    page.get_by_label("Nhận qua dịch vụ bưu chính công ích").check()
    page.get_by_label("Địa chỉ nhận kết quả").fill(ADDRESS)
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator("main")).to_contain_text("Nhận kết quả qua bưu chính công ích")
    expect(page.get_by_text("25.000 ₫").first).to_be_visible()

    # The postal fee is paid through the sandbox gateway.
    page.get_by_role("link", name="Thanh toán trực tuyến").click()
    page.get_by_label("Cổng thanh toán thử nghiệm").check()
    page.get_by_role("button", name="Thanh toán").click()
    page.get_by_role("button", name="Xác nhận thanh toán").click()
    expect(page.get_by_role("status")).to_contain_text("Thanh toán thành công")

    with httpx.Client(base_url=portal, timeout=30) as http:
        for email, action in ((RECEPTION, "receive"), (SPECIALIST, "forward"), (LEADER, "approve")):
            acted = http.post(
                f"/api/v1/dossiers/{dossier_id}/actions",
                headers=_token(http, email),
                json={"action": action},
            )
            assert acted.status_code == 200, acted.text
        attached = http.post(
            f"/api/v1/dossiers/{dossier_id}/actions",
            headers=_token(http, RECEPTION),
            data={"action": "attach_result", "comment": "Giấy khai sinh"},
            files={"file": ("gks.pdf", pdf_bytes("GKS"), "application/pdf")},
        )
        assert attached.status_code == 200, attached.text

    officer = chromium_browser.new_context(base_url=portal).new_page()
    login(officer, RECEPTION)
    officer.goto(f"/can-bo/ho-so/{dossier_id}")
    card = officer.locator("#act-return_result")
    expect(card).to_contain_text(ADDRESS)
    card.get_by_label("Số hiệu bưu gửi").fill("EB123456789VN")
    card.get_by_role("button").click()
    expect(officer.locator("#act-return_result")).to_contain_text("Số hiệu bưu gửi không đúng")
    assert_accessible(officer)
    officer.locator("#act-return_result").get_by_label("Số hiệu bưu gửi").fill(TRACKING)
    officer.locator("#act-return_result").get_by_role("button").click()
    expect(officer.locator("main")).to_contain_text("Đã trả kết quả")

    page.goto(f"/ho-so/{dossier_id}")
    expect(page.locator("#tracking-number")).to_have_text(TRACKING)
    assert_accessible(page)
