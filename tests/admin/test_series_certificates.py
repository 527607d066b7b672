"""Receipt series and signing certificates from /quan-tri, for the admin's agency subtree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.agencies.models import Agency
from app.receipts.models import ReceiptSeries
from app.signing import service as signing_service
from tests.admin.helpers import JUSTICE, PHO_HIEN, PHO_HIEN_ADMIN, log_in, post_form

PASSPHRASE = "Mat-khau-tep-2026"


def _pkcs12(common_name: str) -> bytes:
    """A self-issued signing certificate with its key, as a provider's .p12 file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        None,
        key,
        cert,
        None,
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    )


def _agency(db: Session, code: str) -> Agency:
    agency = db.scalar(select(Agency).where(Agency.code == code))
    assert agency is not None
    return agency


def test_receipt_series_declared_and_closed_within_scope(client: TestClient, db: Session) -> None:
    log_in(client, PHO_HIEN_ADMIN)
    pho_hien = _agency(db, PHO_HIEN)
    first = post_form(
        client,
        "/quan-tri/bien-lai",
        {"agency_code": PHO_HIEN, "year": "2026", "letters": "aa"},
        page="/quan-tri/bien-lai",
    )
    assert first.status_code == 303, first.text
    second = post_form(
        client, "/quan-tri/bien-lai", {"agency_code": PHO_HIEN, "year": "2026", "letters": "AB"}
    )
    assert second.status_code == 303
    rows = {
        s.series: s
        for s in db.scalars(select(ReceiptSeries).where(ReceiptSeries.agency_id == pho_hien.id))
    }
    assert rows["AB-26E"].is_active and not rows["AA-26E"].is_active
    page = client.get("/quan-tri/bien-lai").text
    assert "AB-26E" in page and "01BLP0-001" in page

    again = post_form(
        client, "/quan-tri/bien-lai", {"agency_code": PHO_HIEN, "year": "2026", "letters": "AB"}
    )
    assert again.status_code == 422 and "đã có ký hiệu biên lai này" in again.text
    bad = post_form(
        client, "/quan-tri/bien-lai", {"agency_code": PHO_HIEN, "year": "2026", "letters": "A1"}
    )
    assert bad.status_code == 422 and 'id="f-letters-error"' in bad.text
    other = post_form(
        client, "/quan-tri/bien-lai", {"agency_code": JUSTICE, "year": "2026", "letters": "AC"}
    )
    assert other.status_code == 403

    closed = post_form(client, f"/quan-tri/bien-lai/{rows['AB-26E'].id}/ngung")
    assert closed.status_code == 303
    db.refresh(rows["AB-26E"])
    assert rows["AB-26E"].is_active is False


def test_signing_certificate_uploaded_for_an_agency_of_the_subtree(
    client: TestClient, db: Session
) -> None:
    log_in(client, PHO_HIEN_ADMIN)
    page = client.get("/quan-tri/chung-thu-so")
    assert page.status_code == 200
    assert "DEMO" in page.text  # the seeded demo certificate is flagged
    bundle = _pkcs12("UBND phuong Pho Hien (thu nghiem)")
    wrong = post_form(
        client,
        "/quan-tri/chung-thu-so",
        {"agency_code": PHO_HIEN, "passphrase": "sai-mat-khau"},
        page="/quan-tri/chung-thu-so",
        files={"file": ("chung-thu.p12", bundle, "application/x-pkcs12")},
    )
    assert wrong.status_code == 422 and "mật khẩu không đúng" in wrong.text
    outside = post_form(
        client,
        "/quan-tri/chung-thu-so",
        {"agency_code": JUSTICE, "passphrase": PASSPHRASE},
        files={"file": ("chung-thu.p12", bundle, "application/x-pkcs12")},
    )
    assert outside.status_code == 403
    done = post_form(
        client,
        "/quan-tri/chung-thu-so",
        {"agency_code": PHO_HIEN, "passphrase": PASSPHRASE},
        files={"file": ("chung-thu.p12", bundle, "application/x-pkcs12")},
    )
    assert done.status_code == 303, done.text
    active = signing_service.active_certificate(db, _agency(db, PHO_HIEN).id)
    assert "UBND phuong Pho Hien" in active.subject and not active.is_demo
    assert "UBND phuong Pho Hien" in client.get("/quan-tri/chung-thu-so").text
