"""Agencies: lookups and the tree, and their administration (SPEC §1): an agency admin adds
and edits agencies under their own, a system admin anywhere. Every change is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import schemas
from app.agencies.models import Agency
from app.agencies.schemas import AgencyRead
from app.audit import service as audit_service
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.i18n_markers import N_


def get_by_code(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(N_("Không tìm thấy cơ quan."))
    return agency


def list_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).where(Agency.is_active).order_by(Agency.code)))


def tree(session: Session, root_id: int | None = None) -> list[tuple[int, Agency]]:
    """Agencies in depth-first order with their depth, from a root (or from every top agency)."""
    agencies = list(session.scalars(select(Agency).order_by(Agency.level, Agency.name)))
    children: dict[int | None, list[Agency]] = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency)
    out: list[tuple[int, Agency]] = []

    def walk(node: Agency, depth: int) -> None:
        out.append((depth, node))
        for child in children.get(node.id, []):
            walk(child, depth + 1)

    roots = [a for a in agencies if a.id == root_id] if root_id else children.get(None, [])
    for root in roots:
        walk(root, 0)
    return out


def read(agency: Agency, parent_code: str | None) -> AgencyRead:
    data = AgencyRead.model_validate(agency)
    data.parent_code = parent_code
    return data


# --- administration ----------------------------------------------------------------------------


def agency_by_code(session: Session, code: str, field_name: str) -> Agency:
    """An agency named in a form or payload; unknown codes are an error on ``field_name``."""
    agency = session.scalar(select(Agency).where(Agency.code == code.strip()))
    if agency is None:
        raise InvalidInput(N_("Không có cơ quan với mã này."), fields={field_name: code})
    return agency


def agency_tree(session: Session, user: User) -> list[tuple[int, Agency]]:
    """The agencies the user administers (active or not), depth first with their depth."""
    account_service.require_admin_area(user)
    return tree(session, None if user.is_admin else user.agency_id)


def agency_choices(session: Session, user: User) -> list[tuple[int, Agency]]:
    """Active agencies in the user's scope, for the agency pickers of the admin forms."""
    return [(d, a) for d, a in agency_tree(session, user) if a.is_active]


def scoped_agencies(session: Session, user: User) -> list[Agency]:
    """The agencies the user administers, depth first."""
    return [a for _depth, a in agency_tree(session, user)]


def get_agency(session: Session, user: User, code: str) -> Agency:
    """An agency of the user's scope by its code."""
    account_service.require_admin_area(user)
    agency = get_by_code(session, code)
    account_service.require_scope(session, user, agency.id)
    return agency


def assignable_agency(session: Session, user: User, code: str | None) -> Agency | None:
    """The active agency of the user's scope that a staff account, a receipt series or a
    certificate is given (``agency_code`` in the form); ``None`` when no code was given."""
    if not code:
        return None
    agency = agency_by_code(session, code, "agency_code")
    account_service.require_scope(session, user, agency.id)
    if not agency.is_active:
        raise InvalidInput(
            N_("Cơ quan này đã ngừng hoạt động."), fields={"agency_code": "inactive"}
        )
    return agency


def agency_read(agency: Agency) -> schemas.AgencyAdminRead:
    data = schemas.AgencyAdminRead.model_validate(agency)
    data.parent_code = agency.parent.code if agency.parent else None
    return data


def create_agency(session: Session, user: User, data: schemas.AgencyCreate) -> Agency:
    """Add an agency under a parent of the user's scope (top level: system admins only)."""
    account_service.require_admin_area(user)
    parent: Agency | None = None
    if data.parent_code:
        parent = agency_by_code(session, data.parent_code, "parent_code")
        account_service.require_scope(session, user, parent.id)
        if not parent.is_active:
            raise InvalidInput(
                N_("Cơ quan cấp trên đã ngừng hoạt động."), fields={"parent_code": "inactive"}
            )
    elif not user.is_admin:
        raise Forbidden(N_("Chỉ quản trị hệ thống được tạo cơ quan cấp cao nhất."))
    if session.scalar(select(Agency.id).where(Agency.code == data.code)) is not None:
        raise Conflict(
            N_("Mã định danh này đã được dùng cho cơ quan khác."), fields={"code": "already used"}
        )
    agency = Agency(
        code=data.code,
        name=data.name,
        short_name=data.short_name,
        level=data.level,
        parent_id=parent.id if parent else None,
        tax_code=data.tax_code,
        address=data.address,
        phone=data.phone,
        email=str(data.email),
        abbreviation=data.abbreviation,
        place_name=data.place_name,
    )
    session.add(agency)
    session.flush()
    account_service.forget_scopes(session)  # the new agency joins some subtrees
    audit_service.record(
        session,
        "agency.create",
        actor=user,
        object_type="agency",
        object_id=agency.code,
        details={"name": agency.name, "level": agency.level, "parent": data.parent_code},
    )
    return agency


# The fields of an agency an admin edits (its code and parent are set apart).
AGENCY_FIELDS = (
    "name",
    "short_name",
    "abbreviation",
    "place_name",
    "level",
    "tax_code",
    "address",
    "phone",
    "email",
)


def update_agency(session: Session, user: User, code: str, data: schemas.AgencyUpdate) -> Agency:
    """Edit an agency's details; ``is_active`` deactivates or reactivates it."""
    agency = get_agency(session, user, code)
    changes: dict[str, Any] = {}
    for name in AGENCY_FIELDS:
        value = getattr(data, name)
        if value is not None and getattr(agency, name) != str(value):
            changes[name] = [getattr(agency, name), str(value)]
            setattr(agency, name, str(value))
    if changes:
        session.flush()
        audit_service.record(
            session,
            "agency.update",
            actor=user,
            object_type="agency",
            object_id=agency.code,
            details={"changes": changes},
        )
    if data.is_active is not None and data.is_active != agency.is_active:
        set_agency_active(session, user, agency.code, data.is_active)
    return agency


def set_agency_active(session: Session, user: User, code: str, active: bool) -> Agency:
    """Deactivate (its sub-agencies first) or reactivate (its parent first) an agency."""
    agency = get_agency(session, user, code)
    if agency.is_active == active:
        return agency
    if not active:
        if agency.id == user.agency_id:
            raise Forbidden(N_("Bạn không thể ngừng hoạt động cơ quan của chính mình."))
        if any(child.is_active for child in agency.children):
            raise Conflict(
                N_("Cơ quan còn cơ quan trực thuộc đang hoạt động; hãy ngừng các cơ quan đó trước.")
            )
    elif agency.parent is not None and not agency.parent.is_active:
        raise Conflict(N_("Cơ quan cấp trên đang ngừng hoạt động; hãy kích hoạt cơ quan đó trước."))
    agency.is_active = active
    session.flush()
    action = "agency.reactivate" if active else "agency.deactivate"
    audit_service.record(session, action, actor=user, object_type="agency", object_id=agency.code)
    return agency
