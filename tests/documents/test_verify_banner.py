"""The public verification page (/xac-minh/<token>) says "valid" only of what it can verify
(probe finding L7): a kind the portal signs (receipts, results) is valid when its signature
checks; unsigned it is "recorded but not digitally signed", with a broken signature a
warning. Forms the portal never signs stay valid."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.agencies.models import Agency
from app.documents.models import Document
from app.signing.models import SigningCertificate
from app.storage import service as storage
from tests.dossiers.helpers import (
    PHO_HIEN,
    RECEPTION,
    act,
    headers,
    pdf_bytes,
    submit_procedure,
)
from tests.workflow.test_results import _attach, _path, _ready_for_result, _result

VALID = "Văn bản hợp lệ, do hệ thống Một cửa phát hành."
UNSIGNED = "Văn bản được hệ thống ghi nhận nhưng không có chữ ký số."
BAD_SIGNATURE = (
    "Văn bản được hệ thống ghi nhận nhưng chữ ký số không hợp lệ hoặc văn bản đã bị thay đổi "
    "sau khi ký."
)
CASHIER = "thuphi.phohien@motcua.local"


def _verify(client: TestClient, url: str) -> str:
    client.cookies.clear()  # the page is public: the QR code is read by anyone
    page = client.get(_path(url) if "://" in url else url)
    assert page.status_code == 200
    return page.text


def _signed_result(client: TestClient, db: Session) -> tuple[dict[str, Any], Document]:
    dossier_id, citizen, reception = _ready_for_result(client)
    attached = _attach(client, reception, dossier_id, pdf_bytes("GKS"), "giay-khai-sinh.pdf")
    assert attached.status_code == 200, attached.text
    result = _result(client, citizen, dossier_id)
    doc = db.scalars(select(Document).where(Document.id == result["id"])).one()
    return result, doc


def test_a_result_signed_by_the_portal_is_valid(client: TestClient, db: Session) -> None:
    result, _doc = _signed_result(client, db)
    page = _verify(client, result["verify_url"])
    assert VALID in page and "verify-ok" in page
    assert UNSIGNED not in page and BAD_SIGNATURE not in page
    assert "Có. Chữ ký số hợp lệ" in page


def test_an_unsigned_result_is_recorded_but_not_called_valid(
    client: TestClient, db: Session
) -> None:
    # A placeholder PDF an officer attached before the portal signed results: the row and its
    # token are the portal's, the file carries no signature.
    result, doc = _signed_result(client, db)
    placeholder = pdf_bytes("placeholder")
    db.execute(
        update(Document)
        .where(Document.id == doc.id)
        .values(sha256=storage.write_bytes(placeholder), size=len(placeholder))
    )
    db.flush()
    page = _verify(client, result["verify_url"])
    assert UNSIGNED in page
    assert VALID not in page and "verify-ok" not in page
    assert "Văn bản không có chữ ký số." in page


def test_a_result_changed_after_signing_gets_a_warning(client: TestClient, db: Session) -> None:
    result, doc = _signed_result(client, db)
    assert doc.sha256 is not None
    signed = storage.read_bytes(doc.sha256)
    assert signed.count(b"(GKS)") == 1
    altered = signed.replace(b"(GKS)", b"(XYZ)")  # the text of the page, inside the signed range
    db.execute(
        update(Document)
        .where(Document.id == doc.id)
        .values(sha256=storage.write_bytes(altered), size=len(altered))
    )
    db.flush()
    page = _verify(client, result["verify_url"])
    assert BAD_SIGNATURE in page
    assert VALID not in page and "verify-ok" not in page
    assert "Chữ ký số không hợp lệ hoặc văn bản đã bị thay đổi." in page


def _cash_receipt(client: TestClient) -> dict[str, Any]:
    dossier, _citizen = submit_procedure(client, "2.000884")
    act(client, headers(client, RECEPTION), dossier["id"], "receive")
    cashier = headers(client, CASHIER)
    paid = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "cash"}, headers=cashier
    )
    assert paid.status_code in (200, 201), paid.text
    receipt = client.get(f"/api/v1/receipts/{paid.json()['receipt_id']}", headers=cashier)
    body: dict[str, Any] = receipt.json()
    return body


def test_a_signed_receipt_is_valid(client: TestClient) -> None:
    page = _verify(client, _cash_receipt(client)["verify_url"])
    assert VALID in page and UNSIGNED not in page


def test_a_receipt_stored_without_a_signature_is_not_called_valid(
    client: TestClient, db: Session
) -> None:
    # The agency's certificate cannot be used: the fee was collected, the receipt is issued
    # unsigned (app/receipts/stored.py), and the page must not vouch for it.
    agency_id = db.scalars(select(Agency.id).where(Agency.code == PHO_HIEN)).one()
    db.execute(
        update(SigningCertificate)
        .where(SigningCertificate.agency_id == agency_id)
        .values(is_active=False)
    )
    db.flush()
    page = _verify(client, _cash_receipt(client)["verify_url"])
    assert UNSIGNED in page and VALID not in page


def test_a_form_the_portal_never_signs_is_valid(client: TestClient, db: Session) -> None:
    dossier, _citizen = submit_procedure(client, "2.000884")
    act(client, headers(client, RECEPTION), dossier["id"], "receive")
    form = db.scalars(
        select(Document).where(Document.dossier_id == dossier["id"], Document.kind == "form_01")
    ).one()
    page = _verify(client, f"/xac-minh/{form.verify_token}")
    assert VALID in page
    assert UNSIGNED not in page and BAD_SIGNATURE not in page
