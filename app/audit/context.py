"""The client IP of the request being served, for audit entries written deep in services.

A pure ASGI middleware puts it into a context variable; threads that FastAPI runs sync
endpoints and dependencies in inherit the context, so ``current_ip()`` works there too.
Outside a request (command line, worker) it is ``""``.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

_client_ip: ContextVar[str] = ContextVar("audit_client_ip", default="")


def current_ip() -> str:
    """The client IP of the current request, or ``""``."""
    return _client_ip.get()


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
        token = _client_ip.set(str(client[0])[:45] if client else "")
        try:
            await self.app(scope, receive, send)
        finally:
            _client_ip.reset(token)
