"""The gateway's callback (VNPay IPN) is answered as soon as the payment commits: the receipt's
PDF is drawn and signed afterwards in the background thread (issue 16 item 8,
docs/decisions/0014-receipt-pdf-after-commit.md). Meanwhile the receipt and dossier pages say
the receipt is being made; once it is, they link the signed PDF."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.db import drain_background, request_session
from app.documents.models import Document
from app.main import create_app
from app.payments import vnpay
from app.receipts import stored as receipt_stored
from app.receipts.models import Receipt
from app.signing import service as signing_service
from app.web.session import get_session
from tests.dossiers.helpers import submit_procedure
from tests.receipts.test_render_after_commit import _assert_signed_receipt

SECRET = "TESTSECRETKEY0123456789"
PENDING = "Biên lai đang được tạo…"


@pytest.fixture
def committing_client(
    fresh_database: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, sessionmaker[Session]]]:
    """The application on its own database with real commits, as in production."""
    factory = sessionmaker(bind=fresh_database, expire_on_commit=False)
    settings = get_settings()
    monkeypatch.setattr(settings, "vnpay_tmn_code", "DEMO0001")
    monkeypatch.setattr(settings, "vnpay_hash_secret", SECRET)
    application: FastAPI = create_app()

    def _session(request: Request) -> Iterator[Session]:
        yield from request_session(request.method, factory)

    application.dependency_overrides[get_session] = _session
    with TestClient(application, base_url="http://127.0.0.1:8000") as client:
        yield client, factory


def _ipn_params(payment: dict[str, object]) -> dict[str, str]:
    params = {
        "vnp_TmnCode": "DEMO0001",
        "vnp_TxnRef": str(payment["redirect_url"]).split("vnp_TxnRef=")[1].split("&")[0],
        "vnp_Amount": str(int(str(payment["amount"])) * 100),
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TransactionNo": "14000077",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20261205093500",
        "vnp_OrderInfo": "Thanh toan ho so",
    }
    params["vnp_SecureHash"] = vnpay.sign(params, SECRET)
    return params


def test_ipn_is_answered_before_the_receipt_pdf_is_made_and_the_pdf_follows_signed(
    committing_client: tuple[TestClient, sessionmaker[Session]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, factory = committing_client
    dossier, citizen = submit_procedure(client, "1.004873")  # 5.000 ₫ at submission
    assert dossier["status"] == "awaiting_payment"
    started = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "vnpay"}, headers=citizen
    )
    assert started.status_code == 201, started.text

    # The receipt's render stops between layout and signature until the test lets it go.
    # Were it part of the callback, the callback would wait here (and then store the PDF).
    rendering, release = threading.Event(), threading.Event()

    def slow_render(_document_id: int) -> None:
        rendering.set()
        release.wait(20)

    monkeypatch.setattr(receipt_stored, "render_hook", slow_render)
    try:
        answer = client.get("/api/v1/payments/vnpay/ipn", params=_ipn_params(started.json()))
        assert answer.json() == {"RspCode": "00", "Message": "Confirm Success"}
        assert rendering.wait(60), "the receipt was never rendered after the commit"

        # Answered, committed and paid; the receipt is numbered but its PDF is not there yet.
        with factory() as session:
            receipt = session.scalar(select(Receipt).where(Receipt.dossier_id == dossier["id"]))
            assert receipt is not None and receipt.amount == 5000
            doc = session.get(Document, receipt.document_id)
            assert doc is not None and doc.sha256 is None
        api = client.get(f"/api/v1/receipts/{receipt.id}", headers=citizen).json()
        assert api["pdf_pending"] is True and api["signed"] is False
        page = client.get(f"/bien-lai/{receipt.id}", headers=citizen).text
        assert PENDING in page and "Đang ký số…" in page
        assert f'href="/bien-lai/{receipt.id}"' in page  # reload, works without JavaScript
        assert f"/bien-lai/{receipt.id}/pdf" not in page
        dossier_page = client.get(f"/ho-so/{dossier['id']}", headers=citizen).text
        assert PENDING in dossier_page
        assert f"/ho-so/{dossier['id']}/van-ban/{doc.id}" not in dossier_page
    finally:
        release.set()
    assert drain_background(60)

    # Then the PDF is there, signed by the agency, and the pages link it.
    with factory() as session:
        stored = session.get(Document, doc.id)
        assert stored is not None and stored.sha256 is not None
        assert stored.context["signed"] is True
        roots = signing_service.trust_roots_pem(session)
    page = client.get(f"/bien-lai/{receipt.id}", headers=citizen).text
    assert PENDING not in page and "Đã ký số" in page
    assert f'href="/bien-lai/{receipt.id}/pdf"' in page
    dossier_page = client.get(f"/ho-so/{dossier['id']}", headers=citizen).text
    assert PENDING not in dossier_page
    assert f"/ho-so/{dossier['id']}/van-ban/{doc.id}" in dossier_page
    pdf = client.get(f"/bien-lai/{receipt.id}/pdf", headers=citizen)
    assert pdf.status_code == 200
    _assert_signed_receipt(pdf.content, roots)
    # A replayed callback changes nothing.
    again = client.get("/api/v1/payments/vnpay/ipn", params=_ipn_params(started.json()))
    assert again.json()["RspCode"] == "02"
