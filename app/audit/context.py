"""The client IP of the request being served, for audit entries written deep in services.

A pure ASGI middleware (``app.web.middleware``) puts it into a context variable; threads that
FastAPI runs sync endpoints and dependencies in inherit the context, so ``current_ip()`` works
there too.
Outside a request (command line, worker) it is ``""``.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

_client_ip: ContextVar[str] = ContextVar("audit_client_ip", default="")


def remember_ip(ip: str) -> Token[str]:
    """Set the client IP for the request being served (``forget_ip`` with the token after)."""
    return _client_ip.set(ip[:45])


def forget_ip(token: Token[str]) -> None:
    _client_ip.reset(token)


def current_ip() -> str:
    """The client IP of the current request, or ``""``."""
    return _client_ip.get()
