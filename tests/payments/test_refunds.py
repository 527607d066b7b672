"""Refunds (SPEC §6, §9): fees paid for a dossier that is then rejected are owed back; a
cashier pays them back, the receipt is cancelled with the reason, the citizen is told."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.notifications.models import Notice, OutboxMessage
from app.payments.models import Payment, Refund
from app.receipts.models import Receipt
from tests.dossiers.helpers import (
    OTHER_CITIZEN,
    RECEPTION,
    act,
    headers,
    submit_procedure,
    submitted_dossier,
)
from tests.payments.refund_steps import (
    AGENCY_ADMIN,
    CASHIER,
    COPY,
    OTHER_CASHIER,
    REASON,
    log_in,
    paid_then_rejected,
    pay_by_sandbox,
)


def _refund(client: TestClient, dossier_id: int, h: dict[str, str], **body: str):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/dossiers/{dossier_id}/refunds", json=body, headers=h)


def _receipt_of(db: Session, payment_id: int) -> Receipt:
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment_id))
    assert receipt is not None
    return receipt


def test_rejected_after_paying_online_is_refunded_through_the_gateway(
    client: TestClient, db: Session
) -> None:
    dossier, citizen, payment_id = paid_then_rejected(client)
    dossier_id = dossier["id"]
    listing = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=citizen).json()
    assert listing["refund_due"] == 8_000 and listing["outstanding"] == 0
    receipt = _receipt_of(db, payment_id)
    assert receipt.status == "issued"
    # The rejection tells the citizen the fee will come back.
    rejection = db.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dossier_id == dossier_id, OutboxMessage.kind == "rejected"
        )
    )
    assert rejection is not None
    assert "Phí, lệ phí Ông/Bà đã nộp (8.000 ₫) sẽ được hoàn trả" in rejection.body_text

    # The citizen sees what is owed back on the dossier's page.
    log_in(client, "congdan@motcua.local")
    page = client.get(f"/ho-so/{dossier_id}")
    assert "Số tiền được hoàn trả: <strong>8.000 ₫</strong>" in page.text
    assert "Thanh toán trực tuyến" not in page.text  # nothing to pay on a rejected dossier
    client.cookies.clear()

    # Neither the citizen nor another commune's cashier may record it.
    refused = _refund(client, dossier_id, citizen, method="gateway", reason=REASON)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    other_cashier = headers(client, OTHER_CASHIER)
    other = _refund(client, dossier_id, other_cashier, method="cash", reason=REASON)
    assert other.status_code == 403
    assert "cơ quan tiếp nhận hồ sơ được hoàn phí" in other.json()["detail"]
    stranger = _refund(
        client, dossier_id, headers(client, OTHER_CITIZEN), method="cash", reason=REASON
    )
    assert stranger.status_code == 404
    assert db.scalar(select(func.count(Refund.id))) == 0

    cashier = headers(client, CASHIER)
    done = _refund(client, dossier_id, cashier, method="gateway", reason=REASON)
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["status"] == "refunded" and body["amount"] == 8_000 and body["refund_id"]
    assert body["gateway_ref"].startswith("SBR") and body["receipt_id"] == receipt.id

    # The receipt is cancelled with the reason, kept with its number, linked to the refund.
    read = client.get(f"/api/v1/receipts/{receipt.id}", headers=citizen).json()
    assert read["status"] == "cancelled" and read["cancel_reason"] == REASON
    assert read["refund_id"] == body["refund_id"] and read["number"] == receipt.number
    # Its PDF is stamped cancelled, with the reason.
    pdf = client.get(f"/api/v1/receipts/{receipt.id}/pdf", headers=citizen)
    assert pdf.status_code == 200
    reader = PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "ĐÃ HỦY" in text and "Biên lai đã bị hủy" in text and REASON in text
    # The payment stays what it was: money was collected, then paid back.
    assert db.get(Payment, payment_id).status == "paid"  # type: ignore[union-attr]
    listing = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=citizen).json()
    assert listing["refund_due"] == 0

    # The citizen is told in the portal and by e-mail.
    notice = db.scalar(
        select(Notice).where(Notice.dossier_id == dossier_id, Notice.kind == "refunded")
    )
    assert notice is not None and "8.000 ₫" in notice.body
    mail = db.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dossier_id == dossier_id, OutboxMessage.kind == "refunded"
        )
    )
    assert mail is not None and mail.to_address
    assert "Đã hoàn trả phí, lệ phí của hồ sơ" in mail.subject
    assert "8.000 ₫" in mail.body_text and f"Lý do: {REASON}" in mail.body_text
    assert "Biên lai thu phí của khoản tiền này đã được hủy." in mail.body_text

    # The audit log has the refund and the cancelled receipt.
    actions = set(
        db.scalars(
            select(AuditEntry.action).where(
                AuditEntry.action.in_(["payment.refunded", "receipt.cancelled"])
            )
        )
    )
    assert actions == {"payment.refunded", "receipt.cancelled"}

    # A second refund of the same money is refused, and nothing more is written.
    again = _refund(client, dossier_id, cashier, method="cash", reason=REASON)
    assert again.status_code == 409
    assert again.json()["detail"] == "Phí, lệ phí của hồ sơ này đã được hoàn trả."
    assert db.scalar(select(func.count(Refund.id))) == 1

    # The dossier's page now says when it was paid back.
    log_in(client, "congdan@motcua.local")
    page = client.get(f"/ho-so/{dossier_id}")
    assert re.search(r"Đã hoàn trả 8\.000 ₫ ngày \d\d/\d\d/\d{4}", page.text)
    assert "Số tiền được hoàn trả" not in page.text
    assert "không còn hiệu lực" in page.text  # the receipt link says it is void
    pdf = client.get(f"/bien-lai/{receipt.id}")
    assert "Đã hủy" in pdf.text and REASON in pdf.text
    assert "phí, lệ phí đã được hoàn trả cho người nộp" in pdf.text


def test_nothing_to_refund_is_refused(client: TestClient, db: Session) -> None:
    # Paid, received and being processed: the service is being rendered.
    dossier, citizen = submit_procedure(client, COPY)
    pay_by_sandbox(client, dossier["id"], citizen)
    cashier = headers(client, CASHIER)
    busy = _refund(client, dossier["id"], cashier, method="cash", reason=REASON)
    assert busy.status_code == 409
    assert busy.json()["detail"] == "Hồ sơ không có khoản phí, lệ phí nào phải hoàn trả."
    listing = client.get(f"/api/v1/dossiers/{dossier['id']}/payments", headers=citizen).json()
    assert listing["refund_due"] == 0
    # A free procedure rejected: nothing was paid, so nothing to pay back either.
    free_id, _ = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    rejected = act(client, reception, free_id, "reject", reasons=["Sai thẩm quyền"])
    assert rejected.json()["status"] == "rejected"
    nothing = _refund(client, free_id, cashier, method="cash", reason=REASON)
    assert nothing.status_code == 409
    assert db.scalar(select(func.count(Refund.id))) == 0


def test_bad_refund_requests_say_what_is_wrong(client: TestClient, db: Session) -> None:
    dossier, _, payment_id = paid_then_rejected(client)
    admin = headers(client, AGENCY_ADMIN)
    blank = _refund(client, dossier["id"], admin, method="cash", reason="   ")
    assert blank.status_code == 422 and blank.json()["detail"] == "Cần nêu lý do hoàn phí."
    wrong = _refund(client, dossier["id"], admin, method="gold", reason=REASON)
    assert wrong.status_code == 422 and wrong.json()["error"] == "invalid_input"
    assert db.scalar(select(func.count(Refund.id))) == 0
    assert _receipt_of(db, payment_id).status == "issued"
    # An agency admin of the receiving commune may record it (by transfer here).
    done = _refund(client, dossier["id"], admin, method="transfer", reason=REASON)
    assert done.status_code == 201 and done.json()["status"] == "refunded"
    assert _receipt_of(db, payment_id).status == "cancelled"


def test_counter_paid_fee_cannot_go_back_through_a_gateway(client: TestClient, db: Session) -> None:
    dossier, _ = submit_procedure(client, COPY)
    cashier = headers(client, CASHIER)
    paid = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "cash"}, headers=cashier
    )
    assert paid.status_code == 201 and paid.json()["status"] == "paid"
    assert (
        act(
            client, headers(client, RECEPTION), dossier["id"], "reject", reasons=["Sai thẩm quyền"]
        ).json()["status"]
        == "rejected"
    )
    refused = _refund(client, dossier["id"], cashier, method="gateway", reason=REASON)
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_input"
    assert refused.json()["detail"] == (
        "Khoản phí được nộp tại quầy nên không hoàn qua cổng thanh toán được."
    )
    indicators = {"agency": "000.00.51.H31"}
    before = client.get("/api/v1/stats/indicators", params=indicators).json()
    cash = _refund(client, dossier["id"], cashier, method="cash", reason=REASON)
    assert cash.status_code == 201 and cash.json()["amount"] == 8_000
    # The indicators count dossiers and how they were paid, not money: a refund changes none.
    after = client.get("/api/v1/stats/indicators", params=indicators).json()
    assert after["groups"] == before["groups"] and after["counts"] == before["counts"]
