"""Application factory: routers, middleware, error handlers, static files."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import swagger_ui_bundle
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.types import ASGIApp

from app import __doc__ as app_doc
from app.accounts import api as accounts_api
from app.accounts import oidc, oidc_pages, token_sharing, twofactor_api, twofactor_pages
from app.accounts import pages as accounts_pages
from app.accounts.deps import current_user_optional
from app.admin import pages as admin_pages
from app.agencies import api as agencies_api
from app.agencies import pages as agencies_pages
from app.audit import api as audit_api
from app.audit import pages as audit_pages
from app.calendar import api as calendar_api
from app.calendar import pages as calendar_pages
from app.catalog import api as catalog_api
from app.catalog import pages as catalog_pages
from app.config import get_settings
from app.counter import api as counter_api
from app.counter import pages as counter_pages
from app.db import drain_background
from app.docstore import api as docstore_api
from app.docstore import pages as docstore_pages
from app.documents import renderer
from app.dossiers import api as dossiers_api
from app.dossiers import pages as dossier_pages
from app.feedback import api as feedback_api
from app.feedback import pages as feedback_pages
from app.home import pages as home_pages
from app.logs import configure as configure_logs
from app.national import api as national_api
from app.national import pages as national_pages
from app.notifications import api as notifications_api
from app.notifications import channel_api, channel_pages
from app.notifications import pages as notifications_pages
from app.par import api as par_api
from app.par import pages as par_pages
from app.payments import api as payments_api
from app.payments import pages as payments_pages
from app.payments import service as payment_service
from app.postal import api as postal_api
from app.ratings import api as ratings_api
from app.ratings import pages as ratings_pages
from app.receipts import api as receipts_api
from app.receipts import pages as receipts_pages
from app.reports import api as reports_api
from app.signing import pages as signing_pages
from app.stats import api as stats_api
from app.stats import pages as stats_pages
from app.telemetry import api as telemetry_api
from app.telemetry.middleware import RequestTelemetryMiddleware
from app.web import STATIC_DIR
from app.web.deps import SessionDep
from app.web.errors import install_error_handlers
from app.web.middleware import (
    ClientIPMiddleware,
    HeadAsGetMiddleware,
    SecurityHeadersMiddleware,
    install_log_redaction,
)
from app.wiring import warm_up, wire
from app.worker import start_embedded
from app.workflow import pages as workflow_pages

SHUTDOWN_DRAIN_SECONDS = 10.0
log = logging.getLogger(__name__)


class PortalApp(FastAPI):
    """The portal's application. Its outermost layers wrap Starlette's ServerErrorMiddleware
    (``add_middleware`` would put them inside it, where the 500 it answers never passes):
    security headers on every response, a 500 included, and HEAD answered as GET."""

    form_targets: Sequence[str] = ()

    def build_middleware_stack(self) -> ASGIApp:
        inner = super().build_middleware_stack()
        return SecurityHeadersMiddleware(HeadAsGetMiddleware(inner), form_targets=self.form_targets)


def _prestart_renderer() -> None:
    try:
        renderer.prestart()
    except Exception as exc:  # the first PDF tries again
        log.warning("PDF renderer not started ahead (%s)", type(exc).__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    # Only a change stops running renderers (an app started again in the same process, as in
    # tests, keeps its warm renderer).
    if settings.pdf_renderers != renderer.configured():
        renderer.configure(settings.pdf_renderers)
    warm_up()
    # The renderer starts now rather than on the first PDF (a receipt drawn just after the
    # first payment, a form printed at the first reception), in its own thread.
    threading.Thread(target=_prestart_renderer, name="portal-renderer-start", daemon=True).start()
    stop = start_embedded(settings.worker_interval_seconds) if settings.embedded_worker else None
    # With Redis, a logout or a disabled account is known to the other web processes at once.
    sharing = token_sharing.start()
    yield
    token_sharing.stop_sharing(sharing)
    if stop is not None:
        stop.set()
    # Receipts paid just before the stop get their PDF now if they can (ADR 0014); what is
    # left is made on first download.
    drain_background(SHUTDOWN_DRAIN_SECONDS)


def create_app() -> FastAPI:
    wire()
    settings = get_settings()
    if settings.env != "development" and settings.sandbox_enabled:
        log.warning(
            "PORTAL_PAYMENT_SANDBOX is on outside development: the test bank settles fees "
            "without money and issues real receipts"
        )
    app = PortalApp(
        lifespan=lifespan,
        title="Một cửa API",
        version="1",
        description=(app_doc or "")
        + " JSON API for integrations (national portal, mobile apps). Errors are "
        '`{"error": code, "detail": message}`.',
        docs_url=None,
        redoc_url=None,
    )
    # Built once from the settings: a form may also send the payer to a configured gateway.
    app.form_targets = [*payment_service.gateway_origins(), *oidc.form_origins()]
    app.add_middleware(ClientIPMiddleware)  # the client IP for audit entries
    # The request id of log lines and responses, the latency by route (SPEC §14).
    app.add_middleware(RequestTelemetryMiddleware)
    if settings.log_format == "json":
        configure_logs("json")
    install_log_redaction()  # no one-time codes or tokens in the access log
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(
        "/static/swagger",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger",
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Một cửa API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        # Browsers ask for it on every site; a 404 there is an error in every page's console.
        return FileResponse(
            STATIC_DIR / "favicon.ico",
            media_type="image/x-icon",
            headers={"Cache-Control": "public, max-age=604800"},
        )

    @app.get("/healthz", tags=["system"])
    def healthz(session: SessionDep) -> dict[str, str]:
        """Answers when the application and its database are up."""
        session.execute(text("SELECT 1"))
        return {"status": "ok"}

    for module in (
        accounts_api,
        twofactor_api,
        agencies_api,
        audit_api,
        calendar_api,
        catalog_api,
        counter_api,
        dossiers_api,
        national_api,
        docstore_api,
        channel_api,
        postal_api,
        feedback_api,
        notifications_api,
        par_api,
        payments_api,
        receipts_api,
        reports_api,
        ratings_api,
        stats_api,
        telemetry_api,
    ):
        app.include_router(module.router)
    for module in (
        home_pages,
        admin_pages,
        accounts_pages,
        oidc_pages,
        twofactor_pages,
        catalog_pages,
        counter_pages,
        dossier_pages,
        docstore_pages,
        feedback_pages,
        workflow_pages,
        payments_pages,
        receipts_pages,
        agencies_pages,
        calendar_pages,
        signing_pages,
        audit_pages,
        national_pages,
        channel_pages,
        notifications_pages,
        par_pages,
        ratings_pages,
        stats_pages,
    ):
        # Every page knows who is logged in (the header, the language): resolved once per
        # request (FastAPI caches it for the route's own OptionalUser / CurrentUser).
        app.include_router(module.router, dependencies=[Depends(current_user_optional)])
    return app
