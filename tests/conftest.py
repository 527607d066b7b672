"""Test set-up: a database migrated with ``alembic upgrade head`` and seeded once per run,
and a transaction per test that is rolled back afterwards.

``PORTAL_TEST_DATABASE_URL`` selects the database (a fresh PostgreSQL database in CI);
by default a SQLite file in a temporary folder is used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="motcua-test-"))
# With pytest-xdist (`-n 2`) each worker is a process of its own: on SQLite it gets its own
# temporary folder above; on PostgreSQL it gets its own database next to the given one
# (created empty here, dropped when the worker ends), so that workers never migrate, seed or
# count the same database at once.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_WORKER_DATABASE: tuple[str, str] | None = None


def _admin_url(url: str) -> tuple[Any, str]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    return parsed, parsed.set(database="postgres").render_as_string(hide_password=False)


def _run_admin(admin_url: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()


_given = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
if _given.startswith("postgresql") and _XDIST_WORKER:
    _parsed, _admin = _admin_url(_given)
    _name = f"{_parsed.database}_{_XDIST_WORKER}"
    _run_admin(
        _admin, f'DROP DATABASE IF EXISTS "{_name}" WITH (FORCE)', f'CREATE DATABASE "{_name}"'
    )
    _WORKER_DATABASE = (_admin, _name)
    _given = _parsed.set(database=_name).render_as_string(hide_password=False)
os.environ["PORTAL_ENV"] = "development"
os.environ["PORTAL_DATA_DIR"] = str(_TMP / "data")
os.environ["PORTAL_DATABASE_URL"] = _given or f"sqlite:///{(_TMP / 'test.db').as_posix()}"
os.environ.setdefault("PORTAL_SECRET_KEY", "test-secret-key-not-for-production")
os.environ["PORTAL_LOGIN_MAX_FAILURES"] = "5"
os.environ["PORTAL_EMBEDDED_WORKER"] = "false"
# PORTAL_TEST_STORAGE=s3: files go to a bucket on a real S3-protocol server on loopback (`make
# test-s3` runs the upload and download tests so); a server that cannot start fails the run.
if os.environ.get("PORTAL_TEST_STORAGE") == "s3":
    from tests.s3server import make_bucket, start_server

    _S3_SERVER, _S3_ENDPOINT = start_server()
    os.environ["PORTAL_S3_ENDPOINT_URL"] = _S3_ENDPOINT
    os.environ["PORTAL_STORAGE_URL"] = f"s3://{make_bucket(_S3_ENDPOINT)}/portal"

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.cli import upgrade_database  # noqa: E402
from app.db import drain_background, get_engine, get_sessionmaker  # noqa: E402
from app.demo.seed import seed_all  # noqa: E402
from app.main import create_app  # noqa: E402
from app.web.session import get_session  # noqa: E402
from app.wiring import wire  # noqa: E402

wire()  # services called directly by tests publish events like the app's routes do

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DEMO_PASSWORD = "MotCua@2026"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: browser and PostgreSQL tests must really run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if IN_CI and reporter is not None and reporter.stats.get("skipped"):
        reporter.write_line("CI: skipped tests are not allowed here", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if _WORKER_DATABASE is not None:
        get_engine().dispose()
        admin, name = _WORKER_DATABASE
        _run_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    upgrade_database()
    with get_sessionmaker().begin() as session:
        seed_all(session)
    yield get_engine()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    from app.calendar import service as calendar_service

    # The process's calendar may have been read from a rolled-back test's rows.
    calendar_service.forget_shared()
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
        assert_counters_agree(session)
    finally:
        session.close()
        outer.rollback()
        connection.close()


def assert_counters_agree(session: Session) -> None:
    """Every test doubles as a check of the indicator counters: after what the test committed,
    they must equal a recount from the dossiers (app/stats/tallies.py)."""
    from app.stats import tallies

    if not session.is_active:
        return
    session.rollback()  # what the test left uncommitted is not what the counters track
    assert tallies.differences(session) == [], "indicator counters disagree with a recount"


@pytest.fixture
def app(db: Session):  # type: ignore[no-untyped-def]
    from app.ratelimit import lookup_limiter

    lookup_limiter.reset()  # per-process limits must not leak from one test to the next
    application = create_app()

    def _session() -> Iterator[Session]:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    application.dependency_overrides[get_session] = _session
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        yield c


def api_token(client: TestClient, email: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def fresh_database() -> Iterator[Engine]:
    """A separate, migrated and seeded database of the same kind, dropped afterwards — for
    tests that commit a lot and must not disturb the shared one."""
    import uuid

    from app.db import make_engine

    url = os.environ["PORTAL_DATABASE_URL"]
    name = f"motcua_fresh_{uuid.uuid4().hex[:10]}"
    admin = None
    if url.startswith("sqlite"):
        fresh_url = f"sqlite:///{(_TMP / (name + '.db')).as_posix()}"
    else:
        parsed, admin = _admin_url(url)
        _run_admin(admin, f'CREATE DATABASE "{name}"')
        fresh_url = parsed.set(database=name).render_as_string(hide_password=False)
    upgrade_database(fresh_url)
    fresh = make_engine(fresh_url)
    from sqlalchemy.orm import sessionmaker

    with sessionmaker(bind=fresh).begin() as session:
        seed_all(session)
    try:
        yield fresh
        with sessionmaker(bind=fresh)() as session:
            assert_counters_agree(session)
    finally:
        drain_background()  # receipts' PDFs still being made on this database (ADR 0014)
        fresh.dispose()
        if admin is not None:
            _run_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def in_parallel(jobs: list[Any], join_timeout: float = 180) -> list[Any]:
    """Run callables in threads released together by a barrier; each result or exception is
    returned in order (real races for the concurrency tests)."""
    import threading

    results: list[Any] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    return results
