"""Who holds a token, remembered for a few seconds by the process (ADR 0029).

Every authenticated request asks which user holds its token: one statement joining the
session, the user, the agency and the roles. An officer working through the queue asks it
several times a second with the same token, so the answer is kept for
``PORTAL_AUTH_CACHE_SECONDS`` (0: never) as a detached copy of the user, with their agency
and roles, and merged into each request's session without a statement.

A copy is never trusted past what could have changed it:
- any commit in this process that wrote a user, a role, a session or an agency (through the
  ORM or a bulk UPDATE/DELETE of the session) forgets every copy, so the process that logs
  someone out, disables an account or takes a role away sees the change at once;
- a copy read before such a commit is not kept (the generation counter below);
- the token's own expiry is checked on every use;
- other processes (``portal serve --workers N``) see a change within the TTL, or at once
  when ``PORTAL_REDIS_URL`` is set (``token_sharing``: the committing process announces it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached

from app.accounts.models import AuthSession, User, UserRole
from app.agencies.models import Agency

# Writes to these tables can change who holds a token, or what they may do.
_WATCHED = (User, UserRole, AuthSession, Agency)
_WATCHED_TABLES = frozenset(cls.__table__.name for cls in _WATCHED)  # type: ignore[attr-defined]
_FLAG = "auth_rows_written"
# Past this many tokens the cache starts again (a bound on memory, not a policy).
MAX_ENTRIES = 10_000


class _Entry(NamedTuple):
    user: User  # detached, with ``agency`` and ``role_rows`` loaded
    expires_at: datetime  # the token's
    kept_at: float  # time.monotonic()
    generation: int


_entries: dict[tuple[str, str], _Entry] = {}
_lock = threading.Lock()
_generation = 0
# Told after this process committed a watched row (``token_sharing`` tells the others).
announce: Callable[[], None] | None = None


def generation() -> int:
    """Read before looking a token up in the database: ``keep`` refuses a copy older than
    the last commit that wrote a watched row."""
    return _generation


def forget_all() -> None:
    """Forget every copy (a watched row was committed, or a test wants a clean start)."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def lookup(session: Session, key: tuple[str, str], now: datetime, ttl: float) -> User | None:
    """The user kept for this token, merged into ``session``; None when not kept, too old,
    written since, or expired."""
    entry = _entries.get(key)
    if entry is None:
        return None
    if (
        entry.generation != _generation
        or time.monotonic() - entry.kept_at >= ttl
        or entry.expires_at <= now
    ):
        _entries.pop(key, None)
        return None
    return session.merge(entry.user, load=False)


def keep(key: tuple[str, str], user: User, expires_at: datetime, seen_generation: int) -> None:
    """Remember ``user`` (as just read, inside its session) for this token."""
    copy = _detached_copy(user)
    with _lock:
        if seen_generation != _generation:
            return  # a watched row was committed while the user was being read
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key] = _Entry(copy, expires_at, time.monotonic(), seen_generation)


def _detached_copy(user: User) -> User:
    copy = _clone(user)
    set_committed_value(copy, "agency", _clone(user.agency) if user.agency else None)
    set_committed_value(copy, "role_rows", [_clone(row) for row in user.role_rows])
    return copy


def _clone(obj: Any) -> Any:
    """A detached instance holding the loaded column values of ``obj`` (no relationships)."""
    mapper = inspect(type(obj))
    clone = mapper.class_manager.new_instance()
    state = inspect(obj)
    for attr in mapper.column_attrs:
        if attr.key in state.dict:
            set_committed_value(clone, attr.key, state.dict[attr.key])
    make_transient_to_detached(clone)
    return clone


# --- noticing writes --------------------------------------------------------------------------


# Forgotten when written (what this transaction reads next must not come from memory) and
# again when committed (a request of another session may have kept the old rows meanwhile).


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    if any(isinstance(obj, _WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_FLAG] = True
        forget_all()


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_write(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _WATCHED_TABLES:
            state.session.info[_FLAG] = True
            forget_all()


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    # A flag left by a transaction rolled back costs one needless forgetting, never a stale
    # copy, so nothing clears it on rollback.
    if session.info.pop(_FLAG, False):
        forget_all()
        if announce is not None:
            announce()
