"""Online payment through the built-in sandbox bank, in Chromium against the real server:
the citizen pays from the dossier page, confirms at the bank and gets a signed receipt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.dossiers.helpers import pdf_bytes

pytestmark = pytest.mark.e2e

CITIZEN = "congdan@motcua.local"
PASSWORD = "MotCua@2026"


def _dossier_waiting_for_fees(base_url: str) -> int:
    """A marital status certificate (5.000 ₫ at submission), submitted through the API."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        token = http.post("/api/v1/auth/token", data={"username": CITIZEN, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        detail = http.get("/api/v1/procedures/1.004873").json()
        form = {}
        for f in detail["form_schema"]["fields"]:
            form[f["name"]] = {
                "date": "2026-01-15",
                "id_number": "034190001234",
                "phone": "0912345678",
                "email": "lan@example.vn",
                "number": "1",
                "checkbox": True,
                "select": (f["options"] or [""])[0],
            }.get(f["type"], "Nội dung khai")
        draft = http.post(
            "/api/v1/dossiers",
            headers=auth,
            json={"procedure_code": "1.004873", "agency_code": "000.00.51.H31", "form_data": form},
        )
        assert draft.status_code == 201, draft.text
        dossier_id = int(draft.json()["id"])
        for comp in detail["components"]:
            if comp["required"]:
                up = http.post(
                    f"/api/v1/dossiers/{dossier_id}/files",
                    headers=auth,
                    data={"component": comp["code"]},
                    files={"file": ("giay-to.pdf", pdf_bytes(), "application/pdf")},
                )
                assert up.status_code == 201, up.text
        submitted = http.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=auth)
        assert submitted.json()["status"] == "awaiting_payment"
    return dossier_id


def test_sandbox_payment_gives_a_signed_receipt(
    web: Any,
    live_server: str,
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
) -> None:
    dossier_id = _dossier_waiting_for_fees(live_server)
    log_in(web, CITIZEN)
    web.goto(f"/ho-so/{dossier_id}")
    expect(web.get_by_text("5.000 ₫").first).to_be_visible()
    web.get_by_role("link", name="Thanh toán trực tuyến").click()
    assert_accessible(web)
    web.get_by_label("Cổng thanh toán thử nghiệm").check()
    web.get_by_role("button", name="Thanh toán").click()
    expect(web.get_by_role("heading", level=1)).to_have_text("Cổng thanh toán thử nghiệm")
    assert_accessible(web)
    web.get_by_role("button", name="Xác nhận thanh toán").click()
    expect(web.get_by_role("status")).to_contain_text("Thanh toán thành công")
    web.get_by_role("link", name="Xem biên lai điện tử").click()
    expect(web.get_by_role("heading", level=1)).to_have_text("Biên lai thu phí, lệ phí")
    expect(web.locator("main")).to_contain_text("Năm nghìn đồng")
    # The signed PDF is made just after the payment, off the request (ADR 0014): the page
    # says so and shows the link once it exists, without a reload.
    expect(web.locator("#receipt-signed")).to_have_text("Đã ký số", timeout=30_000)
    expect(web.get_by_role("link", name="Tải biên lai (PDF)")).to_be_visible()
    assert_accessible(web)
    # The dossier left awaiting_payment: it now waits for reception.
    web.goto(f"/ho-so/{dossier_id}")
    expect(web.locator("main")).to_contain_text("Chờ tiếp nhận")


def test_cancelled_sandbox_payment_leaves_fees_due(
    web: Any, live_server: str, log_in: Callable[..., None]
) -> None:
    dossier_id = _dossier_waiting_for_fees(live_server)
    log_in(web, CITIZEN)
    web.goto(f"/ho-so/{dossier_id}/thanh-toan")
    web.get_by_role("button", name="Thanh toán").click()
    web.get_by_role("button", name="Hủy giao dịch").click()
    expect(web.get_by_role("alert")).to_contain_text("không thành công")
    web.goto(f"/ho-so/{dossier_id}")
    expect(web.locator("main")).to_contain_text("Còn phải nộp")
