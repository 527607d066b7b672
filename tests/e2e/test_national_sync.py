"""The national sync end to end: a portal of its own whose embedded worker delivers to the
stand-in (``app/national/sandbox.py``) on 127.0.0.1. While the stand-in refuses, the first
message is parked; the administrator sees it on a phone with the partner's answer (accessible,
no secret on the page), sends it again once the stand-in works, and every message of the
dossier arrives in order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app.national import sandbox
from tests.e2e.conftest import running_portal
from tests.e2e.test_axe_tables_landmarks import PHONE, _received_dossier, _token

pytestmark = pytest.mark.e2e

ADMIN = "admin@motcua.local"
PASSWORD = "mat-khau-cong-quoc-gia"


@pytest.fixture(scope="module")
def stand_in() -> Iterator[tuple[sandbox.SandboxState, str]]:
    state = sandbox.SandboxState(username="hungyen", password=PASSWORD)
    server = sandbox.make_server(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def national_portal(stand_in: tuple[sandbox.SandboxState, str]) -> Iterator[str]:
    settings = {
        "PORTAL_NATIONAL_URL": stand_in[1],
        "PORTAL_NATIONAL_USERNAME": "hungyen",
        "PORTAL_NATIONAL_PASSWORD": PASSWORD,
        "PORTAL_NATIONAL_MAX_ATTEMPTS": "1",
        "PORTAL_NATIONAL_RETRY_SECONDS": "0",
        "PORTAL_WORKER_INTERVAL_SECONDS": "1",
    }
    with running_portal(settings) as base_url:
        yield base_url


def _queue(base_url: str, status: str = "") -> dict[str, Any]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        answer = http.get(
            "/api/v1/admin/national-sync",
            params={"status": status} if status else {},
            headers=_token(http, ADMIN),
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def _wait(check: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_a_parked_message_is_seen_and_sent_again_by_the_administrator(
    chromium_browser: Any,
    national_portal: str,
    stand_in: tuple[sandbox.SandboxState, str],
    assert_accessible: Callable[[Any], None],
) -> None:
    state, _url = stand_in
    state.plan(["error"], every=1)  # the national side is busy: every delivery refused
    dossier_id = _received_dossier(national_portal)
    _wait(lambda: _queue(national_portal, "parked")["total"] >= 1, "a parked message")

    context = chromium_browser.new_context(
        base_url=national_portal, locale="vi-VN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/dang-nhap")
        page.get_by_label("Email").fill(ADMIN)
        page.get_by_label("Mật khẩu").fill("MotCua@2026")
        with page.expect_navigation():
            page.locator("main form").get_by_role("button", name="Đăng nhập").click()
        page.goto("/quan-tri")
        page.get_by_role("link", name="Đồng bộ Cổng Dịch vụ công quốc gia").click()
        page.get_by_role("link", name="Tạm dừng gửi (1)").click()
        row = page.locator("tr.national-parked")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Hệ thống đang bận (giả lập)")
        expect(row).to_contain_text("DongBoHoSoMC")
        assert_accessible(page)
        content = page.content()
        assert PASSWORD not in content
        assert all(token not in content for token in state.issued)

        state.plan([], every=0)  # the national side works again
        with page.expect_navigation():
            row.get_by_role("button", name="Gửi lại").click()
        expect(page.get_by_role("status")).to_contain_text("sẽ được gửi lại")
    finally:
        context.close()

    def all_acknowledged() -> bool:
        counts = _queue(national_portal)["counts"]
        return counts["acknowledged"] >= 4 and counts["pending"] + counts["parked"] == 0

    _wait(all_acknowledged, "every message acknowledged")
    items = sorted(_queue(national_portal)["items"], key=lambda i: i["id"])
    ours = [i for i in items if i["dossier_id"] == dossier_id]
    code = ours[0]["dossier_code"]
    received = [r["service"] for r in state.received if r["data"][0]["MaHoSo"] == code]
    assert received == [i["service"] for i in ours]  # in order, each once
    assert [
        r["data"][0]["TrangThaiHoSo"] for r in state.received if r["service"] == "DongBoHoSoMC"
    ][:2] == ["1", "2"]
