"""The staff queue (§4): the dossiers an officer can act on, by due time, a page at a time.

The busiest read of the staff. Its statement reads at most a page per range of an index
however many dossiers wait, and its rows are plain values (``QueueDossier``), not ORM
objects: a page is read, shown and given its actions without an identity map or instance
state, by the same rules as a loaded dossier (``app.dossiers.state``; docs/PERFORMANCE.md,
issue 18)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.catalog.models import Procedure, ProcedureVersion
from app.catalog.schemas import STEP_ROLES
from app.db import MAX_ID
from app.dossiers.models import QUEUE_STATUSES, Dossier
from app.errors import Forbidden, InvalidInput
from app.formatting import day_in_range
from app.i18n_markers import N_
from app.payments import service as payment_service
from app.workflow import actions as action_rules


@dataclass(frozen=True, slots=True)
class QueueVersion:
    id: int
    status: str
    code: str
    name: str
    published_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class QueueDossier:
    """A queue row: what its summary shows and what deciding its actions reads."""

    current_step: action_rules.StepInfo | None
    version: QueueVersion
    id: int
    code: str | None
    version_id: int
    agency_id: int
    applicant_id: int | None
    channel: str
    status: str
    applicant_name: str
    current_step_id: int | None
    assignee_id: int | None
    handling_agency_id: int | None
    step_due_at: datetime | None
    submitted_at: datetime | None
    answer_due_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    extension_count: int
    supplement_count: int
    supplement_due_at: datetime | None
    decided_at: datetime | None


class QueueEntry(NamedTuple):
    dossier: QueueDossier
    owed: int  # fees still owed (negative when overpaid), for ``available_actions``


# The dossier's columns of a row, in ``QueueDossier``'s order after its step and version.
_DOSSIER_COLUMNS = (
    Dossier.id,
    Dossier.code,
    Dossier.version_id,
    Dossier.agency_id,
    Dossier.applicant_id,
    Dossier.channel,
    Dossier.status,
    func.coalesce(Dossier.applicant["full_name"].as_string(), "").label("applicant_name"),
    Dossier.current_step_id,
    Dossier.assignee_id,
    Dossier.handling_agency_id,
    Dossier.step_due_at,
    Dossier.submitted_at,
    Dossier.answer_due_at,
    Dossier.received_at,
    Dossier.due_at,
    Dossier.extension_count,
    Dossier.supplement_count,
    Dossier.supplement_due_at,
    Dossier.decided_at,
)
_VERSION_COLUMNS = (
    ProcedureVersion.status,
    Procedure.code,
    ProcedureVersion.name,
    ProcedureVersion.published_at,
    ProcedureVersion.created_at,
)
_N_DOSSIER = len(_DOSSIER_COLUMNS)
_N_VERSION = len(_VERSION_COLUMNS)


def _branches(
    roles: tuple[str, ...], leader: bool, cashier: bool, keyset: bool
) -> list[Select[int, datetime | None]]:
    """The caller's queue as ranges that each index reads in order (their union is what the
    caller may act on): one per role at the caller's agency, on ``ix_dossiers_queue``,
    assigned to nobody or to them (leaders see all of their unit's); for cashiers, what waits
    for fees at their counter (the receiving agency's, or the one-stop shop's where the
    dossier is: the province's centre collects for its departments), on the two partial
    indexes of dossiers awaiting payment. Each is limited to the page, so a page reads at
    most a page per range, however many dossiers wait (docs/PERFORMANCE.md, issue 18)."""
    # Constants written into the statement, not bound: it stays one text per shape, short
    # enough (< 4096 characters) for psycopg to keep it parsed and prepared (PERFORMANCE.md).
    in_queue = Dossier.status.in_(
        bindparam("queue_statuses", QUEUE_STATUSES, expanding=True, literal_execute=True)
    )
    mine = or_(Dossier.assignee_id.is_(None), Dossier.assignee_id == bindparam("user_id"))
    agency: BindParameter[int] = bindparam("agency_id")
    ranges: list[ColumnElement[bool]] = []
    for role in roles:
        step_role: BindParameter[str] = bindparam(f"role_{role}", role, literal_execute=True)
        at_step = and_(
            Dossier.handling_agency_id == agency, Dossier.step_role == step_role, in_queue
        )
        ranges.append(at_step if leader else and_(at_step, mine))
    if cashier:
        waiting = Dossier.status == bindparam("waiting", "awaiting_payment", literal_execute=True)
        ranges += [and_(Dossier.agency_id == agency, waiting)]
        ranges += [and_(Dossier.handling_agency_id == agency, waiting)]
    after = tuple_(
        bindparam("after_due", type_=Dossier.step_due_at.type),
        bindparam("after_id", type_=Dossier.id.type),
    )
    branches: list[Select[int, datetime | None]] = []
    for where in ranges:
        branch = select(Dossier.id, Dossier.step_due_at).where(where)
        if keyset:
            # A row value: an index condition (the range starts after the cursor); the same
            # test written with OR is a filter over every row before the cursor.
            branch = branch.where(tuple_(Dossier.step_due_at, Dossier.id) > after)
        limited = (
            branch.order_by(Dossier.step_due_at, Dossier.id).limit(bindparam("limit")).subquery()
        )
        # Each range in a subquery of its own: SQLite allows no LIMIT in a compound's members.
        branches.append(select(limited.c.id, limited.c.step_due_at))
    return branches


@lru_cache(maxsize=64)
def statement(roles: tuple[str, ...], leader: bool, cashier: bool, keyset: bool) -> Select[Any]:
    """The queue query of one shape, built once: it runs on every request of every officer,
    so the caller's values are bound parameters, not a new statement to build each time."""
    # The ranges merged (UNION: a dossier of the cashier's agency handled there is in both
    # ranges of the counter) and the page's ids taken, on their own: joined in the same query,
    # the other tables led PostgreSQL to read and sort every open dossier of the unit.
    merged = union(*_branches(roles, leader, cashier, keyset)).subquery()
    ids = (
        select(merged.c.id)
        .order_by(merged.c.step_due_at, merged.c.id)
        .limit(bindparam("limit"))
        .subquery()
    )
    # One statement whatever the page's length: the dossiers with their versions' columns and
    # what each still owes (whether "request_payment" applies); the steps of a published
    # process are known for the life of the process (``actions.processes``).
    return (
        select(
            *_DOSSIER_COLUMNS,
            *_VERSION_COLUMNS,
            payment_service.outstanding_column(),
        )
        .join(ids, ids.c.id == Dossier.id)
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.version_id)
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .order_by(Dossier.step_due_at, Dossier.id)
    )


def parse_cursor(cursor: str) -> tuple[datetime, int]:
    """``<step due ISO>_<id>`` of the last row of a queue page (its ``next_cursor``); anything
    else, also a moment outside the years a query may name or an id no dossier can have, is
    InvalidInput on ``cursor``."""
    try:
        moment, _sep, ident = cursor.rpartition("_")
        at = datetime.fromisoformat(moment)
        dossier_id = int(ident)
        if at.tzinfo is None or not day_in_range(at) or not 0 < dossier_id <= MAX_ID:
            raise ValueError(cursor)
        return at.astimezone(UTC), dossier_id
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(N_("cursor không hợp lệ."), fields={"cursor": "invalid"}) from exc


def _entries(session: Session, rows: Sequence[Any]) -> list[QueueEntry]:
    """Rows into entries; rows of one version share one value, and its steps."""
    versions: dict[int, QueueVersion] = {}
    for row in rows:
        if row[2] not in versions:
            versions[row[2]] = QueueVersion(row[2], *row[_N_DOSSIER : _N_DOSSIER + _N_VERSION])
    processes = action_rules.processes(session, versions.values())
    entries = []
    for row in rows:
        step_id = row[8]
        step = processes[row[2]].by_id.get(step_id) if step_id is not None else None
        dossier = QueueDossier(step, versions[row[2]], *row[:_N_DOSSIER])
        entries.append(QueueEntry(dossier, int(row[-1])))
    return entries


def queue(
    session: Session, user: User, limit: int = 50, after: tuple[datetime, int] | None = None
) -> list[QueueEntry]:
    """The caller's queue sorted by due time (keyset pagination on (step_due_at, id))."""
    if not user.is_staff:
        raise Forbidden(N_("Chỉ cán bộ mới có hàng đợi hồ sơ."))
    # Only the roles a step can have (an agency admin's role never is one): a range each.
    roles = tuple(sorted(user.roles.intersection(STEP_ROLES)))
    if not roles:
        return []
    stmt = statement(roles, "leader" in roles, "cashier" in roles, after is not None)
    params: dict[str, Any] = {"agency_id": user.agency_id, "user_id": user.id, "limit": limit}
    if after is not None:
        params["after_due"], params["after_id"] = after
    # Plain rows from the connection: nothing of the ORM's (no entities, no autoflush) is
    # needed to read values.
    return _entries(session, session.connection().execute(stmt, params).all())
