"""Periodic jobs run once per period whatever the number of processes asking (SPEC §14), and
a receipt whose PDF the web process never made (it stopped) is made by the worker's sweep."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from app import leases, worker
from app.db import utcnow
from app.documents.models import Document
from app.leases import JobLease
from tests.dossiers.helpers import RECEPTION, act, headers, submit_procedure

CASHIER = "thuphi.phohien@motcua.local"


def test_one_taker_per_period_among_many(engine: Engine) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    name = "test-once"
    with factory.begin() as session:
        session.execute(delete(JobLease).where(JobLease.name == name))
    got: list[str] = []
    start = threading.Barrier(6)

    def ask(holder: str) -> None:
        start.wait()
        if leases.take(factory, name, timedelta(minutes=1), holder):
            got.append(holder)

    threads = [threading.Thread(target=ask, args=(f"process-{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 1
    # Within the period nobody gets it again; once it has passed, one does.
    assert not leases.take(factory, name, timedelta(minutes=1), "late")
    later = utcnow() + timedelta(minutes=1, seconds=1)
    assert leases.take(factory, name, timedelta(minutes=1), "next", now=later)
    assert not leases.take(factory, name, timedelta(minutes=1), "other", now=later)
    with factory() as session:
        lease = session.get(JobLease, name)
        assert lease is not None and lease.holder == "next"
        assert leases.last_runs(session)[name] == later


def test_worker_and_web_loops_share_the_jobs(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory.begin() as session:
        session.execute(update(JobLease).values(due_at=utcnow() - timedelta(seconds=1)))
    runs: list[str] = []
    # Counted, not run: the jobs themselves would act on the shared test database.
    monkeypatch.setattr(worker, "run_checks_once", lambda: runs.append("checks") or {})
    monkeypatch.setattr(worker, "reconcile_payments_once", lambda: runs.append("vnpay") or {})
    monkeypatch.setattr(worker, "make_pending_receipts", lambda: runs.append("receipts") or 0)
    worker.run_due_jobs("host:1:worker", 60)
    worker.run_due_jobs("host:2:worker", 60)
    worker.run_due_jobs("host:3:web", 60)
    assert sorted(runs) == ["checks", "receipts", "vnpay"]


def test_sweep_makes_a_receipt_left_without_its_pdf(client: TestClient, db: Session) -> None:
    dossier, _ = submit_procedure(client, "2.000884")
    act(client, headers(client, RECEPTION), dossier["id"], "receive")
    paid = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments",
        json={"method": "cash"},
        headers=headers(client, CASHIER),
    )
    assert paid.status_code == 201, paid.text
    doc = db.scalar(
        select(Document).where(Document.dossier_id == dossier["id"], Document.kind == "receipt")
    )
    # The tests' transaction never really commits, so the after-commit step never ran: the
    # receipt is pending as after a web process killed between its commit and its PDF.
    assert doc is not None and doc.sha256 is None
    doc.created_at = utcnow() - timedelta(seconds=5)
    db.flush()
    assert doc.id not in worker.pending_receipts(10_000, bind=db.connection())  # grace
    doc.created_at = utcnow() - timedelta(minutes=1)
    db.flush()
    assert doc.id in worker.pending_receipts(10_000, bind=db.connection())
    assert worker.make_pending_receipts(bind=db.connection()) >= 1
    db.refresh(doc)
    assert doc.sha256 and doc.size
    assert doc.id not in worker.pending_receipts(10_000, bind=db.connection())


def test_counters_wait_for_the_real_commit_not_a_savepoint(engine: Engine) -> None:
    """A savepoint released mid-transaction (a first counter row of the day, a first receipt
    series) must not write the indicator counters: their row locks would then come before the
    audit head's while other writers take them after it (a deadlock on PostgreSQL)."""
    from app.stats import tallies

    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session:
        dossier_id = 1  # noted only: nothing is written unless the counters are refreshed
        tallies.touch(session, dossier_id)
        with session.begin_nested():
            pass  # released: SQLAlchemy calls before_commit for it
        assert dossier_id in session.info[tallies.PENDING]
        session.rollback()
