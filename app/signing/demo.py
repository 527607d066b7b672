"""Demo signing certificates: a throw-away root CA and one certificate per demo agency.

The root's private key lives only in memory during seeding; its certificate is appended to
``<data_dir>/signing/demo-root-ca.pem`` and included in every agency chain (``chain_pem``), so
validators can trust it. Everything is marked DEMO and must never be used for real documents.
Keys are ECDSA P-256: signing takes well under a millisecond and Adobe, pyHanko and the
Vietnamese validators accept it.
"""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.agencies.models import Agency
from app.db import utcnow
from app.demo.agencies import AGENCIES
from app.errors import NotFound
from app.i18n_markers import N_
from app.signing import service
from app.signing.models import SigningCertificate

ROOT_NAME = "Một cửa DEMO Root CA — KHÔNG DÙNG THẬT"
DEMO_MARK = "DEMO - KHÔNG DÙNG THẬT"
ROOT_YEARS = 10
LEAF_YEARS = 3


def _root_ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Một cửa DEMO"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEMO_MARK),
            x509.NameAttribute(NameOID.COMMON_NAME, ROOT_NAME),
        ]
    )
    now = utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _agency_certificate(
    agency: Agency, root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency.name[:64]),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEMO_MARK),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, f"DEMO-{agency.code}"),
        x509.NameAttribute(NameOID.COMMON_NAME, agency.name[:64]),
    ]
    if agency.tax_code:
        # Vietnamese CAs carry the tax code as UID "MST:<code>".
        attributes.insert(3, x509.NameAttribute(NameOID.USER_ID, f"MST:{agency.tax_code}"))
    now = utcnow()
    root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * LEAF_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    return key, cert


def seed_demo_certificates(session: Session) -> int:
    """Give every demo agency without an active certificate a DEMO one; returns how many.

    Idempotent and fast (a few milliseconds per agency). A run that issues certificates makes
    a new root CA (its key is never kept) and appends it to the demo root file.
    """
    codes = [data["code"] for data in AGENCIES]
    agencies = list(session.scalars(select(Agency).where(Agency.code.in_(codes))))
    with_cert = set(
        session.scalars(
            select(SigningCertificate.agency_id).where(SigningCertificate.is_active.is_(True))
        )
    )
    missing = [agency for agency in agencies if agency.id not in with_cert]
    if not missing:
        return 0
    root_key, root = _root_ca()
    service.store_demo_root(root)
    for agency in sorted(missing, key=lambda a: a.code):
        key, cert = _agency_certificate(agency, root_key, root)
        bundle = pkcs12.serialize_key_and_certificates(
            None, key, cert, [root], serialization.NoEncryption()
        )
        service.import_pkcs12(session, agency, bundle, None, is_demo=True)
    return len(missing)


def demo_root_pem(session: Session | None = None) -> str:
    """The demo root CA certificate(s), PEM; from the data folder, and stored chains if given."""
    roots = service.demo_roots(session)
    if not roots:
        raise NotFound(N_("Chưa có chứng thư gốc DEMO: hãy chạy khởi tạo dữ liệu mẫu."))
    return "".join(cert.public_bytes(serialization.Encoding.PEM).decode("ascii") for cert in roots)
