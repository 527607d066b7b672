"""Counter services in Chromium (SPEC §15): a citizen books a band, checks in at the kiosk
with the booking code, reception calls the number, and the calling screen shows it live
(server-sent events) and on a browser without JavaScript (it refreshes itself); the citizen,
who chose SMS, gets the appointment's confirmation in the SMS stand-in's log.

A browser without EventSource polls the JSON board instead.

The portal runs on a database of its own whose working hours cover the whole day, every day,
so that a band of today is still ahead whenever the test runs (bands of 15 minutes; in the
last quarter of an hour before midnight, local time, no band is left and the test fails)."""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import SMS_KEY, login, running_portal, sms_log, wait_until

PHO_HIEN = "000.00.51.H31"
CITIZEN = "congdan@motcua.local"
RECEPTION = "tiepnhan.phohien@motcua.local"
WHOLE_DAY = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module")
def counter_portal(sms_stand_in: str) -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="motcua-e2e-counter-"))
    url = f"sqlite:///{(folder / 'counter.db').as_posix()}"
    settings = {
        "PORTAL_DATABASE_URL": url,
        "PORTAL_CALENDAR_REFRESH_SECONDS": "0",
        # SMS through the stand-in gateway (it refuses every second message: sent again).
        "PORTAL_SMS_URL": f"{sms_stand_in}/sms/send",
        "PORTAL_SMS_KEY": SMS_KEY,
        "PORTAL_CHANNEL_RETRY_SECONDS": "0",
        "PORTAL_WORKER_INTERVAL_SECONDS": "1",
    }
    with running_portal(settings) as base:
        engine = create_engine(url)
        today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO rule_settings (key, value, updated_at) "
                    "VALUES ('schedule', :v, CURRENT_TIMESTAMP)"
                ),
                {"v": json.dumps(WHOLE_DAY)},
            )
            conn.execute(
                text(
                    "INSERT INTO calendar_overrides (day, kind, note, created_at) "
                    "VALUES (:d, 'working_day', 'e2e', CURRENT_TIMESTAMP)"
                ),
                {"d": today.isoformat()},
            )
            conn.execute(
                text(
                    "UPDATE booking_settings SET band_minutes = 15 WHERE agency_id = "
                    "(SELECT id FROM agencies WHERE code = :c)"
                ),
                {"c": PHO_HIEN},
            )
        engine.dispose()
        yield base


@pytest.fixture
def contexts(chromium_browser: Any, counter_portal: str) -> Iterator[Any]:
    """Browser contexts on the counter portal, all closed afterwards (the screens' event
    streams with them)."""
    made: list[Any] = []

    def make(**kwargs: Any) -> Any:
        context = chromium_browser.new_context(base_url=counter_portal, locale="vi-VN", **kwargs)
        context.set_default_timeout(15_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def test_book_check_in_call_and_see_the_number(
    contexts: Any, sms_stand_in: str, assert_accessible: Callable[[Any], None]
) -> None:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    citizen = contexts().new_page()
    login(citizen, CITIZEN)
    # The citizen takes notices by SMS too (issue 24 part 3).
    citizen.goto("/tai-khoan/thong-bao")
    citizen.get_by_label("Tin nhắn SMS").check()
    citizen.get_by_label("Số điện thoại di động nhận SMS, Zalo").fill("0912 345 678")
    citizen.get_by_role("button", name="Lưu lựa chọn").click()
    expect(citizen.get_by_role("status")).to_contain_text("Đã lưu kênh nhận thông báo")
    citizen.goto("/dat-lich")
    citizen.get_by_label("Cơ quan").select_option(PHO_HIEN)
    citizen.get_by_role("button", name="Tiếp tục").click()
    citizen.get_by_label("Thủ tục").select_option("1.001193")
    citizen.get_by_label("Ngày hẹn").fill(today.strftime("%d/%m/%Y"))
    citizen.get_by_role("button", name="Xem khung giờ").click()
    assert_accessible(citizen)
    citizen.locator("input[name=start]:not([disabled])").first.check()
    citizen.get_by_role("button", name="Đặt lịch", exact=True).click()
    expect(citizen.locator("#booking-code")).to_have_text(re.compile(r"^LH-[A-Z0-9]{8}$"))
    code = citizen.locator("#booking-code").inner_text()
    expect(citizen.get_by_role("img", name=re.compile("Mã QR"))).to_be_visible()
    assert_accessible(citizen)

    # The confirmation reaches the SMS gateway's log, with the code, unaccented.
    def confirmed_by_sms() -> bool:
        return any(
            code in m.get("text", "") and "Lich hen" in m.get("text", "")
            for m in sms_log(sms_stand_in)["received"]
        )

    wait_until(confirmed_by_sms, "the SMS confirming the appointment")

    # The TV: one screen live by server-sent events, one without JavaScript.
    screen = contexts().new_page()
    screen.goto(f"/hang-doi/{PHO_HIEN}")
    old_tv = contexts(java_script_enabled=False).new_page()
    no_stream = contexts()
    no_stream.add_init_script("window.EventSource = undefined;")  # a browser without SSE
    polling_tv = no_stream.new_page()
    polling_tv.goto(f"/hang-doi/{PHO_HIEN}")
    old_tv.goto(f"/hang-doi/{PHO_HIEN}")

    kiosk = contexts(viewport={"width": 1080, "height": 1920}).new_page()
    kiosk.goto(f"/kiosk/{PHO_HIEN}")
    kiosk.get_by_label("Mã lịch hẹn").fill(code)
    kiosk.get_by_role("button", name="Lấy số ưu tiên").click()
    number = kiosk.locator("#ticket-number").inner_text()
    assert re.fullmatch(r"\d{4}", number)
    # The same code again is refused with a message, and no second number is given.
    kiosk.get_by_role("link", name="Xong").click()
    kiosk.get_by_label("Mã lịch hẹn").fill(code)
    kiosk.get_by_role("button", name="Lấy số ưu tiên").click()
    expect(kiosk.locator("#error-summary")).to_contain_text("đã được dùng để lấy số")
    assert_accessible(kiosk)

    officer = contexts().new_page()
    login(officer, RECEPTION)
    officer.goto("/can-bo/goi-so")
    officer.get_by_label("Quầy số").fill("3")
    officer.get_by_role("button", name="Gọi số tiếp theo").click()
    announcement = f"Mời số {number} đến quầy số 3"
    expect(officer.locator("#called-now")).to_contain_text(announcement)
    assert_accessible(officer)

    # Live: the screen changes without being reloaded.
    expect(screen.locator("#announcement")).to_have_text(announcement, timeout=15_000)
    expect(screen.locator("#called")).to_contain_text(number)
    assert_accessible(screen)
    # Without server-sent events: polled from the JSON board.
    expect(polling_tv.locator("#announcement")).to_have_text(announcement, timeout=15_000)
    # Without JavaScript: the page refreshes itself within a few seconds.
    deadline = time.monotonic() + 15
    while announcement not in old_tv.locator("#announcement").inner_text():
        assert time.monotonic() < deadline, "the screen without JavaScript never showed the call"
        old_tv.wait_for_timeout(1000)
