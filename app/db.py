"""Engine, session factory and the declarative base."""

from __future__ import annotations

import atexit
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    MetaData,
    create_engine,
    event,
    insert,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.config import get_settings

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every database (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def next_in_sequence(session: Session, counter: Any, **key: Any) -> int:
    """The next number of a gapless counter: the row of ``counter`` (a model with a ``last``
    column) that ``key`` names, incremented in the caller's transaction and created at 1 the
    first time. Concurrent callers queue on the row's lock (SQLite: the write lock); two
    creating it at once, the second one's insert fails and it increments instead; a
    rolled-back caller takes its number back (docs/decisions/0005). Dossier codes, result
    numbers and form numbers count this way."""
    bump = (
        update(counter)
        .where(*(getattr(counter, name) == value for name, value in key.items()))
        .values(last=counter.last + 1)
        .returning(counter.last)
    )
    seq = session.execute(bump).scalar()
    if seq is None:
        try:
            with session.begin_nested():
                session.execute(insert(counter).values(**key, last=1))
            return 1
        except IntegrityError:
            seq = session.execute(bump).scalar_one()
    return int(seq)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that
    # SAVEPOINTs and "one transaction per request" behave as on PostgreSQL.
    dbapi_connection.isolation_level = None


# SQLite transactions of a connection (DBAPI connection info): "deferred" began with BEGIN
# and has not written yet; "immediate" holds the write lock; "pinned" has a SAVEPOINT.
_SQLITE_TXN = "portal_sqlite_txn"
_SQLITE_READS = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "VALUES", "WITH"})
_SQLITE_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "RELEASE"})


def _sqlite_begin(conn: Any) -> None:
    # Write transactions take the write lock up front (BEGIN IMMEDIATE): a deferred one that
    # read first would fail with SQLITE_BUSY when another writer committed in between.
    immediate = bool(conn.get_execution_options().get("sqlite_immediate"))
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    conn.info[_SQLITE_TXN] = "immediate" if immediate else "deferred"


def _sqlite_end(conn: Any) -> None:
    conn.info.pop(_SQLITE_TXN, None)


