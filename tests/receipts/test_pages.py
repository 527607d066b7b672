"""The cashier's counter, the receipt page, cancel and replace through the pages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.receipts.models import Receipt
from tests.conftest import csrf_from
from tests.dossiers.helpers import RECEPTION, act, headers, submit_procedure

CASHIER = "thuphi.phohien@motcua.local"


def _login(client: TestClient, email: str) -> None:
    client.cookies.clear()
    page = client.get("/dang-nhap")
    client.post(
        "/dang-nhap",
        data={"email": email, "password": "MotCua@2026", "csrf_token": csrf_from(page.text)},
    )


def test_cashier_collects_cash_then_replaces_and_cancels(client: TestClient, db: Session) -> None:
    dossier, _citizen = submit_procedure(client, "2.000884")
    act(client, headers(client, RECEPTION), dossier["id"], "receive")
    _login(client, CASHIER)
    counter = client.get("/can-bo/thu-phi")
    assert counter.status_code == 200
    assert "10.000 ₫" in counter.text
    collected = client.post(
        f"/can-bo/thu-phi/{dossier['id']}",
        data={"method": "cash", "csrf_token": csrf_from(counter.text)},
        follow_redirects=False,
    )
    assert collected.status_code == 303
    page = client.get(collected.headers["location"])
    assert "Đã thu phí và phát hành biên lai điện tử." in page.text
    assert "Mười nghìn đồng" in page.text and "0900100064" in page.text
    receipt_id = int(collected.headers["location"].split("/")[2].split("?")[0])
    pdf = client.get(f"/bien-lai/{receipt_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    token = csrf_from(page.text)
    no_reason = client.post(
        f"/bien-lai/{receipt_id}/thay-the", data={"replace_reason": "", "csrf_token": token}
    )
    assert no_reason.status_code == 422 and 'id="f-replace_reason-error"' in no_reason.text
    replaced = client.post(
        f"/bien-lai/{receipt_id}/thay-the",
        data={
            "replace_reason": "Sai tên người nộp",
            "payer_name": "Nguyễn Thị Lan Anh",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert replaced.status_code == 303
    new_id = int(replaced.headers["location"].split("/")[2].split("?")[0])
    old, new = db.get(Receipt, receipt_id), db.get(Receipt, new_id)
    assert old is not None and new is not None
    db.refresh(old)
    assert old.status == "replaced" and new.replaces_id == old.id
    assert new.number == old.number + 1 and new.payer_name == "Nguyễn Thị Lan Anh"

    view = client.get(f"/bien-lai/{new_id}")
    cancelled = client.post(
        f"/bien-lai/{new_id}/huy",
        data={"cancel_reason": "Thu nhầm hồ sơ", "csrf_token": csrf_from(view.text)},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    db.refresh(new)
    assert new.status == "cancelled" and new.cancel_reason == "Thu nhầm hồ sơ"

    # Both changes are in the audit log, by the cashier, with the reasons and numbers.
    entries = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "receipt", AuditEntry.action.like("receipt.%"))
        .order_by(AuditEntry.seq)
    ).all()
    assert [(e.action, e.object_id, e.actor) for e in entries] == [
        ("receipt.replaced", str(receipt_id), CASHIER),
        ("receipt.cancelled", str(new_id), CASHIER),
    ]
    assert entries[0].details["replacement_number"] == new.number
    assert entries[0].details["reason"] == "Sai tên người nộp"
    assert entries[1].details["reason"] == "Thu nhầm hồ sơ"
    assert entries[1].details["number"] == new.number

    register = client.get("/can-bo/bien-lai")
    assert register.status_code == 200 and "Nguyễn Thị Lan Anh" in register.text


def test_citizen_sees_own_receipt_but_not_the_counter(client: TestClient, db: Session) -> None:
    dossier, _citizen = submit_procedure(client, "2.000884")
    act(client, headers(client, RECEPTION), dossier["id"], "receive")
    paid = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments",
        json={"method": "cash"},
        headers=headers(client, CASHIER),
    ).json()
    _login(client, "congdan@motcua.local")
    assert client.get(f"/bien-lai/{paid['receipt_id']}").status_code == 200
    assert client.get("/can-bo/thu-phi").status_code == 403
    page = client.get(f"/bien-lai/{paid['receipt_id']}")
    assert "Hủy biên lai" not in page.text
    _login(client, "congdan2@motcua.local")
    assert client.get(f"/bien-lai/{paid['receipt_id']}").status_code == 404


def test_verification_page_checks_the_receipt_signature_and_status(
    client: TestClient, db: Session
) -> None:
    dossier, _ = submit_procedure(client, "2.000884")
    act(client, headers(client, RECEPTION), dossier["id"], "receive")
    paid = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments",
        json={"method": "cash"},
        headers=headers(client, CASHIER),
    ).json()
    receipt = client.get(
        f"/api/v1/receipts/{paid['receipt_id']}", headers=headers(client, CASHIER)
    ).json()
    path = "/" + receipt["verify_url"].split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200
    assert "Chữ ký số hợp lệ, văn bản không bị thay đổi sau khi ký." in page.text
    assert "Văn bản hợp lệ, do hệ thống Một cửa phát hành." in page.text
    client.post(
        f"/api/v1/receipts/{paid['receipt_id']}/cancel",
        json={"reason": "Thu nhầm"},
        headers=headers(client, CASHIER),
    )
    assert "đã bị hủy hoặc thay thế" in client.get(path).text
