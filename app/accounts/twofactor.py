"""Two-factor login (SPEC §15): a code from an authenticator app (TOTP, RFC 6238) after the
password.

- **Enrol.** ``enrol`` makes a new secret (kept encrypted with a key derived from
  ``PORTAL_SECRET_KEY``: changing that key makes every enrolled user need an admin reset) and
  the ``otpauth://`` address the app scans; ``confirm`` turns it on with a first right code and
  returns ten single-use recovery codes, shown once (only their SHA-256 is stored).
- **Log in.** ``login_step`` says what the password alone does not settle: a code ("otp"), or
  enrolment first ("enrol": the user's agency requires two-factor login and they have none).
  ``check_login`` accepts a code of the current time step or the one before or after (clocks
  drift), never the same step twice nor an earlier one — the step is claimed with a conditional
  UPDATE, so two requests racing with one code cannot both pass — or an unused recovery code,
  which is then spent. Five wrong codes within 15 minutes refuse every code of the account for
  a while (a counter of its own: each guess comes with the right password, which the password
  throttling does not hold back); a wrong code is also recorded as a failed login.
- **Off.** The user, with a code or the password, unless the agency requires it; an admin of
  the user (``admin.get_user``: system admin, agency admin of the subtree) for a lost phone.
  Both are audited; an admin reset ends the user's sessions.
- **Agency setting.** ``set_agency_requirement``: an admin of the agency; turning it on ends
  the sessions of the agency's staff who have not enrolled, so they enrol at their next login.

Everybody may turn it on (citizens too); only agencies can require it, of their staff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app import ratelimit
from app.accounts import admin as user_admin
from app.accounts import service as account_service
from app.accounts.models import (
    AuthSession,
    LoginAttempt,
    PendingLogin,
    RecoveryCode,
    TwoFactor,
    User,
    UserRole,
)
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.audit import service as audit_service
from app.config import get_settings
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, TooManyRequests, Unauthorized
from app.i18n_markers import N_

ISSUER = "Một cửa"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read off paper
RECOVERY_LENGTH = 10
PENDING_MINUTES = {"otp": 5, "enrol": 15}
PENDING_MAX_FAILURES = 5
# Wrong codes per account within the window, whatever the client: the password lock-out does
# not stop someone who has the password (each try is a right password), this does.
OTP_MAX_FAILURES = 5
OTP_WINDOW = timedelta(minutes=15)

OTP_REQUIRED = N_("Tài khoản này bật xác thực hai bước: cần nhập mã 6 chữ số từ ứng dụng xác thực.")
OTP_WRONG = N_("Mã xác thực không đúng hoặc đã hết hạn.")
OTP_USED = N_("Mã xác thực này đã được dùng. Vui lòng chờ mã mới trong ứng dụng.")
ENROL_REQUIRED = N_(
    "Cơ quan của bạn yêu cầu xác thực hai bước. Hãy đăng nhập trên trang web để bật xác thực "
    "hai bước trước."
)
TOO_MANY_CODES = N_("Nhập sai mã quá nhiều lần. Vui lòng đăng nhập lại sau ít phút.")


class OtpRequired(Unauthorized):
    code = "otp_required"


class OtpInvalid(Unauthorized):
    code = "otp_invalid"


class OtpUsed(Unauthorized):
    code = "otp_used"


class EnrolmentRequired(Forbidden):
    code = "otp_enrolment_required"


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str


# --- the secret at rest -----------------------------------------------------------------------


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"mot-cua two-factor secret"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(secret: str) -> str:
    return _fernet(get_settings().secret_key).encrypt(secret.encode()).decode()


def _decrypt(stored: str) -> str:
    try:
        return _fernet(get_settings().secret_key).decrypt(stored.encode()).decode()
    except InvalidToken:  # PORTAL_SECRET_KEY changed: no code can match any more
        return ""


def otpauth_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


# --- state ----------------------------------------------------------------------------------


def get(session: Session, user_id: int) -> TwoFactor | None:
    return session.get(TwoFactor, user_id)


def is_enabled(session: Session, user_id: int) -> bool:
    row = get(session, user_id)
    return row is not None and row.enabled


def required_for(user: User) -> bool:
    """Whether the user's agency requires two-factor login of its staff."""
    return user.is_staff and user.agency is not None and user.agency.require_two_factor


