"""Accounts: registration, password checks with throttling, sessions and authorisation.

Who may administer what is decided here: a system admin everywhere; an agency admin only for
the agencies of their subtree (and the users, procedures, series and certificates of those
agencies); everybody else is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session, joinedload

from app.accounts import passwords, throttle, token_cache
from app.accounts.models import (
    STAFF_ROLES,
    AuthSession,
    LoginAttempt,
    PasswordResetToken,
    User,
    UserRole,
)
from app.accounts.schemas import RegisterIn, valid_email
from app.agencies.models import Agency
from app.config import get_settings
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, TooManyRequests, Unauthorized
from app.i18n_markers import N_

_SCOPE_CACHE = "app.accounts.scope"  # per session: user id -> agency ids of their subtree
_hasher = PasswordHash((Argon2Hasher(),))
# A real hash to verify against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def personal_data(user: User) -> tuple[str | None, ...]:
    """What a password of this account must not be built on (``passwords.check``)."""
    return (user.email, user.full_name, user.phone, user.id_number)


def register_citizen(session: Session, data: RegisterIn) -> User:
    """Create a citizen account; e-mail and citizen ID must be unused, the password strong
    enough (``passwords``)."""
    email = normalize_email(str(data.email))
    passwords.check(data.password, (email, data.full_name, data.phone, data.id_number))
    if get_user_by_email(session, email) is not None:
        raise Conflict(N_("Email này đã được đăng ký."), fields={"email": "already registered"})
    if data.id_number and session.scalar(select(User.id).where(User.id_number == data.id_number)):
        raise Conflict(
            N_("Số định danh cá nhân này đã được đăng ký."),
            fields={"id_number": "already registered"},
        )
    user = User(
        email=email,
        password_hash=hash_password(data.password),
        full_name=data.full_name,
        phone=data.phone,
        id_number=data.id_number,
    )
    session.add(user)
    session.flush()
    return user


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    full_name: str,
    agency_code: str | None = None,
    roles: Iterable[str] = (),
    is_admin: bool = False,
    phone: str = "",
    password_hash: str | None = None,
) -> User:
    """Create a staff, admin or citizen account (command line and admin). ``password_hash``:
    the password's hash made beforehand (the demo accounts share one published password,
    hashed once)."""
    roles = list(dict.fromkeys(roles))
    bad = [r for r in roles if r not in STAFF_ROLES]
    if bad:
        raise InvalidInput(f"Unknown role(s): {', '.join(bad)}; use {', '.join(STAFF_ROLES)}")
    if roles and not agency_code:
        raise InvalidInput("A staff role needs an agency (--agency CODE)")
    try:
        email = valid_email(email)
    except ValueError:
        raise InvalidInput(N_("Email không hợp lệ."), fields={"email": "not an e-mail"}) from None
    passwords.check(password, (email, full_name, phone))
    agency = None
    if agency_code:
        agency = session.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            raise InvalidInput(f"No agency with code {agency_code}")
    email = normalize_email(email)
    if get_user_by_email(session, email) is not None:
        raise Conflict(f"A user with e-mail {email} already exists")
    user = User(
        email=email,
        password_hash=password_hash or hash_password(password),
        full_name=full_name,
        phone=phone,
        agency_id=agency.id if agency else None,
        is_admin=is_admin,
        role_rows=[UserRole(role=r) for r in roles],
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, email: str, password: str, ip: str, device: str | None = None
) -> User | None:
    """Check a password; ``None`` when wrong. Every checked attempt is recorded (the caller
    commits). Raises ``throttle.LoginThrottled`` (429, saying until when) while this client
    must wait: after its own repeated failures, or — unless it is a known client (``device``:
    the browser's ``portal_device`` cookie, or an address that logged in before) — while the
    e-mail or the address has too many recent failures (``app.accounts.throttle``)."""
    email = normalize_email(email)
    user = get_user_by_email(session, email)
    known = throttle.is_known(session, user, email, ip, device)
    throttle.check(session, email, ip, known)
    ok, new_hash = _hasher.verify_and_update(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not ok or not user.is_active:
        throttle.record_failure(session, email, ip, user)
        return None
    if new_hash:
        user.password_hash = new_hash
    session.add(LoginAttempt(email=email, ip=ip[:45], succeeded=True))
    user.last_login_at = utcnow()
    session.flush()
    return user


def recheck_password(session: Session, user: User, password: str, ip: str) -> bool:
    """Check the password of a logged-in user again (before changing it). Throttled and
    recorded like a login from this address: a wrong one counts as a failed attempt (the
    caller commits), so a stolen session cannot be used to guess the password faster."""
    try:
        throttle.check(session, user.email, ip, known=True)
    except throttle.LoginThrottled:
        raise TooManyRequests(
            N_("Nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau ít phút.")
        ) from None
    ok, _new_hash = _hasher.verify_and_update(password, user.password_hash)
    if not ok:
        throttle.record_failure(session, user.email, ip, user)
    return bool(ok)


def digest(token: str) -> str:
    """The SHA-256 (hex) kept in place of a secret token."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    session: Session, user: User, kind: str, ip: str = "", id_token: str | None = None
) -> tuple[str, int]:
    """Start a browser session or issue an API token; returns the secret and its lifetime (s).
    ``id_token``: the e-ID provider's ID token of an e-ID login (for the provider's logout)."""
    settings = get_settings()
    lifetime = (
        timedelta(days=settings.session_days)
        if kind == "web"
        else timedelta(hours=settings.api_token_hours)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=digest(token),
            kind=kind,
            user_id=user.id,
            expires_at=utcnow() + lifetime,
            ip=ip[:45],
            id_token=id_token,
        )
    )
    session.flush()
    return token, int(lifetime.total_seconds())


