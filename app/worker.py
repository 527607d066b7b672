"""Background jobs: `portal worker`, and the same loop inside the web process when no worker
runs (so the embedded default works with one command): periodic checks and the VNPay status
queries every ``interval`` seconds, outbox e-mail and the national portal's messages every
few seconds."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.db import begin_write, get_sessionmaker, utcnow
from app.errors import DomainError
from app.feedback import service as feedback_service
from app.national import delivery as national_delivery
from app.notifications import service as notification_service
from app.payments import reconcile
from app.ratelimit import RateEvent
from app.workflow import service as workflow

log = logging.getLogger(__name__)
HEARTBEAT_KEY = "worker:heartbeat"
# How often the outbox is polled (the periodic checks keep their own, longer interval).
MAIL_POLL_SECONDS = 10.0
MAIL_BATCH = 20
# At most this many batches per pass, so the checks and the heartbeat are not starved.
MAIL_BATCHES_PER_PASS = 10


def sender_name(role: str) -> str:
    """Identifies a sender in claimed outbox rows: host, process and role."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{role}"


def run_checks_once() -> dict[str, int]:
    """One pass of the periodic checks in its own transaction."""
    try:
        with get_sessionmaker().begin() as session:
            begin_write(session)
            result = workflow.run_periodic_checks(session)
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


def deliver_national_once(sender: str) -> int:
    """Send what is due to the national portal (nothing when PORTAL_NATIONAL_URL is empty);
    returns how many messages were acknowledged."""
    acknowledged = 0
    try:
        for _ in range(MAIL_BATCHES_PER_PASS):
            outcome = national_delivery.deliver_due(get_sessionmaker(), sender, MAIL_BATCH)
            acknowledged += outcome.acknowledged
            if outcome.acknowledged + outcome.failed < MAIL_BATCH:
                break
    except OperationalError as exc:  # the database is busy or away: the next pass retries
        log.info("national sync deferred: %s", exc.__class__.__name__)
    except Exception:  # the other jobs of the loop must survive a bad pass
        log.exception("national sync failed")
    return acknowledged


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
    next_checks = 0.0
    while True:
        if time.monotonic() >= next_checks:
            beat()
            result = run_checks_once()
            if any(result.values()):
                log.info("periodic checks: %s", result)
            queried = reconcile_payments_once()
            if any(queried.values()):
                log.info("VNPay status queries: %s", queried)
            next_checks = time.monotonic() + interval
        deliver_mail_once(sender)
        deliver_national_once(sender)
        if once or stop.wait(min(interval, MAIL_POLL_SECONDS)):
            return


def start_embedded(interval: float) -> threading.Event:
    """Run the checks and deliver the outbox from the web process while no dedicated worker
    is alive (several web processes may do so at once: outbox rows are claimed)."""
    stop = threading.Event()

    def loop() -> None:
        sender = sender_name("web")
        last_checks = time.monotonic()
        while not stop.wait(min(interval, MAIL_POLL_SECONDS)):
            try:
                if worker_alive(interval):
                    continue
                if time.monotonic() - last_checks >= interval:
                    last_checks = time.monotonic()
                    run_checks_once()
                    reconcile_payments_once()
                deliver_mail_once(sender)
                deliver_national_once(sender)
            except Exception:  # a background loop must survive a bad pass
                log.exception("embedded periodic checks failed")

    threading.Thread(target=loop, name="portal-checks", daemon=True).start()
    return stop
