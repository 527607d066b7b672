"""The worker asks VNPay (``querydr``) about VNPay payments still pending after
``PORTAL_VNPAY_QUERY_AFTER_MINUTES``: a payment whose IPN never came is settled on VNPay's
signed answer (receipt issued once), failed on a declined one, and left pending when the
answer is not final, wrongly signed, or does not come in time. The stand-in of VNPay
(``vnpay_gateway.py``) checks every query's checksum and answers as VNPay does."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.db import utcnow
from app.notifications.models import Notice
from app.payments import reconcile, vnpay
from app.payments.models import Payment
from app.receipts.models import Receipt
from tests.dossiers.helpers import headers, submit_procedure
from tests.payments.vnpay_gateway import ORDERS, SECRET, Gateway, Transaction, piped_hmac

AMOUNT = 500_000  # 5.000 ₫ as VNPay counts it (× 100)


def _factory(db: Session) -> sessionmaker[Session]:
    """Sessions on the test's connection (their commits are savepoints the test rolls back)."""
    return sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def _pending(client: TestClient, db: Session, minutes_ago: float = 20) -> tuple[Payment, dict]:
    """A VNPay payment made ``minutes_ago`` whose IPN never came, and the payer's headers."""
    dossier, h = submit_procedure(client, "1.004873")
    body = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "vnpay"}, headers=h
    ).json()
    query = dict(parse_qsl(urlsplit(body["redirect_url"]).query))
    db.execute(
        update(Payment)
        .where(Payment.id == body["payment_id"])
        .values(created_at=utcnow() - timedelta(minutes=minutes_ago))
    )
    payment = db.get(Payment, body["payment_id"])
    assert payment is not None and payment.txn_ref == query["vnp_TxnRef"]
    db.refresh(payment)
    return payment, h


def _run(db: Session) -> dict[str, int]:
    counts = reconcile.reconcile_vnpay(_factory(db))
    db.expire_all()
    return counts


def _receipts(db: Session, payment: Payment) -> int:
    return int(
        db.scalar(select(func.count()).select_from(Receipt).where(Receipt.payment_id == payment.id))
        or 0
    )


def test_a_payment_whose_ipn_never_came_is_settled_from_vnpays_answer(
    client: TestClient, db: Session, gateway: Gateway
) -> None:
    payment, h = _pending(client, db)
    gateway.transactions[payment.txn_ref] = Transaction(amount=AMOUNT, transaction_no="14200001")
    assert _run(db) == {"paid": 1, "failed": 0, "pending": 0, "unanswered": 0}
    (asked,) = gateway.commands("querydr")
    # The query is VNPay's: signed over its fields in VNPay's order, about this payment.
    assert asked["vnp_SecureHash"] == piped_hmac(asked, ORDERS["querydr"][0])
    assert asked["vnp_Version"] == "2.1.0" and asked["vnp_TxnRef"] == payment.txn_ref
    assert asked["vnp_TransactionDate"] == vnpay.local_stamp(payment.created_at)
    assert len(asked["vnp_RequestId"]) <= 32
    db.refresh(payment)
    assert payment.status == "paid" and payment.gateway_txn == "14200001"
    assert payment.last_queried_at is not None
    # The same path as the IPN: receipt, the "paid" notice, the dossier released.
    assert _receipts(db, payment) == 1
    notices = select(func.count(Notice.id)).where(
        Notice.kind == "paid", Notice.dossier_id == payment.dossier_id
    )
    assert db.scalar(notices) == 1
    dossier = client.get(f"/api/v1/dossiers/{payment.dossier_id}", headers=h).json()
    assert dossier["status"] == "submitted"
    # A later pass does not ask again; the IPN arriving late is "already confirmed".
    assert _run(db) == {"paid": 0, "failed": 0, "pending": 0, "unanswered": 0}
    assert len(gateway.commands("querydr")) == 1
    late = client.get("/api/v1/payments/vnpay/ipn", params=gateway.ipn(payment.txn_ref, AMOUNT))
    assert late.json()["RspCode"] == "02"
    assert _receipts(db, payment) == 1


