"""ASGI middleware of the web floor."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit.context import forget_ip, remember_ip

# Swagger UI's page carries an inline bootstrap script.
_DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'"
)


def content_security_policy(form_targets: Sequence[str] = ()) -> str:
    """The pages' CSP. ``form_targets`` are the origins (``scheme://host[:port]``) a form may
    send the browser to besides this site, such as a payment gateway: Chromium applies
    ``form-action`` to the redirect that answers a form too."""
    form_action = " ".join(["'self'", *form_targets])
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'self'; "
        "object-src 'none'"
    )


class SecurityHeadersMiddleware:
    """Security headers on every HTTP response (a header the route set itself is kept), and
    ``Cache-Control: no-store`` on HTML pages (they carry personal data and CSRF tokens) and
    on every API answer (dossiers, accounts, receipts: personal data; the few public reads
    are not worth a second rule). Placed outside Starlette's ServerErrorMiddleware (see
    ``app.main.PortalApp``), so that a 500 carries them too."""

    def __init__(self, app: ASGIApp, *, form_targets: Sequence[str] = ()) -> None:
        self.app = app
        self.csp = content_security_policy(form_targets)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = _DOCS_CSP if scope["path"] == "/docs" else self.csp
        https = scope.get("scheme") == "https"
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                if https:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
                if api or "text/html" in headers.get("content-type", ""):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGetMiddleware:
    """``HEAD`` on every GET route (RFC 9110 §9.3.2: the GET's status and headers, no body),
    for uptime monitors and link checkers. Starlette's own routes add HEAD to GET, FastAPI's
    take only the methods they declare (so that OpenAPI lists no HEAD operations); answering
    it here, once, keeps the schema as it is."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the server keeps its own scope, where the method stays HEAD.
        await self.app({**scope, "method": "GET"}, receive, send_without_body)


class ClientIPMiddleware:
    """Remember ``scope["client"]`` (already the forwarded address behind a trusted proxy,
    see ``portal serve``) for the duration of each HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client: Any = scope.get("client")
        token = remember_ip(str(client[0]) if client else "")
        try:
            await self.app(scope, receive, send)
        finally:
            forget_ip(token)


# Query parameters that carry a secret in a URL: the e-ID provider's one-time code and state,
# a password-reset link's token, a provider logout's ID token.
SECRET_QUERY = re.compile(r"(?<=[?&])(code|state|token|id_token_hint)=[^&\s]*")


def redact_query(text: str) -> str:
    """The URL with the values of secret-bearing query parameters replaced by ``***``."""
    return SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", text)


class RedactSecretsFilter(logging.Filter):
    """Keeps secrets out of uvicorn's access log (its record's args hold the request path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_query(arg) if isinstance(arg, str) and "=" in arg else arg
                for arg in record.args
            )
        return True


def install_log_redaction() -> None:
    """Once per process: uvicorn's access logger gets the filter."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecretsFilter) for f in access.filters):
        access.addFilter(RedactSecretsFilter())
