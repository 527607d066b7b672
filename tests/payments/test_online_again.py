"""Paying online again: a second click reuses the pending payment, a failed or cancelled one
offers "Thử lại", the history speaks the payer's language, and the pages' CSP lets a form
go to the configured gateway (and only to it)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import utcnow
from app.main import create_app
from app.payments import vnpay
from app.payments.models import Payment
from tests.conftest import csrf_from
from tests.dossiers.helpers import CITIZEN, submit_procedure

TMN_CODE = "DEMO0001"
SECRET = "TESTSECRETKEY0123456789"
GATEWAY = "https://pay.example.vn:8443/paymentv2/vpcpay.html"


@pytest.fixture
def vnpay_on(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "vnpay_tmn_code", TMN_CODE)
    monkeypatch.setattr(settings, "vnpay_hash_secret", SECRET)
    monkeypatch.setattr(settings, "vnpay_url", GATEWAY)


def _log_in(client: TestClient, email: str = CITIZEN) -> None:
    form = client.get("/dang-nhap")
    done = client.post(
        "/dang-nhap",
        data={"email": email, "password": "MotCua@2026", "csrf_token": csrf_from(form.text)},
    )
    assert done.status_code == 200, done.text


def _dossier_owing_fees(client: TestClient) -> int:
    """A marital status certificate submitted online: 5.000 ₫ due at submission."""
    dossier, _ = submit_procedure(client, "1.004873")
    assert dossier["status"] == "awaiting_payment"
    return int(dossier["id"])


def _choose(client: TestClient, dossier_id: int, method: str) -> str:
    """Pick a method on the payment page and press "Thanh toán"; where the browser is sent."""
    page = client.get(f"/ho-so/{dossier_id}/thanh-toan")
    assert page.status_code == 200
    start = client.post(
        f"/ho-so/{dossier_id}/thanh-toan",
        data={"method": method, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert start.status_code == 303, start.text
    return str(start.headers["location"])


def _payments(db: Session, dossier_id: int) -> list[Payment]:
    db.expire_all()
    return list(db.scalars(select(Payment).where(Payment.dossier_id == dossier_id).order_by("id")))


def _signed_return(payment: Payment, code: str) -> dict[str, str]:
    """What VNPay appends to the return URL after the payer paid ("00") or cancelled ("24")."""
    params = {
        "vnp_TmnCode": TMN_CODE,
        "vnp_TxnRef": payment.txn_ref,
        "vnp_Amount": str(payment.amount * 100),
        "vnp_ResponseCode": code,
        "vnp_TransactionStatus": "00" if code == "00" else "02",
        "vnp_TransactionNo": "14000001" if code == "00" else "0",
        "vnp_BankCode": "NCB",
    }
    params["vnp_SecureHash"] = vnpay.sign(params, SECRET)
    return params


def test_a_second_click_goes_to_the_same_vnpay_payment(
    client: TestClient, db: Session, vnpay_on: None
) -> None:
    dossier_id = _dossier_owing_fees(client)
    _log_in(client)
    first = _choose(client, dossier_id, "vnpay")
    assert first.startswith(GATEWAY + "?")
    again = _choose(client, dossier_id, "vnpay")
    assert (
        dict(parse_qsl(urlsplit(again).query))["vnp_TxnRef"]
        == (dict(parse_qsl(urlsplit(first).query))["vnp_TxnRef"])
    )
    assert [(p.method, p.status) for p in _payments(db, dossier_id)] == [("vnpay", "pending")]
    # Another method is another payment; the VNPay one stays until one of them settles.
    assert _choose(client, dossier_id, "sandbox").startswith("/thanh-toan/sandbox/")
    assert _choose(client, dossier_id, "sandbox") == _choose(client, dossier_id, "sandbox")
    assert [p.status for p in _payments(db, dossier_id)] == ["pending", "pending"]


def test_the_api_returns_the_pending_payment_again(
    client: TestClient, db: Session, vnpay_on: None
) -> None:
    dossier, citizen = submit_procedure(client, "1.004873")
    url = f"/api/v1/dossiers/{dossier['id']}/payments"
    first = client.post(url, json={"method": "vnpay"}, headers=citizen).json()
    again = client.post(url, json={"method": "vnpay"}, headers=citizen).json()
    assert again["payment_id"] == first["payment_id"] and again["redirect_url"]
    assert len(client.get(url, headers=citizen).json()["items"]) == 1


def test_an_old_or_outdated_pending_payment_is_not_reused(
    client: TestClient, db: Session, vnpay_on: None
) -> None:
    dossier_id = _dossier_owing_fees(client)
    _log_in(client)
    _choose(client, dossier_id, "vnpay")
    [stale] = _payments(db, dossier_id)
    # Past the gateway's expiry: cancelled, and a new payment is made.
    stale.created_at = utcnow() - timedelta(minutes=16)
    db.flush()
    _choose(client, dossier_id, "vnpay")
    assert [p.status for p in _payments(db, dossier_id)] == ["cancelled", "pending"]
    # Still payable at the gateway but too close to its expiry to offer again: left pending.
    _, late = _payments(db, dossier_id)
    late.created_at = utcnow() - timedelta(minutes=12)
    db.flush()
    _choose(client, dossier_id, "vnpay")
    assert [p.status for p in _payments(db, dossier_id)] == ["cancelled", "pending", "pending"]
    # Asking for another amount than what is owed now (the fees changed): cancelled.
    newest = _payments(db, dossier_id)[-1]
    newest.amount = 1_000
    db.flush()
    target = _choose(client, dossier_id, "vnpay")
    statuses = [(p.status, p.amount) for p in _payments(db, dossier_id)]
    assert statuses == [
        ("cancelled", 5_000),
        ("pending", 5_000),
        ("cancelled", 1_000),
        ("pending", 5_000),
    ]
    assert dict(parse_qsl(urlsplit(target).query))["vnp_Amount"] == "500000"


def test_cancel_at_the_sandbox_bank_offers_to_try_again(client: TestClient, db: Session) -> None:
    dossier_id = _dossier_owing_fees(client)
    _log_in(client)
    bank_url = _choose(client, dossier_id, "sandbox")
    bank = client.get(bank_url)
    result = client.post(bank_url, data={"decision": "cancel", "csrf_token": csrf_from(bank.text)})
    assert result.status_code == 200
    assert "Giao dịch không thành công hoặc đã bị hủy." in result.text
    assert f'href="/ho-so/{dossier_id}/thanh-toan">Thử lại</a>' in result.text
    # Trying again makes a new payment: the failed one is not reused.
    assert _choose(client, dossier_id, "sandbox") != bank_url
    assert [p.status for p in _payments(db, dossier_id)] == ["failed", "pending"]


def test_vnpay_cancel_on_return_fails_the_payment_and_offers_to_try_again(
    client: TestClient, db: Session, vnpay_on: None
) -> None:
    dossier_id = _dossier_owing_fees(client)
    _log_in(client)
    _choose(client, dossier_id, "vnpay")
    [payment] = _payments(db, dossier_id)
    result = client.get("/thanh-toan/ket-qua", params=_signed_return(payment, "24"))
    assert result.status_code == 200
    assert "Thử lại" in result.text and f"/ho-so/{dossier_id}/thanh-toan" in result.text
    assert [p.status for p in _payments(db, dossier_id)] == ["failed"]
    # Its IPN arriving afterwards changes nothing.
    ipn = client.get("/api/v1/payments/vnpay/ipn", params=_signed_return(payment, "24"))
    assert ipn.json()["RspCode"] == "02"
    again = _choose(client, dossier_id, "vnpay")
    assert payment.txn_ref not in again
    assert [p.status for p in _payments(db, dossier_id)] == ["failed", "pending"]


def test_a_paid_or_approved_return_offers_no_retry(
    client: TestClient, db: Session, vnpay_on: None
) -> None:
    dossier_id = _dossier_owing_fees(client)
    _log_in(client)
    _choose(client, dossier_id, "vnpay")
    [payment] = _payments(db, dossier_id)
    # The bank approved but the IPN has not come yet: the return page does not settle it.
    waiting = client.get("/thanh-toan/ket-qua", params=_signed_return(payment, "00"))
    assert "đang chờ xác nhận" in waiting.text and "Thử lại" not in waiting.text
    assert [p.status for p in _payments(db, dossier_id)] == ["pending"]
    ipn = client.get("/api/v1/payments/vnpay/ipn", params=_signed_return(payment, "00"))
    assert ipn.json()["RspCode"] == "00"
    paid = client.get("/thanh-toan/ket-qua", params=_signed_return(payment, "00"))
    assert "Thanh toán thành công" in paid.text and "Thử lại" not in paid.text
    # A late refusal for a paid payment changes nothing and offers nothing.
    late = client.get("/thanh-toan/ket-qua", params=_signed_return(payment, "24"))
    assert "Thử lại" not in late.text
    assert [p.status for p in _payments(db, dossier_id)] == ["paid"]


def test_payment_history_shows_statuses_in_the_payers_language(
    client: TestClient, db: Session, vnpay_on: None
) -> None:
    dossier_id = _dossier_owing_fees(client)
    _log_in(client)
    _choose(client, dossier_id, "sandbox")
    [failed] = _payments(db, dossier_id)
    failed.status = "failed"
    _choose(client, dossier_id, "sandbox")
    _choose(client, dossier_id, "vnpay")
    _, cancelled, _ = _payments(db, dossier_id)
    cancelled.status = "cancelled"
    db.flush()
    page = client.get(f"/ho-so/{dossier_id}/thanh-toan").text
    history = page.split("Lịch sử thanh toán")[1]
    assert "— Không thành công</li>" in history
    assert "— Đã hủy</li>" in history
    assert "— Chưa hoàn tất</li>" in history
    for raw in ("pending", "failed", "cancelled", "paid"):
        assert f"— {raw}<" not in history
    client.get("/ngon-ngu/en")
    english = client.get(f"/ho-so/{dossier_id}/thanh-toan").text
    history = english.split("Payment history")[1]
    for label in ("— Failed</li>", "— Cancelled</li>", "— Not completed</li>"):
        assert label in history


def _page_csp() -> str:
    """The CSP of an application made with the current settings (no lifespan: no database)."""
    http = TestClient(create_app(), base_url="http://127.0.0.1:8000")
    return str(http.get("/openapi.json").headers["content-security-policy"])


def test_csp_lets_forms_go_to_the_configured_gateway_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "form-action 'self';" in _page_csp()
    settings = get_settings()
    monkeypatch.setattr(settings, "vnpay_url", GATEWAY)
    # The URL alone does not turn VNPay on.
    assert "form-action 'self';" in _page_csp()
    monkeypatch.setattr(settings, "vnpay_tmn_code", TMN_CODE)
    monkeypatch.setattr(settings, "vnpay_hash_secret", SECRET)
    csp = _page_csp()
    assert "form-action 'self' https://pay.example.vn:8443;" in csp
    assert "*" not in csp and "/paymentv2" not in csp
    monkeypatch.setattr(settings, "vnpay_url", "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html")
    assert "form-action 'self' https://sandbox.vnpayment.vn;" in _page_csp()
