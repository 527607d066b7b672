"""The right amount everywhere (finding M1): a fee per page and per copy is computed from the
declared quantities, frozen on the dossier, and the same figure is owed through the API,
shown on the payment page, the cashier's counter and form 01, and printed on the receipt."""

from __future__ import annotations

import io
import re
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from tests.admin.helpers import log_in
from tests.conftest import csrf_from
from tests.dossiers.helpers import (
    CITIZEN,
    PHO_HIEN,
    RECEPTION,
    act,
    attach,
    filled_form,
    headers,
    pdf_bytes,
    png_bytes,
)

CASHIER = "thuphi.phohien@motcua.local"


def _text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


def _draft(client: TestClient, code: str, **declared: Any) -> tuple[int, dict[str, str]]:
    """A complete online draft of ``code`` with these declared values."""
    h = headers(client, CITIZEN)
    created = client.post(
        "/api/v1/dossiers",
        headers=h,
        json={
            "procedure_code": code,
            "agency_code": PHO_HIEN,
            "form_data": {**filled_form(client, code), **declared},
        },
    )
    assert created.status_code == 201, created.text
    dossier_id = created.json()["id"]
    for comp in client.get(f"/api/v1/procedures/{code}").json()["components"]:
        if comp["required"]:
            data, name = (
                (pdf_bytes(), "a.pdf")
                if "pdf" in comp["accepted_types"]
                else (png_bytes(), "a.png")
            )
            assert attach(client, h, dossier_id, comp["code"], data, name).status_code == 201
    return dossier_id, h


def _outstanding(client: TestClient, dossier_id: int, h: dict[str, str]) -> int:
    listing = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=h)
    assert listing.status_code == 200, listing.text
    return int(listing.json()["outstanding"])


def _form_01_text(client: TestClient, dossier_id: int, h: dict[str, str]) -> str:
    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=h).json()["items"]
    form = next(d for d in docs if d["kind"] == "form_01")
    return _text(client.get(form["pdf_url"], headers=h).content)


def test_copy_certification_5_pages_2_copies_is_14_000_everywhere(
    client: TestClient, db: Session
) -> None:
    dossier_id, citizen = _draft(client, "2.000815", page_count="5", copies="2")
    submitted = client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen)
    assert submitted.status_code == 200, submitted.text
    assert _outstanding(client, dossier_id, citizen) == 14_000

    received = act(client, headers(client, RECEPTION), dossier_id, "receive").json()
    assert received["status"] == "awaiting_payment"  # 2.000815 is paid at reception
    assert _outstanding(client, dossier_id, citizen) == 14_000
    text = _form_01_text(client, dossier_id, citizen)
    assert "Phí, lệ phí: 14.000" in text
    assert "× 2 bản = 14.000" in text and "3.000" not in text

    # The citizen's payment page.
    log_in(client, CITIZEN)
    page = client.get(f"/ho-so/{dossier_id}/thanh-toan")
    assert page.status_code == 200
    assert "Còn phải nộp: <strong>14.000 ₫</strong>" in page.text
    assert "(2 trang × 2.000 ₫ + 3 trang × 1.000 ₫ = 7.000 ₫) × 2 bản" in page.text
    client.cookies.clear()

    # The cashier's counter, then cash.
    log_in(client, CASHIER)
    counter = client.get("/can-bo/thu-phi")
    assert re.search(
        rf"{received['code']}.*?Còn phải nộp: <strong>14.000 ₫</strong>", counter.text, re.S
    )
    assert "Phí chứng thực bản sao từ bản chính (5 trang × 2 bản): 14.000 ₫" in counter.text
    client.cookies.clear()
    cashier = headers(client, CASHIER)
    paid = client.post(
        f"/api/v1/dossiers/{dossier_id}/payments", json={"method": "cash"}, headers=cashier
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["amount"] == 14_000
    receipt = client.get(f"/api/v1/receipts/{paid.json()['receipt_id']}", headers=citizen).json()
    assert receipt["amount"] == 14_000
    assert receipt["amount_in_words"].startswith("Mười bốn nghìn đồng")
    assert receipt["items"] == [
        {"name": "Phí chứng thực bản sao từ bản chính (5 trang × 2 bản)", "amount": 14_000}
    ]
    assert _outstanding(client, dossier_id, citizen) == 0
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.fee_amount == 14_000


def test_civil_copy_three_copies_owes_24_000_at_submission(client: TestClient) -> None:
    dossier_id, citizen = _draft(client, "2.000635", copies="3")
    submitted = client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen).json()
    assert submitted["status"] == "awaiting_payment"
    assert _outstanding(client, dossier_id, citizen) == 24_000
    online = client.post(
        f"/api/v1/dossiers/{dossier_id}/payments", json={"method": "sandbox"}, headers=citizen
    )
    assert online.status_code == 201 and online.json()["status"] == "pending"
    log_in(client, CITIZEN)
    bank = client.get(online.json()["redirect_url"])
    assert "24.000 ₫" in bank.text


