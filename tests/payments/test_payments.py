"""Counter and sandbox payments, when a process waits for fees, and who may record them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import csrf_from
from tests.dossiers.helpers import RECEPTION, act, headers, submit_procedure

CASHIER = "thuphi.phohien@motcua.local"


def test_fee_at_reception_waits_then_cash_releases(client: TestClient, db: Session) -> None:
    dossier, citizen = submit_procedure(client, "2.000884")
    assert dossier["status"] == "submitted"
    received = act(client, headers(client, RECEPTION), dossier["id"], "receive").json()
    assert received["status"] == "awaiting_payment" and received["code"]
    # The citizen cannot record a counter payment; the cashier can.
    refused = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "cash"}, headers=citizen
    )
    assert refused.status_code == 403
    cashier = headers(client, CASHIER)
    queue = client.get("/api/v1/queue", headers=cashier).json()["items"]
    assert dossier["id"] in [i["id"] for i in queue]
    paid = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "cash"}, headers=cashier
    )
    assert paid.status_code == 201, paid.text
    body = paid.json()
    assert body["status"] == "paid" and body["amount"] == 10_000 and body["receipt_id"]
    assert body["redirect_url"] is None
    after = client.get(f"/api/v1/dossiers/{dossier['id']}", headers=citizen).json()
    assert after["status"] == "received"
    assert [h["action"] for h in after["history"]][-1] == "payment"
    again = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "transfer"}, headers=cashier
    )
    assert again.status_code == 409
    listing = client.get(f"/api/v1/dossiers/{dossier['id']}/payments", headers=citizen).json()
    assert listing["outstanding"] == 0 and len(listing["items"]) == 1


def test_free_procedure_has_nothing_to_pay(client: TestClient) -> None:
    from tests.dossiers.helpers import submitted_dossier

    dossier_id, citizen = submitted_dossier(client)
    response = client.post(
        f"/api/v1/dossiers/{dossier_id}/payments", json={"method": "sandbox"}, headers=citizen
    )
    assert response.status_code == 409
    bad = client.post(
        f"/api/v1/dossiers/{dossier_id}/payments", json={"method": "gold"}, headers=citizen
    )
    assert bad.status_code == 422


def test_sandbox_gateway_pages(client: TestClient, db: Session) -> None:
    dossier, _ = submit_procedure(client, "1.004873")
    assert dossier["status"] == "awaiting_payment"
    login = client.get("/dang-nhap")
    client.post(
        "/dang-nhap",
        data={
            "email": "congdan@motcua.local",
            "password": "MotCua@2026",
            "csrf_token": csrf_from(login.text),
        },
    )
    page = client.get(f"/ho-so/{dossier['id']}/thanh-toan")
    assert page.status_code == 200 and "5.000 ₫" in page.text
    start = client.post(
        f"/ho-so/{dossier['id']}/thanh-toan",
        data={"method": "sandbox", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert start.status_code == 303
    bank = client.get(start.headers["location"])
    assert "Cổng thanh toán thử nghiệm" in bank.text and "5.000 ₫" in bank.text
    done = client.post(
        start.headers["location"], data={"decision": "confirm", "csrf_token": csrf_from(bank.text)}
    )
    assert done.status_code == 200
    assert "Thanh toán thành công" in done.text and "/bien-lai/" in done.text
    status = client.get(f"/api/v1/dossiers/{dossier['id']}").json()["status"]
    assert status == "submitted"
    # A tampered return URL is refused.
    forged = client.get(
        "/thanh-toan/ket-qua",
        params={"vnp_TmnCode": "SANDBOX", "vnp_TxnRef": "x", "vnp_SecureHash": "00"},
    )
    assert forged.status_code == 400 and "sai chữ ký" in forged.text
