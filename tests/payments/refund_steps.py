"""Shared steps of the refund tests: a copy of a civil-status extract (2.000635, 8.000 ₫ due
at submission) paid through the sandbox bank, then rejected at reception."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import DEMO_PASSWORD, csrf_from
from tests.dossiers.helpers import RECEPTION, act, headers, submit_procedure

CASHIER = "thuphi.phohien@motcua.local"
OTHER_CASHIER = "tiepnhan.lienphuong@motcua.local"  # a cashier of another commune
AGENCY_ADMIN = "quantri.phohien@motcua.local"
COPY = "2.000635"
REASON = "Hồ sơ bị từ chối tiếp nhận, hoàn trả phí đã nộp"


def pay_by_sandbox(client: TestClient, dossier_id: int, citizen: dict[str, str]) -> int:
    """Start a sandbox payment and confirm it at the test bank; the payment's id."""
    started = client.post(
        f"/api/v1/dossiers/{dossier_id}/payments", json={"method": "sandbox"}, headers=citizen
    )
    assert started.status_code == 201, started.text
    bank_url = started.json()["redirect_url"]
    # The test bank answers only the payer who opened the payment (here by the API token).
    bank = client.get(bank_url, headers=citizen)
    assert bank.status_code == 200 and "8.000 ₫" in bank.text
    done = client.post(
        bank_url,
        data={"decision": "confirm", "csrf_token": csrf_from(bank.text)},
        headers=citizen,
    )
    assert done.status_code == 200 and "Thanh toán thành công" in done.text
    return int(started.json()["payment_id"])


def paid_then_rejected(client: TestClient) -> tuple[dict[str, Any], dict[str, str], int]:
    """The dossier (after rejection), the citizen's token headers and the paid payment's id."""
    dossier, citizen = submit_procedure(client, COPY)
    assert dossier["status"] == "awaiting_payment"
    payment_id = pay_by_sandbox(client, dossier["id"], citizen)
    rejected = act(
        client,
        headers(client, RECEPTION),
        dossier["id"],
        "reject",
        reasons=["Sự kiện hộ tịch không đăng ký tại UBND phường Phố Hiến"],
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    return rejected.json(), citizen, payment_id


def log_in(client: TestClient, email: str) -> None:
    """Log in through the login page (the cookie session of the HTML pages)."""
    client.cookies.clear()
    form = client.get("/dang-nhap")
    done = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(form.text)},
    )
    assert done.status_code == 200, done.text