def test_a_bad_quantity_stops_submission_and_keeps_the_draft(
    client: TestClient, db: Session
) -> None:
    dossier_id, citizen = _draft(client, "2.000815", page_count="0", copies="2,5")
    refused = client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen)
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "invalid_input"
    assert body["fields"]["page_count"] == "Số lượng dùng để tính phí, lệ phí phải lớn hơn 0."
    assert body["fields"]["copies"] == "Số lượng dùng để tính phí, lệ phí phải là số nguyên."
    after = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()
    assert after["status"] == "draft"
    assert after["form_data"]["page_count"] == "0" and after["form_data"]["copies"] == "2,5"
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.fee_amount is None and dossier.fee_lines is None

    # Through the draft page, the message stands next to the labelled field.
    log_in(client, CITIZEN)
    page = client.get(f"/ho-so/{dossier_id}")
    submit = client.post(
        f"/ho-so/{dossier_id}/nop",
        data={"csrf_token": csrf_from(page.text), "form.page_count": "", "form.copies": "2"},
        follow_redirects=False,
    )
    assert submit.status_code == 422
    assert "Số trang của mỗi bản" in submit.text
    error = re.search(r'id="f-page_count-error"[^>]*>([^<]*)<', submit.text)
    assert error, "an error tied to the page-count field"
    assert "Vui lòng nhập" in error.group(1)
    assert re.search(
        r'id="f-page_count"[^>]*aria-describedby="[^"]*f-page_count-error', submit.text
    )
    assert 'value="2"' in submit.text  # what was typed is kept


def test_a_supplement_that_changes_the_pages_recomputes_before_payment(
    client: TestClient,
) -> None:
    dossier_id, citizen = _draft(client, "2.000815", page_count="5", copies="2")
    client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen)
    assert _outstanding(client, dossier_id, citizen) == 14_000
    reception = headers(client, RECEPTION)
    asked = act(client, reception, dossier_id, "request_supplement", comment="Ghi lại số trang")
    assert asked.status_code == 200, asked.text
    patched = client.patch(
        f"/api/v1/dossiers/{dossier_id}", headers=citizen, json={"form_data": {"page_count": "2"}}
    )
    assert patched.status_code == 200, patched.text
    again = client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen)
    assert again.status_code == 200, again.text
    assert _outstanding(client, dossier_id, citizen) == 2 * 2_000 * 2


def test_counter_intake_freezes_the_fee_from_the_declared_pages(
    client: TestClient, db: Session
) -> None:
    log_in(client, RECEPTION)
    page = client.get("/can-bo/tiep-nhan", params={"thu_tuc": "2.000815"})
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_from(page.text),
        "procedure_code": "2.000815",
        "applicant_full_name": "Phạm Thị Hạnh",
        "applicant_id_number": "034190009876",
        "applicant_phone": "0977123456",
        "fd-document_title": "Bằng tốt nghiệp",
        "fd-page_count": "0",
        "fd-copies": "2",
        "fd-language": "Tiếng Việt",
    }
    bad = client.post("/can-bo/tiep-nhan", data=data, follow_redirects=False)
    assert bad.status_code == 422
    assert 'id="f-fd-page_count-error"' in bad.text
    assert "phải lớn hơn 0" in bad.text and 'value="Bằng tốt nghiệp"' in bad.text

    created = client.post(
        "/can-bo/tiep-nhan", data={**data, "fd-page_count": "5"}, follow_redirects=False
    )
    assert created.status_code == 303, created.text
    match = re.fullmatch(r"/can-bo/tiep-nhan/(\d+)\?msg=created", created.headers["location"])
    assert match
    dossier_id = int(match.group(1))
    token = csrf_from(client.get(created.headers["location"]).text)
    for component, name, content, mime in (
        ("BC", "ban-chinh.pdf", pdf_bytes("BC"), "application/pdf"),
        ("BS", "ban-sao.pdf", pdf_bytes("BS"), "application/pdf"),
    ):
        uploaded = client.post(
            f"/can-bo/tiep-nhan/{dossier_id}/tep",
            data={"csrf_token": token, "component": component},
            files={"file": (name, content, mime)},
            follow_redirects=False,
        )
        assert uploaded.status_code == 303, uploaded.text
    received = client.post(
        f"/can-bo/tiep-nhan/{dossier_id}/tiep-nhan",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert received.status_code == 303, received.text
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None
    db.refresh(dossier)
    assert dossier.status == "awaiting_payment" and dossier.fee_amount == 14_000
    client.cookies.clear()
    reception = headers(client, RECEPTION)
    assert _outstanding(client, dossier_id, reception) == 14_000
    assert "Phí, lệ phí: 14.000" in _form_01_text(client, dossier_id, reception)
