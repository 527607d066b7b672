"""The request id and the latency of every request (SPEC §14)."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings
from app.logs import accept_request_id, request_id
from app.telemetry import metrics

access_log = logging.getLogger("app.access")
# Not measured and not given a request id: the liveness probe stays as cheap as it was (it is
# the yardstick of the benchmarks), and static files are not the application's work.
UNTRACKED = ("/healthz",)
REQUEST_ID_HEADER = "X-Request-ID"


def route_template(scope: Scope) -> str:
    """The matched route's template (``/ho-so/{code}``), never the path with its values."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    if scope.get("path", "").startswith("/static/"):
        return "/static"
    return "(unmatched)"


class RequestTelemetryMiddleware:
    """Gives each request an id (the caller's ``X-Request-ID`` if sane, else a new one) that
    every log line of its work carries and that the response echoes; measures its latency by
    route template; with JSON logs, writes the access line (method, route template, status,
    duration, no path or query: they carry codes and secrets)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.json_access = get_settings().log_format == "json"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNTRACKED:
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        rid = accept_request_id(given)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            took = time.perf_counter() - started
            route = route_template(scope)
            metrics.observe(scope["method"], route, status, took)
            if self.json_access:
                access_log.info(
                    "%s %s %d",
                    scope["method"],
                    route,
                    status,
                    extra={"status": status, "duration_ms": round(took * 1000, 1)},
                )
            request_id.reset(token)
