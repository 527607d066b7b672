"""VNPay protocol vectors: URL signature, IPN answers, idempotency, amounts."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.payments import vnpay
from app.payments.models import Payment
from app.receipts.models import Receipt
from tests.dossiers.helpers import submit_procedure

SECRET = "TESTSECRETKEY0123456789"


def test_payment_url_is_signed_over_sorted_encoded_params() -> None:
    url = vnpay.payment_url(
        base_url="https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
        tmn_code="DEMO0001",
        secret=SECRET,
        txn_ref="42-abc",
        amount_vnd=10_000,
        order_info="Thanh toan ho so 42",
        return_url="http://127.0.0.1:8000/thanh-toan/ket-qua",
        ip="127.0.0.1",
        created=datetime(2026, 11, 26, 2, 30, tzinfo=UTC),
    )
    query = urlsplit(url).query
    signed, _, secure = query.rpartition("&vnp_SecureHash=")
    # Worked out by hand: the fields in alphabetical order, spaces as '+', ':' and '/' escaped,
    # the amount in VND x 100 and times in Vietnam time (UTC+7).
    expected = (
        "vnp_Amount=1000000&vnp_Command=pay&vnp_CreateDate=20261126093000"
        "&vnp_CurrCode=VND&vnp_ExpireDate=20261126094500&vnp_IpAddr=127.0.0.1"
        "&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+ho+so+42&vnp_OrderType=other"
        "&vnp_ReturnUrl=http%3A%2F%2F127.0.0.1%3A8000%2Fthanh-toan%2Fket-qua"
        "&vnp_TmnCode=DEMO0001&vnp_TxnRef=42-abc&vnp_Version=2.1.0"
    )
    assert signed == expected
    assert secure == hmac.new(SECRET.encode(), expected.encode(), hashlib.sha512).hexdigest()
    assert vnpay.verify(dict(parse_qsl(query)), SECRET)
    assert not vnpay.verify(dict(parse_qsl(query)), "another-secret")


@pytest.fixture
def vnpay_payment(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> tuple[Payment, dict[str, str]]:
    from app.config import get_settings

    settings = get_settings()
    monkeypatch.setattr(settings, "vnpay_tmn_code", "DEMO0001")
    monkeypatch.setattr(settings, "vnpay_hash_secret", SECRET)
    dossier, h = submit_procedure(client, "1.004873")
    assert dossier["status"] == "awaiting_payment"
    response = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "vnpay"}, headers=h
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending" and body["amount"] == 5000
    assert body["redirect_url"].startswith(settings.vnpay_url + "?")
    return body, h  # type: ignore[return-value]


def _ipn(
    client: TestClient,
    payment: dict[str, object],
    *,
    amount: int | None = None,
    code: str = "00",
    secret: str = SECRET,
    txn_ref: str | None = None,
) -> dict[str, str]:
    params = {
        "vnp_TmnCode": "DEMO0001",
        "vnp_TxnRef": txn_ref or str(payment["redirect_url"]).split("vnp_TxnRef=")[1].split("&")[0],
        "vnp_Amount": str((amount if amount is not None else int(str(payment["amount"]))) * 100),
        "vnp_ResponseCode": code,
        "vnp_TransactionStatus": code,
        "vnp_TransactionNo": "14000001",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20261126093500",
        "vnp_OrderInfo": "Thanh toan ho so",
    }
    params["vnp_SecureHash"] = vnpay.sign(params, secret)
    return client.get("/api/v1/payments/vnpay/ipn", params=params).json()


def test_ipn_answers(client: TestClient, db: Session, vnpay_payment) -> None:  # type: ignore[no-untyped-def]
    payment, h = vnpay_payment
    assert _ipn(client, payment, secret="forged") == {
        "RspCode": "97",
        "Message": "Invalid signature",
    }
    assert _ipn(client, payment, amount=1) == {"RspCode": "04", "Message": "Invalid amount"}
    assert _ipn(client, payment, txn_ref="999-nothing") == {
        "RspCode": "01",
        "Message": "Order not found",
    }
    assert _ipn(client, payment) == {"RspCode": "00", "Message": "Confirm Success"}
    assert _ipn(client, payment) == {"RspCode": "02", "Message": "Order already confirmed"}
    receipts = db.scalar(
        select(func.count()).select_from(Receipt).where(Receipt.payment_id == payment["payment_id"])
    )
    assert receipts == 1
    after = client.get(f"/api/v1/payments/{payment['payment_id']}", headers=h).json()
    assert after["status"] == "paid" and after["receipt_id"]
    dossier = client.get(f"/api/v1/dossiers/{payment['dossier_id']}", headers=h).json()
    assert dossier["status"] == "submitted" and dossier["answer_due_at"]


def test_failed_ipn_marks_failed_and_allows_retry(client: TestClient, vnpay_payment) -> None:  # type: ignore[no-untyped-def]
    payment, h = vnpay_payment
    assert _ipn(client, payment, code="24")["RspCode"] == "00"
    failed = client.get(f"/api/v1/payments/{payment['payment_id']}", headers=h).json()
    assert failed["status"] == "failed" and failed["receipt_id"] is None
    retry = client.post(
        f"/api/v1/dossiers/{payment['dossier_id']}/payments", json={"method": "vnpay"}, headers=h
    )
    assert retry.status_code == 201