def _sqlite_write_in_read(
    conn: Any,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    """A read transaction (a GET) about to write starts again as a write transaction.

    SQLite cannot turn a read transaction into a write one once another connection has
    committed since its first read (SQLITE_BUSY_SNAPSHOT: "database is locked" at once,
    whatever the busy timeout), as when a GET stores a PDF rendered on first download or
    audits a staff download. It has written nothing yet, so it is rolled back and begun
    again with BEGIN IMMEDIATE, which waits for the write lock; the write then sees the
    latest committed data, as PostgreSQL's READ COMMITTED does for every statement. A
    transaction that opened a SAVEPOINT keeps its snapshot (rolling back would drop it)."""
    state = conn.info.get(_SQLITE_TXN)
    if state != "deferred":
        return
    words = statement.lstrip(" \t\r\n(").split(None, 1)
    verb = words[0].upper() if words else ""
    if verb == "SAVEPOINT":
        conn.info[_SQLITE_TXN] = "pinned"
        return
    is_write = context is not None and (context.isinsert or context.isupdate or context.isdelete)
    if not is_write and (verb in _SQLITE_READS or verb in _SQLITE_CONTROL):
        return
    dbapi_connection = cursor.connection
    if dbapi_connection.in_transaction:
        dbapi_connection.execute("ROLLBACK")
    conn.info[_SQLITE_TXN] = None
    dbapi_connection.execute("BEGIN IMMEDIATE")
    conn.info[_SQLITE_TXN] = "immediate"


def begin_write(session: Session) -> None:
    """Declare that this session's transaction will write (call before its first query)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_immediate": True})


# --- work after a durable commit ----------------------------------------------------------------

_AFTER_COMMIT = "portal_after_commit"  # session.info: callbacks waiting for the commit
_COMMITTED_TO = "portal_committed_to"  # session.info: the engine the commit was durable on
# Jobs waiting for the background thread at most: beyond that (a burst far above what one
# thread renders), a job is dropped and its work stays to be done by whoever needs it next.
BACKGROUND_CAPACITY = 256


class _Background:
    """One daemon thread working through a bounded queue of after-commit jobs, so that slow
    work (a receipt's PDF) never delays the response of the request that committed.

    Started on the first job. ``drain`` waits until the queue is empty (at shutdown, and in
    tests and benchmarks that need the result); what is still queued when the process ends is
    simply not done, which every job of this kind must tolerate (ADR 0014)."""

    def __init__(self, capacity: int) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue(maxsize=capacity)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[], None]) -> bool:
        """Queue ``job``; False when the queue is full (the job is dropped)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="portal-after-commit", daemon=True
                )
                self._thread.start()
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            return False
        return True

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                job()
            except Exception as exc:  # the thread serves every later job too
                log.error("work after commit failed (%s)", type(exc).__name__)
            finally:
                self._queue.task_done()

    def drain(self, timeout: float) -> bool:
        """Wait until every queued job has run; False if some are left after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True


_background = _Background(BACKGROUND_CAPACITY)


def drain_background(timeout: float = 30.0) -> bool:
    """Wait for the after-commit jobs queued so far (``call_after_commit(..., background=True)``);
    False if some are still waiting after ``timeout`` seconds."""
    return _background.drain(timeout)


# At exit the jobs already queued get a few seconds; the rest stays undone.
atexit.register(drain_background, 10.0)


def call_after_commit(
    session: Session, callback: Callable[[Engine], None], *, background: bool = False
) -> None:
    """Run ``callback(engine)`` once the session's current transaction has really committed,
    for slow work that must not hold the transaction's locks (a receipt's PDF, ADR 0014).

    Dropped when the transaction rolls back, and when its "commit" was not durable: a session
    that joined an outer transaction of its connection (the tests' ``db`` fixture) only
    released a savepoint, and a new connection would neither see the rows nor get the lock.
    The callback runs after the session's connection went back to the pool and opens its own
    sessions on ``engine``: in the committing thread, or with ``background`` in the process's
    after-commit thread, so that the committing request answers without waiting for it (then
    it may also never run: the queue was full or the process stopped first). Its exceptions
    are logged, never raised: the commit has happened and stays."""
    session.info.setdefault(_AFTER_COMMIT, []).append((callback, background))


@event.listens_for(Session, "after_commit")
def _note_durable_commit(session: Session) -> None:
    if not session.info.get(_AFTER_COMMIT) or session.in_nested_transaction():
        return  # nothing waiting, or a savepoint was released
    bind = session.get_bind()
    if isinstance(bind, Connection):
        if bind.in_transaction():
            return  # the caller's outer transaction is still open: nothing is committed yet
        session.info[_COMMITTED_TO] = bind.engine
    else:
        session.info[_COMMITTED_TO] = bind


@event.listens_for(Session, "after_transaction_end")
def _run_after_commit(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint or a flush: the session's transaction goes on
    callbacks = session.info.pop(_AFTER_COMMIT, None)
    engine = session.info.pop(_COMMITTED_TO, None)
    if not callbacks or engine is None:
        return  # rolled back, closed without a commit, or not durable
    for callback, background in callbacks:
        if background:
            if not _background.submit(functools.partial(callback, engine)):
                log.warning("work after commit dropped: the background queue is full")
            continue
        try:
            callback(engine)
        except Exception as exc:  # the commit stands whatever happens here
            log.error("work after commit failed (%s)", type(exc).__name__)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "commit", _sqlite_end)
        event.listen(engine, "rollback", _sqlite_end)
        event.listen(engine, "before_cursor_execute", _sqlite_write_in_read)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def request_session(method: str, factory: sessionmaker[Session]) -> Iterator[Session]:
    """The session of one request: commit on success, roll back on any error; requests that
    change something take the write lock up front (GET and co. read, see
    ``_sqlite_write_in_read`` for those that write anyway)."""
    session = factory()
    if method not in ("GET", "HEAD", "OPTIONS"):
        begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# Identifiers in paths and bodies: integer columns are 32-bit on PostgreSQL.
MAX_ID = 2_147_483_647
