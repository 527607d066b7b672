"""Crash safety (issue 21 item 5): `portal serve` on PostgreSQL is killed with SIGKILL in the
middle of a burst of submissions and payments, then started again. No dossier is left
half-written, codes and receipt numbers have no gap and no duplicate, and every receipt
committed before the kill gets its PDF afterwards from the worker's sweep."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.scale import journeys
from tests.scale.cluster import Cluster, free_port, fresh_database

pytestmark = pytest.mark.postgres

PENDING_PDFS = "SELECT count(*) FROM documents WHERE kind = 'receipt' AND sha256 IS NULL"


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[Cluster, str]]:
    url, drop = fresh_database(os.environ["PORTAL_DATABASE_URL"])
    cluster = Cluster(tmp_path, url)
    try:
        cluster.prepare()
        yield cluster, url
    finally:
        cluster.stop()
        drop()


def _burst(client: httpx.Client, tokens: dict[str, dict[str, str]], stop: threading.Event) -> int:
    """Journeys until the server dies under them; returns how many were paid."""
    paid = 0
    index = 0
    while not stop.is_set():
        index += 1
        try:
            dossier_id = journeys.submit(client)
            journeys.receive(client, tokens["reception"], dossier_id)
            if index % 2:
                journeys.pay_cash(client, tokens["cashier"], dossier_id)
            else:
                journeys.pay_sandbox(client, tokens["citizen"], dossier_id)
            paid += 1
        except (httpx.HTTPError, AssertionError):
            if stop.is_set():
                break
            raise
    return paid


def test_sigkill_mid_burst_leaves_nothing_half_done(deployment: tuple[Cluster, str]) -> None:
    cluster, url = deployment
    port = free_port()
    base = cluster.serve("web", port)
    client = httpx.Client(base_url=base, timeout=30)
    tokens = journeys.logins(client)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))

    def paid_so_far() -> int:
        with engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM receipts")) or 0)

    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=4) as pool:
        bursts = [pool.submit(_burst, client, tokens, stop) for _ in range(4)]
        deadline = time.monotonic() + 120
        while paid_so_far() < 8:
            assert time.monotonic() < deadline, "the burst did not get going"
            time.sleep(0.1)
        stop.set()
        cluster.kill("web")  # SIGKILL with requests in flight
        paid = sum(b.result() for b in bursts)
    client.close()
    assert paid >= 8

    with engine.connect() as conn:
        left_without_pdf = conn.scalar(text(PENDING_PDFS))
    # Started again: the server works on and its numbers go on from where they stopped.
    base = cluster.serve("web", port)
    cluster.worker("worker")
    with httpx.Client(base_url=base, timeout=30) as client:
        tokens = journeys.logins(client)
        dossier_id = journeys.submit(client)
        journeys.receive(client, tokens["reception"], dossier_id)
        journeys.pay_cash(client, tokens["cashier"], dossier_id)

    with engine.connect() as conn:
        journeys.codes_without_gaps(conn)
        receipts = journeys.receipts_without_gaps(conn)
        assert len(receipts) >= paid + 1
        assert journeys.half_written(conn) == []
    # The worker's sweep makes what the killed server had not (30 s grace, then every 10 s).
    deadline = time.monotonic() + 120
    while True:
        with engine.connect() as conn:
            if not conn.scalar(text(PENDING_PDFS)):
                break
        assert time.monotonic() < deadline, f"{left_without_pdf} receipts left without a PDF"
        time.sleep(1)
    engine.dispose()
