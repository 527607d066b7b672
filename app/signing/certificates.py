"""Signing certificates of the agencies: an agency admin imports the PKCS#12 bundle of their
agency's certificate (it becomes the one receipts and results are signed with) and sees
those of their subtree. Every import is audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.audit import service as audit_service
from app.errors import InvalidInput
from app.i18n_markers import N_
from app.signing import service as signing_service
from app.signing.models import SigningCertificate


def list_certificates(
    session: Session, user: User
) -> list[tuple[Agency, list[SigningCertificate]]]:
    """Signing certificates of the agencies in the user's scope (the active one first)."""
    agencies = agency_service.scoped_agencies(session, user)
    rows = session.scalars(
        select(SigningCertificate)
        .where(SigningCertificate.agency_id.in_([a.id for a in agencies]))
        .order_by(SigningCertificate.is_active.desc(), SigningCertificate.id.desc())
    ).all()
    by_agency: dict[int, list[SigningCertificate]] = {}
    for row in rows:
        by_agency.setdefault(row.agency_id, []).append(row)
    return [(a, by_agency.get(a.id, [])) for a in agencies]


def upload_certificate(
    session: Session, user: User, agency_code: str, data: bytes, passphrase: str
) -> SigningCertificate:
    """Import a PKCS#12 bundle as the agency's active signing certificate."""
    account_service.require_admin_area(user)
    agency = agency_service.assignable_agency(session, user, agency_code)
    if agency is None:
        raise InvalidInput(N_("Chọn cơ quan."), fields={"agency_code": "required"})
    cert = signing_service.import_pkcs12(
        session, agency, data, passphrase.encode() if passphrase else None
    )
    audit_service.record(
        session,
        "certificate.import",
        actor=user,
        object_type="signing_certificate",
        object_id=cert.id,
        details={
            "agency": agency.code,
            "subject": cert.subject,
            "fingerprint_sha256": cert.fingerprint_sha256,
            "not_after": cert.not_after.isoformat(),
        },
    )
    return cert
