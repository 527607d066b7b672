"""Receipts as data for the tax authority (SPEC §6): the signed XML of a receipt, checked by an
independent verifier (xmlsec1, the XML Security Library's command line, not signxml), its
content and who may fetch it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.agencies.models import Agency
from app.dossiers.models import Dossier
from app.receipts import service
from app.receipts.models import Receipt
from app.signing import service as signing_service
from tests.conftest import DEMO_PASSWORD, api_token, csrf_from
from tests.receipts.test_receipts import (
    APPLICANT,
    CITIZEN,
    FEES,
    OTHER_CASHIER,
    OTHER_CITIZEN,
    TAX_CODE,
    _agency,
    _dossier,
    _payment,
    _test_certificate,
    _user,
)

XMLSEC1 = shutil.which("xmlsec1")
DSIG = "{http://www.w3.org/2000/09/xmldsig#}"

needs_xmlsec1 = pytest.mark.skipif(
    XMLSEC1 is None, reason="xmlsec1 is not installed (scripts/ensure-xmlsec1.sh installs it)"
)


def _with_certificate(db: Session, agency: Agency) -> str:
    bundle, root_pem = _test_certificate(agency)
    signing_service.import_pkcs12(db, agency, bundle, None)
    return root_pem


def xmlsec1_verify(data: bytes, trusted_pem: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """xmlsec1 checks the digest of the referenced data, the signature value and that the
    certificate in KeyInfo chains to ``trusted_pem``; exit 0 only if all hold."""
    assert XMLSEC1 is not None
    document = tmp_path / "bien-lai.xml"
    root = tmp_path / "root.pem"
    document.write_bytes(data)
    root.write_text(trusted_pem, encoding="ascii")
    return subprocess.run(
        [
            XMLSEC1,
            "--verify",
            "--id-attr:Id",
            "DLBLai",
            "--trusted-pem",
            str(root),
            "--enabled-reference-uris",
            "same-doc",
            str(document),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _fetch(client: TestClient, receipt: Receipt, email: str) -> bytes:
    response = client.get(f"/api/v1/receipts/{receipt.id}/xml", headers=api_token(client, email))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert "attachment" in response.headers["content-disposition"]
    return response.content


def _text(root: etree._Element, path: str) -> str:
    found = root.findtext(path)
    assert found is not None, path
    return found


@needs_xmlsec1
def test_signed_xml_verifies_and_a_tampered_one_does_not(
    client: TestClient, db: Session, agency: Agency, dossier: Dossier, cashier: User, tmp_path: Path
) -> None:
    root_pem = _with_certificate(db, agency)
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    data = _fetch(client, receipt, CITIZEN)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")

    checked = xmlsec1_verify(data, root_pem, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "OK" in checked.stdout + checked.stderr

    # The amount changed in figures: the digest of DLBLai no longer matches.
    tampered = data.replace(b"<TgTTTBSo>1250000<", b"<TgTTTBSo>2250000<")
    assert tampered != data
    refused = xmlsec1_verify(tampered, root_pem, tmp_path)
    assert refused.returncode != 0 and "FAIL" in refused.stdout + refused.stderr
    # A fee line's name changed (Vietnamese text): refused too.
    renamed = data.replace("Phí thẩm định hồ sơ".encode(), "Phí thẩm định hồ sơ mới".encode())
    assert renamed != data and xmlsec1_verify(renamed, root_pem, tmp_path).returncode != 0

    # The signer is this agency's certificate, and only a root the verifier trusts will do.
    signed = etree.fromstring(data)
    cert_b64 = signed.findtext(f".//{DSIG}X509Certificate")
    assert cert_b64 is not None
    signer = x509.load_der_x509_certificate(__import__("base64").b64decode(cert_b64))
    active = signing_service.active_certificate(db, agency.id)
    assert signer.fingerprint(hashes.SHA256()).hex() == active.fingerprint_sha256
    _, stranger_root = _test_certificate(agency)
    assert xmlsec1_verify(data, stranger_root, tmp_path).returncode != 0


@needs_xmlsec1
def test_another_agency_signs_its_own_receipts_only(
    client: TestClient, db: Session, agency: Agency, cashier: User, tmp_path: Path
) -> None:
    province = db.scalar(select(Agency).where(Agency.code == "000.00.00.H31"))
    other = _agency(db, "000.00.91.H31", province, "Ủy ban nhân dân xã Thứ Hai")
    root_a = _with_certificate(db, agency)
    root_b = _with_certificate(db, other)
    mine = service.issue_receipt(db, _payment(db, _dossier(db, agency, None)), cashier)
    theirs = service.issue_receipt(db, _payment(db, _dossier(db, other, None)), None)
    admin = "admin@motcua.local"
    data_a, data_b = _fetch(client, mine, admin), _fetch(client, theirs, admin)
    assert xmlsec1_verify(data_a, root_a, tmp_path).returncode == 0
    assert xmlsec1_verify(data_b, root_b, tmp_path).returncode == 0
    # Each chains to its own agency's root only.
    assert xmlsec1_verify(data_a, root_b, tmp_path).returncode != 0
    assert xmlsec1_verify(data_b, root_a, tmp_path).returncode != 0
    # A signature moved onto another agency's receipt data does not verify.
    sig_b = etree.fromstring(data_b).find(f".//{DSIG}Signature")
    doc_a = etree.fromstring(data_a)
    holder = doc_a.find("DSCKS/TCThu")
    assert holder is not None and sig_b is not None
    holder.replace(holder[0], sig_b)
    swapped = etree.tostring(doc_a, xml_declaration=True, encoding="UTF-8")
    assert xmlsec1_verify(swapped, root_b, tmp_path).returncode != 0


def test_xml_carries_the_receipt(
    client: TestClient, db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    _with_certificate(db, agency)
    dossier.applicant = {
        **APPLICANT,
        "tax_code": "0109876543-001",
        "full_name": 'Công ty "A&B" <1>',
    }
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    root = etree.fromstring(_fetch(client, receipt, "thuphi.thunghiem@motcua.local"))
    assert root.tag == "BLai"
    data = root.find("DLBLai")
    assert data is not None and data.get("Id") == "DLBLai"
    assert _text(root, "DLBLai/TTChung/TBLai") == "Biên lai thu phí, lệ phí"
    assert _text(root, "DLBLai/TTChung/KHMSBLai") == "01BLP0-001"
    assert _text(root, "DLBLai/TTChung/KHBLai") == receipt.series
    assert _text(root, "DLBLai/TTChung/SBLai") == f"{receipt.number:07d}"
    assert _text(root, "DLBLai/TTChung/HTTToan") == "Tiền mặt"
    assert _text(root, "DLBLai/TTChung/DVTTe") == "VND"
    assert _text(root, "DLBLai/NDBLai/TCThu/Ten") == "Ủy ban nhân dân xã Thử Nghiệm"
    assert _text(root, "DLBLai/NDBLai/TCThu/MST") == TAX_CODE
    # Markup in a name is text, escaped by the XML writer and read back as typed.
    assert _text(root, "DLBLai/NDBLai/NNop/Ten") == 'Công ty "A&B" <1>'
    assert _text(root, "DLBLai/NDBLai/NNop/MST") == "0109876543-001"
    assert _text(root, "DLBLai/NDBLai/NNop/DChi") == APPLICANT["address"]
    assert _text(root, "DLBLai/NDBLai/NNop/CCCDan") == APPLICANT["id_number"]
    lines = root.findall("DLBLai/NDBLai/DSHHDVu/HHDVu")
    assert [(x.findtext("STT"), x.findtext("THHDVu"), x.findtext("ThTien")) for x in lines] == [
        ("1", FEES[0]["name"], "1000000"),
        ("2", FEES[1]["name"], "250000"),
    ]
    assert _text(root, "DLBLai/NDBLai/TToan/TgTTTBSo") == "1250000"
    assert _text(root, "DLBLai/NDBLai/TToan/TgTTTBChu") == "Một triệu hai trăm năm mươi nghìn đồng"
    assert _text(root, "DLBLai/TTBLai/TThai") == "issued"
    other = {
        row.findtext("TTruong"): row.findtext("DLieu")
        for row in root.findall("DLBLai/TTChung/TTKhac/TTin")
    }
    assert other["Mã hồ sơ"] == dossier.code and other["Người thu tiền"] == "Đỗ Thị Thu"
    assert root.find(f"DSCKS/TCThu/{DSIG}Signature") is not None
    # The JSON says the same.
    body = client.get(f"/api/v1/receipts/{receipt.id}", headers=api_token(client, CITIZEN)).json()
    assert body["payer"]["tax_code"] == "0109876543-001"
    assert body["receipt_name"] == "Biên lai thu phí, lệ phí"


def test_xml_of_a_replaced_and_a_cancelled_receipt(
    client: TestClient, db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    _with_certificate(db, agency)
    first = service.issue_receipt(db, _payment(db, dossier), cashier)
    second = service.replace_receipt(db, first, cashier, "Sai địa chỉ", payer_tax_code="0109876543")
    third = service.issue_receipt(db, _payment(db, dossier), cashier)
    service.cancel_receipt(db, third, cashier, "Thu trùng")
    staff = "thuphi.thunghiem@motcua.local"

    old = etree.fromstring(_fetch(client, first, staff))
    assert _text(old, "DLBLai/TTBLai/TThai") == "replaced"
    assert _text(old, "DLBLai/TTBLai/LDo") == "Sai địa chỉ"
    assert _text(old, "DLBLai/TTBLai/BLTThe/SBLai") == f"{second.number:07d}"

    new = etree.fromstring(_fetch(client, second, staff))
    assert _text(new, "DLBLai/TTChung/TTBLLQuan/TCBLai") == "1"
    assert _text(new, "DLBLai/TTChung/TTBLLQuan/SBLCLQuan") == f"{first.number:07d}"
    assert _text(new, "DLBLai/TTChung/TTBLLQuan/KHBLCLQuan") == first.series
    assert _text(new, "DLBLai/NDBLai/NNop/MST") == "0109876543"

    void = etree.fromstring(_fetch(client, third, staff))
    assert _text(void, "DLBLai/TTBLai/TThai") == "cancelled"
    assert _text(void, "DLBLai/TTBLai/LDo") == "Thu trùng"
    assert void.find("DLBLai/TTBLai/NHuy") is not None


def test_who_may_fetch_the_xml(
    client: TestClient, db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    _with_certificate(db, agency)
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    path = f"/api/v1/receipts/{receipt.id}/xml"
    for email in (CITIZEN, "thuphi.thunghiem@motcua.local", "admin@motcua.local"):
        assert client.get(path, headers=api_token(client, email)).status_code == 200, email
    for email in (OTHER_CITIZEN, OTHER_CASHIER):
        response = client.get(path, headers=api_token(client, email))
        assert response.status_code == 404 and response.json()["error"] == "not_found", email
    assert client.get(path).status_code == 401
    admin = api_token(client, "admin@motcua.local")
    assert client.get("/api/v1/receipts/0/xml", headers=admin).status_code == 422
    assert client.get("/api/v1/receipts/abc/xml", headers=admin).status_code == 422
    assert client.get("/api/v1/receipts/99999999/xml", headers=admin).status_code == 404


def test_no_certificate_is_a_clear_conflict(
    client: TestClient, db: Session, dossier: Dossier, cashier: User
) -> None:
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    response = client.get(f"/api/v1/receipts/{receipt.id}/xml", headers=api_token(client, CITIZEN))
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    assert "chứng thư số" in response.json()["detail"]


def test_payer_tax_code_is_checked_where_it_is_typed(
    client: TestClient, db: Session, dossier: Dossier, cashier: User
) -> None:
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    staff = api_token(client, "thuphi.thunghiem@motcua.local")
    response = client.post(
        f"/api/v1/receipts/{receipt.id}/replace",
        json={"reason": "Thêm mã số thuế", "payer_tax_code": "12345"},
        headers=staff,
    )
    assert response.status_code == 422
    db.refresh(receipt)
    assert receipt.status == "issued"  # nothing half-written
    owner = _user(db, CITIZEN)
    response = client.post(
        "/api/v1/dossiers",
        json={
            "procedure_code": "1.001193",
            "agency_code": "000.00.90.H31",
            "applicant": {"full_name": "Công ty TNHH Ánh Dương", "tax_code": "01-02"},
        },
        headers=api_token(client, owner.email),
    )
    assert response.status_code == 422


def test_cashier_page_corrects_the_tax_code_with_a_replacement(
    client: TestClient, db: Session, dossier: Dossier, cashier: User
) -> None:
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    client.cookies.clear()
    page = client.get("/dang-nhap")
    client.post(
        "/dang-nhap",
        data={
            "email": "thuphi.thunghiem@motcua.local",
            "password": DEMO_PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    view = client.get(f"/bien-lai/{receipt.id}")
    assert view.status_code == 200 and 'name="payer_tax_code"' in view.text
    form = {"replace_reason": "Người nộp là công ty", "csrf_token": csrf_from(view.text)}
    bad = client.post(f"/bien-lai/{receipt.id}/thay-the", data=form | {"payer_tax_code": "0109"})
    assert bad.status_code == 422 and 'id="f-payer_tax_code-error"' in bad.text
    db.refresh(receipt)
    assert receipt.status == "issued"
    done = client.post(
        f"/bien-lai/{receipt.id}/thay-the",
        data=form | {"payer_tax_code": "0109876543"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    new = db.scalar(select(Receipt).where(Receipt.replaces_id == receipt.id))
    assert new is not None and new.payer_tax_code == "0109876543"
    assert "MST 0109876543" in client.get(f"/bien-lai/{new.id}").text
