"""`portal demo seed`: idempotent demo data (agencies, catalogue, staff and citizen accounts)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.agencies.models import Agency
from app.catalog import service as catalog_service
from app.catalog.models import (
    Component,
    FeeItem,
    ProcedureAgency,
    ProcedureVersion,
    ProcessStep,
)
from app.catalog.models import Procedure as ProcedureRow
from app.db import utcnow
from app.demo.agencies import AGENCIES, DEMO_PASSWORD, USERS
from app.demo.procedures import PROCEDURES
from app.signing.demo import seed_demo_certificates


def seed_agencies(session: Session) -> int:
    added = 0
    by_code = {a.code: a for a in session.scalars(select(Agency))}
    for data in AGENCIES:
        agency = by_code.get(data["code"])
        if agency is None:
            parent = by_code.get(data["parent"]) if data["parent"] else None
            agency = Agency(
                code=data["code"],
                name=data["name"],
                short_name=data["short_name"],
                level=data["level"],
                parent_id=parent.id if parent else None,
                tax_code=data["tax_code"],
                address=data["address"],
                phone=data["phone"],
            )
            session.add(agency)
            session.flush()
            by_code[agency.code] = agency
            added += 1
    return added


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """The demo password hashed once (argon2 takes a noticeable fraction of a second)."""
    return account_service.hash_password(DEMO_PASSWORD)


def seed_users(session: Session) -> int:
    added = 0
    for email, name, agency, roles, is_admin, phone in USERS:
        if account_service.get_user_by_email(session, email) is None:
            account_service.create_user(
                session,
                email=email,
                password=DEMO_PASSWORD,
                full_name=name,
                agency_code=agency,
                roles=roles,
                is_admin=is_admin,
                phone=phone,
                password_hash=demo_password_hash(),
            )
            added += 1
    return added


def add_procedure(session: Session, data: dict[str, Any]) -> ProcedureVersion:
    """Create a procedure and publish its first version from a plain dict (demo, import)."""
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    procedure = ProcedureRow(code=data["code"])
    session.add(procedure)
    session.flush()
    version = ProcedureVersion(
        procedure_id=procedure.id,
        version=1,
        status="published",
        name=data["name"],
        field=data["field"],
        level=data["level"],
        online_level=data["online_level"],
        processing_days=float(data["processing_days"]),
        time_note=data.get("time_note", ""),
        result=data.get("result", ""),
        result_type_code=data.get("result_type_code", ""),
        legal_basis=data.get("legal_basis", ""),
        description=data.get("description", ""),
        fee_note=data.get("fee_note", ""),
        payment_moment=data.get("payment_moment", "none"),
        form_schema={"fields": data.get("form_fields", [])},
        published_at=utcnow(),
    )
    version.procedure = procedure
    version.agency_links = [
        ProcedureAgency(agency_id=agencies[code].id, position=i)
        for i, code in enumerate(data["agencies"])
    ]
    version.fees = [
        FeeItem(
            position=i,
            kind=f.get("kind", "charge"),
            name=f["name"],
            amount=int(f["amount"]),
            unit=f.get("unit", ""),
            channel=f.get("channel"),
            note=f.get("note", ""),
        )
        for i, f in enumerate(data.get("fees", []))
    ]
    version.components = [
        Component(
            position=i,
            code=c["code"],
            name=c["name"],
            required=c.get("required", True),
            copies=c.get("copies", 1),
            paper_kind=c.get("paper_kind", "copy"),
            accepted_types=c.get("accepted_types", ["pdf", "jpg", "png"]),
            max_size_mb=c.get("max_size_mb", 10),
            note=c.get("note", ""),
        )
        for i, c in enumerate(data.get("components", []))
    ]
    version.steps = [
        ProcessStep(
            position=i,
            code=s["code"],
            name=s["name"],
            role=s["role"],
            unit=s.get("unit", ""),
            agency_id=agencies[s["agency"]].id if s.get("agency") else None,
            duration_hours=float(s["duration_hours"]),
            actions=list(s["actions"]),
        )
        for i, s in enumerate(data["steps"])
    ]
    version.search_text = catalog_service.search_text_for(version, procedure.code)
    session.add(version)
    session.flush()
    return version


def seed_procedures(session: Session) -> int:
    existing = set(session.scalars(select(ProcedureRow.code)))
    added = 0
    for data in PROCEDURES:
        if data["code"] not in existing:
            add_procedure(session, data)
            added += 1
    return added


def seed_all(session: Session) -> dict[str, int]:
    """Add whatever demo data is missing; running it twice adds nothing."""

    agencies = seed_agencies(session)
    return {
        "agencies": agencies,
        "certificates": seed_demo_certificates(session),
        "users": seed_users(session),
        "procedures": seed_procedures(session),
    }
