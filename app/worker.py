"""Background jobs: `portal worker`, and the same loop inside the web process when no worker
runs (so the embedded default works with one command): periodic checks and the VNPay status
queries every ``interval`` seconds, outbox e-mail and the national portal's messages every
few seconds, and the PDFs of receipts that a stopped web process did not make.

Each periodic job runs once per period however many workers and web processes ask: whoever
takes its lease (``app.leases``) runs it. Outbox rows are claimed one sender at a time."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app import leases
from app.counter import bookings
from app.db import begin_write, get_engine, get_sessionmaker, utcnow
from app.documents.models import Document
from app.errors import DomainError
from app.feedback import service as feedback_service
from app.national import delivery as national_delivery
from app.notifications import service as notification_service
from app.notifications import sms as channel_delivery
from app.payments import reconcile
from app.ratelimit import RateEvent
from app.receipts import stored as stored_receipts
from app.workflow import service as workflow

log = logging.getLogger(__name__)
HEARTBEAT_KEY = "worker:heartbeat"
# How often the outbox is polled (the periodic checks keep their own, longer interval).
MAIL_POLL_SECONDS = 10.0
MAIL_BATCH = 20
# At most this many batches per pass, so the checks and the heartbeat are not starved.
MAIL_BATCHES_PER_PASS = 10
# The leases of the periodic jobs (``job_leases.name``).
CHECKS_JOB = "periodic-checks"
RECONCILE_JOB = "vnpay-reconcile"
RECEIPTS_JOB = "receipt-pdfs"
# A receipt's PDF is made after its payment's commit by the web process (ADR 0014); one still
# missing this long afterwards (that process stopped) is made by the sweep, every as often.
RECEIPT_GRACE = timedelta(seconds=30)
RECEIPT_SWEEP = timedelta(seconds=10)
RECEIPTS_PER_SWEEP = 50


def sender_name(role: str) -> str:
    """Identifies a sender in claimed outbox rows: host, process and role."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{role}"


def run_checks_once() -> dict[str, int]:
    """One pass of the periodic checks in its own transaction."""
    try:
        with get_sessionmaker().begin() as session:
            begin_write(session)
            result = workflow.run_periodic_checks(session)
            result.update(bookings.run_periodic(session))  # reminders and no-shows
            result.update(feedback_service.escalate_overdue(session))
            return result
    except (StaleDataError, OperationalError) as exc:
        # Another process acted on the same dossier meanwhile: the next pass retries.
        log.info("periodic checks deferred: %s", exc.__class__.__name__)
        return {}


def reconcile_payments_once() -> dict[str, int]:
    """Ask VNPay about its payments still pending (querydr); nothing when VNPay is not set up."""
    try:
        return reconcile.reconcile_vnpay(get_sessionmaker())
    except (StaleDataError, OperationalError) as exc:  # the database is busy: next pass
        log.info("VNPay status queries deferred: %s", exc.__class__.__name__)
        return {}
    except Exception:  # the other jobs of the loop must survive a bad pass
        log.exception("VNPay status queries failed")
        return {}


def deliver_mail_once(sender: str) -> int:
    """Send what is due in the outbox (nothing when PORTAL_SMTP_URL is empty)."""
    sent = 0
    try:
        for _ in range(MAIL_BATCHES_PER_PASS):
            count = notification_service.deliver_due(get_sessionmaker(), sender, MAIL_BATCH)
            sent += count
            if count < MAIL_BATCH:
                break
    except OperationalError as exc:  # the database is busy or away: the next pass retries
        log.info("mail delivery deferred: %s", exc.__class__.__name__)
    except DomainError as exc:  # a malformed PORTAL_SMTP_URL
        log.error("mail delivery disabled: %s", exc.detail)
    return sent


def _deliver_batches(what: str, batch: Callable[[], tuple[int, int]]) -> int:
    """Run ``batch`` (delivered, failed) until a batch comes back short, at most
    ``MAIL_BATCHES_PER_PASS`` times; returns how many were delivered. A busy database defers
    to the next pass; any other failure is logged and the loop's other jobs go on."""
    delivered = 0
    try:
        for _ in range(MAIL_BATCHES_PER_PASS):
            done, failed = batch()
            delivered += done
            if done + failed < MAIL_BATCH:
                break
    except OperationalError as exc:  # the database is busy or away: the next pass retries
        log.info("%s deferred: %s", what, exc.__class__.__name__)
    except Exception:  # the other jobs of the loop must survive a bad pass
        log.exception("%s failed", what)
    return delivered