def recovery_codes_left(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def pending_enrolment(session: Session, user: User) -> Enrolment | None:
    """The secret being set up (not yet confirmed), to show again."""
    row = get(session, user.id)
    if row is None or row.enabled:
        return None
    secret = _decrypt(row.secret_encrypted)
    return Enrolment(secret, otpauth_uri(user, secret)) if secret else None


def _audit(
    session: Session, actor: User | None, action: str, target: User, **details: object
) -> None:
    audit_service.record(
        session,
        action,
        actor=actor,
        object_type="user",
        object_id=target.id,
        details={"email": target.email, **details},
    )


# --- enrolment --------------------------------------------------------------------------------


def enrol(session: Session, user: User) -> Enrolment:
    """Start (or start again) setting up an authenticator app: a new secret, not yet in use."""
    row = get(session, user.id)
    if row is not None and row.enabled:
        raise Conflict(N_("Xác thực hai bước đã được bật. Hãy tắt trước khi đăng ký thiết bị mới."))
    secret = pyotp.random_base32()
    if row is None:
        row = TwoFactor(user_id=user.id)
        session.add(row)
    row.secret_encrypted = _encrypt(secret)
    row.enabled = False
    row.last_step = None
    row.created_at = utcnow()
    session.flush()
    return Enrolment(secret, otpauth_uri(user, secret))


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        session.add(RecoveryCode(user_id=user_id, code_hash=_code_hash(user_id, raw)))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    session.flush()
    return codes


def confirm(session: Session, user: User, otp: str) -> list[str]:
    """Turn two-factor login on with a first right code; the ten recovery codes (shown once)."""
    row = get(session, user.id)
    if row is not None and row.enabled:
        raise Conflict(N_("Xác thực hai bước đã được bật."))
    if row is None:
        raise Conflict(N_("Chưa đăng ký ứng dụng xác thực: hãy bắt đầu lại."))
    step = _claim_step(session, row, _digits(otp))
    if step is None:
        raise InvalidInput(
            N_("Mã xác thực không đúng. Kiểm tra giờ của điện thoại và thử lại."),
            fields={"otp": "wrong code"},
        )
    row.enabled = True
    row.enabled_at = utcnow()
    codes = _new_recovery_codes(session, user.id)
    _audit(session, user, "user.two_factor_enabled", user)
    return codes


def regenerate_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    if not is_enabled(session, user.id):
        raise Conflict(N_("Xác thực hai bước chưa được bật."))
    codes = _new_recovery_codes(session, user.id)
    _audit(session, user, "user.two_factor_recovery_codes", user)
    return codes


def _remove(session: Session, user_id: int) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))


def disable(
    session: Session, user: User, *, otp: str = "", password: str = "", ip: str = ""
) -> None:
    """The user turns it off, proving it is them with a current code or the password."""
    if not is_enabled(session, user.id):
        raise Conflict(N_("Xác thực hai bước chưa được bật."))
    if required_for(user):
        raise Forbidden(N_("Cơ quan của bạn yêu cầu xác thực hai bước: không thể tắt."))
    if otp.strip():
        verify(session, user, otp, ip)
    elif password:
        if not account_service.recheck_password(session, user, password, ip):
            raise InvalidInput(N_("Mật khẩu không đúng."), fields={"password": "wrong"})
    else:
        raise InvalidInput(
            N_("Nhập mã xác thực hoặc mật khẩu để tắt xác thực hai bước."),
            fields={"otp": "required"},
        )
    _remove(session, user.id)
    _audit(session, user, "user.two_factor_disabled", user)


