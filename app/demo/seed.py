"""`portal demo seed`: idempotent demo data (agencies, catalogue, staff and citizen accounts)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

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
from app.counter import bookings as booking_service
from app.db import utcnow
from app.demo.agencies import AGENCIES, CENTER_CODE, DEMO_PASSWORD, USERS
from app.demo.par import seed_par
from app.demo.procedures import PROCEDURES
from app.notifications import channels
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
        # Agencies seeded before revision 0023 get their document abbreviation and place.
        agency.abbreviation = agency.abbreviation or data["abbreviation"]
        agency.place_name = agency.place_name or data["place_name"]
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
    seed_notice_channels(session)
    return added


# The second demo citizen takes notices by SMS as well (issue 24): with `portal sms-sandbox`
# and PORTAL_SMS_URL set they arrive in its log; without, they wait in /quan-tri/thong-bao-gui.
SMS_CITIZEN = "congdan2@motcua.local"


def seed_notice_channels(session: Session) -> None:
    """Choose SMS for the second demo citizen once (a later change of theirs is kept)."""
    user = account_service.get_user_by_email(session, SMS_CITIZEN)
    if user is not None and not channels.preference(session, user).chosen:
        channels.set_preference(session, user, ["in_app", "email", "sms"])


def add_procedure(session: Session, data: dict[str, Any]) -> ProcedureVersion:
    """Create a procedure and publish its first version from a plain dict (demo, import)."""
    procedure = ProcedureRow(code=data["code"])
    session.add(procedure)
    session.flush()
    return _publish_version(session, procedure, data, 1)


def _publish_version(
    session: Session, procedure: ProcedureRow, data: dict[str, Any], number: int
) -> ProcedureVersion:
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    version = ProcedureVersion(
        procedure_id=procedure.id,
        version=number,
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
            quantity_field=f.get("quantity_field"),
            tiers=list(f.get("tiers") or []),
            cap=f.get("cap"),
            multiplier_field=f.get("multiplier_field"),
            multiplier_unit=f.get("multiplier_unit", ""),
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


def _fee_rules(fees: list[Any]) -> list[tuple[Any, ...]]:
    """What decides the amounts of a list of fee items (rows or the demo's dicts)."""

    def get(f: Any, name: str, default: Any = None) -> Any:
        return f.get(name, default) if isinstance(f, dict) else getattr(f, name)

    return [
        (
            get(f, "name"),
            int(get(f, "amount")),
            get(f, "unit", "") or "",
            get(f, "channel"),
            get(f, "quantity_field"),
            [(int(t["from"]), int(t["amount"])) for t in get(f, "tiers") or []],
            get(f, "cap"),
            get(f, "multiplier_field"),
            get(f, "multiplier_unit", "") or "",
        )
        for f in fees
    ]


_CHECKS = ("not_future", "min", "max", "integer", "min_date", "max_date")


def _value_checks(fields: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The value checks of a form schema's fields (finding L3: counts, dates not in the
    future), to tell a catalogue seeded before them."""
    return [
        (f["name"], *(None if f.get(k) is False else f.get(k) for k in _CHECKS)) for f in fields
    ]


def upgrade_procedures(session: Session) -> int:
    """A catalogue seeded before fees were computed per quantity or before the declared
    fields' value checks: each demo procedure still as seeded (only its version 1, published,
    never edited in the designer) whose fee items or value checks are not the demo's gets a
    version 2 published from the demo data; the old one is retired and keeps its dossiers
    (their fees stay as they were). Edited procedures are left alone."""
    by_code = {
        p.code: p
        for p in session.scalars(
            select(ProcedureRow).options(
                selectinload(ProcedureRow.versions).selectinload(ProcedureVersion.fees)
            )
        )
    }
    upgraded = 0
    for data in PROCEDURES:
        procedure = by_code.get(data["code"])
        if procedure is None or len(procedure.versions) != 1:
            continue
        seeded = procedure.versions[0]
        if seeded.status != "published" or seeded.version != 1:
            continue
        same_checks = _value_checks((seeded.form_schema or {}).get("fields", [])) == (
            _value_checks(data.get("form_fields", []))
        )
        if same_checks and _fee_rules(list(seeded.fees)) == _fee_rules(data.get("fees", [])):
            continue
        seeded.status = "retired"
        session.flush()  # never two published versions, even for a moment
        _publish_version(session, procedure, data, 2)
        upgraded += 1
    return upgraded


# Appointment bands of the demo agencies (SPEC §15): minutes per band, counters, places per
# counter and band — the province's service centre has more counters and shorter bands.
DEMO_BOOKING_BANDS = {
    "000.00.51.H31": (60, 2, 3),  # UBND phường Phố Hiến
    "000.00.54.H31": (60, 1, 4),  # UBND xã Liên Phương
    CENTER_CODE: (30, 4, 2),  # Trung tâm Phục vụ hành chính công tỉnh
}


def seed_booking_settings(session: Session) -> int:
    """Appointment bands for the demo agencies that have none yet."""
    added = 0
    for code, (minutes, counters, places) in DEMO_BOOKING_BANDS.items():
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None or booking_service.setting_for(session, agency.id) is not None:
            continue
        booking_service.save_setting(session, agency, minutes, counters, places)
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
        "procedures_upgraded": upgrade_procedures(session),
        **seed_par(session),
        "booking_settings": seed_booking_settings(session),
    }
