"""Agency certificates (PKCS#12 encrypted at rest) and PAdES signatures that validators accept."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
import weasyprint
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.agencies.models import Agency
from app.config import get_settings
from app.demo.agencies import AGENCIES, CENTER_CODE
from app.errors import Conflict, InvalidInput, NotFound
from app.signing import service
from app.signing.demo import demo_root_pem, seed_demo_certificates
from app.signing.models import SigningCertificate

PASSPHRASE = b"MatKhau-Ky-So-2026"


@pytest.fixture(scope="module")
def receipt_pdf() -> bytes:
    pdf = weasyprint.HTML(string="<p>Biên lai thu phí, lệ phí</p>").write_pdf()
    assert pdf is not None
    return pdf


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _make_pkcs12(
    common_name: str,
    passphrase: bytes | None = PASSPHRASE,
    *,
    days: int = 365,
    start: datetime | None = None,
    signing_usage: bool = True,
) -> tuple[bytes, ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A CA and a signer certificate it issued, as the PKCS#12 a provider would hand over."""
    start = start or datetime.now(UTC) - timedelta(minutes=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"Test CA {common_name}"))
        .issuer_name(_name(f"Test CA {common_name}"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days + 1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(
        digital_signature=signing_usage,
        content_commitment=signing_usage,
        key_encipherment=not signing_usage,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(usage, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    bundle = pkcs12.serialize_key_and_certificates(b"signer", key, cert, [ca], encryption)
    return bundle, key, cert


def _agency(db: Session, code: str = CENTER_CODE) -> Agency:
    agency = db.scalar(select(Agency).where(Agency.code == code))
    assert agency is not None
    return agency


def _sign(db: Session, agency: Agency, pdf: bytes, field: str = "ChuKyThuPhi") -> bytes:
    return service.sign_pdf(
        db,
        agency.id,
        pdf,
        field_name=field,
        reason="Thu phí, lệ phí",
        location="Hưng Yên",
        signer_name="Trần Thị Thu",
        box=(330, 90, 560, 150),
    )


def _byte_range(pdf: bytes) -> list[int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert match is not None
    return [int(group) for group in match.groups()]


def _flip(pdf: bytes, position: int) -> bytes:
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    return bytes(changed)


def test_import_stores_the_bundle_encrypted(db: Session) -> None:
    agency = _agency(db)
    bundle, key, cert = _make_pkcs12("Trung tâm PVHCC — thử nghiệm")
    record = service.import_pkcs12(db, agency, bundle, PASSPHRASE)

    assert record.is_active and not record.is_demo and record.agency_id == agency.id
    assert record.fingerprint_sha256 == cert.fingerprint(hashes.SHA256()).hex()
    assert "Trung tâm PVHCC — thử nghiệm" in record.subject
    assert "Test CA" in record.issuer
    assert record.serial == format(cert.serial_number, "X")
    assert record.not_after == cert.not_valid_after_utc
    assert len(x509.load_pem_x509_certificates(record.chain_pem.encode())) == 2

    raw = db.execute(
        text("SELECT pkcs12_encrypted FROM signing_certificates WHERE id = :id"), {"id": record.id}
    ).scalar_one()
    raw = bytes(raw)
    for secret in (
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
        key.private_numbers().private_value.to_bytes(32, "big"),
        cert.public_bytes(serialization.Encoding.DER),
        PASSPHRASE,
        bundle,
    ):
        assert secret not in raw
    # It decrypts to a bundle that needs no passphrase, and only for this row.
    plain = service.decrypt_bundle(raw, record.fingerprint_sha256)
    loaded_key, loaded_cert, _ = pkcs12.load_key_and_certificates(plain, None)
    assert loaded_cert == cert and loaded_key is not None
    with pytest.raises(ValueError):
        service.decrypt_bundle(raw, "0" * 64)


def test_the_bundle_is_bound_to_the_secret_key(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle, _, _ = _make_pkcs12("Khóa bí mật")
    record = service.import_pkcs12(db, _agency(db), bundle, PASSPHRASE)
    monkeypatch.setattr(get_settings(), "secret_key", "another-secret-key")
    with pytest.raises(ValueError):
        service.decrypt_bundle(record.pkcs12_encrypted, record.fingerprint_sha256)


def test_wrong_passphrase_or_file_is_invalid_input(db: Session) -> None:
    agency = _agency(db)
    bundle, _, _ = _make_pkcs12("Mật khẩu sai")
    with pytest.raises(InvalidInput) as wrong:
        service.import_pkcs12(db, agency, bundle, b"not-the-passphrase")
    assert "passphrase" in wrong.value.fields and "mật khẩu" in wrong.value.detail.lower()
    with pytest.raises(InvalidInput) as missing:
        service.import_pkcs12(db, agency, bundle, None)
    assert "passphrase" in missing.value.fields
    with pytest.raises(InvalidInput) as garbage:
        service.import_pkcs12(db, agency, b"%PDF-1.7 this is not a certificate", PASSPHRASE)
    assert "file" in garbage.value.fields
    with pytest.raises(InvalidInput) as truncated:
        service.import_pkcs12(db, agency, bundle[: len(bundle) // 2], PASSPHRASE)
    assert "file" in truncated.value.fields
    assert (
        db.scalar(
            select(SigningCertificate).where(SigningCertificate.subject.contains("Mật khẩu sai"))
        )
        is None
    )


def test_expired_keyless_or_non_signing_certificate_is_refused(db: Session) -> None:
    agency = _agency(db)
    expired, _, _ = _make_pkcs12("Hết hạn", start=datetime.now(UTC) - timedelta(days=400), days=365)
    with pytest.raises(InvalidInput) as old:
        service.import_pkcs12(db, agency, expired, PASSPHRASE)
    assert "file" in old.value.fields and "hết hạn" in old.value.detail
    _, _, cert = _make_pkcs12("Không khóa")
    no_key = pkcs12.serialize_key_and_certificates(
        b"cert", None, cert, None, serialization.BestAvailableEncryption(PASSPHRASE)
    )
    with pytest.raises(InvalidInput) as keyless:
        service.import_pkcs12(db, agency, no_key, PASSPHRASE)
    assert "file" in keyless.value.fields and "khóa bí mật" in keyless.value.detail
    encryption_only, _, _ = _make_pkcs12("Chỉ mã hóa", signing_usage=False)
    with pytest.raises(InvalidInput) as usage:
        service.import_pkcs12(db, agency, encryption_only, PASSPHRASE)
    assert "file" in usage.value.fields and "ký số" in usage.value.detail


def test_a_new_import_deactivates_the_previous_certificate(db: Session) -> None:
    agency = _agency(db)
    first = service.import_pkcs12(db, agency, _make_pkcs12("Thứ nhất")[0], PASSPHRASE)
    second = service.import_pkcs12(db, agency, _make_pkcs12("Thứ hai")[0], PASSPHRASE)
    db.refresh(first)
    assert not first.is_active and second.is_active
    assert service.active_certificate(db, agency.id).id == second.id
    active = db.scalars(
        select(SigningCertificate).where(
            SigningCertificate.agency_id == agency.id, SigningCertificate.is_active.is_(True)
        )
    ).all()
    assert [c.id for c in active] == [second.id]


def test_reimport_reactivates_and_another_agency_is_refused(db: Session) -> None:
    agency = _agency(db)
    bundle = _make_pkcs12("Dùng lại")[0]
    first = service.import_pkcs12(db, agency, bundle, PASSPHRASE)
    second = service.import_pkcs12(db, agency, _make_pkcs12("Mới hơn")[0], PASSPHRASE)
    again = service.import_pkcs12(db, agency, bundle, PASSPHRASE)
    db.refresh(second)
    assert again.id == first.id and again.is_active and not second.is_active
    with pytest.raises(Conflict):
        service.import_pkcs12(db, _agency(db, AGENCIES[0]["code"]), bundle, PASSPHRASE)


def test_no_certificate_is_not_found(db: Session, receipt_pdf: bytes) -> None:
    agency = Agency(code="000.00.99.H31", name="Cơ quan chưa có chứng thư", level="department")
    db.add(agency)
    db.flush()
    with pytest.raises(NotFound):
        service.active_certificate(db, agency.id)
    with pytest.raises(NotFound):
        _sign(db, agency, receipt_pdf)


def test_demo_seeding_is_idempotent_and_marked_demo(db: Session) -> None:
    seed_demo_certificates(db)
    assert seed_demo_certificates(db) == 0
    root_pem = demo_root_pem(db)
    roots = x509.load_pem_x509_certificates(root_pem.encode())
    assert roots and all("KHÔNG DÙNG THẬT" in r.subject.rfc4514_string() for r in roots)
    assert service.demo_root_path().exists()
    for data in AGENCIES:
        agency = _agency(db, data["code"])
        cert = service.active_certificate(db, agency.id)
        assert cert.is_demo and "DEMO" in cert.subject and data["name"] in cert.subject
        chain = x509.load_pem_x509_certificates(cert.chain_pem.encode())
        assert chain[-1] in roots
        assert (cert.not_after - cert.not_before).days >= 3 * 365


def test_signed_pdf_validates_and_embeds_the_agency_certificate(
    db: Session, receipt_pdf: bytes
) -> None:
    seed_demo_certificates(db)
    agency = _agency(db)
    cert = service.active_certificate(db, agency.id)
    signed = _sign(db, agency, receipt_pdf)
    assert signed.startswith(receipt_pdf[:8]) and len(signed) > len(receipt_pdf)

    report = service.validate_pdf(signed, [demo_root_pem(db)])
    assert report["ok"] is True, report
    [entry] = report["signatures"]
    assert entry["field"] == "ChuKyThuPhi"
    assert entry["intact"] and entry["valid"] and entry["whole_document"]
    assert entry["coverage"] == "entire_file"
    assert agency.name in entry["signer_subject"]
    assert entry["signer_fingerprint"] == cert.fingerprint_sha256
    assert entry["signing_time"].endswith("+07:00")
    # The roots of every stored chain work as well.
    assert service.validate_pdf(signed, service.trust_roots_pem(db))["ok"]

    # pyHanko's own reader: one PAdES signature by the agency, with its chain embedded.
    [embedded] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.signer_cert.sha256.hex() == cert.fingerprint_sha256
    embedded_certs = [c.chosen for c in embedded.signed_data["certificates"]]
    root = x509.load_pem_x509_certificates(cert.chain_pem.encode())[-1]
    assert root.fingerprint(hashes.SHA256()) in {c.sha256 for c in embedded_certs}


def test_a_changed_byte_in_the_signed_range_is_detected(db: Session, receipt_pdf: bytes) -> None:
    seed_demo_certificates(db)
    signed = _sign(db, _agency(db), receipt_pdf)
    start, first_length, second_start, second_length = _byte_range(signed)
    assert start == 0 and second_start + second_length == len(signed)
    roots = [demo_root_pem(db)]

    # A byte of the original page content (inside a compressed stream): parses, hash differs.
    in_stream = signed.index(b"stream", 0, first_length) + 20
    report = service.validate_pdf(_flip(signed, in_stream), roots)
    assert report["ok"] is False
    [entry] = report["signatures"]
    assert entry["intact"] is False and entry["valid"] is False

    # A byte of the signature dictionary itself, after /Contents (second range).
    reason = signed.index(b"/Reason", second_start) + 3
    report = service.validate_pdf(_flip(signed, reason), roots)
    assert report["ok"] is False
    assert all(not e["intact"] for e in report["signatures"])

    # A byte of the file header: the file may no longer be read at all; still just "not ok".
    report = service.validate_pdf(_flip(signed, 2), roots)
    assert report["ok"] is False

    # An unsigned document is not ok either.
    unsigned = service.validate_pdf(receipt_pdf, roots)
    assert unsigned["ok"] is False and unsigned["signatures"] == []


def test_untrusted_root_is_intact_but_not_valid(
    db: Session, receipt_pdf: bytes, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    agency = _agency(db)
    bundle, _, _ = _make_pkcs12("Ký bởi CA riêng")
    service.import_pkcs12(db, agency, bundle, PASSPHRASE)
    signed = _sign(db, agency, receipt_pdf)
    # Without the test CA among the roots, the signature is intact but not trusted ...
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    report = service.validate_pdf(signed, [])
    [entry] = report["signatures"]
    assert entry["intact"] is True and entry["valid"] is False and report["ok"] is False
    # ... and with the roots of the stored chains, it is.
    assert service.validate_pdf(signed, service.trust_roots_pem(db))["ok"] is True


def test_signing_twice_reuses_the_cached_signer(db: Session, receipt_pdf: bytes) -> None:
    seed_demo_certificates(db)
    agency = _agency(db)
    cert = service.active_certificate(db, agency.id)
    assert service.signer_for(cert) is service.signer_for(cert)
    once = _sign(db, agency, receipt_pdf, field="ChuKy1")
    twice = service.sign_pdf(
        db,
        agency.id,
        once,
        field_name="ChuKy2",
        reason="Trả kết quả",
        location="Hưng Yên",
        signer_name="Lê Văn Trả",
    )
    report = service.validate_pdf(twice, [demo_root_pem(db)])
    assert report["ok"] is True, report
    first, second = report["signatures"]
    assert (first["field"], second["field"]) == ("ChuKy1", "ChuKy2")
    assert first["intact"] and first["valid"] and first["coverage"] == "entire_revision"
    assert second["intact"] and second["valid"] and second["whole_document"]


def test_the_visible_stamp_shows_agency_signer_and_time(db: Session, receipt_pdf: bytes) -> None:
    seed_demo_certificates(db)
    agency = _agency(db)
    signed = _sign(db, agency, receipt_pdf)
    page = pypdf.PdfReader(io.BytesIO(signed)).pages[0]
    annotations = page["/Annots"].get_object()
    assert isinstance(annotations, pypdf.generic.ArrayObject)
    widgets = [a.get_object() for a in annotations]
    [widget] = [w for w in widgets if w.get("/FT") == "/Sig"]
    assert widget["/T"] == "ChuKyThuPhi"
    assert [round(float(v)) for v in widget["/Rect"]] == [330, 90, 560, 150]
    appearance = widget["/AP"]["/N"].get_object()
    assert appearance.get_data()
    # The stamp text, as the /ActualText of the marked-content spans of the appearance.
    content = pypdf.generic.ContentStream(appearance, None)
    lines = [
        str(operands[1]["/ActualText"])
        for operands, operator in content.operations
        if operator == b"BDC" and "/ActualText" in operands[1]
    ]
    assert lines[0] == f"Ký bởi: {agency.name}"
    assert lines[1] == "Người ký: Trần Thị Thu"
    assert re.fullmatch(r"Thời gian: \d\d:\d\d:\d\d \d\d/\d\d/\d{4}", lines[2])
    # The stamp font is the embedded DejaVu Serif (covers Vietnamese), not a standard font.
    fonts = appearance["/Resources"]["/Font"]
    assert all("DejaVu" in str(f.get_object()["/BaseFont"]) for f in fonts.values())


def test_default_box_and_bad_input(db: Session, receipt_pdf: bytes) -> None:
    seed_demo_certificates(db)
    agency = _agency(db)
    common = {"reason": "Thu phí", "location": "Hưng Yên", "signer_name": "Trần Thị Thu"}
    signed = service.sign_pdf(db, agency.id, receipt_pdf, field_name="ChuKy", **common)
    page = pypdf.PdfReader(io.BytesIO(signed)).pages[0]
    annotations = page["/Annots"].get_object()
    assert isinstance(annotations, pypdf.generic.ArrayObject)
    [widget] = [a.get_object() for a in annotations]
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    width = float(page.mediabox.width)
    assert x2 <= width - 40 and x1 >= width / 2 and 80 <= y1 < y2 <= 160
    with pytest.raises(InvalidInput) as no_page:
        service.sign_pdf(db, agency.id, receipt_pdf, field_name="ChuKy", page=5, **common)
    assert "pdf" in no_page.value.fields
    with pytest.raises(InvalidInput):
        service.sign_pdf(db, agency.id, b"not a pdf", field_name="ChuKy", **common)
    with pytest.raises(Conflict):  # the field is already signed
        service.sign_pdf(db, agency.id, signed, field_name="ChuKy", **common)


def test_a_bundle_that_no_longer_decrypts_is_a_conflict(
    db: Session, receipt_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = _agency(db)
    service.import_pkcs12(db, agency, _make_pkcs12("Đổi khóa hệ thống")[0], PASSPHRASE)
    monkeypatch.setattr(get_settings(), "secret_key", "a-rotated-secret-key")
    with pytest.raises(Conflict):
        _sign(db, agency, receipt_pdf)
