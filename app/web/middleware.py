"""ASGI middleware of the web floor."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.audit.context import forget_ip, remember_ip


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
