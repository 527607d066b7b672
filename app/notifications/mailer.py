"""Sending e-mail over SMTP (``PORTAL_SMTP_URL``): plain, implicit TLS or STARTTLS, optional login.

``smtp://host:25``, ``smtp://user:pass@host:587?starttls=1``, ``smtps://user:pass@host:465``.
The password never appears in logs or in ``repr()``.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

from app.errors import InvalidInput

TIMEOUT_SECONDS = 20.0
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: bool = False  # implicit TLS (smtps://)
    starttls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)

    @property
    def safe_url(self) -> str:
        """The URL without the password, for logs."""
        scheme = "smtps" if self.tls else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        query = "?starttls=1" if self.starttls else ""
        return f"{scheme}://{user}{self.host}:{self.port}{query}"


def parse_smtp_url(url: str) -> SmtpConfig:
    """Read ``PORTAL_SMTP_URL``; a bad URL is an InvalidInput that does not echo it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise InvalidInput("PORTAL_SMTP_URL must look like smtp://host:port or smtps://host:port")
    tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if tls else 25)
    except ValueError as exc:
        raise InvalidInput("PORTAL_SMTP_URL has an invalid port") from exc
    query = parse_qs(parts.query)
    starttls = not tls and query.get("starttls", ["0"])[0].lower() in _TRUE
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        tls=tls,
        starttls=starttls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def build_message(
    *,
    mail_from: str,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    message_id: str = "",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A multipart/alternative message: the plain text first, the HTML version second."""
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def sender_domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rsplit("@", 1)[-1] if "@" in address else "localhost"


class Connection:
    """One SMTP session, opened on first use and reused for a batch of messages."""

    def __init__(self, config: SmtpConfig, timeout: float = TIMEOUT_SECONDS) -> None:
        self.config = config
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        cfg = self.config
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if cfg.tls:
            smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if cfg.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if cfg.username:
                smtp.login(cfg.username, cfg.password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self.open()
        assert self._smtp is not None
        self._smtp.send_message(message)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def is_permanent(exc: BaseException) -> bool:
    """A 5xx refusal of the recipient will not get better by retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _msg in exc.recipients.values())
    return False


def describe(exc: BaseException) -> str:
    """A short error text for the outbox row (no credentials: smtplib never echoes them)."""
    return f"{exc.__class__.__name__}: {exc}"[:1000]
