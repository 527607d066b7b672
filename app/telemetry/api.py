"""``/readyz`` and ``/metrics`` (``/healthz`` stays in app.main: alive, one statement)."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.config import get_settings
from app.telemetry import metrics, readiness
from app.web.deps import SessionDep

router = APIRouter(tags=["system"])


@router.get("/readyz")
def readyz(session: SessionDep) -> JSONResponse:
    """Ready when the database, the file storage and Redis (if configured) answer; else 503
    naming what is down."""
    checks = readiness.check(session)
    down = sorted(name for name, state in checks.items() if state != "ok")
    if down:
        return JSONResponse(
            {"status": "unavailable", "down": down, "checks": checks}, status_code=503
        )
    return JSONResponse({"status": "ok", "down": [], "checks": checks})


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_allowed(request: Request) -> bool:
    """With ``PORTAL_METRICS_TOKEN``: the request bears it. Without: the request comes straight
    from this machine (loopback, and no proxy forwarded it)."""
    token = get_settings().metrics_token
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    forwarded = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    return _loopback(request) and not forwarded


@router.get("/metrics", include_in_schema=False)
def metrics_endpoint(request: Request, session: SessionDep) -> Response:
    """Prometheus metrics (text exposition format)."""
    if not metrics_allowed(request):
        return JSONResponse(
            {
                "error": "forbidden",
                "detail": "Metrics are served to loopback or with PORTAL_METRICS_TOKEN.",
            },
            status_code=403,
        )
    return Response(metrics.exposition(session), media_type=CONTENT_TYPE_LATEST)
