"""Administration (SPEC §1, §2, §4–§6): agencies, staff accounts and roles, the procedure
designer with versions and JSON export/import, working calendar and rule settings, receipt
series and signing certificates.

Who may do what is decided here, not in the routes: a system admin everywhere; an agency admin
only for the agencies of their subtree (and the users, procedures, series and certificates
of those agencies); everybody else is refused. Calendar and rule settings are global, so
they are for system admins only. Every change is written to the audit log.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from app.accounts import service as account_service
from app.accounts.models import AuthSession, User, UserRole
from app.admin import schemas
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.audit import service as audit_service
from app.calendar import service as calendar_service
from app.calendar.models import CalendarOverride
from app.catalog import service as catalog_service
from app.catalog.models import (
    Component,
    FeeItem,
    Procedure,
    ProcedureAgency,
    ProcedureVersion,
    ProcessStep,
)
from app.db import utcnow
from app.dossiers.models import Dossier
from app.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from app.i18n_markers import N_
from app.receipts import service as receipt_service
from app.receipts.models import ReceiptSeries
from app.signing import service as signing_service
from app.signing.models import SigningCertificate
from app.text import fold

Section = Literal["fields", "components", "fees", "steps"]
SECTIONS: tuple[Section, ...] = ("fields", "components", "fees", "steps")
GENERATED_PASSWORD_BYTES = 9  # 12 URL-safe characters
_SCOPE_CACHE = "app.admin.scope"  # per session: user id -> agency ids of their subtree

# --- who may act -------------------------------------------------------------------------------


def require_admin_area(user: User | None) -> User:
    """System admins and agency admins (with an agency); anybody else is refused."""
    if user is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    if user.is_admin or (user.agency_id is not None and user.has_role("agency_admin")):
        return user
    raise Forbidden(N_("Chỉ quản trị viên được vào khu vực quản trị."))


def require_system_admin(user: User | None) -> User:
    """Global settings (calendar, rules, system admins): system admins only."""
    return account_service.require_admin(user)


def scope_ids(session: Session, user: User) -> set[int] | None:
    """The agencies the user administers: ``None`` means every agency (system admin)."""
    require_admin_area(user)
    if user.is_admin:
        return None
    assert user.agency_id is not None
    cache: dict[int, set[int]] = session.info.setdefault(_SCOPE_CACHE, {})
    if user.id not in cache:
        cache[user.id] = account_service.agency_subtree_ids(session, user.agency_id)
    return cache[user.id]


def in_scope(session: Session, user: User, agency_id: int | None) -> bool:
    ids = scope_ids(session, user)
    return ids is None or (agency_id is not None and agency_id in ids)


def _require_scope(session: Session, user: User, agency_id: int | None) -> None:
    if not in_scope(session, user, agency_id):
        raise Forbidden(N_("Cơ quan này nằm ngoài phạm vi quản trị của bạn."))


def _audit(
    session: Session,
    actor: User,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
) -> None:
    audit_service.record(
        session,
        action,
        actor=actor,
        object_type=object_type,
        object_id=str(object_id),
        details=details or {},
    )


def _agency_by_code(session: Session, code: str, field_name: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code.strip()))
    if agency is None:
        raise InvalidInput(N_("Không có cơ quan với mã này."), fields={field_name: code})
    return agency


# --- agencies ----------------------------------------------------------------------------------


def agency_tree(session: Session, user: User) -> list[tuple[int, Agency]]:
    """The agencies the user administers (active or not), depth first with their depth."""
    require_admin_area(user)
    return agency_service.tree(session, None if user.is_admin else user.agency_id)


def agency_choices(session: Session, user: User) -> list[tuple[int, Agency]]:
    """Active agencies in the user's scope, for the agency pickers of the admin forms."""
    return [(d, a) for d, a in agency_tree(session, user) if a.is_active]


def get_agency(session: Session, user: User, code: str) -> Agency:
    """An agency of the user's scope by its code."""
    require_admin_area(user)
    agency = agency_service.get_by_code(session, code)
    _require_scope(session, user, agency.id)
    return agency


def agency_read(agency: Agency) -> schemas.AgencyAdminRead:
    data = schemas.AgencyAdminRead.model_validate(agency)
    data.parent_code = agency.parent.code if agency.parent else None
    return data


def create_agency(session: Session, user: User, data: schemas.AgencyCreate) -> Agency:
    """Add an agency under a parent of the user's scope (top level: system admins only)."""
    require_admin_area(user)
    parent: Agency | None = None
    if data.parent_code:
        parent = _agency_by_code(session, data.parent_code, "parent_code")
        _require_scope(session, user, parent.id)
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
    )
    session.add(agency)
    session.flush()
    session.info.pop(_SCOPE_CACHE, None)  # the new agency joins some subtrees
    _audit(
        session,
        user,
        "agency.create",
        "agency",
        agency.code,
        {"name": agency.name, "level": agency.level, "parent": data.parent_code},
    )
    return agency


_AGENCY_FIELDS = ("name", "short_name", "level", "tax_code", "address", "phone", "email")


def update_agency(session: Session, user: User, code: str, data: schemas.AgencyUpdate) -> Agency:
    """Edit an agency's details; ``is_active`` deactivates or reactivates it."""
    agency = get_agency(session, user, code)
    changes: dict[str, Any] = {}
    for name in _AGENCY_FIELDS:
        value = getattr(data, name)
        if value is not None and getattr(agency, name) != str(value):
            changes[name] = [getattr(agency, name), str(value)]
            setattr(agency, name, str(value))
    if changes:
        session.flush()
        _audit(session, user, "agency.update", "agency", agency.code, {"changes": changes})
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
    _audit(session, user, action, "agency", agency.code)
    return agency


