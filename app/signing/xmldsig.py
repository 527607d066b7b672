"""Enveloped XML signatures (XMLDSig) with an agency's certificate, made by ``signxml``.

The same stored PKCS#12 bundle as the PAdES signatures of ``service.sign_pdf``: decrypted in
memory, never written out. The signature references one element by its ``Id`` attribute (the
tax authority's e-invoice formats sign their data element the same way), uses inclusive
Canonical XML 1.0, SHA-256 digests and ECDSA or RSA with SHA-256 after the key, and carries the
agency's certificate chain in ``KeyInfo/X509Data`` so that a verifier needs only the root.
docs/decisions/0024-receipts-as-signed-xml.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
    XMLSigner,
)
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import Conflict, NotFound
from app.i18n_markers import N_
from app.signing import service as signing_service

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


@dataclass(frozen=True)
class SignedXml:
    data: bytes
    signer_subject: str
    signer_fingerprint: str


def signature_placeholder() -> etree._Element:
    """Where ``sign_enveloped`` puts the signature: an empty ``ds:Signature`` to place in the
    document (signxml replaces it)."""
    return etree.Element(etree.QName(DSIG_NS, "Signature"), Id="placeholder", nsmap={None: DSIG_NS})


def sign_enveloped(
    session: Session, agency_id: int, root: etree._Element, reference_id: str
) -> SignedXml:
    """``root`` signed by the agency's active certificate: the signature covers the element whose
    ``Id`` is ``reference_id`` and goes where ``signature_placeholder()`` stands (or at the end of
    the root). Conflict when the agency has no certificate that can sign now."""
    try:
        record = signing_service.active_certificate(session, agency_id)
    except NotFound as exc:
        raise Conflict(
            N_("Cơ quan chưa có chứng thư số nên chưa ký được dữ liệu biên lai."),
        ) from exc
    now = utcnow()
    if not record.not_before <= now <= record.not_after:
        raise Conflict(N_("Chứng thư số của cơ quan không còn hiệu lực; cần nhập chứng thư mới."))
    try:
        bundle = signing_service.decrypt_bundle(record.pkcs12_encrypted, record.fingerprint_sha256)
        key, cert, _ = pkcs12.load_key_and_certificates(bundle, None)
    except ValueError as exc:
        raise Conflict(
            N_("Không mở được chứng thư số đã lưu của cơ quan; quản trị viên cần nhập lại.")
        ) from exc
    if cert is None or not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise Conflict(N_("Chứng thư số của cơ quan không dùng để ký dữ liệu XML được."))
    chain = (
        [cert]
        + [
            c
            for c in x509.load_pem_x509_certificates(record.chain_pem.encode("ascii"))
            if c != cert and c.issuer != c.subject  # the root is the verifier's to hold
        ]
        if "BEGIN CERTIFICATE" in record.chain_pem
        else [cert]
    )
    method = (
        SignatureMethod.ECDSA_SHA256
        if isinstance(key, ec.EllipticCurvePrivateKey)
        else SignatureMethod.RSA_SHA256
    )
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    signer.namespaces = {None: DSIG_NS}  # type: ignore[dict-item]  # the default namespace
    signed = signer.sign(root, key=key, cert=chain, reference_uri=f"#{reference_id}")
    return SignedXml(
        data=etree.tostring(signed, xml_declaration=True, encoding="UTF-8"),
        signer_subject=cert.subject.rfc4514_string(),
        signer_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
    )
