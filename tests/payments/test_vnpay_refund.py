"""A VNPay payment is paid back through VNPay's merchant API (``vnp_Command=refund``): the
request is a JSON POST signed with HMAC-SHA512 over its fields joined by ``|`` in VNPay's
order. VNPay does not run here, so a small HTTP server on loopback plays its merchant API: it
checks the signature as VNPay documents it and answers signed, or refuses."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.notifications.models import Notice
from app.payments import vnpay
from app.payments.models import Payment, Refund
from app.receipts.models import Receipt
from tests.conftest import csrf_from
from tests.dossiers.helpers import RECEPTION, act, headers, submit_procedure
from tests.payments.refund_steps import CASHIER, COPY, REASON, log_in

TMN_CODE = "DEMO0001"
SECRET = "TESTSECRETKEY0123456789"
# VNPay's documented order of the signed fields (request, then answer).
REQUEST_ORDER = [
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
]
ANSWER_ORDER = [
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
]


def _hmac(values: dict[str, Any], order: list[str]) -> str:
    text = "|".join(str(values.get(k, "")) for k in order)
    return hmac.new(SECRET.encode(), text.encode(), hashlib.sha512).hexdigest()


class MerchantApi:
    """What the stand-in answers next (``"00"`` pays back) and what it was sent."""

    def __init__(self) -> None:
        self.code = "00"
        self.forge = False
        self.received: list[dict[str, Any]] = []


@pytest.fixture
def merchant_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[MerchantApi]:
    state = MerchantApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.received.append(body)
            if body.get("vnp_SecureHash") != _hmac(body, REQUEST_ORDER):
                code, message = "97", "Invalid Checksum"
            elif state.code == "00":
                code, message = "00", "Refund success"
            else:
                code, message = state.code, "Transaction not found"
            answer = {
                "vnp_ResponseId": "R" + body["vnp_RequestId"][:10],
                "vnp_Command": "refund",
                "vnp_ResponseCode": code,
                "vnp_Message": message,
                "vnp_TmnCode": body["vnp_TmnCode"],
                "vnp_TxnRef": body["vnp_TxnRef"],
                "vnp_Amount": body["vnp_Amount"],
                "vnp_BankCode": "NCB",
                "vnp_PayDate": body["vnp_CreateDate"],
                "vnp_TransactionNo": "14999001",
                "vnp_TransactionType": body["vnp_TransactionType"],
                "vnp_TransactionStatus": "05" if code == "00" else "",
                "vnp_OrderInfo": body["vnp_OrderInfo"],
            }
            answer["vnp_SecureHash"] = "0" * 128 if state.forge else _hmac(answer, ANSWER_ORDER)
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = get_settings()
    monkeypatch.setattr(settings, "vnpay_tmn_code", TMN_CODE)
    monkeypatch.setattr(settings, "vnpay_hash_secret", SECRET)
    monkeypatch.setattr(
        settings,
        "vnpay_api_url",
        f"http://127.0.0.1:{server.server_address[1]}/merchant_webapi/api/transaction",
    )
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _paid_by_vnpay_then_rejected(client: TestClient, db: Session) -> tuple[int, Payment]:
    dossier, citizen = submit_procedure(client, COPY)
    started = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "vnpay"}, headers=citizen
    ).json()
    payment = db.get(Payment, started["payment_id"])
    assert payment is not None
    params = {
        "vnp_TmnCode": TMN_CODE,
        "vnp_TxnRef": payment.txn_ref,
        "vnp_Amount": "800000",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TransactionNo": "14012345",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20261205093500",
    }
    params["vnp_SecureHash"] = vnpay.sign(params, SECRET)
    ipn = client.get("/api/v1/payments/vnpay/ipn", params=params).json()
    assert ipn == {"RspCode": "00", "Message": "Confirm Success"}
    rejected = act(client, headers(client, RECEPTION), dossier["id"], "reject", reasons=["Sai"])
    assert rejected.json()["status"] == "rejected"
    db.refresh(payment)
    return int(dossier["id"]), payment


def test_vnpay_refund_is_signed_and_a_refusal_leaves_the_receipt(
    client: TestClient, db: Session, merchant_api: MerchantApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier_id, payment = _paid_by_vnpay_then_rejected(client, db)
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    assert receipt is not None and receipt.status == "issued"
    cashier = headers(client, CASHIER)
    url = f"/api/v1/dossiers/{dossier_id}/refunds"

    # Without VNPay's merchant credentials nothing is sent and nothing recorded.
    with monkeypatch.context() as off:
        off.setattr(get_settings(), "vnpay_hash_secret", "")
        unset = client.post(url, json={"method": "gateway", "reason": REASON}, headers=cashier)
    assert unset.status_code == 409 and unset.json()["detail"] == "Cổng VNPay chưa được cấu hình."
    assert merchant_api.received == [] and db.scalar(select(func.count(Refund.id))) == 0

    # VNPay refuses: the refund is kept "failed" with VNPay's answer; the receipt stays valid.
    merchant_api.code = "91"
    refused = client.post(url, json={"method": "gateway", "reason": REASON}, headers=cashier)
    assert refused.status_code == 201, refused.text
    assert refused.json()["status"] == "failed"
    assert refused.json()["message"] == "91 Transaction not found"
    sent = merchant_api.received[-1]
    assert sent["vnp_Command"] == "refund" and sent["vnp_TransactionType"] == "02"
    assert sent["vnp_Amount"] == "800000" and sent["vnp_TxnRef"] == payment.txn_ref
    assert sent["vnp_TransactionNo"] == "14012345" and sent["vnp_TmnCode"] == TMN_CODE
    assert sent["vnp_TransactionDate"] == vnpay.local_stamp(payment.created_at)
    assert sent["vnp_CreateBy"] == CASHIER
    db.refresh(receipt)
    assert receipt.status == "issued"
    listing = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=cashier).json()
    assert listing["refund_due"] == 8_000
    assert db.scalar(select(Notice).where(Notice.kind == "refunded")) is None

    # An answer whose signature is wrong is not believed.
    merchant_api.code, merchant_api.forge = "00", True
    forged = client.post(url, json={"method": "gateway", "reason": REASON}, headers=cashier)
    assert forged.json()["status"] == "failed"
    assert forged.json()["message"] == "97 Invalid signature"
    db.refresh(receipt)
    assert receipt.status == "issued"

    # Tried again, VNPay pays back: the receipt is cancelled, VNPay's reference kept.
    merchant_api.forge = False
    done = client.post(url, json={"method": "gateway", "reason": REASON}, headers=cashier)
    assert done.status_code == 201 and done.json()["status"] == "refunded"
    assert done.json()["gateway_ref"] == "14999001"
    db.refresh(receipt)
    assert receipt.status == "cancelled" and receipt.cancel_reason == REASON
    statuses = list(db.scalars(select(Refund.status).order_by(Refund.id)))
    assert statuses == ["failed", "failed", "refunded"]
    listed = client.get(url, headers=cashier).json()
    assert [r["status"] for r in listed] == statuses


def test_counter_page_shows_the_gateway_refusal(
    client: TestClient, db: Session, merchant_api: MerchantApi
) -> None:
    dossier_id, payment = _paid_by_vnpay_then_rejected(client, db)
    merchant_api.code = "91"
    log_in(client, CASHIER)
    counter = client.get("/can-bo/thu-phi")
    refused = client.post(
        f"/can-bo/thu-phi/{dossier_id}/hoan-phi",
        data={"method": "gateway", "reason": REASON, "csrf_token": csrf_from(counter.text)},
    )
    assert refused.status_code == 502
    assert (
        f'id="rf-{dossier_id}-method-error">Cổng thanh toán từ chối hoàn tiền: '
        "91 Transaction not found</p>" in refused.text
    )
    # The attempt is on record; the receipt is untouched and the money still owed back.
    refund = db.scalar(select(Refund))
    assert refund is not None and refund.status == "failed"
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    assert receipt is not None and receipt.status == "issued"
    assert db.scalar(select(func.count(Refund.id)).where(Refund.status == "refunded")) == 0
