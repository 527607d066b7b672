"""Login throttling that slows guessing without letting strangers lock the owner out (finding
M3, docs/decisions/0019-login-throttling.md).

Three refusals, all computed from the ``login_attempts`` rows (so they hold across processes):

- **pair** (e-mail, client address): after ``login_max_failures`` wrong passwords in a row
  (since the pair's last success, within a day) the pair waits 1, 2, 4 … minutes after each
  further failure, at most ``login_delay_max_minutes``;
- **account**: ``login_email_max_failures`` failures of the e-mail from all addresses within
  ``login_window_minutes`` refuse every *unknown* client until the oldest of them ages out;
- **address**: ``login_address_max_failures`` failures from one address over all e-mails
  (password spraying) refuse that address for unknown clients in the same way.

A *known* client — a browser holding this account in its signed ``portal_device`` cookie, or
an address that logged in to the account successfully within ``login_device_days`` — is not
held by the account and address ceilings: with the right password it gets in, whatever
strangers did. Its own failures still slow it down (the pair rule).

A refusal is decided before the password is checked and is the same for unknown e-mails
(keyed on the e-mail text, not the account), so it tells nothing about which accounts exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app import events
from app.accounts.events import LoginThrottleStarted
from app.accounts.models import LoginAttempt, User
from app.config import get_settings
from app.db import utcnow
from app.i18n_markers import N_
from app.ratelimit import LimitReached

DEVICE_COOKIE = "portal_device"
DEVICE_ACCOUNTS = 5  # accounts one browser remembers (a shared counter PC)
PAIR_MEMORY = timedelta(hours=24)  # older failures of a pair are forgotten

PAIR_WAIT = N_("Đăng nhập sai nhiều lần liên tiếp. Vui lòng thử lại từ %(time)s.")
ACCOUNT_WAIT = N_(
    "Tài khoản này đang bị thử mật khẩu sai quá nhiều lần nên tạm không nhận đăng nhập từ "
    "thiết bị lạ. Vui lòng thử lại từ %(time)s, hoặc đăng nhập từ thiết bị đã dùng trước đây."
)
ADDRESS_WAIT = N_("Quá nhiều lần đăng nhập sai từ địa chỉ mạng này. Vui lòng thử lại từ %(time)s.")


class LoginThrottled(LimitReached):
    """A login refused for a while; ``message`` says until when (HTTP 429)."""


def pair_delay(failures: int) -> timedelta | None:
    """How long a pair waits after its ``failures``-th failure in a row (``None``: not at all)."""
    settings = get_settings()
    over = failures - settings.login_max_failures
    if over < 0:
        return None
    minutes = min(2 ** min(over, 20), settings.login_delay_max_minutes)
    return timedelta(minutes=max(minutes, 1))


# --- the known browser ------------------------------------------------------------------------


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="portal-device")


def device_accounts(cookie: str | None) -> list[int]:
    """The accounts a browser's ``portal_device`` cookie names (none when forged or old)."""
    if not cookie:
        return []
    max_age = get_settings().login_device_days * 86400
    try:
        ids = _device_serializer().loads(cookie, max_age=max_age)
    except BadSignature:
        return []
    if not isinstance(ids, list):
        return []
    return [i for i in ids if isinstance(i, int)][:DEVICE_ACCOUNTS]


def device_cookie(user: User, cookie: str | None) -> str:
    """The ``portal_device`` value after ``user`` logged in on this browser (newest first)."""
    ids = [user.id, *(i for i in device_accounts(cookie) if i != user.id)]
    return _device_serializer().dumps(ids[:DEVICE_ACCOUNTS])


def is_known(session: Session, user: User | None, email: str, ip: str, cookie: str | None) -> bool:
    """Whether this client logged in to the account before (browser cookie or address)."""
    by_device = user is not None and user.id in device_accounts(cookie)
    since = utcnow() - timedelta(days=get_settings().login_device_days)
    # Asked for unknown e-mails too: the same work whether the account exists or not.
    by_address = bool(
        session.scalar(
            select(
                exists().where(
                    LoginAttempt.email == email,
                    LoginAttempt.ip == ip,
                    LoginAttempt.succeeded.is_(True),
                    LoginAttempt.at >= since,
                )
            )
        )
    )
    return by_device or by_address


# --- counting -----------------------------------------------------------------------------------


def _pair_failures(session: Session, email: str, ip: str) -> tuple[int, datetime | None]:
    """Failures of the pair in a row (since its last success, within a day) and the last one."""
    now = utcnow()
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email,
            LoginAttempt.ip == ip,
            LoginAttempt.succeeded.is_(True),
            LoginAttempt.at >= now - PAIR_MEMORY,
        )
    )
    since = max(last_ok, now - PAIR_MEMORY) if last_ok is not None else now - PAIR_MEMORY
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email,
            LoginAttempt.ip == ip,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > since,
        )
    ).one()
    return int(count or 0), last


