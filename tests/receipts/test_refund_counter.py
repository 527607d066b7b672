"""Refunding at the cashier's counter (/can-bo/thu-phi): the dossiers owed money back, the
"Hoàn phí" form with its errors tied to the fields, and the receipt register afterwards."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.payments.models import Refund
from app.receipts.models import Receipt
from tests.conftest import csrf_from
from tests.dossiers.helpers import headers
from tests.payments.refund_steps import CASHIER, REASON, log_in, paid_then_rejected


def _register_total(html: str) -> str:
    match = re.search(r"Tổng thu \(biên lai còn hiệu lực\): <strong>([^<]+)</strong>", html)
    assert match, html
    return match.group(1)


def test_cash_refund_at_the_counter(client: TestClient, db: Session) -> None:
    dossier, _, payment_id = paid_then_rejected(client)
    dossier_id, code = dossier["id"], dossier.get("code")
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment_id))
    assert receipt is not None
    amount_before = client.get("/api/v1/receipts", headers=headers(client, CASHIER)).json()[
        "amount_issued"
    ]

    log_in(client, CASHIER)
    # The staff dossier page sends the cashier to the refund form.
    desk = client.get(f"/can-bo/ho-so/{dossier_id}")
    assert desk.status_code == 200
    # The link finds the dossier by its code at the counter (its list when it has none).
    query = f"?code={code}" if code else ""
    assert f'href="/can-bo/thu-phi{query}#rf-{dossier_id}"' in desk.text
    register = client.get("/can-bo/bien-lai")
    total_before = _register_total(register.text)

    counter = client.get(f"/can-bo/thu-phi{query}")
    assert counter.status_code == 200
    fees, section = counter.text.split('id="hoan-phi"', 1)
    assert f'action="/can-bo/thu-phi/{dossier_id}"' not in fees  # nothing to collect
    title = re.escape(code) if code else r"Hồ sơ nộp ngày \d\d/\d\d/\d{4}"
    assert re.search(title + r" — Cấp bản sao Trích lục", section)
    assert "8.000 ₫" in section and "Hoàn phí" in section
    assert f'id="rf-{dossier_id}-m-gateway"' in section  # paid online: the gateway is offered
    token = csrf_from(counter.text)
    url = f"/can-bo/thu-phi/{dossier_id}/hoan-phi"

    # No reason: refused, the message tied to the reason field, nothing written.
    blank = client.post(url, data={"method": "cash", "reason": " ", "csrf_token": token})
    assert blank.status_code == 422
    error = f'<p class="error-text" id="rf-{dossier_id}-reason-error">Cần nêu lý do hoàn phí.</p>'
    assert error in blank.text
    assert f'aria-describedby="rf-{dossier_id}-reason-error"' in blank.text
    # No method: the message is tied to the choice of method; the reason typed is kept.
    nomethod = client.post(url, data={"reason": REASON, "csrf_token": token})
    assert nomethod.status_code == 422
    assert f'id="rf-{dossier_id}-method-error">Chọn hình thức hoàn trả' in nomethod.text
    assert f">{REASON}</textarea>" in nomethod.text
    assert db.scalar(select(func.count(Refund.id))) == 0
    db.refresh(receipt)
    assert receipt.status == "issued"

    done = client.post(
        url, data={"method": "cash", "reason": REASON, "csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/bien-lai/{receipt.id}?msg=refunded"
    shown = client.get(done.headers["location"])
    assert "Đã hoàn trả phí, lệ phí và hủy biên lai." in shown.text
    assert f"Đã hủy: {REASON}" in shown.text
    refund = db.scalar(select(Refund))
    assert refund is not None and refund.method == "cash" and refund.amount == 8_000
    assert refund.receipt_id == receipt.id and refund.status == "refunded"

    again = client.get("/can-bo/thu-phi")
    assert "Không có hồ sơ nào chờ hoàn phí." in again.text
    assert "Hoàn phí" not in client.get(f"/can-bo/ho-so/{dossier_id}").text

    # The register shows the receipt cancelled, why, and the refund; it no longer counts.
    register = client.get("/can-bo/bien-lai")
    row = next(r for r in register.text.split("<tr>") if f"{receipt.number:07d}" in r)
    assert "Đã hủy" in row and REASON in row
    assert re.search(r"Đã hoàn trả 8\.000 ₫ ngày \d\d/\d\d/\d{4}", row)
    before = int(total_before.replace(".", "").replace(" ₫", "").replace("\xa0₫", ""))
    after_text = _register_total(register.text)
    after = int(after_text.replace(".", "").replace(" ₫", "").replace("\xa0₫", ""))
    assert before - after == 8_000
    amount_after = client.get("/api/v1/receipts", headers=headers(client, CASHIER)).json()[
        "amount_issued"
    ]
    assert amount_before - amount_after == 8_000


def test_usage_report_counts_the_refunded_receipt(client: TestClient, db: Session) -> None:
    dossier, _, payment_id = paid_then_rejected(client)
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment_id))
    assert receipt is not None
    cashier = headers(client, CASHIER)

    def ours() -> dict[str, object]:
        report = client.get("/api/v1/receipts/usage-report", headers=cashier)
        assert report.status_code == 200, report.text
        body = report.json()
        assert body["agency_code"] == "000.00.51.H31" and "from" in body and "to" in body
        (row,) = [s for s in body["series"] if s["series"] == receipt.series]
        return row

    before = ours()
    assert before["to_number"] >= receipt.number >= before["from_number"]
    assert receipt.number not in before["cancelled_numbers"]  # type: ignore[operator]
    done = client.post(
        f"/api/v1/dossiers/{dossier['id']}/refunds",
        json={"method": "cash", "reason": REASON},
        headers=cashier,
    )
    assert done.status_code == 201
    after = ours()
    # Still used (never deleted or renumbered), now counted as cancelled.
    assert after["used"] == before["used"]
    assert after["cancelled"] == before["cancelled"] + 1  # type: ignore[operator]
    assert after["valid"] == before["valid"] - 1  # type: ignore[operator]
    assert receipt.number in after["cancelled_numbers"]  # type: ignore[operator]
    citizen_view = client.get(
        "/api/v1/receipts/usage-report", headers=headers(client, "congdan@motcua.local")
    )
    assert citizen_view.status_code == 403
