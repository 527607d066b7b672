"""Background jobs: `portal worker`, and the same loop inside the web process when no worker
runs (so the embedded default works with one command)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.db import begin_write, get_sessionmaker, utcnow
from app.ratelimit import RateEvent

log = logging.getLogger(__name__)
HEARTBEAT_KEY = "worker:heartbeat"


def run_checks_once() -> dict[str, int]:
    """One pass of the periodic checks in its own transaction."""
    from app.workflow import service as workflow

    try:
        with get_sessionmaker().begin() as session:
            begin_write(session)
            return workflow.run_periodic_checks(session)
    except (StaleDataError, OperationalError) as exc:
        # Another process acted on the same dossier meanwhile: the next pass retries.
        log.info("periodic checks deferred: %s", exc.__class__.__name__)
        return {}


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
    """The dedicated worker: heartbeat, then checks, every ``interval`` seconds."""
    while True:
        beat()
        result = run_checks_once()
        if any(result.values()):
            log.info("periodic checks: %s", result)
        if once or stop.wait(interval):
            return


def start_embedded(interval: float) -> threading.Event:
    """Run the checks from the web process while no dedicated worker is alive."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                if not worker_alive(interval):
                    run_checks_once()
            except Exception:  # a background loop must survive a bad pass
                log.exception("embedded periodic checks failed")

    threading.Thread(target=loop, name="portal-checks", daemon=True).start()
    return stop
