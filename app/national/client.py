"""The national portal's adapter over HTTP (SPEC §11): ``POST {url}/auth`` with the account
and the ``dstcode`` header gives a session token; ``POST {url}/sync`` sends one message with
it. ``{"error_code": 0}`` is the acknowledgement; anything else is not.

Neither the password nor the session token is ever logged, stored or put in an error text
(``scrub``); the token lives in this process's memory only."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from app.config import Settings

# The token of each (url, username), shared by the senders of this process.
_tokens: dict[tuple[str, str], str] = {}
_lock = threading.Lock()
MAX_ANSWER = 500


class NotAcknowledged(Exception):
    """The national portal did not acknowledge: no answer, an HTTP error, ``error_code`` ≠ 0.
    ``str(exc)`` is a short description without secrets, for the administrators."""


class SessionExpired(NotAcknowledged):
    """The session token was refused (HTTP 401 / ``error_code`` 401): log in again."""


@dataclass(frozen=True)
class Answer:
    http_status: int
    body: dict[str, Any]
    text: str


def _post(url: str, payload: dict[str, Any], headers: dict[str, str], timeout: float) -> Answer:
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked by the caller)
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        # The exception names the host at most, never the request's body.
        raise NotAcknowledged(f"{type(exc).__name__}: {exc}"[:MAX_ANSWER]) from None
    text = raw.decode("utf-8", "replace")
    try:
        body = json.loads(text or "{}")
    except ValueError:
        body = {}
    return Answer(status, body if isinstance(body, dict) else {}, text)


class Client:
    """One sender's connection to the national portal (the token is shared per process)."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.national_url.rstrip("/")
        self.username = settings.national_username
        self._password = settings.national_password
        self.dstcode = settings.national_dstcode
        self.timeout = settings.national_timeout_seconds
        if not self.url.startswith(("http://", "https://")):
            raise NotAcknowledged("PORTAL_NATIONAL_URL must start with http:// or https://")

    @property
    def _key(self) -> tuple[str, str]:
        return (self.url, self.username)

    def scrub(self, text: str, token: str | None = None) -> str:
        """``text`` without the password or a session token in it, cut short."""
        for secret in (self._password, token, *_tokens.values()):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text[:MAX_ANSWER]

    def _describe(self, answer: Answer, token: str | None = None) -> str:
        code = answer.body.get("error_code", "")
        message = answer.body.get("message") or answer.body.get("error") or answer.text[:200]
        return self.scrub(f"HTTP {answer.http_status}, error_code {code}: {message}", token)

    def log_in(self) -> str:
        """A new session token (``POST {url}/auth``)."""
        answer = _post(
            f"{self.url}/auth",
            {"username": self.username, "password": self._password},
            {"dstcode": self.dstcode},
            self.timeout,
        )
        token = answer.body.get("session")
        if answer.http_status != 200 or str(answer.body.get("error_code")) != "0" or not token:
            raise NotAcknowledged("auth: " + self._describe(answer))
        with _lock:
            _tokens[self._key] = str(token)
        return str(token)

    def token(self) -> str:
        with _lock:
            token = _tokens.get(self._key)
        return token or self.log_in()

    def forget(self, token: str) -> None:
        with _lock:
            if _tokens.get(self._key) == token:
                del _tokens[self._key]

    def _sync_once(self, token: str, service: str, is_updating: bool | None, data: Any) -> None:
        body: dict[str, Any] = {"session": token, "service": service, "data": [data]}
        if is_updating is not None:
            body["isUpdating"] = "True" if is_updating else "False"
        answer = _post(f"{self.url}/sync", body, {"dstcode": self.dstcode}, self.timeout)
        code = str(answer.body.get("error_code", ""))
        if answer.http_status == 200 and code == "0":
            return
        if answer.http_status == 401 or code == "401":
            raise SessionExpired(self._describe(answer, token))
        raise NotAcknowledged(self._describe(answer, token))

    def sync(self, service: str, is_updating: bool | None, data: Any) -> None:
        """Send one message; returns when acknowledged. An expired session is renewed and
        the message sent once more; anything else raises ``NotAcknowledged``."""
        token = self.token()
        try:
            self._sync_once(token, service, is_updating, data)
        except SessionExpired:
            self.forget(token)
            self._sync_once(self.log_in(), service, is_updating, data)


def forget_all() -> None:
    """Drop every cached token (tests; a changed account)."""
    with _lock:
        _tokens.clear()
