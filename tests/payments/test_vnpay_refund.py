"""A VNPay payment is paid back through VNPay's merchant API (``vnp_Command=refund``): the
request is a JSON POST signed with HMAC-SHA512 over its fields joined by ``|`` in VNPay's
order. VNPay does not run here, so its stand-in on loopback (``vnpay_gateway.py``) plays the
merchant API: it checks the checksum as VNPay documents it and answers signed, refuses, signs
wrongly or does not answer in time."""

from __future__ import annotations

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
from tests.payments.conftest import CLIENT_TIMEOUT
from tests.payments.refund_steps import CASHIER, COPY, REASON, log_in
from tests.payments.vnpay_gateway import ORDERS, TMN_CODE, Gateway, piped_hmac


def _paid_by_vnpay_then_rejected(
    client: TestClient, db: Session, gateway: Gateway
) -> tuple[int, Payment]:
    dossier, citizen = submit_procedure(client, COPY)
    started = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "vnpay"}, headers=citizen
    ).json()
    payment = db.get(Payment, started["payment_id"])
    assert payment is not None
    params = gateway.ipn(payment.txn_ref, 800000)
    ipn = client.get("/api/v1/payments/vnpay/ipn", params=params).json()
    assert ipn == {"RspCode": "00", "Message": "Confirm Success"}
    rejected = act(client, headers(client, RECEPTION), dossier["id"], "reject", reasons=["Sai"])
    assert rejected.json()["status"] == "rejected"
    db.refresh(payment)
    return int(dossier["id"]), payment


def test_vnpay_refund_is_signed_and_a_refusal_leaves_the_receipt(
    client: TestClient, db: Session, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier_id, payment = _paid_by_vnpay_then_rejected(client, db, gateway)
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    assert receipt is not None and receipt.status == "issued"
    cashier = headers(client, CASHIER)
    url = f"/api/v1/dossiers/{dossier_id}/refunds"

    # Without VNPay's merchant credentials nothing is sent and nothing recorded.
    with monkeypatch.context() as off:
        off.setattr(get_settings(), "vnpay_hash_secret", "")
        unset = client.post(url, json={"method": "gateway", "reason": REASON}, headers=cashier)
    assert unset.status_code == 409 and unset.json()["detail"] == "Cổng VNPay chưa được cấu hình."
    assert gateway.received == [] and db.scalar(select(func.count(Refund.id))) == 0

    # VNPay refuses: the refund is kept "failed" with VNPay's answer; the receipt stays valid.
    gateway.code = "91"
    refused = client.post(url, json={"method": "gateway", "reason": REASON}, headers=cashier)
    assert refused.status_code == 201, refused.text
    assert refused.json()["status"] == "failed"
    assert refused.json()["message"] == "91 Transaction not found"
    sent = gateway.received[-1]
    assert sent["vnp_SecureHash"] == piped_hmac(sent, ORDERS["refund"][0])
    assert sent["vnp_Command"] == "refund" and sent["vnp_TransactionType"] == "02"
    assert sent["vnp_Amount"] == "800000" and sent["vnp_TxnRef"] == payment.txn_ref
    assert sent["vnp_TransactionNo"] == "14100001" and sent["vnp_TmnCode"] == TMN_CODE
    assert sent["vnp_TransactionDate"] == vnpay.local_stamp(payment.created_at)
    assert sent["vnp_CreateBy"] == CASHIER
    db.refresh(receipt)
    assert receipt.status == "issued"
    listing = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=cashier).json()
    assert listing["refund_due"] == 8_000
    assert db.scalar(select(Notice).where(Notice.kind == "refunded")) is None

    # An answer whose signature is wrong is not believed.
    gateway.code, gateway.forge = "00", True
    forged = client.post(url, json={"method": "gateway", "reason": REASON}, headers=cashier)
    assert forged.json()["status"] == "failed"
    assert forged.json()["message"] == "97 Invalid signature"
    db.refresh(receipt)
    assert receipt.status == "issued"

    # Tried again, VNPay pays back: the receipt is cancelled, VNPay's reference kept.
    gateway.forge = False
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
    client: TestClient, db: Session, gateway: Gateway
) -> None:
    dossier_id, payment = _paid_by_vnpay_then_rejected(client, db, gateway)
    gateway.code = "91"
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


def test_a_refund_vnpay_does_not_answer_in_time_is_not_recorded_as_paid_back(
    client: TestClient, db: Session, gateway: Gateway
) -> None:
    dossier_id, payment = _paid_by_vnpay_then_rejected(client, db, gateway)
    cashier = headers(client, CASHIER)
    url = f"/api/v1/dossiers/{dossier_id}/refunds"
    gateway.hang = CLIENT_TIMEOUT * 4
    late = client.post(url, json={"method": "gateway", "reason": REASON}, headers=cashier)
    assert late.status_code == 201, late.text
    assert late.json()["status"] == "failed" and late.json()["refunded_at"] is None
    assert late.json()["message"].startswith("No answer from VNPay")
    assert len(gateway.commands("refund")) == 1
    # Nothing was paid back as far as the portal knows: the receipt stands, the money is owed.
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    assert receipt is not None and receipt.status == "issued"
    assert db.scalar(select(Notice).where(Notice.kind == "refunded")) is None
    listing = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=cashier).json()
    assert listing["refund_due"] == 8_000
    # VNPay answers again: the refund goes through once.
    gateway.hang = 0
    done = client.post(url, json={"method": "gateway", "reason": REASON}, headers=cashier)
    assert done.json()["status"] == "refunded"
    db.refresh(receipt)
    assert receipt.status == "cancelled"
    assert list(db.scalars(select(Refund.status).order_by(Refund.id))) == ["failed", "refunded"]


def test_a_signed_success_about_another_payment_is_not_believed(
    client: TestClient, db: Session, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier_id, payment = _paid_by_vnpay_then_rejected(client, db, gateway)
    real_answer = gateway.answer

    def about_another(body: dict[str, object]) -> dict[str, object]:
        # VNPay's answer, rightly signed, but about another merchant reference.
        other = {**body, "vnp_TxnRef": "1-other"}
        return real_answer({**other, "vnp_SecureHash": piped_hmac(other, ORDERS["refund"][0])})

    gateway.transactions["1-other"] = gateway.transactions[payment.txn_ref]
    monkeypatch.setattr(gateway, "answer", about_another)
    cashier = headers(client, CASHIER)
    answer = client.post(
        f"/api/v1/dossiers/{dossier_id}/refunds",
        json={"method": "gateway", "reason": REASON},
        headers=cashier,
    ).json()
    assert (
        answer["status"] == "failed" and answer["message"] == "97 Answer about another transaction"
    )
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    assert receipt is not None and receipt.status == "issued"


def test_a_refund_answer_with_a_malformed_checksum_is_not_believed(
    client: TestClient, db: Session, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier_id, payment = _paid_by_vnpay_then_rejected(client, db, gateway)
    real_answer = gateway.answer
    monkeypatch.setattr(
        gateway, "answer", lambda body: {**real_answer(body), "vnp_SecureHash": "é" * 128}
    )
    answer = client.post(
        f"/api/v1/dossiers/{dossier_id}/refunds",
        json={"method": "gateway", "reason": REASON},
        headers=headers(client, CASHIER),
    )
    assert answer.status_code == 201
    assert answer.json()["status"] == "failed"
    assert answer.json()["message"] == "97 Invalid signature"
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    assert receipt is not None and receipt.status == "issued"
