"""VNPay's IPN as VNPay specifies it: signature (97), order (01), amount (04), already
concluded (02); a payment settles only when vnp_ResponseCode and vnp_TransactionStatus are
both 00, fails when declined (status 02), and otherwise stays pending (99). The IPNs come
from the stand-in of VNPay (``vnpay_gateway.py``), signed as VNPay signs them."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.dossiers.models import Dossier
from app.payments import refunds, vnpay
from app.payments.models import Payment
from app.receipts.models import Receipt
from tests.dossiers.helpers import headers, submit_procedure
from tests.payments.vnpay_gateway import Gateway, query_hmac

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
def vnpay_payment(client: TestClient, gateway: Gateway) -> tuple[dict[str, Any], dict[str, str]]:
    """A dossier awaiting payment and its VNPay payment, pending."""
    dossier, h = submit_procedure(client, "1.004873")
    assert dossier["status"] == "awaiting_payment"
    response = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "vnpay"}, headers=h
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending" and body["amount"] == 5000
    assert body["redirect_url"].startswith(get_settings().vnpay_url + "?")
    return body, h


def _txn_ref(payment: dict[str, Any]) -> str:
    return dict(parse_qsl(urlsplit(str(payment["redirect_url"])).query))["vnp_TxnRef"]


def _ipn(client: TestClient, params: dict[str, str]) -> dict[str, str]:
    response = client.get("/api/v1/payments/vnpay/ipn", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _receipts(db: Session, payment_id: int) -> int:
    return int(
        db.scalar(select(func.count()).select_from(Receipt).where(Receipt.payment_id == payment_id))
        or 0
    )


def _status(client: TestClient, payment: dict[str, Any], h: dict[str, str]) -> dict[str, Any]:
    return client.get(f"/api/v1/payments/{payment['payment_id']}", headers=h).json()


def test_ipn_answers(client: TestClient, db: Session, vnpay_payment, gateway: Gateway) -> None:  # type: ignore[no-untyped-def]
    payment, h = vnpay_payment
    ref, amount = _txn_ref(payment), 500_000
    forged = gateway.ipn(ref, amount, secret="forged")
    assert _ipn(client, forged) == {"RspCode": "97", "Message": "Invalid signature"}
    assert _ipn(client, gateway.ipn(ref, 100)) == {"RspCode": "04", "Message": "Invalid amount"}
    assert _ipn(client, gateway.ipn("999-nothing", amount)) == {
        "RspCode": "01",
        "Message": "Order not found",
    }
    assert _status(client, payment, h)["status"] == "pending"
    assert _receipts(db, payment["payment_id"]) == 0
    assert _ipn(client, gateway.ipn(ref, amount)) == {"RspCode": "00", "Message": "Confirm Success"}
    assert _ipn(client, gateway.ipn(ref, amount)) == {
        "RspCode": "02",
        "Message": "Order already confirmed",
    }
    assert _receipts(db, payment["payment_id"]) == 1
    after = _status(client, payment, h)
    assert after["status"] == "paid" and after["receipt_id"]
    dossier = client.get(f"/api/v1/dossiers/{payment['dossier_id']}", headers=h).json()
    assert dossier["status"] == "submitted" and dossier["answer_due_at"]


def test_a_declined_payment_fails_and_may_be_tried_again(  # type: ignore[no-untyped-def]
    client: TestClient, db: Session, vnpay_payment, gateway: Gateway
) -> None:
    payment, h = vnpay_payment
    # The payer cancelled at the bank: vnp_ResponseCode 24, vnp_TransactionStatus 02.
    declined = gateway.ipn(_txn_ref(payment), 500_000, response_code="24", status="02")
    assert _ipn(client, declined) == {"RspCode": "00", "Message": "Confirm Success"}
    failed = _status(client, payment, h)
    assert failed["status"] == "failed" and failed["receipt_id"] is None
    stored = db.get(Payment, payment["payment_id"])
    assert stored is not None
    db.refresh(stored)
    assert stored.gateway_data["vnp_ResponseCode"] == "24"
    assert stored.gateway_data["vnp_TransactionStatus"] == "02"
    # A replay, or a success notified afterwards, changes nothing.
    assert _ipn(client, declined)["RspCode"] == "02"
    assert _ipn(client, gateway.ipn(_txn_ref(payment), 500_000))["RspCode"] == "02"
    assert _status(client, payment, h)["status"] == "failed"
    assert _receipts(db, payment["payment_id"]) == 0
    retry = client.post(
        f"/api/v1/dossiers/{payment['dossier_id']}/payments", json={"method": "vnpay"}, headers=h
    )
    assert retry.status_code == 201 and retry.json()["payment_id"] != payment["payment_id"]


@pytest.mark.parametrize(
    ("response_code", "status"),
    [
        ("00", "01"),  # not finished at VNPay
        ("00", "02"),  # contradictory: a success code with a failed status
        ("07", "07"),  # money taken, transaction suspected of fraud
        ("00", "04"),  # reversed: the bank took the money, VNPay did not confirm
        ("00", None),  # no vnp_TransactionStatus at all (VNPay always sends it)
        ("24", "00"),  # a refusal code with a success status
    ],
)
def test_an_ipn_that_is_not_a_final_success_does_not_settle(  # type: ignore[no-untyped-def]
    client: TestClient,
    db: Session,
    vnpay_payment,
    gateway: Gateway,
    response_code: str,
    status: str | None,
) -> None:
    payment, h = vnpay_payment
    ref = _txn_ref(payment)
    unsettled = gateway.ipn(ref, 500_000, response_code=response_code, status=status)
    # 99: nothing recorded as paid or failed, VNPay is to notify again.
    assert _ipn(client, unsettled) == {"RspCode": "99", "Message": "Transaction not final"}
    assert _ipn(client, unsettled)["RspCode"] == "99"  # a replay changes nothing either
    after = _status(client, payment, h)
    assert after["status"] == "pending" and after["receipt_id"] is None
    assert _receipts(db, payment["payment_id"]) == 0
    dossier = client.get(f"/api/v1/dossiers/{payment['dossier_id']}", headers=h).json()
    assert dossier["status"] == "awaiting_payment"
    stored = db.get(Payment, payment["payment_id"])
    assert stored is not None
    db.refresh(stored)  # the codes are kept for the cashier
    assert stored.gateway_data["vnp_ResponseCode"] == response_code
    assert stored.gateway_data.get("vnp_TransactionStatus") == status
    # The final notice settles it, once.
    assert _ipn(client, gateway.ipn(ref, 500_000))["RspCode"] == "00"
    assert _status(client, payment, h)["status"] == "paid"
    assert _receipts(db, payment["payment_id"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "vnp_SecureHash=",
        "vnp_TxnRef=%00%ff&vnp_SecureHash=zz",
        "vnp_TxnRef=1&vnp_SecureHash=%C3%A9%E2%82%AC",
        "vnp_Amount=-1&vnp_Amount=2&vnp_SecureHash=" + "a" * 5000,
        "vnp_TxnRef=" + "x" * 10_000,
        "%ZZ=%ZZ&vnp_ResponseCode=00&vnp_TransactionStatus=00",
    ],
)
def test_bad_input_to_the_ipn_is_answered_in_vnpays_format(client: TestClient, query: str) -> None:
    response = client.get("/api/v1/payments/vnpay/ipn?" + query)
    assert response.status_code == 200
    assert response.json() == {"RspCode": "97", "Message": "Invalid signature"}


def test_signed_but_malformed_ipns_change_nothing(  # type: ignore[no-untyped-def]
    client: TestClient, db: Session, vnpay_payment, gateway: Gateway
) -> None:
    payment, h = vnpay_payment
    ref = _txn_ref(payment)
    for params in (
        {**gateway.ipn(ref, 500_000), "vnp_Amount": "5e5"},
        gateway.ipn(ref, 0),
        gateway.ipn(ref + "x" * 5000, 500_000),
    ):
        params["vnp_SecureHash"] = query_hmac(params)
        assert _ipn(client, params)["RspCode"] in ("01", "04")
    weird_amount = gateway.ipn(ref, 500_000)
    weird_amount["vnp_Amount"] = "５０００００"  # the right amount, in digits of another script
    weird_amount["vnp_SecureHash"] = query_hmac(weird_amount)
    assert _ipn(client, weird_amount) == {"RspCode": "04", "Message": "Invalid amount"}
    assert _status(client, payment, h)["status"] == "pending"
    assert _receipts(db, payment["payment_id"]) == 0


def test_a_cancelled_attempt_the_bank_paid_is_recorded_and_owed_back(  # type: ignore[no-untyped-def]
    client: TestClient, db: Session, vnpay_payment, gateway: Gateway
) -> None:
    """The payer paid at VNPay, its IPN came late; meanwhile the fee was paid at the counter,
    which cancelled the online attempt. The bank's money is still recorded (receipt) and owed
    back, instead of an "already confirmed" that would lose it."""
    payment, h = vnpay_payment
    cashier = headers(client, "thuphi.phohien@motcua.local")
    cash = client.post(
        f"/api/v1/dossiers/{payment['dossier_id']}/payments",
        json={"method": "cash"},
        headers=cashier,
    )
    assert cash.status_code == 201 and cash.json()["status"] == "paid"
    assert _status(client, payment, h)["status"] == "cancelled"

    ref = _txn_ref(payment)
    assert _ipn(client, gateway.ipn(ref, 500_000)) == {
        "RspCode": "00",
        "Message": "Confirm Success",
    }
    assert _status(client, payment, h)["status"] == "paid"
    assert _receipts(db, payment["payment_id"]) == 1
    owed = client.get(f"/api/v1/dossiers/{payment['dossier_id']}/payments", headers=h).json()
    assert owed["outstanding"] == 0 and owed["refund_due"] == 5000
    # The cashier's list of what to pay back shows it too, with the excess only.
    dossier = db.get(Dossier, payment["dossier_id"])
    assert dossier is not None
    listed = refunds.awaiting_refund(db, dossier.agency_id)
    assert [(a.dossier.id, a.amount, a.online) for a in listed if a.dossier.id == dossier.id] == [
        (dossier.id, 5000, True)
    ]
    # Replayed: nothing more.
    assert _ipn(client, gateway.ipn(ref, 500_000))["RspCode"] == "02"
    assert _receipts(db, payment["payment_id"]) == 1
    refunded = client.post(
        f"/api/v1/dossiers/{payment['dossier_id']}/refunds",
        json={"method": "cash", "reason": "Nộp trùng phí (trực tuyến và tại quầy)"},
        headers=cashier,
    )
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["amount"] == 5000
    after = client.get(f"/api/v1/dossiers/{payment['dossier_id']}/payments", headers=h).json()
    assert after["refund_due"] == 0 and after["outstanding"] == 0
    db.expire_all()
    assert all(a.dossier.id != dossier.id for a in refunds.awaiting_refund(db, dossier.agency_id))


def test_a_declined_ipn_about_a_cancelled_attempt_changes_nothing(  # type: ignore[no-untyped-def]
    client: TestClient, db: Session, vnpay_payment, gateway: Gateway
) -> None:
    payment, h = vnpay_payment
    cashier = headers(client, "thuphi.phohien@motcua.local")
    client.post(
        f"/api/v1/dossiers/{payment['dossier_id']}/payments",
        json={"method": "cash"},
        headers=cashier,
    )
    declined = gateway.ipn(_txn_ref(payment), 500_000, response_code="24", status="02")
    assert _ipn(client, declined)["RspCode"] == "02"
    assert _status(client, payment, h)["status"] == "cancelled"
    owed = client.get(f"/api/v1/dossiers/{payment['dossier_id']}/payments", headers=h).json()
    assert owed["refund_due"] == 0
