"""Online payment through VNPay, in Chromium against a portal configured for a stand-in gateway
on loopback: the browser really reaches the gateway with a signed order (the page's CSP lets the
form go there), a second click sends it to the same pending payment, and a payment cancelled at
the gateway offers "Thử lại"."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import running_portal
from tests.e2e.test_payment_sandbox import CITIZEN, PASSWORD, _dossier_waiting_for_fees

pytestmark = pytest.mark.e2e

TMN_CODE = "DEMO0001"
SECRET = "E2E-VNPAY-HASH-SECRET-0123456789"
GATEWAY_PATH = "/paymentv2/vpcpay.html"
GATEWAY_TITLE = "Cổng VNPay (giả lập)"


def _sign(params: dict[str, str]) -> str:
    """VNPay's signature, written out again here: HMAC-SHA512 over the vnp_ fields but the
    hash, sorted by name, URL-encoded with spaces as '+'."""
    text = "&".join(
        f"{quote_plus(k)}={quote_plus(v)}"
        for k, v in sorted(params.items())
        if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType") and v
    )
    return hmac.new(SECRET.encode(), text.encode(), hashlib.sha512).hexdigest()


class _Gateway(BaseHTTPRequestHandler):
    """The bank's page: shows the order and a cancel link that returns, signed, to the portal."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != GATEWAY_PATH:
            self.send_error(404)
            return
        order = dict(parse_qsl(url.query))
        cancel = {
            "vnp_TmnCode": order.get("vnp_TmnCode", ""),
            "vnp_TxnRef": order.get("vnp_TxnRef", ""),
            "vnp_Amount": order.get("vnp_Amount", ""),
            "vnp_ResponseCode": "24",
            "vnp_TransactionStatus": "02",
            "vnp_TransactionNo": "0",
            "vnp_BankCode": "NCB",
            "vnp_OrderInfo": order.get("vnp_OrderInfo", ""),
        }
        cancel["vnp_SecureHash"] = _sign(cancel)
        back = order.get("vnp_ReturnUrl", "") + "?" + urlencode(cancel)
        body = (
            '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            f"<title>{GATEWAY_TITLE}</title></head><body><h1>{GATEWAY_TITLE}</h1>"
            f'<p>{order.get("vnp_TxnRef", "")}</p><a href="{back}">Hủy giao dịch</a>'
            "</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the test reports
        pass


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    """URL of the stand-in VNPay payment page on a free port of 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{GATEWAY_PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def vnpay_portal(gateway: str) -> Iterator[str]:
    """A portal of its own, with VNPay configured to send payers to the stand-in gateway."""
    settings = {
        "PORTAL_VNPAY_TMN_CODE": TMN_CODE,
        "PORTAL_VNPAY_HASH_SECRET": SECRET,
        "PORTAL_VNPAY_URL": gateway,
    }
    with running_portal(settings) as base_url:
        yield base_url


@pytest.fixture
def page(chromium_browser: Any, vnpay_portal: str) -> Iterator[Any]:
    """A page of a fresh browser context on the VNPay portal; fails the test on any CSP
    violation reported in the console."""
    context = chromium_browser.new_context(base_url=vnpay_portal, locale="vi-VN")
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


def _pay_with_vnpay(page: Any, dossier_id: int, gateway: str) -> dict[str, str]:
    """Choose VNPay on the dossier's payment page; the signed order the gateway received."""
    page.goto(f"/ho-so/{dossier_id}/thanh-toan")
    page.get_by_label("VNPay", exact=True).check()
    page.get_by_role("button", name="Thanh toán").click()
    page.wait_for_url(lambda url: url.startswith(gateway + "?"))
    expect(page.get_by_role("heading", level=1)).to_have_text(GATEWAY_TITLE)
    return dict(parse_qsl(urlsplit(page.url).query))


def _payment_statuses(base_url: str, dossier_id: int) -> list[str]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        token = http.post("/api/v1/auth/token", data={"username": CITIZEN, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        listing = http.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=auth)
        assert listing.status_code == 200, listing.text
        return [p["status"] for p in listing.json()["items"]]


def test_vnpay_reaches_the_gateway_and_a_second_click_reuses_the_payment(
    page: Any, vnpay_portal: str, gateway: str, log_in: Callable[..., None]
) -> None:
    dossier_id = _dossier_waiting_for_fees(vnpay_portal)
    log_in(page, CITIZEN)

    order = _pay_with_vnpay(page, dossier_id, gateway)
    assert order["vnp_TmnCode"] == TMN_CODE
    assert order["vnp_Amount"] == str(5_000 * 100)
    assert order["vnp_TxnRef"].startswith(f"{dossier_id}-")
    assert order["vnp_ReturnUrl"] == f"{vnpay_portal}/thanh-toan/ket-qua"
    assert order["vnp_SecureHash"] == _sign(order)

    # Back on the portal, a second click goes to the same order: one pending payment.
    again = _pay_with_vnpay(page, dossier_id, gateway)
    assert again["vnp_TxnRef"] == order["vnp_TxnRef"]
    assert again["vnp_SecureHash"] == _sign(again)
    assert _payment_statuses(vnpay_portal, dossier_id) == ["pending"]

    # Cancelled at the bank: the portal says so and offers to try again.
    page.get_by_role("link", name="Hủy giao dịch").click()
    expect(page.get_by_role("alert")).to_contain_text("không thành công")
    page.get_by_role("link", name="Thử lại").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thanh toán phí, lệ phí")
    expect(page.locator("main")).to_contain_text("Không thành công")
    retried = _pay_with_vnpay(page, dossier_id, gateway)
    assert retried["vnp_TxnRef"] != order["vnp_TxnRef"]
    assert _payment_statuses(vnpay_portal, dossier_id) == ["failed", "pending"]