def admin_reset(session: Session, actor: User, user_id: int) -> User:
    """An admin of the user turns it off (a lost phone); the user's sessions end."""
    target = user_admin.get_user(session, actor, user_id)
    if get(session, target.id) is None:
        raise Conflict(N_("Tài khoản này chưa bật xác thực hai bước."))
    _remove(session, target.id)
    account_service.end_sessions(session, target.id)
    session.execute(delete(PendingLogin).where(PendingLogin.user_id == target.id))
    _audit(session, actor, "user.two_factor_reset", target)
    return target


# --- codes ------------------------------------------------------------------------------------


def _digits(otp: str) -> str:
    return "".join(otp.split())[:12]


def _code_hash(user_id: int, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{code}".encode()).hexdigest()


def _claim_step(session: Session, row: TwoFactor, otp: str) -> int | None:
    """The time step whose code this is (previous, current or next), claimed so that it is
    never accepted again; ``None`` when it matches none. Raises ``OtpUsed`` for a code of a
    step already used."""
    if len(otp) != 6 or not otp.isdigit():
        return None
    secret = _decrypt(row.secret_encrypted)
    if not secret:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(utcnow())
    for step in (current - 1, current, current + 1):
        if not hmac.compare_digest(totp.generate_otp(step), otp):
            continue
        if row.last_step is not None and step <= row.last_step:
            raise OtpUsed(OTP_USED)
        claimed = session.execute(
            update(TwoFactor)
            .where(
                TwoFactor.user_id == row.user_id,
                (TwoFactor.last_step.is_(None)) | (TwoFactor.last_step < step),
            )
            .values(last_step=step)
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):  # another request took it first
            raise OtpUsed(OTP_USED)
        session.refresh(row)
        return step
    return None


def _spend_recovery_code(session: Session, user_id: int, typed: str) -> bool:
    code = typed.strip().lower().replace("-", "").replace(" ", "")
    if len(code) != RECOVERY_LENGTH:
        return False
    spent = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _code_hash(user_id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(spent, "rowcount", 0))


def _failure_key(user_id: int) -> str:
    return f"two-factor:{user_id}"


def _failed(session: Session, user: User, ip: str, reason: str) -> None:
    ratelimit.record(session, _failure_key(user.id), OTP_WINDOW)
    # Also a failed login of the e-mail, for the password throttling and the admins' view.
    session.add(LoginAttempt(email=user.email, ip=ip[:45], succeeded=False))
    _audit(session, None, "login.otp_failed", user, reason=reason)
    session.flush()


def verify(session: Session, user: User, otp: str, ip: str = "") -> str:
    """Accept a code of the app or an unused recovery code (spent); which one ("totp" or
    "recovery"). A refusal is recorded as a failed login: the caller commits, then answers.
    After ``OTP_MAX_FAILURES`` wrong codes within ``OTP_WINDOW`` every code is refused for a
    while (429), the right one too."""
    row = get(session, user.id)
    if row is None or not row.enabled:
        return "none"
    if not otp.strip():
        raise OtpRequired(OTP_REQUIRED)
    ratelimit.refuse_when_full(
        session, _failure_key(user.id), OTP_MAX_FAILURES, OTP_WINDOW, TOO_MANY_CODES
    )
    try:
        if _claim_step(session, row, _digits(otp)) is not None:
            return "totp"
    except OtpUsed:
        _failed(session, user, ip, "reused")
        raise
    if _spend_recovery_code(session, user.id, otp):
        _audit(
            session,
            user,
            "user.two_factor_recovery_used",
            user,
            left=recovery_codes_left(session, user.id),
        )
        return "recovery"
    _failed(session, user, ip, "wrong")
    raise OtpInvalid(OTP_WRONG)


def login_step(session: Session, user: User) -> str | None:
    """What a login needs after the right password: "otp", "enrol" or nothing."""
    if is_enabled(session, user.id):
        return "otp"
    if required_for(user):
        return "enrol"
    return None


def check_login(session: Session, user: User, otp: str | None, ip: str = "") -> None:
    """The second factor of an API login (the token endpoint): nothing to do, a right code, or
    a refusal (``OtpRequired``, ``OtpInvalid``, ``OtpUsed``, ``EnrolmentRequired``)."""
    step = login_step(session, user)
    if step == "enrol":
        raise EnrolmentRequired(ENROL_REQUIRED)
    if step == "otp":
        verify(session, user, otp or "", ip)


# --- half-done browser logins -----------------------------------------------------------------


def start_pending(
    session: Session,
    user: User,
    purpose: str,
    next_path: str,
    ip: str,
    id_token: str | None = None,
) -> str:
    """Hold a browser login whose password (or e-ID, ``id_token``) was right until the code
    (or enrolment) comes; the secret for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(PendingLogin).where(PendingLogin.expires_at < now))
    session.add(
        PendingLogin(
            token_hash=account_service.digest(token),
            user_id=user.id,
            purpose=purpose,
            next_path=next_path[:500],
            expires_at=now + timedelta(minutes=PENDING_MINUTES[purpose]),
            ip=ip[:45],
            id_token=id_token,
        )
    )
    session.flush()
    return token


def pending(session: Session, token: str | None, purpose: str) -> PendingLogin | None:
    """The unexpired half-done login of this cookie, for an active user."""
    if not token:
        return None
    row = session.scalar(
        select(PendingLogin).where(
            PendingLogin.token_hash == account_service.digest(token),
            PendingLogin.purpose == purpose,
            PendingLogin.expires_at > utcnow(),
        )
    )
    if row is None or not row.user.is_active:
        return None
    return row


def end_pending(session: Session, row: PendingLogin) -> None:
    session.execute(delete(PendingLogin).where(PendingLogin.id == row.id))


def verify_pending(session: Session, row: PendingLogin, otp: str, ip: str) -> None:
    """The second step in the browser; after ``PENDING_MAX_FAILURES`` wrong codes the
    half-done login ends (the password must be typed again, and the lock-out applies)."""
    try:
        verify(session, row.user, otp, ip)
    except (OtpInvalid, OtpUsed):
        row.failures += 1
        if row.failures >= PENDING_MAX_FAILURES:
            end_pending(session, row)
            session.flush()
            raise TooManyRequests(TOO_MANY_CODES) from None
        session.flush()
        raise


# --- the agency setting -----------------------------------------------------------------------


def set_agency_requirement(session: Session, actor: User, code: str, required: bool) -> Agency:
    """Require (or stop requiring) two-factor login of the agency's staff: an admin of the
    agency. Turning it on ends the sessions of its staff who have not enrolled (but the
    admin's own)."""
    agency = agency_service.get_agency(session, actor, code)
    if agency.require_two_factor == required:
        return agency
    agency.require_two_factor = required
    ended = 0
    if required:
        # The admin who turns it on is not thrown out mid-way: enrolment comes at their next login.
        staff = select(User.id).where(
            User.agency_id == agency.id,
            User.id != actor.id,
            User.id.in_(select(UserRole.user_id)),
            User.id.not_in(select(TwoFactor.user_id).where(TwoFactor.enabled.is_(True))),
        )
        result = session.execute(
            delete(AuthSession)
            .where(AuthSession.user_id.in_(staff))
            .execution_options(synchronize_session=False)
        )
        ended = int(getattr(result, "rowcount", 0) or 0)
    session.flush()
    audit_service.record(
        session,
        "agency.two_factor_required" if required else "agency.two_factor_optional",
        actor=actor,
        object_type="agency",
        object_id=agency.code,
        details={"sessions_ended": ended},
    )
    return agency
