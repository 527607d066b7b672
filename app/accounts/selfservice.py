"""What a person does with their own account (SPEC §9 "account"): change the password, reset a
forgotten one through a link sent by e-mail, and keep the profile (phone, address, ID number)
that prefills new dossiers. Every change is written to the audit log.

- **Change.** The current password is checked again (throttled and recorded like a login); the
  new one must pass the policy (``passwords``). The account's other browser sessions and API
  tokens end; the one that made the change stays. Open reset links die.
- **Reset.** ``request_password_reset`` answers the same whether or not the address has an
  account (the caller says "if it exists, a mail was sent"); it is rate-limited per address
  and per client. For an active account it stores the SHA-256 of a random secret, valid for
  ``RESET_MINUTES``, and publishes ``PasswordResetRequested``: the notifications subscriber
  writes the e-mail with the link to the outbox in the same transaction. The link works once:
  ``confirm_password_reset`` claims the token with a conditional UPDATE, sets the password, ends
  every session of the account and kills the user's other open links.

Kept apart from ``service`` for the same reason as ``admin``: the audit log depends on that
module, and this one writes to the audit log.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app import events, ratelimit
from app.accounts import passwords
from app.accounts import service as account_service
from app.accounts.events import PasswordResetRequested
from app.accounts.models import LoginAttempt, PasswordResetToken, User
from app.accounts.schemas import ProfileUpdate
from app.audit import service as audit_service
from app.db import utcnow
from app.errors import Conflict, InvalidInput
from app.i18n_markers import N_

RESET_MINUTES = 30
RESET_WINDOW = timedelta(hours=1)
RESET_PER_ADDRESS = 3  # links per address and hour: enough for a lost mail or two
# Requests per client address and hour, whatever the e-mail: against trying many addresses;
# generous, as mobile networks put many people behind one address.
RESET_PER_CLIENT = 30

RESET_ACCEPTED = N_(
    "Nếu email này thuộc một tài khoản, chúng tôi đã gửi thư hướng dẫn đặt lại mật khẩu. "
    "Liên kết trong thư chỉ dùng được một lần, trong 30 phút."
)
PASSWORD_CHANGED = N_("Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản đã kết thúc.")
PASSWORD_RESET = N_("Đã đặt lại mật khẩu. Vui lòng đăng nhập bằng mật khẩu mới.")
WRONG_CURRENT = N_("Mật khẩu hiện tại không đúng.")
SAME_AS_CURRENT = N_("Mật khẩu mới phải khác mật khẩu hiện tại.")
LINK_UNKNOWN = N_(
    "Liên kết đặt lại mật khẩu không hợp lệ. Hãy mở đúng liên kết trong thư, hoặc yêu cầu "
    "liên kết mới."
)
LINK_USED = N_("Liên kết đặt lại mật khẩu này đã được sử dụng. Nếu cần, hãy yêu cầu liên kết mới.")
LINK_EXPIRED = N_(
    "Liên kết đặt lại mật khẩu đã hết hạn (sau 30 phút). Vui lòng yêu cầu liên kết mới."
)
TOO_MANY_FROM_CLIENT = N_(
    "Quá nhiều yêu cầu đặt lại mật khẩu từ máy này. Vui lòng thử lại sau một giờ."
)
TOO_MANY_FOR_ADDRESS = N_(
    "Đã có nhiều yêu cầu đặt lại mật khẩu cho email này. Vui lòng kiểm tra hộp thư (cả thư "
    "rác) hoặc thử lại sau một giờ."
)


def _audit(session: Session, user: User, action: str, details: dict[str, object]) -> None:
    audit_service.record(
        session, action, actor=user, object_type="user", object_id=user.id, details=details
    )


# --- change ---------------------------------------------------------------------------------


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    *,
    ip: str = "",
    keep_token: str | None = None,
) -> int:
    """Change the caller's password; returns how many other sessions and tokens ended.

    A wrong current password raises ``InvalidInput`` on ``current_password`` after recording
    a failed attempt: the caller commits (returns the error rather than raising it)."""
    if not account_service.recheck_password(session, user, current, ip):
        raise InvalidInput(WRONG_CURRENT, fields={"current_password": "wrong password"})
    if new == current:
        raise InvalidInput(SAME_AS_CURRENT, fields={"new_password": "same as current"})
    passwords.check(new, account_service.personal_data(user), field="new_password")
    user.password_hash = account_service.hash_password(new)
    ended = account_service.end_sessions(session, user.id, keep_token)
    account_service.close_reset_links(session, user.id)
    session.flush()
    _audit(session, user, "user.password_change", {"other_sessions_ended": ended})
    return ended


# --- reset by e-mail ------------------------------------------------------------------------


def request_password_reset(session: Session, email: str, ip: str = "") -> None:
    """Send a reset link to ``email`` if it belongs to an active account; the same outcome
    (nothing to tell) otherwise. Raises ``TooManyRequests`` past the limits, which count
    unknown addresses too."""
    address = account_service.normalize_email(email)
    ratelimit.hit(
        session, f"pwreset:ip:{ip[:45]}", RESET_PER_CLIENT, RESET_WINDOW, TOO_MANY_FROM_CLIENT
    )
    ratelimit.hit(
        session,
        f"pwreset:to:{account_service.digest(address)}",
        RESET_PER_ADDRESS,
        RESET_WINDOW,
        TOO_MANY_FOR_ADDRESS,
    )
    user = account_service.get_user_by_email(session, address)
    if user is None or not user.is_active:
        return
    # Hex: no character a mail client could take for the end of the link (192 bits).
    token = secrets.token_hex(24)
    expires_at = utcnow() + timedelta(minutes=RESET_MINUTES)
    session.add(
        PasswordResetToken(
            token_hash=account_service.digest(token),
            user_id=user.id,
            expires_at=expires_at,
            ip=ip[:45],
        )
    )
    session.flush()
    events.publish(session, PasswordResetRequested(user, token, expires_at, RESET_MINUTES))


def _open_link(session: Session, token: str) -> tuple[PasswordResetToken, User]:
    row = session.scalar(
        select(PasswordResetToken)
        .where(PasswordResetToken.token_hash == account_service.digest(token.strip()))
        .execution_options(populate_existing=True)  # used_at is set by UPDATE statements
    )
    if row is None:
        raise InvalidInput(LINK_UNKNOWN, fields={"token": "unknown"})
    if row.used_at is not None:
        raise InvalidInput(LINK_USED, fields={"token": "used"})
    if row.expires_at <= utcnow():
        raise InvalidInput(LINK_EXPIRED, fields={"token": "expired"})
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidInput(LINK_UNKNOWN, fields={"token": "unknown"})
    return row, user


def reset_link_user(session: Session, token: str) -> User:
    """The account an open reset link is for (the page the link opens); nothing is used up.
    Raises ``InvalidInput`` on ``token`` for an unknown, used or expired link."""
    return _open_link(session, token)[1]


def confirm_password_reset(session: Session, token: str, new: str) -> User:
    """Set a new password through a reset link, once. Every session of the account ends (the
    password may have been known to somebody else) and the address's login lock-out is lifted:
    whoever holds the mailbox has shown it."""
    row, user = _open_link(session, token)
    passwords.check(new, account_service.personal_data(user), field="new_password")
    claimed = session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):  # another request used the link meanwhile
        raise InvalidInput(LINK_USED, fields={"token": "used"})
    user.password_hash = account_service.hash_password(new)
    account_service.close_reset_links(session, user.id)
    ended = account_service.end_sessions(session, user.id)
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.email == user.email, LoginAttempt.succeeded.is_(False)
        )
    )
    session.flush()
    _audit(session, user, "user.password_reset_by_email", {"sessions_ended": ended})
    return user


# --- profile --------------------------------------------------------------------------------


def update_profile(session: Session, user: User, data: ProfileUpdate) -> User:
    """Change the caller's phone, address and ID number (the fields given), all or none.
    Citizens keep a phone number (registration asks for one); an ID number belongs to one
    account."""
    wanted: dict[str, str | None] = {}
    for name in ("phone", "address", "id_number"):
        if name in data.model_fields_set:
            value = getattr(data, name) or None
            wanted[name] = value if name == "id_number" else (value or "")
    if "phone" in wanted and not wanted["phone"] and not (user.is_staff or user.is_admin):
        raise InvalidInput(N_("Vui lòng nhập số điện thoại."), fields={"phone": "required"})
    number = wanted.get("id_number")
    if number is not None and number != user.id_number:
        taken = session.scalar(select(User.id).where(User.id_number == number, User.id != user.id))
        if taken is not None:
            raise Conflict(
                N_("Số định danh cá nhân này đã được đăng ký."),
                fields={"id_number": "already registered"},
            )
    changed = [name for name, value in wanted.items() if value != getattr(user, name)]
    for name in changed:
        setattr(user, name, wanted[name])
    if changed:
        session.flush()
        _audit(session, user, "user.profile_update", {"fields": changed})
    return user