def deliver_national_once(sender: str) -> int:
    """Send what is due to the national portal (nothing when PORTAL_NATIONAL_URL is empty);
    returns how many messages were acknowledged."""

    def batch() -> tuple[int, int]:
        outcome = national_delivery.deliver_due(get_sessionmaker(), sender, MAIL_BATCH)
        return outcome.acknowledged, outcome.failed

    return _deliver_batches("national sync", batch)


def deliver_channels_once(sender: str) -> int:
    """Send the due SMS and Zalo messages (nothing for a channel without its gateway URL)."""

    def batch() -> tuple[int, int]:
        outcome = channel_delivery.deliver_due(get_sessionmaker(), sender, MAIL_BATCH)
        return outcome.sent, outcome.failed

    return _deliver_batches("sms/zalo delivery", batch)


def pending_receipts(limit: int = RECEIPTS_PER_SWEEP, bind: Engine | None = None) -> list[int]:
    """Receipt documents committed at least ``RECEIPT_GRACE`` ago whose PDF is still missing."""
    with Session(bind=bind or get_engine()) as session:
        return list(
            session.scalars(
                select(Document.id)
                .where(
                    Document.kind == "receipt",
                    Document.sha256.is_(None),
                    Document.created_at < utcnow() - RECEIPT_GRACE,
                )
                .order_by(Document.id)
                .limit(limit)
            )
        )


def make_pending_receipts(bind: Engine | None = None) -> int:
    """Make and store the PDFs ``pending_receipts`` names (stored once whoever else tries:
    the conditional UPDATE of ``receipts.stored``); returns how many were looked at."""
    engine = bind or get_engine()
    ids = pending_receipts(bind=engine)
    for document_id in ids:
        stored_receipts.store_after_commit(engine, document_id)
    if ids:
        log.info("receipt PDFs made after a stop: %d", len(ids))
    return len(ids)


def run_due_jobs(sender: str, interval: float) -> None:
    """The periodic jobs whose period has come and whose lease this process took."""
    factory = get_sessionmaker()
    every = timedelta(seconds=interval)
    if leases.take(factory, CHECKS_JOB, every, sender):
        result = run_checks_once()
        if any(result.values()):
            log.info("periodic checks: %s", result)
    if leases.take(factory, RECONCILE_JOB, every, sender):
        queried = reconcile_payments_once()
        if any(queried.values()):
            log.info("VNPay status queries: %s", queried)
    if leases.take(factory, RECEIPTS_JOB, min(every, RECEIPT_SWEEP), sender):
        try:
            make_pending_receipts()
        except OperationalError as exc:
            log.info("receipt PDF sweep deferred: %s", exc.__class__.__name__)


def beat() -> None:
    with get_sessionmaker().begin() as session:
        begin_write(session)
        session.execute(delete(RateEvent).where(RateEvent.key == HEARTBEAT_KEY))
        session.add(RateEvent(key=HEARTBEAT_KEY, at=utcnow()))


def worker_alive(interval: float) -> bool:
    with get_sessionmaker()() as session:
        last = session.scalar(
            select(RateEvent.at)
            .where(RateEvent.key == HEARTBEAT_KEY)
            .order_by(RateEvent.at.desc())
            .limit(1)
        )
    return last is not None and utcnow() - last < timedelta(seconds=interval * 2.5)


def run_worker(interval: float, stop: threading.Event, once: bool = False) -> None:
    """The dedicated worker: heartbeat and checks every ``interval`` seconds, outbox e-mail
    every ``MAIL_POLL_SECONDS``."""
    sender = sender_name("worker")
    next_beat = 0.0
    while True:
        if time.monotonic() >= next_beat:
            beat()
            next_beat = time.monotonic() + interval
        run_due_jobs(sender, interval)
        deliver_mail_once(sender)
        deliver_national_once(sender)
        deliver_channels_once(sender)
        if once or stop.wait(min(interval, MAIL_POLL_SECONDS)):
            return


def start_embedded(interval: float) -> threading.Event:
    """Run the checks and deliver the outbox from the web process while no dedicated worker
    is alive (several web processes may do so at once: outbox rows are claimed)."""
    stop = threading.Event()

    def loop() -> None:
        sender = sender_name("web")
        while not stop.wait(min(interval, MAIL_POLL_SECONDS)):
            try:
                if worker_alive(interval):
                    continue
                run_due_jobs(sender, interval)
                deliver_mail_once(sender)
                deliver_national_once(sender)
                deliver_channels_once(sender)
            except Exception:  # a background loop must survive a bad pass
                log.exception("embedded periodic checks failed")

    threading.Thread(target=loop, name="portal-checks", daemon=True).start()
    return stop