def session_id_token(session: Session, token: str | None) -> str | None:
    """The e-ID provider's ID token kept with this browser session, if it was an e-ID login."""
    if not token:
        return None
    return session.scalar(
        select(AuthSession.id_token).where(
            AuthSession.token_hash == digest(token), AuthSession.kind == "web"
        )
    )


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(AuthSession).where(AuthSession.token_hash == digest(token)))


def close_reset_links(session: Session, user_id: int) -> None:
    """Every open password-reset link of the user stops working (its password changed)."""
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def end_sessions(session: Session, user_id: int, keep_token: str | None = None) -> int:
    """End every browser session and API token of the user but ``keep_token``; how many."""
    stmt = delete(AuthSession).where(AuthSession.user_id == user_id)
    if keep_token:
        stmt = stmt.where(AuthSession.token_hash != digest(keep_token))
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


# Every authenticated request runs this: built once, one statement, and no write.
_TOKEN_USER = (
    select(User, AuthSession.expires_at)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.token_hash == bindparam("digest"),
        AuthSession.kind == bindparam("kind"),
        AuthSession.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
    .options(joinedload(User.role_rows))  # the agency is joined by the mapping
)


def kept_user_for_token(session: Session, token: str, kind: str) -> User | None:
    """The user holding this token from the process's few seconds of memory
    (``token_cache``), without touching the database; None when not kept."""
    ttl = get_settings().auth_cache_seconds
    if ttl <= 0:
        return None
    return token_cache.lookup(session, (digest(token), kind), utcnow(), ttl)


def user_for_token(session: Session, token: str, kind: str) -> User | None:
    """The active user holding this unexpired token, with agency and roles in one query, or
    from the process's few seconds of memory (``token_cache``)."""
    kept = kept_user_for_token(session, token, kind)
    if kept is not None:
        return kept
    now = utcnow()
    key = (digest(token), kind)
    ttl = get_settings().auth_cache_seconds
    seen = token_cache.generation()
    row = session.execute(_TOKEN_USER, {"digest": key[0], "kind": kind, "now": now}).unique()
    found = row.one_or_none()
    if found is None:
        return None
    user, expires_at = found
    if ttl > 0:
        token_cache.keep(key, user, expires_at, seen)
    return user


# --- authorisation helpers used by services -------------------------------------------------


def require_admin(user: User | None) -> User:
    if user is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    if not user.is_admin:
        raise Forbidden(N_("Chỉ quản trị hệ thống được thực hiện thao tác này."))
    return user


def require_role(user: User | None, *roles: str) -> User:
    """The user must be staff holding one of ``roles`` (system admins pass)."""
    if user is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    if user.is_admin or (user.is_staff and user.roles.intersection(roles)):
        return user
    raise Forbidden(N_("Bạn không có quyền thực hiện thao tác này."))


def agency_subtree_ids(session: Session, agency_id: int) -> set[int]:
    """The agency and every agency below it, whatever the depth."""
    ids = {agency_id}
    frontier = {agency_id}
    while frontier:
        children = set(session.scalars(select(Agency.id).where(Agency.parent_id.in_(frontier))))
        frontier = children - ids
        ids |= frontier
    return ids


def can_act_for_agency(session: Session, user: User, agency_id: int) -> bool:
    """Staff act for their own agency; agency admins for their subtree; system admins for all."""
    if user.is_admin:
        return True
    if user.agency_id is None:
        return False
    if user.agency_id == agency_id:
        return True
    if user.has_role("agency_admin"):
        return agency_id in agency_subtree_ids(session, user.agency_id)
    return False


def home_path(user: User) -> str:
    """Where a user lands after logging in."""
    if user.is_admin or user.has_role("agency_admin"):
        return "/quan-tri"
    if user.is_staff:
        return "/can-bo"
    return "/tai-khoan"


# --- who may administer what ----------------------------------------------------------------


def require_admin_area(user: User | None) -> User:
    """System admins and agency admins (with an agency); anybody else is refused."""
    if user is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    if user.is_admin or (user.agency_id is not None and user.has_role("agency_admin")):
        return user
    raise Forbidden(N_("Chỉ quản trị viên được vào khu vực quản trị."))


def require_system_admin(user: User | None) -> User:
    """Global settings (calendar, rules, system admins): system admins only."""
    return require_admin(user)


def scope_ids(session: Session, user: User) -> set[int] | None:
    """The agencies the user administers: ``None`` means every agency (system admin)."""
    require_admin_area(user)
    if user.is_admin:
        return None
    assert user.agency_id is not None
    cache: dict[int, set[int]] = session.info.setdefault(_SCOPE_CACHE, {})
    if user.id not in cache:
        cache[user.id] = agency_subtree_ids(session, user.agency_id)
    return cache[user.id]


def forget_scopes(session: Session) -> None:
    """Drop the cached subtrees (an agency was added under one of them)."""
    session.info.pop(_SCOPE_CACHE, None)


def in_scope(session: Session, user: User, agency_id: int | None) -> bool:
    """Whether the user administers this agency."""
    ids = scope_ids(session, user)
    return ids is None or (agency_id is not None and agency_id in ids)


def require_scope(session: Session, user: User, agency_id: int | None) -> None:
    """The user must administer this agency."""
    if not in_scope(session, user, agency_id):
        raise Forbidden(N_("Cơ quan này nằm ngoài phạm vi quản trị của bạn."))
