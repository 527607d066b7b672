"""Prometheus metrics (``GET /metrics``, docs/decisions/0031-several-processes.md).

Two kinds, so that several processes give one true picture:
- what each web process measures itself (request latency by route template): with
  ``PROMETHEUS_MULTIPROC_DIR`` set (``portal serve --workers N`` sets it) prometheus_client
  keeps the values in files that any process of the server adds up at scrape time;
- what the database knows (outbox sizes and oldest age, the national sync's lag, receipts
  whose PDF is still missing, when each periodic job last ran): read at scrape time, the
  same whichever process answers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import leases
from app.db import utcnow
from app.documents.models import Document
from app.national.models import NationalMessage
from app.notifications.models import OutboxMessage
from app.ratelimit import RateEvent

HEARTBEAT_KEY = "worker:heartbeat"  # app.worker.HEARTBEAT_KEY (the worker is a floor above)

REQUEST_SECONDS = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS = Counter(
    "portal_http_requests",
    "HTTP requests answered, by method, route template and status class.",
    ["method", "route", "status"],
)


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    REQUEST_SECONDS.labels(method, route).observe(seconds)
    REQUESTS.labels(method, route, f"{status // 100}xx").inc()


def _age(now: datetime, since: datetime | None) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


def database_figures(session: Session) -> list[Metric]:
    """The gauges read from the database at scrape time."""
    now = utcnow()
    sizes = GaugeMetricFamily(
        "portal_outbox_messages",
        "Outbox messages not delivered, by outbox and status.",
        labels=["outbox", "status"],
    )
    oldest = GaugeMetricFamily(
        "portal_outbox_oldest_pending_age_seconds",
        "Age of the oldest message still to deliver, by outbox (0: none).",
        labels=["outbox"],
    )
    for outbox, model, statuses in (
        ("mail", OutboxMessage, ("pending", "failed")),
        ("national", NationalMessage, ("pending", "parked", "unsendable")),
    ):
        counts = dict(
            session.execute(
                select(model.status, func.count())
                .where(model.status.in_(statuses))
                .group_by(model.status)
            ).all()
        )
        for status in statuses:
            sizes.add_metric([outbox, status], float(counts.get(status, 0)))
        first = session.scalar(select(func.min(model.created_at)).where(model.status == "pending"))
        oldest.add_metric([outbox], _age(now, first))
    lag = GaugeMetricFamily(
        "portal_national_sync_lag_seconds",
        "Seconds since the national portal last acknowledged a message while some wait "
        "(0: nothing waits).",
    )
    waiting = session.scalar(
        select(func.min(NationalMessage.created_at)).where(NationalMessage.status == "pending")
    )
    last_ack = session.scalar(select(func.max(NationalMessage.acknowledged_at)))
    lag.add_metric([], _age(now, max(filter(None, (waiting, last_ack)))) if waiting else 0.0)
    receipts = GaugeMetricFamily(
        "portal_receipt_pdfs_pending", "Issued receipts whose PDF is not stored yet."
    )
    receipts.add_metric(
        [],
        float(
            session.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.kind == "receipt", Document.sha256.is_(None))
            )
            or 0
        ),
    )
    runs = GaugeMetricFamily(
        "portal_worker_last_run_timestamp_seconds",
        "When each periodic job last ran (Unix time), by job; heartbeat: the dedicated worker.",
        labels=["job"],
    )
    for job, at in sorted(leases.last_runs(session).items()):
        runs.add_metric([job], at.timestamp())
    beat = session.scalar(select(func.max(RateEvent.at)).where(RateEvent.key == HEARTBEAT_KEY))
    if beat is not None:
        runs.add_metric(["heartbeat"], beat.timestamp())
    return [sizes, oldest, lag, receipts, runs]


class _Figures(Collector):
    def __init__(self, session: Session) -> None:
        self.session = session

    def collect(self) -> Iterator[Metric]:
        yield from database_figures(self.session)


def exposition(session: Session) -> bytes:
    """Every metric in Prometheus' text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        measured = CollectorRegistry()
        multiprocess.MultiProcessCollector(measured)
    else:
        measured = REGISTRY
    figures = CollectorRegistry(auto_describe=False)
    figures.register(_Figures(session))
    return generate_latest(measured) + generate_latest(figures)