def _ceiling_until(
    session: Session, column: InstrumentedAttribute[str], value: str, limit: int
) -> datetime | None:
    """When ``limit`` failures with ``column == value`` fall in the window: until when."""
    window = timedelta(minutes=get_settings().login_window_minutes)
    nth = session.scalar(
        select(LoginAttempt.at)
        .where(
            column == value,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= utcnow() - window,
        )
        .order_by(LoginAttempt.at.desc())
        .offset(max(limit, 1) - 1)
        .limit(1)
    )
    return nth + window if nth is not None else None


def check(session: Session, email: str, ip: str, known: bool) -> None:
    """Raise ``LoginThrottled`` when this attempt must wait (before the password is looked at)."""
    settings = get_settings()
    failures, last = _pair_failures(session, email, ip)
    delay = pair_delay(failures)
    if delay is not None and last is not None and utcnow() < last + delay:
        raise LoginThrottled(PAIR_WAIT, last + delay)
    if known:
        return
    until = _ceiling_until(session, LoginAttempt.email, email, settings.login_email_max_failures)
    if until is not None:
        raise LoginThrottled(ACCOUNT_WAIT, until)
    until = _ceiling_until(session, LoginAttempt.ip, ip, settings.login_address_max_failures)
    if until is not None:
        raise LoginThrottled(ADDRESS_WAIT, until)


def record_failure(session: Session, email: str, ip: str, user: User | None) -> None:
    """Count a wrong password; when it starts a wait for the account, say so (audit log)."""
    settings = get_settings()
    session.add(LoginAttempt(email=email[:254], ip=ip[:45], succeeded=False))
    session.flush()
    failures, last = _pair_failures(session, email, ip)
    if failures == settings.login_max_failures and last is not None:
        delay = pair_delay(failures) or timedelta(0)
        started = LoginThrottleStarted(email, user, "pair", ip, last + delay, failures)
        events.publish(session, started)
    limit = settings.login_email_max_failures
    until = _ceiling_until(session, LoginAttempt.email, email, limit)
    window_start = utcnow() - timedelta(minutes=settings.login_window_minutes)
    if until is not None:
        in_window = session.scalar(
            select(func.count()).where(
                LoginAttempt.email == email,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at >= window_start,
            )
        )
        if in_window == limit:
            started = LoginThrottleStarted(email, user, "account", ip, until, limit)
            events.publish(session, started)


# --- what admins see and clear ------------------------------------------------------------------


@dataclass(frozen=True)
class AddressWait:
    ip: str
    failures: int
    until: datetime


@dataclass(frozen=True)
class LoginLimits:
    """The login refusals an account is under now, and its recent failures."""

    account_until: datetime | None  # unknown clients refused until then
    addresses: Sequence[AddressWait]  # addresses waiting now
    failures_window: int  # wrong passwords within login_window_minutes
    failures_day: int  # … within 24 hours
    window_minutes: int

    @property
    def until(self) -> datetime | None:
        times = [w.until for w in self.addresses]
        if self.account_until is not None:
            times.append(self.account_until)
        return max(times) if times else None


def limits(session: Session, email: str) -> LoginLimits:
    """The refusals ``email`` is under now (an admin's view of the account)."""
    settings = get_settings()
    now = utcnow()
    rows = session.execute(
        select(LoginAttempt.ip, LoginAttempt.at, LoginAttempt.succeeded)
        .where(LoginAttempt.email == email, LoginAttempt.at >= now - PAIR_MEMORY)
        .order_by(LoginAttempt.at)
    ).all()
    streaks: dict[str, list[datetime]] = {}
    for ip, at, succeeded in rows:
        if succeeded:
            streaks.pop(ip, None)
        else:
            streaks.setdefault(ip, []).append(at)
    waits: list[AddressWait] = []
    for ip, times in streaks.items():
        delay = pair_delay(len(times))
        if delay is not None and now < times[-1] + delay:
            waits.append(AddressWait(ip, len(times), times[-1] + delay))
    window = now - timedelta(minutes=settings.login_window_minutes)
    failures = [at for _ip, at, succeeded in rows if not succeeded]
    account_until = _ceiling_until(
        session, LoginAttempt.email, email, settings.login_email_max_failures
    )
    return LoginLimits(
        account_until=account_until,
        addresses=sorted(waits, key=lambda w: w.until, reverse=True),
        failures_window=sum(1 for at in failures if at >= window),
        failures_day=len(failures),
        window_minutes=settings.login_window_minutes,
    )


def clear(session: Session, email: str) -> int:
    """Forget the e-mail's failed logins (every wait lifts); how many were forgotten."""
    result = session.execute(
        delete(LoginAttempt)
        .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False))
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