# --- users -------------------------------------------------------------------------------------


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def user_read(user: User) -> schemas.UserAdminRead:
    return schemas.UserAdminRead(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        phone=user.phone,
        agency_code=user.agency.code if user.agency else None,
        agency_name=user.agency.name if user.agency else None,
        roles=sorted(user.roles),
        is_admin=user.is_admin,
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


@dataclass(frozen=True)
class UserFilter:
    agency: str = ""
    role: str = ""
    q: str = ""
    status: str = "active"  # active | inactive | all


def list_users(
    session: Session, user: User, flt: UserFilter, limit: int = 50, offset: int = 0
) -> tuple[list[User], int]:
    """Staff and admin accounts of the user's scope matching the filter, with the total."""
    ids = scope_ids(session, user)
    stmt = select(User)
    if ids is None:
        stmt = stmt.where(or_(User.agency_id.is_not(None), User.is_admin.is_(True)))
    else:
        stmt = stmt.where(User.agency_id.in_(ids), User.is_admin.is_(False))
    if flt.agency:
        agency = get_agency(session, user, flt.agency)
        stmt = stmt.where(User.agency_id == agency.id)
    if flt.role:
        if flt.role == "system_admin":
            stmt = stmt.where(User.is_admin.is_(True))
        else:
            stmt = stmt.where(
                exists().where(UserRole.user_id == User.id, UserRole.role == flt.role)
            )
    if flt.q.strip():
        text = flt.q.strip().lower()[:100]
        text = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{text}%"
        stmt = stmt.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.full_name).like(pattern, escape="\\"),
            )
        )
    if flt.status == "active":
        stmt = stmt.where(User.is_active.is_(True))
    elif flt.status == "inactive":
        stmt = stmt.where(User.is_active.is_(False))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.outerjoin(Agency, Agency.id == User.agency_id)
        .order_by(Agency.code.is_(None).desc(), Agency.code, User.full_name, User.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def get_user(session: Session, user: User, user_id: int) -> User:
    """An account the user administers: staff of their scope (system admins: anybody)."""
    require_admin_area(user)
    target = session.get(User, user_id)
    if target is None:
        raise NotFound(N_("Không tìm thấy tài khoản."))
    if user.is_admin:
        return target
    if target.is_admin or not in_scope(session, user, target.agency_id):
        raise Forbidden(N_("Tài khoản này nằm ngoài phạm vi quản trị của bạn."))
    return target


def _staff_agency(session: Session, user: User, code: str | None) -> Agency | None:
    if not code:
        return None
    agency = _agency_by_code(session, code, "agency_code")
    _require_scope(session, user, agency.id)
    if not agency.is_active:
        raise InvalidInput(
            N_("Cơ quan này đã ngừng hoạt động."), fields={"agency_code": "inactive"}
        )
    return agency


def _check_staff_shape(is_admin: bool, agency: Agency | None, roles: Sequence[str]) -> None:
    if is_admin:
        return
    if agency is None:
        raise InvalidInput(N_("Cán bộ phải thuộc một cơ quan."), fields={"agency_code": "required"})
    if not roles:
        raise InvalidInput(N_("Chọn ít nhất một vai trò."), fields={"roles": "at least one"})


def create_user(session: Session, user: User, data: schemas.UserCreate) -> tuple[User, str | None]:
    """Create a staff account (or a system admin, by a system admin); returns the account and
    the generated password when none was given (to be shown once)."""
    require_admin_area(user)
    if data.is_admin and not user.is_admin:
        raise Forbidden(N_("Chỉ quản trị hệ thống được tạo tài khoản quản trị hệ thống."))
    if not user.is_admin and not data.agency_code:
        raise InvalidInput(N_("Cán bộ phải thuộc một cơ quan."), fields={"agency_code": "required"})
    agency = _staff_agency(session, user, data.agency_code)
    _check_staff_shape(data.is_admin, agency, data.roles)
    if account_service.get_user_by_email(session, str(data.email)) is not None:
        raise Conflict(
            N_("Email này đã được dùng cho một tài khoản khác."),
            fields={"email": "already registered"},
        )
    generated = None if data.password else generate_password()
    created = account_service.create_user(
        session,
        email=str(data.email),
        password=data.password or generated or "",
        full_name=data.full_name,
        agency_code=agency.code if agency else None,
        roles=data.roles,
        is_admin=data.is_admin,
        phone=data.phone,
    )
    _audit(
        session,
        user,
        "user.create",
        "user",
        created.id,
        {
            "email": created.email,
            "agency": agency.code if agency else None,
            "roles": sorted(data.roles),
            "is_admin": data.is_admin,
        },
    )
    return created, generated


def _set_roles(target: User, roles: Sequence[str]) -> None:
    # Keep the rows of roles that stay: replacing them all would insert before deleting and
    # trip the (user_id, role) unique constraint.
    wanted = set(roles)
    for row in list(target.role_rows):
        if row.role not in wanted:
            target.role_rows.remove(row)
    for role in roles:
        if role not in target.roles:
            target.role_rows.append(UserRole(role=role))


def update_user(session: Session, user: User, user_id: int, data: schemas.UserUpdate) -> User:
    """Edit an account: name, phone, agency, roles, system-admin flag, active or not."""
    target = get_user(session, user, user_id)
    is_admin = target.is_admin if data.is_admin is None else data.is_admin
    if is_admin != target.is_admin:
        if not user.is_admin:
            raise Forbidden(
                N_("Chỉ quản trị hệ thống được cấp hoặc thu hồi quyền quản trị hệ thống.")
            )
        if target.id == user.id:
            raise Conflict(N_("Bạn không thể tự thu hồi quyền quản trị của chính mình."))
    agency = target.agency
    if data.agency_code is not None:
        agency = _staff_agency(session, user, data.agency_code) if data.agency_code else None
        if agency is None and not user.is_admin:
            raise InvalidInput(
                N_("Cán bộ phải thuộc một cơ quan."), fields={"agency_code": "required"}
            )
    roles = sorted(target.roles) if data.roles is None else list(data.roles)
    if target.id == user.id and not user.is_admin and "agency_admin" not in roles:
        raise Conflict(N_("Bạn không thể tự thu hồi quyền quản trị của chính mình."))
    _check_staff_shape(is_admin, agency, roles)
    if roles and agency is None:
        raise InvalidInput(
            N_("Vai trò cán bộ cần gắn với một cơ quan."), fields={"agency_code": "required"}
        )
    changes: dict[str, Any] = {}
    for name in ("full_name", "phone"):
        value = getattr(data, name)
        if value is not None and value != getattr(target, name):
            changes[name] = [getattr(target, name), value]
            setattr(target, name, value)
    if (agency.id if agency else None) != target.agency_id:
        changes["agency"] = [
            target.agency.code if target.agency else None,
            agency.code if agency else None,
        ]
        target.agency_id = agency.id if agency else None
        target.agency = agency
    if is_admin != target.is_admin:
        changes["is_admin"] = [target.is_admin, is_admin]
        target.is_admin = is_admin
    old_roles = sorted(target.roles)
    if set(roles) != set(old_roles):
        _set_roles(target, roles)
    session.flush()
    if changes:
        _audit(session, user, "user.update", "user", target.id, {"changes": changes})
    if set(roles) != set(old_roles):
        _audit(
            session,
            user,
            "user.roles_change",
            "user",
            target.id,
            {"from": old_roles, "to": sorted(roles)},
        )
    if data.is_active is not None and data.is_active != target.is_active:
        set_user_active(session, user, target.id, data.is_active)
    return target


def _end_sessions(session: Session, target: User) -> None:
    session.execute(delete(AuthSession).where(AuthSession.user_id == target.id))


def set_user_active(session: Session, user: User, user_id: int, active: bool) -> User:
    """Lock an account (its sessions end at once) or unlock it."""
    target = get_user(session, user, user_id)
    if target.is_active == active:
        return target
    if target.id == user.id:
        raise Conflict(N_("Bạn không thể tự khóa tài khoản của chính mình."))
    target.is_active = active
    if not active:
        _end_sessions(session, target)
    session.flush()
    action = "user.reactivate" if active else "user.deactivate"
    _audit(session, user, action, "user", target.id, {"email": target.email})
    return target


def reset_password(
    session: Session, user: User, user_id: int, password: str | None = None
) -> str | None:
    """Set a new password (or generate one, returned to be shown once); sessions end."""
    target = get_user(session, user, user_id)
    if password is not None and len(password) < 8:
        raise InvalidInput(
            N_("Mật khẩu cần ít nhất 8 ký tự."), fields={"password": "at least 8 characters"}
        )
    generated = None if password else generate_password()
    target.password_hash = account_service.hash_password(password or generated or "")
    _end_sessions(session, target)
    session.flush()
    _audit(session, user, "user.password_reset", "user", target.id, {"email": target.email})
    return generated


# --- the procedure designer ----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something that blocks publishing a draft; ``message`` is a msgid with ``params``."""

    section: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    hint: str = ""


@dataclass
class ProcedureOverview:
    procedure: Procedure
    name: str
    published: ProcedureVersion | None
    draft: ProcedureVersion | None
    manageable: bool


def _version_agency_ids(version: ProcedureVersion) -> set[int]:
    ids = {link.agency_id for link in version.agency_links}
    ids |= {s.agency_id for s in version.steps if s.agency_id is not None}
    return ids


def can_manage_version(session: Session, user: User, version: ProcedureVersion) -> bool:
    """System admins: any; agency admins: versions whose agencies are all in their subtree."""
    ids = scope_ids(session, user)
    if ids is None:
        return True
    agencies = _version_agency_ids(version)
    return bool(agencies) and agencies <= ids


def _visible(session: Session, user: User, procedure: Procedure) -> bool:
    ids = scope_ids(session, user)
    return ids is None or any(
        {link.agency_id for link in v.agency_links} & ids for v in procedure.versions
    )


def _load_procedure(session: Session, code: str) -> Procedure:
    procedure = session.scalar(
        select(Procedure)
        .where(Procedure.code == code)
        .options(
            selectinload(Procedure.versions).selectinload(ProcedureVersion.agency_links),
            selectinload(Procedure.versions).selectinload(ProcedureVersion.steps),
        )
    )
    if procedure is None:
        raise NotFound(N_("Không tìm thấy thủ tục."))
    return procedure


def published_of(procedure: Procedure) -> ProcedureVersion | None:
    return next((v for v in procedure.versions if v.status == "published"), None)


def draft_of(procedure: Procedure) -> ProcedureVersion | None:
    return next((v for v in reversed(procedure.versions) if v.status == "draft"), None)


def _reference_version(procedure: Procedure) -> ProcedureVersion:
    """The version a procedure is known by: the published one, else the latest."""
    return published_of(procedure) or procedure.versions[-1]


def overview(session: Session, user: User, procedure: Procedure) -> ProcedureOverview:
    reference = draft_of(procedure) or _reference_version(procedure)
    return ProcedureOverview(
        procedure=procedure,
        name=_reference_version(procedure).name,
        published=published_of(procedure),
        draft=draft_of(procedure),
        manageable=can_manage_version(session, user, reference),
    )


def list_procedures(session: Session, user: User, q: str = "") -> list[ProcedureOverview]:
    """Procedures the user may see in the designer (agency admins: those of their subtree)."""
    require_admin_area(user)
    procedures = session.scalars(
        select(Procedure)
        .options(
            selectinload(Procedure.versions).selectinload(ProcedureVersion.agency_links),
            selectinload(Procedure.versions).selectinload(ProcedureVersion.steps),
        )
        .order_by(Procedure.code)
    ).all()
    terms = fold(q).split()
    out = []
    for procedure in procedures:
        if not procedure.versions or not _visible(session, user, procedure):
            continue
        item = overview(session, user, procedure)
        haystack = fold(f"{procedure.code} {item.name}")
        if all(t in haystack for t in terms):
            out.append(item)
    return out


def get_procedure(session: Session, user: User, code: str) -> ProcedureOverview:
    """One procedure with its versions, if the user may see it."""
    require_admin_area(user)
    procedure = _load_procedure(session, code)
    if not procedure.versions or not _visible(session, user, procedure):
        raise Forbidden(N_("Thủ tục này nằm ngoài phạm vi quản trị của bạn."))
    return overview(session, user, procedure)


def _require_manage(session: Session, user: User, version: ProcedureVersion) -> None:
    if not can_manage_version(session, user, version):
        raise Forbidden(N_("Thủ tục này nằm ngoài phạm vi quản trị của bạn."))


def _require_draft(version: ProcedureVersion) -> None:
    if version.status != "draft":
        raise Conflict(N_("Chỉ sửa được bản nháp; phiên bản đã công bố không thay đổi."))


def get_draft(session: Session, user: User, code: str) -> ProcedureVersion:
    """The draft version of a procedure, for editing."""
    item = get_procedure(session, user, code)
    if item.draft is None:
        raise NotFound(N_("Thủ tục chưa có bản nháp."))
    _require_manage(session, user, item.draft)
    return item.draft


def _agencies_for(
    session: Session, user: User, codes: Iterable[str], field_name: str = "agencies"
) -> dict[str, Agency]:
    codes = list(dict.fromkeys(c for c in codes if c))
    found = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(
            N_("Có mã cơ quan chưa có trong hệ thống."), fields={field_name: ", ".join(missing)}
        )
    outside = [c for c, a in found.items() if not in_scope(session, user, a.id)]
    if outside:
        raise Forbidden(N_("Cơ quan này nằm ngoài phạm vi quản trị của bạn."))
    return found


def _set_info(
    version: ProcedureVersion, info: schemas.ProcedureInfo, agencies: dict[str, Agency]
) -> None:
    for name in (
        "name",
        "field",
        "level",
        "online_level",
        "processing_days",
        "time_note",
        "result",
        "result_type_code",
        "legal_basis",
        "description",
        "fee_note",
        "payment_moment",
    ):
        setattr(version, name, getattr(info, name))
    wanted = [agencies[c].id for c in info.agencies]
    kept = {link.agency_id: link for link in version.agency_links if link.agency_id in wanted}
    for link in list(version.agency_links):
        if link.agency_id not in kept:
            version.agency_links.remove(link)
    for position, agency_id in enumerate(wanted):
        link = kept.get(agency_id) or ProcedureAgency(agency_id=agency_id)
        if link.id is None and link not in version.agency_links:
            version.agency_links.append(link)
        link.position = position
    version.agency_links.sort(key=lambda link: link.position)


def _new_version(procedure: Procedure) -> ProcedureVersion:
    number = max((v.version for v in procedure.versions), default=0) + 1
    version = ProcedureVersion(
        procedure_id=procedure.id, version=number, status="draft", form_schema={"fields": []}
    )
    version.procedure = procedure
    return version


def create_procedure(session: Session, user: User, data: schemas.NewProcedure) -> ProcedureVersion:
    """A new procedure code with its first version, a draft."""
    require_admin_area(user)
    if session.scalar(select(Procedure.id).where(Procedure.code == data.code)) is not None:
        raise Conflict(N_("Mã thủ tục này đã có trong danh mục."), fields={"code": "already used"})
    agencies = _agencies_for(session, user, data.agencies)
    procedure = Procedure(code=data.code)
    session.add(procedure)
    session.flush()
    version = _new_version(procedure)
    _set_info(version, data, agencies)
    session.add(version)
    session.flush()
    _audit(session, user, "procedure.create", "procedure", procedure.code, {"version": 1})
    return version


def _fill(
    version: ProcedureVersion, doc: schemas.ProcedureDocument, agencies: dict[str, Agency]
) -> None:
    """Every part of a version from a procedure document (a copy, an import)."""
    _set_info(version, doc, agencies)
    version.form_schema = {
        "fields": [f.model_dump(exclude_none=True, exclude_defaults=False) for f in doc.form_fields]
    }
    version.components = [
        Component(position=i, **c.model_dump()) for i, c in enumerate(doc.components)
    ]
    version.fees = [FeeItem(position=i, **f.model_dump()) for i, f in enumerate(doc.fees)]
    version.steps = [
        ProcessStep(
            position=i,
            code=s.code,
            name=s.name,
            role=s.role,
            unit=s.unit,
            agency_id=agencies[s.agency].id if s.agency else None,
            duration_hours=s.duration_hours,
            actions=list(s.actions),
        )
        for i, s in enumerate(doc.steps)
    ]


def document_of(version: ProcedureVersion) -> schemas.ProcedureDocument:
    """A version as a procedure document (format motcua.procedure/1)."""
    known = set(schemas.FormFieldIn.model_fields)
    fields = [
        schemas.FormFieldIn.model_validate({k: v for k, v in f.items() if k in known})
        for f in (version.form_schema or {}).get("fields", [])
    ]
    return schemas.ProcedureDocument(
        format=schemas.FORMAT,
        code=version.code,
        version=version.version,
        status=version.status,
        exported_at=utcnow(),
        name=version.name,
        field=version.field,
        level=version.level,
        online_level=version.online_level,
        processing_days=version.processing_days,
        time_note=version.time_note,
        result=version.result,
        result_type_code=version.result_type_code,
        legal_basis=version.legal_basis,
        description=version.description,
        fee_note=version.fee_note,
        payment_moment=version.payment_moment,
        agencies=[link.agency.code for link in version.agency_links],
        form_fields=fields,
        components=[
            schemas.ComponentIn(
                code=c.code,
                name=c.name,
                required=c.required,
                copies=c.copies,
                paper_kind=c.paper_kind,
                accepted_types=list(c.accepted_types),
                max_size_mb=c.max_size_mb,
                note=c.note,
            )
            for c in version.components
        ],
        fees=[
            schemas.FeeIn(
                name=f.name,
                amount=f.amount,
                kind=f.kind,
                unit=f.unit,
                channel=f.channel,
                note=f.note,
            )
            for f in version.fees
        ],
        steps=[
            schemas.StepIn(
                code=s.code,
                name=s.name,
                role=s.role,
                unit=s.unit,
                agency=s.agency.code if s.agency else None,
                duration_hours=s.duration_hours,
                actions=list(s.actions),
            )
            for s in version.steps
        ],
    )


def open_draft(session: Session, user: User, code: str) -> ProcedureVersion:
    """The procedure's draft; when there is none, a new version copied from the published one
    (which stays in force, untouched, until the draft is published)."""
    item = get_procedure(session, user, code)
    if item.draft is not None:
        _require_manage(session, user, item.draft)
        return item.draft
    base = _reference_version(item.procedure)
    _require_manage(session, user, base)
    doc = document_of(base)
    agencies = {
        a.code: a
        for a in session.scalars(select(Agency).where(Agency.id.in_(_version_agency_ids(base))))
    }
    version = _new_version(item.procedure)
    _fill(version, doc, agencies)
    session.add(version)
    session.flush()
    _audit(
        session,
        user,
        "procedure.draft_open",
        "procedure",
        code,
        {"version": version.version, "from_version": base.version},
    )
    return version


def update_info(
    session: Session, user: User, version: ProcedureVersion, data: schemas.ProcedureInfo
) -> ProcedureVersion:
    """Save the general information of a draft."""
    _require_draft(version)
    _require_manage(session, user, version)
    agencies = _agencies_for(session, user, data.agencies)
    _set_info(version, data, agencies)
    session.flush()
    _audit(session, user, "procedure.draft_edit", "procedure", version.code, {"section": "info"})
    return version


def section_items(version: ProcedureVersion, section: Section) -> list[Any]:
    if section == "fields":
        return list((version.form_schema or {}).get("fields", []))
    return list(getattr(version, section))


def item_key(section: Section, item: Any) -> str:
    """What identifies an item of a section on the page (checked before changing it)."""
    if section == "fields":
        return str(item["name"])
    if section == "fees":
        return str(item.name)
    return str(item.code)


def _item_at(version: ProcedureVersion, section: Section, index: int, key: str | None) -> Any:
    items = section_items(version, section)
    if not 0 <= index < len(items) or (key is not None and item_key(section, items[index]) != key):
        raise Conflict(N_("Danh sách vừa được thay đổi; vui lòng tải lại trang và thử lại."))
    return items[index]


def _renumber(version: ProcedureVersion, section: Section) -> None:
    if section != "fields":
        for position, item in enumerate(getattr(version, section)):
            item.position = position


def _unique_in_section(
    version: ProcedureVersion, section: Section, index: int | None, key: str, field_name: str
) -> None:
    for i, item in enumerate(section_items(version, section)):
        if i != index and item_key(section, item).lower() == key.lower():
            raise InvalidInput(
                N_("Mã (hoặc tên) này đã có trong danh sách."), fields={field_name: "duplicate"}
            )


ItemIn = schemas.FormFieldIn | schemas.ComponentIn | schemas.FeeIn | schemas.StepIn


def save_item(
    session: Session,
    user: User,
    version: ProcedureVersion,
    section: Section,
    data: ItemIn,
    index: int | None = None,
    key: str | None = None,
) -> None:
    """Add (``index`` None) or replace an item of a draft's form fields, components, fees or
    steps; ``key`` is the item's name/code as the page showed it."""
    _require_draft(version)
    _require_manage(session, user, version)
    if index is not None:
        _item_at(version, section, index, key)
    if isinstance(data, schemas.FormFieldIn):
        _unique_in_section(version, "fields", index, data.name, "name")
        fields = section_items(version, "fields")
        value = data.model_dump(exclude_none=True)
        if index is None:
            fields.append(value)
        else:
            fields[index] = value
        version.form_schema = {**(version.form_schema or {}), "fields": fields}
    elif isinstance(data, schemas.ComponentIn):
        _unique_in_section(version, "components", index, data.code, "code")
        if index is None:
            version.components.append(Component(**data.model_dump()))
        else:
            for name, value in data.model_dump().items():
                setattr(version.components[index], name, value)
    elif isinstance(data, schemas.FeeIn):
        if index is None:
            version.fees.append(FeeItem(**data.model_dump()))
        else:
            for name, value in data.model_dump().items():
                setattr(version.fees[index], name, value)
    else:
        _unique_in_section(version, "steps", index, data.code, "code")
        agency = None
        if data.agency:
            agency = _agencies_for(session, user, [data.agency], "agency")[data.agency]
        values = data.model_dump(exclude={"agency"})
        step = ProcessStep(**values) if index is None else version.steps[index]
        for name, value in values.items():
            setattr(step, name, value)
        step.agency_id = agency.id if agency else None
        step.agency = agency
        if index is None:
            version.steps.append(step)
    _renumber(version, section)
    session.flush()
    _audit(session, user, "procedure.draft_edit", "procedure", version.code, {"section": section})


def remove_item(
    session: Session,
    user: User,
    version: ProcedureVersion,
    section: Section,
    index: int,
    key: str | None = None,
) -> None:
    """Remove an item from a section of a draft."""
    _require_draft(version)
    _require_manage(session, user, version)
    _item_at(version, section, index, key)
    if section == "fields":
        fields = section_items(version, "fields")
        del fields[index]
        version.form_schema = {**(version.form_schema or {}), "fields": fields}
    else:
        getattr(version, section).pop(index)
        _renumber(version, section)
    session.flush()
    _audit(session, user, "procedure.draft_edit", "procedure", version.code, {"section": section})


def move_item(
    session: Session,
    user: User,
    version: ProcedureVersion,
    section: Section,
    index: int,
    offset: int,
    key: str | None = None,
) -> None:
    """Move an item of a draft's section up (-1) or down (+1)."""
    _require_draft(version)
    _require_manage(session, user, version)
    _item_at(version, section, index, key)
    target = index + offset
    items = section_items(version, section)
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    if section == "fields":
        version.form_schema = {**(version.form_schema or {}), "fields": items}
    else:
        for position, item in enumerate(items):
            item.position = position
        getattr(version, section).sort(key=lambda item: item.position)
    session.flush()


def hours_per_working_day(session: Session) -> float:
    """Working hours of an ordinary working day of the weekly schedule (7.5 by default):
    the most common day length among the weekdays with working time (shorter on a tie)."""
    schedule = calendar_service.get_rules(session).schedule
    lengths = [
        sum(
            (datetime.combine(date.min, e) - datetime.combine(date.min, s)) / timedelta(hours=1)
            for s, e in periods
        )
        for periods in schedule
        if periods
    ]
    counts = Counter(lengths)
    return min(lengths, key=lambda h: (-counts[h], h))


def _hours(value: float) -> str:
    return f"{value:g}"


def check_version(session: Session, version: ProcedureVersion) -> list[Problem]:
    """What keeps a draft from being published (empty: it may be published)."""
    problems: list[Problem] = []
    if not version.agency_links:
        problems.append(
            Problem("info", N_("Chưa chọn cơ quan thực hiện."), hint="agencies: at least one")
        )
    steps = list(version.steps)
    if not steps:
        problems.append(
            Problem("steps", N_("Quy trình chưa có bước nào."), hint="steps: at least one")
        )
        return problems
    if "receive" not in steps[0].actions:
        problems.append(
            Problem(
                "steps",
                N_("Bước đầu tiên phải cho phép tiếp nhận hồ sơ (receive)."),
                hint="steps: the first step must allow receive",
            )
        )
    if not any("return_result" in s.actions for s in steps):
        problems.append(
            Problem(
                "steps",
                N_("Phải có một bước cho phép trả kết quả (return_result)."),
                hint="steps: one step must allow return_result",
            )
        )
    per_day = hours_per_working_day(session)
    limit = version.processing_days * per_day
    total = sum(s.duration_hours for s in steps)
    if total > limit + 1e-9:
        params = {
            "total": _hours(total),
            "limit": _hours(limit),
            "days": _hours(version.processing_days),
            "per_day": _hours(per_day),
        }
        problems.append(
            Problem(
                "steps",
                N_(
                    "Tổng thời gian các bước (%(total)s giờ) vượt quá thời hạn giải quyết "
                    "(%(days)s ngày × %(per_day)s giờ = %(limit)s giờ làm việc)."
                ),
                params,
                hint=f"steps: durations {params['total']} h > {params['limit']} h "
                f"({params['days']} days x {params['per_day']} h)",
            )
        )
    return problems


def time_budget(session: Session, version: ProcedureVersion) -> tuple[float, float]:
    """(sum of step durations, legal time in working hours) of a version."""
    total = sum(s.duration_hours for s in version.steps)
    return total, version.processing_days * hours_per_working_day(session)


def publish(session: Session, user: User, version: ProcedureVersion) -> ProcedureVersion:
    """Publish a draft: it accepts dossiers from now on and the previous published version is
    retired (dossiers keep the version they were submitted under)."""
    _require_draft(version)
    _require_manage(session, user, version)
    problems = check_version(session, version)
    if problems:
        raise InvalidInput(
            N_("Bản nháp chưa đủ điều kiện công bố; hãy sửa các lỗi được liệt kê."),
            fields={p.section: p.hint for p in problems},
        )
    previous = session.scalars(
        select(ProcedureVersion).where(
            ProcedureVersion.procedure_id == version.procedure_id,
            ProcedureVersion.status == "published",
        )
    ).all()
    for old in previous:
        old.status = "retired"
    # The old row goes first: never two published versions, even for a moment.
    session.flush()
    version.status = "published"
    version.published_at = utcnow()
    version.search_text = catalog_service.search_text_for(version, version.code)
    session.flush()
    _audit(
        session,
        user,
        "procedure.publish",
        "procedure",
        version.code,
        {"version": version.version, "retired": [v.version for v in previous]},
    )
    return version


def discard_draft(session: Session, user: User, version: ProcedureVersion) -> bool:
    """Delete a draft; returns whether the procedure itself went too (it had nothing else)."""
    _require_draft(version)
    _require_manage(session, user, version)
    procedure = version.procedure
    code, number = procedure.code, version.version
    others = [v for v in procedure.versions if v.id != version.id]
    session.delete(version)
    session.flush()
    gone = not others
    if gone:
        session.expire(procedure, ["versions"])
        session.delete(procedure)
        session.flush()
    _audit(session, user, "procedure.draft_discard", "procedure", code, {"version": number})
    return gone


def export_document(session: Session, user: User, code: str) -> dict[str, Any]:
    """The published (else the latest) version of a procedure as a JSON document."""
    item = get_procedure(session, user, code)
    version = _reference_version(item.procedure)
    return document_of(version).model_dump(mode="json")


def import_document(
    session: Session, user: User, doc: schemas.ProcedureDocument, code: str | None = None
) -> ProcedureVersion:
    """A new draft from a procedure document: a new procedure, or the next version of an
    existing one (which must not have a draft already). ``code`` imports under another code."""
    require_admin_area(user)
    if code is not None:
        if not schemas.PROCEDURE_CODE_RE.match(code) or code.lower() in schemas.RESERVED_CODES:
            raise InvalidInput(N_("Mã thủ tục không hợp lệ."), fields={"code": "invalid"})
        doc = doc.model_copy(update={"code": code})
    for section, keys in (
        ("form_fields", [f.name for f in doc.form_fields]),
        ("components", [c.code for c in doc.components]),
        ("steps", [s.code for s in doc.steps]),
    ):
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise InvalidInput(
                N_("Tệp nhập có mã trùng nhau trong cùng một danh sách."),
                fields={section: ", ".join(duplicates)},
            )
    agencies = _agencies_for(
        session, user, [*doc.agencies, *(s.agency for s in doc.steps if s.agency)]
    )
    procedure = session.scalar(
        select(Procedure)
        .where(Procedure.code == doc.code)
        .options(selectinload(Procedure.versions).selectinload(ProcedureVersion.agency_links))
    )
    if procedure is None:
        procedure = Procedure(code=doc.code)
        session.add(procedure)
        session.flush()
    else:
        if draft_of(procedure) is not None:
            raise Conflict(
                N_("Thủ tục đã có bản nháp; hãy công bố hoặc hủy bản nháp trước khi nhập."),
                fields={"code": "draft exists"},
            )
        if procedure.versions:
            _require_manage(session, user, _reference_version(procedure))
    version = _new_version(procedure)
    _fill(version, doc, agencies)
    session.add(version)
    session.flush()
    _audit(
        session,
        user,
        "procedure.import",
        "procedure",
        procedure.code,
        {"version": version.version, "source_version": doc.version},
    )
    return version


def dossier_counts(session: Session, procedure: Procedure) -> dict[int, int]:
    """How many dossiers each version of a procedure carries (they keep their version)."""
    rows = session.execute(
        select(Dossier.version_id, func.count())
        .where(Dossier.version_id.in_([v.id for v in procedure.versions]))
        .group_by(Dossier.version_id)
    ).all()
    return {int(version_id): int(count) for version_id, count in rows}


def version_read(version: ProcedureVersion) -> schemas.VersionRead:
    return schemas.VersionRead(
        code=version.code,
        version=version.version,
        status=version.status,
        name=version.name,
        published_at=version.published_at,
        created_at=version.created_at,
    )


# --- calendar and rules (global: system admins) ----------------------------------------------


@dataclass(frozen=True)
class CalendarView:
    year: int
    days: list[calendar_service.CalendarDay]
    overrides: list[CalendarOverride]
    rules: dict[str, Any]


def calendar_view(session: Session, user: User, year: int) -> CalendarView:
    """Holidays, make-up days and overrides of a year, and the rule values in force."""
    require_system_admin(user)
    if not 2000 <= year <= 2099:
        raise InvalidInput(N_("Năm phải trong khoảng 2000–2099."), fields={"year": "2000..2099"})
    return CalendarView(
        year=year,
        days=calendar_service.get_calendar(session).holidays_for_year(year),
        overrides=calendar_service.list_overrides(session, year),
        rules=calendar_service.rule_values(session),
    )


def set_day(session: Session, user: User, day: date, kind: str, note: str = "") -> None:
    """Make a date an extra day off or a (make-up) working day."""
    require_system_admin(user)
    if not 2000 <= day.year <= 2099:
        raise InvalidInput(N_("Năm phải trong khoảng 2000–2099."), fields={"day": "2000..2099"})
    calendar_service.set_override(session, day, kind, note.strip()[:500])
    _audit(
        session,
        user,
        "calendar.override_set",
        "calendar_day",
        day.isoformat(),
        {"kind": kind, "note": note.strip()[:500]},
    )


def remove_day(session: Session, user: User, day: date) -> None:
    """Remove the override of a date (the holiday library and the schedule apply again)."""
    require_system_admin(user)
    calendar_service.delete_override(session, day)
    _audit(session, user, "calendar.override_delete", "calendar_day", day.isoformat())


def set_rules(session: Session, user: User, values: dict[str, Any]) -> list[str]:
    """Store rule values (all checked first: nothing is stored if one is wrong); returns the
    keys that changed."""
    require_system_admin(user)
    errors: dict[str, str] = {}
    for key, value in values.items():
        try:
            calendar_service.parse_rules({key: value})
        except InvalidInput as exc:
            errors.update(exc.fields or {key: "invalid"})
    if errors:
        raise InvalidInput(N_("Giá trị thiết lập không hợp lệ."), fields=errors)
    current = calendar_service.rule_values(session)
    changed = []
    for key, value in values.items():
        if current.get(key) != value:
            calendar_service.set_rule(session, key, value)
            _audit(
                session,
                user,
                "rules.set",
                "rule",
                key,
                {"from": current.get(key), "to": value},
            )
            changed.append(key)
    return changed


def reset_rules(session: Session, user: User, keys: Iterable[str]) -> None:
    """Back to the default values of the given rules."""
    require_system_admin(user)
    for key in keys:
        if key not in calendar_service.DEFAULT_RULES:
            raise InvalidInput(N_("Không có thiết lập này."), fields={key: "unknown setting"})
        calendar_service.reset_rule(session, key)
        _audit(session, user, "rules.reset", "rule", key)


# --- receipt series and signing certificates --------------------------------------------------


def _scoped_agencies(session: Session, user: User) -> list[Agency]:
    return [a for _depth, a in agency_tree(session, user)]


def list_series(session: Session, user: User) -> list[tuple[Agency, list[ReceiptSeries]]]:
    """Receipt series of the agencies in the user's scope, newest first."""
    agencies = _scoped_agencies(session, user)
    rows = session.scalars(
        select(ReceiptSeries)
        .where(ReceiptSeries.agency_id.in_([a.id for a in agencies]))
        .order_by(ReceiptSeries.year.desc(), ReceiptSeries.id.desc())
    ).all()
    by_agency: dict[int, list[ReceiptSeries]] = {}
    for row in rows:
        by_agency.setdefault(row.agency_id, []).append(row)
    return [(a, by_agency[a.id]) for a in agencies if a.id in by_agency]


def create_series(
    session: Session, user: User, agency_code: str, year: int, letters: str
) -> ReceiptSeries:
    """Declare a receipt series (``AA-26E``) for an agency and year; it becomes the one in use
    (another active series of that year is closed, its numbers stay as they are)."""
    require_admin_area(user)
    agency = _staff_agency(session, user, agency_code)
    if agency is None:
        raise InvalidInput(N_("Chọn cơ quan."), fields={"agency_code": "required"})
    letters = letters.strip().upper()
    if len(letters) != 2 or not letters.isascii() or not letters.isalpha():
        raise InvalidInput(
            N_("Ký hiệu biên lai gồm đúng hai chữ cái in hoa, ví dụ AA."),
            fields={"letters": "two capital letters"},
        )
    if not 2000 <= year <= 2099:
        raise InvalidInput(N_("Năm phải trong khoảng 2000–2099."), fields={"year": "2000..2099"})
    symbol = receipt_service.series_symbol(letters, year)
    exists_already = session.scalar(
        select(ReceiptSeries.id).where(
            ReceiptSeries.agency_id == agency.id,
            ReceiptSeries.template_symbol == receipt_service.TEMPLATE_SYMBOL,
            ReceiptSeries.series == symbol,
        )
    )
    if exists_already is not None:
        raise Conflict(
            N_("Cơ quan đã có ký hiệu biên lai này."), fields={"letters": "already declared"}
        )
    session.execute(
        update(ReceiptSeries)
        .where(
            ReceiptSeries.agency_id == agency.id,
            ReceiptSeries.year == year,
            ReceiptSeries.is_active.is_(True),
        )
        .values(is_active=False)
        .execution_options(synchronize_session="fetch")
    )
    series = ReceiptSeries(
        agency_id=agency.id,
        template_symbol=receipt_service.TEMPLATE_SYMBOL,
        series=symbol,
        year=year,
        last_number=0,
        is_active=True,
    )
    session.add(series)
    session.flush()
    _audit(
        session,
        user,
        "receipt_series.create",
        "receipt_series",
        series.id,
        {"agency": agency.code, "series": symbol, "year": year},
    )
    return series


def deactivate_series(session: Session, user: User, series_id: int) -> ReceiptSeries:
    """Close a receipt series: no more receipts are numbered in it."""
    require_admin_area(user)
    series = session.get(ReceiptSeries, series_id)
    if series is None:
        raise NotFound(N_("Không tìm thấy ký hiệu biên lai."))
    _require_scope(session, user, series.agency_id)
    if series.is_active:
        series.is_active = False
        session.flush()
        _audit(
            session,
            user,
            "receipt_series.deactivate",
            "receipt_series",
            series.id,
            {"series": series.series, "year": series.year, "last_number": series.last_number},
        )
    return series


def list_certificates(
    session: Session, user: User
) -> list[tuple[Agency, list[SigningCertificate]]]:
    """Signing certificates of the agencies in the user's scope (the active one first)."""
    agencies = _scoped_agencies(session, user)
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
    require_admin_area(user)
    agency = _staff_agency(session, user, agency_code)
    if agency is None:
        raise InvalidInput(N_("Chọn cơ quan."), fields={"agency_code": "required"})
    cert = signing_service.import_pkcs12(
        session, agency, data, passphrase.encode() if passphrase else None
    )
    _audit(
        session,
        user,
        "certificate.import",
        "signing_certificate",
        cert.id,
        {
            "agency": agency.code,
            "subject": cert.subject,
            "fingerprint_sha256": cert.fingerprint_sha256,
            "not_after": cert.not_after.isoformat(),
        },
    )
    return cert


# --- the dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    tree: list[tuple[int, Agency]]
    agencies: int
    users: int
    procedures: int
    drafts: int
    system_admin: bool


def dashboard(session: Session, user: User) -> Dashboard:
    """Figures and the agency tree for the administration home."""
    tree = agency_tree(session, user)
    ids = scope_ids(session, user)
    users = select(func.count()).select_from(User).where(User.is_active.is_(True))
    if ids is None:
        users = users.where(or_(User.agency_id.is_not(None), User.is_admin.is_(True)))
    else:
        users = users.where(User.agency_id.in_(ids))
    procedures = list_procedures(session, user)
    return Dashboard(
        tree=tree,
        agencies=sum(1 for _d, a in tree if a.is_active),
        users=session.scalar(users) or 0,
        procedures=sum(1 for p in procedures if p.published is not None),
        drafts=sum(1 for p in procedures if p.draft is not None),
        system_admin=user.is_admin,
    )
