"""Administration of staff accounts (SPEC §2): create, edit, lock and unlock accounts, assign
roles and reset passwords. A system admin manages everybody; an agency admin the staff of
their agency subtree. Every change is written to the audit log.

Kept apart from ``service`` (authentication and scope): the audit log depends on that module,
and this one writes to the audit log.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.orm import Session

from app.accounts import passwords, schemas, throttle
from app.accounts import service as account_service
from app.accounts.models import AuthSession, User, UserRole
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.audit import service as audit_service
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.i18n_markers import N_

GENERATED_PASSWORD_BYTES = 9  # 12 URL-safe characters


def _audit(
    session: Session,
    actor: User,
    action: str,
    object_id: int,
    details: dict[str, Any] | None = None,
) -> None:
    audit_service.record(
        session, action, actor=actor, object_type="user", object_id=object_id, details=details
    )


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
    ids = account_service.scope_ids(session, user)
    stmt = select(User)
    if ids is None:
        stmt = stmt.where(or_(User.agency_id.is_not(None), User.is_admin.is_(True)))
    else:
        stmt = stmt.where(User.agency_id.in_(ids), User.is_admin.is_(False))
    if flt.agency:
        agency = agency_service.get_agency(session, user, flt.agency)
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
    account_service.require_admin_area(user)
    target = session.get(User, user_id)
    if target is None:
        raise NotFound(N_("Không tìm thấy tài khoản."))
    if user.is_admin:
        return target
    if target.is_admin or not account_service.in_scope(session, user, target.agency_id):
        raise Forbidden(N_("Tài khoản này nằm ngoài phạm vi quản trị của bạn."))
    return target


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
    account_service.require_admin_area(user)
    if data.is_admin and not user.is_admin:
        raise Forbidden(N_("Chỉ quản trị hệ thống được tạo tài khoản quản trị hệ thống."))
    if not user.is_admin and not data.agency_code:
        raise InvalidInput(N_("Cán bộ phải thuộc một cơ quan."), fields={"agency_code": "required"})
    agency = agency_service.assignable_agency(session, user, data.agency_code)
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
        agency = agency_service.assignable_agency(session, user, data.agency_code)
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
        _audit(session, user, "user.update", target.id, {"changes": changes})
    if set(roles) != set(old_roles):
        _audit(
            session,
            user,
            "user.roles_change",
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
    _audit(session, user, action, target.id, {"email": target.email})
    return target


def reset_password(
    session: Session, user: User, user_id: int, password: str | None = None
) -> str | None:
    """Set a new password (or generate one, returned to be shown once); sessions end. A chosen
    password must pass the policy (``passwords``)."""
    target = get_user(session, user, user_id)
    if password is not None:
        passwords.check(password, account_service.personal_data(target))
    generated = None if password else generate_password()
    target.password_hash = account_service.hash_password(password or generated or "")
    _end_sessions(session, target)
    account_service.close_reset_links(session, target.id)
    session.flush()
    _audit(session, user, "user.password_reset", target.id, {"email": target.email})
    return generated


def login_limits(session: Session, user: User, target: User) -> throttle.LoginLimits:
    """The login waits ``target`` is under now and its recent failures (its admin's view)."""
    get_user(session, user, target.id)
    return throttle.limits(session, target.email)


def clear_login_limits(session: Session, user: User, user_id: int) -> int:
    """Lift every login wait of an account: its failed attempts are forgotten (audited)."""
    target = get_user(session, user, user_id)
    cleared = throttle.clear(session, target.email)
    _audit(
        session,
        user,
        "login.limits_cleared",
        target.id,
        {"email": target.email, "failures_cleared": cleared},
    )
    return cleared