def test_only_payments_due_are_asked_about(
    client: TestClient, db: Session, gateway: Gateway
) -> None:
    young, _ = _pending(client, db, minutes_ago=5)  # the payer may still be at the bank
    old, _ = _pending(client, db, minutes_ago=60 * 25)  # past the give-up age (24 hours)
    cash, _ = _pending(client, db)
    db.execute(update(Payment).where(Payment.id == cash.id).values(method="cash"))
    for payment in (young, old, cash):
        gateway.transactions[payment.txn_ref] = Transaction(amount=AMOUNT)
    assert _run(db) == {"paid": 0, "failed": 0, "pending": 0, "unanswered": 0}
    assert gateway.received == []


def test_a_declined_payment_fails_and_one_not_final_stays_pending(
    client: TestClient, db: Session, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    declined, _ = _pending(client, db)
    unfinished, _ = _pending(client, db)
    unknown, _ = _pending(client, db)  # VNPay never saw it: answered 91
    gateway.transactions[declined.txn_ref] = Transaction(
        amount=AMOUNT, response_code="24", status="02"
    )
    gateway.transactions[unfinished.txn_ref] = Transaction(amount=AMOUNT, status="01")
    assert _run(db) == {"paid": 0, "failed": 1, "pending": 2, "unanswered": 0}
    for payment in (declined, unfinished, unknown):
        db.refresh(payment)
        assert _receipts(db, payment) == 0
        assert payment.last_queried_at is not None
    assert declined.status == "failed" and declined.gateway_data["vnp_TransactionStatus"] == "02"
    assert unfinished.status == "pending"
    assert unfinished.gateway_data["vnp_TransactionStatus"] == "01"
    assert unknown.status == "pending" and unknown.gateway_data["vnp_ResponseCode"] == "91"
    # Asked again only once the delay has passed since the last answer.
    assert _run(db)["pending"] == 0 and len(gateway.commands("querydr")) == 3
    monkeypatch.setattr(get_settings(), "vnpay_query_after_minutes", 1)
    db.execute(
        update(Payment)
        .where(Payment.id == unfinished.id)
        .values(last_queried_at=utcnow() - timedelta(minutes=2))
    )
    gateway.transactions[unfinished.txn_ref].status = "00"
    assert _run(db)["paid"] == 1
    db.refresh(unfinished)
    assert unfinished.status == "paid" and _receipts(db, unfinished) == 1


def test_a_timeout_leaves_the_payment_pending_for_the_next_pass(
    client: TestClient, db: Session, gateway: Gateway
) -> None:
    payment, _ = _pending(client, db)
    gateway.transactions[payment.txn_ref] = Transaction(amount=AMOUNT)
    gateway.hang = 2.0  # longer than the portal waits (tests: 0.5 s)
    assert _run(db) == {"paid": 0, "failed": 0, "pending": 0, "unanswered": 1}
    db.refresh(payment)
    assert payment.status == "pending" and payment.last_queried_at is None
    assert _receipts(db, payment) == 0
    gateway.hang = 0
    assert _run(db)["paid"] == 1  # the next pass asks again at once
    db.refresh(payment)
    assert payment.status == "paid" and _receipts(db, payment) == 1


def test_vnpay_down_costs_a_pass_a_bounded_number_of_calls(
    client: TestClient, db: Session, gateway: Gateway
) -> None:
    ids = []
    for _ in range(reconcile.MAX_UNANSWERED_PER_PASS + 2):
        payment, _ = _pending(client, db)
        gateway.transactions[payment.txn_ref] = Transaction(amount=AMOUNT)
        ids.append(payment.id)
    gateway.hang = 2.0
    counts = _run(db)
    assert counts["unanswered"] == reconcile.MAX_UNANSWERED_PER_PASS
    assert len(gateway.commands("querydr")) == reconcile.MAX_UNANSWERED_PER_PASS
    statuses = db.scalars(select(Payment.status).where(Payment.id.in_(ids)))
    assert set(statuses) == {"pending"}


def test_a_badly_signed_answer_changes_nothing_and_is_logged_without_secrets(
    client: TestClient, db: Session, gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    payment, _ = _pending(client, db)
    gateway.transactions[payment.txn_ref] = Transaction(amount=AMOUNT)
    gateway.forge = True
    with caplog.at_level(logging.WARNING, logger="app.payments.reconcile"):
        assert _run(db)["unanswered"] == 1
    db.refresh(payment)
    assert payment.status == "pending" and payment.gateway_data == {}
    assert payment.last_queried_at is None and _receipts(db, payment) == 0
    (record,) = caplog.records
    text = record.getMessage()
    assert f"payment {payment.id}" in text and "wrong checksum" in text
    assert SECRET not in text and "0" * 64 not in text
    assert gateway.commands("querydr")[0]["vnp_SecureHash"] not in text


def test_a_paid_answer_with_another_amount_does_not_settle(
    client: TestClient, db: Session, gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    payment, _ = _pending(client, db)
    gateway.transactions[payment.txn_ref] = Transaction(amount=100)
    with caplog.at_level(logging.WARNING, logger="app.payments.reconcile"):
        assert _run(db)["pending"] == 1
    db.refresh(payment)
    assert payment.status == "pending" and _receipts(db, payment) == 0
    assert "vnp_Amount 100 instead of 500000" in caplog.text


def test_an_answer_about_another_payment_is_not_believed(
    client: TestClient, db: Session, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment, _ = _pending(client, db)
    gateway.transactions["1-other"] = Transaction(amount=AMOUNT)
    real_answer = gateway.answer

    def about_another(body: dict[str, Any]) -> dict[str, Any]:
        other = {**body, "vnp_TxnRef": "1-other"}
        return real_answer({**other, "vnp_SecureHash": piped_hmac(other, ORDERS["querydr"][0])})

    monkeypatch.setattr(gateway, "answer", about_another)
    assert _run(db)["unanswered"] == 1
    db.refresh(payment)
    assert payment.status == "pending" and _receipts(db, payment) == 0


def test_nothing_is_asked_without_vnpay_credentials(
    client: TestClient, db: Session, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment, _ = _pending(client, db)
    gateway.transactions[payment.txn_ref] = Transaction(amount=AMOUNT)
    monkeypatch.setattr(get_settings(), "vnpay_hash_secret", "")
    assert _run(db) == {"paid": 0, "failed": 0, "pending": 0, "unanswered": 0}
    assert gateway.received == []


@pytest.mark.parametrize("checksum", ["é" * 128, "", "0"])
def test_a_malformed_checksum_is_a_wrong_one(
    client: TestClient,
    db: Session,
    gateway: Gateway,
    monkeypatch: pytest.MonkeyPatch,
    checksum: str,
) -> None:
    payment, _ = _pending(client, db)
    gateway.transactions[payment.txn_ref] = Transaction(amount=AMOUNT)
    real_answer = gateway.answer
    monkeypatch.setattr(
        gateway, "answer", lambda body: {**real_answer(body), "vnp_SecureHash": checksum}
    )
    assert _run(db)["unanswered"] == 1
    db.refresh(payment)
    assert payment.status == "pending" and _receipts(db, payment) == 0


def test_a_cancelled_attempt_the_bank_paid_is_found_by_the_query(
    client: TestClient, db: Session, gateway: Gateway
) -> None:
    """An attempt cancelled here (the fee was then paid at the counter) whose IPN never came:
    the worker asks about it too, records VNPay's payment and the dossier owes it back; one
    VNPay never took stays cancelled."""
    paid_there, h = _pending(client, db)
    never_paid, _ = _pending(client, db)
    cashier = headers(client, "thuphi.phohien@motcua.local")
    for payment in (paid_there, never_paid):
        cash = client.post(
            f"/api/v1/dossiers/{payment.dossier_id}/payments",
            json={"method": "cash"},
            headers=cashier,
        )
        assert cash.status_code == 201
        db.refresh(payment)
        assert payment.status == "cancelled"
    gateway.transactions[paid_there.txn_ref] = Transaction(amount=AMOUNT, transaction_no="14200009")
    assert _run(db) == {"paid": 1, "failed": 0, "pending": 1, "unanswered": 0}
    db.refresh(paid_there)
    db.refresh(never_paid)
    assert paid_there.status == "paid" and _receipts(db, paid_there) == 1
    assert never_paid.status == "cancelled" and _receipts(db, never_paid) == 0
    owed = client.get(f"/api/v1/dossiers/{paid_there.dossier_id}/payments", headers=h).json()
    assert owed["refund_due"] == 5000 and owed["outstanding"] == 0
