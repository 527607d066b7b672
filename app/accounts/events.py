"""What happens to an account, as events. ``app.accounts.selfservice`` publishes them in the
request's transaction; notifications subscribe (the reset e-mail goes through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.accounts.models import User

# The page a reset link opens (``app.accounts.pages``); the secret goes in its query string.
RESET_PAGE = "/tai-khoan/dat-lai-mat-khau"
# Where a new link is asked for.
FORGOT_PAGE = "/tai-khoan/quen-mat-khau"


@dataclass(frozen=True)
class PasswordResetRequested:
    """``user`` asked for a password-reset link. ``token`` is the link's secret: it exists only
    in this event and in the e-mail (the database keeps its SHA-256); valid until
    ``expires_at`` (UTC), once."""

    user: User
    token: str = field(repr=False)
    expires_at: datetime
    minutes: int

    @property
    def path(self) -> str:
        """The link's path and query, to put after the portal's base URL."""
        return f"{RESET_PAGE}?token={self.token}"


@dataclass(frozen=True)
class LoginThrottleStarted:
    """Logins to ``email`` began to be refused for a while (``app.accounts.throttle``): from
    one address (``scope`` "pair", after repeated wrong passwords from ``ip``) or from every
    unknown client (``scope`` "account", too many failures from all addresses). ``user`` is
    ``None`` when no account has that e-mail."""

    email: str
    user: User | None
    scope: str
    ip: str
    until: datetime
    failures: int
