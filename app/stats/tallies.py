"""Counters behind the indicators, kept up to date in the transaction that changes a dossier.

Every flush notes which received dossiers may have changed (the dossier itself, its files,
result documents, payments, rating or a recorded step). Before the transaction commits, the
facts of those dossiers are read again in SQL with the same rules as the direct count
(``app.stats.counts.recount``), compared with what each dossier added last time
(``stat_dossier_tallies``) and only the difference is added to the day counters
(``stat_daily_tallies``). The counters hold no setting-dependent figure: on-time is kept
against both appointments and per number of supplement requests, unhappy per rating
threshold, so changing a setting needs no rebuild. Only dossiers still being processed depend
on the clock; the indicators count those live (a small, indexed set).

``portal stats verify`` compares the counters with a full recount; ``portal stats rebuild``
rewrites them (after bulk loads such as ``portal bench seed``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    event,
    func,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.catalog.models import ProcedureVersion
from app.config import get_settings
from app.docstore.models import DocumentReuse
from app.documents.models import Document
from app.dossiers.models import Dossier, DossierEvent, DossierFile
from app.national.models import NationalMessage
from app.payments.models import ONLINE_METHODS, Payment
from app.ratings.models import Rating
from app.stats.models import (
    COUNTER_NAMES,
    FINISH_COUNTER_NAMES,
    SUPPLEMENTS_CAP,
    DailyTally,
    DossierTally,
    FinishTally,
)

# Yes/no facts of one dossier, one bit each in DossierTally.flags.
FLAGS = (
    "synchronised",
    "online",
    "finished",
    "within_original",
    "within_due",
    "extended",
    "eligible",
    "full",
    "completed",
    "complaint",
    "digitised",
    "electronic_result",
    "reused",
)
BIT = {name: 1 << i for i, name in enumerate(FLAGS)}
NEGATIVE_SCORES = (1, 2, 3, 4)  # the thresholds the setting allows
# Dossier columns whose change can change what the dossier adds to the counters.
DOSSIER_FIELDS = (
    "agency_id",
    "version_id",
    "channel",
    "status",
    "code",
    "received_at",
    "due_at",
    "original_due_at",
    "extension_count",
    "supplement_count",
    "result_ready_at",
    "finished_at",
)
PENDING = "stat_tallies_pending"
CHUNK = 500


# --- the rules shared with the direct count -----------------------------------------------------


def synchronised_condition() -> ColumnElement[bool]:
    """The national portal acknowledged a message of the dossier written at or after its
    reception by the end of that local day (Decision 766's "synchronised"; the acknowledging
    worker decides ``in_day`` and notes the dossier for a refresh, app/national/delivery.py)."""
    return (
        select(NationalMessage.id)
        # "= true" (not "IS true"): PostgreSQL folds it to the partial index's predicate.
        .where(NationalMessage.dossier_id == Dossier.id, NationalMessage.in_day == True)  # noqa: E712
        .exists()
    )


def finished_condition() -> ColumnElement[bool]:
    """A result is ready (or the dossier was refused after reception): processing is over."""
    return or_(Dossier.result_ready_at.is_not(None), Dossier.status == "rejected")


def finished_moment() -> Any:
    """When the result was ready for return (the refusal time for a rejected dossier)."""
    return func.coalesce(Dossier.result_ready_at, Dossier.finished_at)


def original_appointment() -> Any:
    """The first appointment: an extension (form 04) does not move it."""
    return func.coalesce(Dossier.original_due_at, Dossier.due_at)


def active_components() -> ColumnElement[bool]:
    return and_(
        DossierFile.dossier_id == Dossier.id,
        DossierFile.purpose == "component",
        DossierFile.removed_at.is_(None),
    )


def digitised_condition() -> ColumnElement[bool]:
    """Every component is electronic: uploaded online, or scanned at the counter; a dossier
    without any component file is not digitised."""
    has_files = select(DossierFile.id).where(active_components()).exists()
    has_paper = (
        select(DossierFile.id).where(active_components(), DossierFile.digitised.is_(False)).exists()
    )
    return and_(has_files, or_(Dossier.channel == "online", ~has_paper))


def reused_condition() -> ColumnElement[bool]:
    """At least one component still attached was taken from the citizen's document store
    instead of a new upload (docs/decisions/0028-personal-document-store.md)."""
    return (
        select(DocumentReuse.id)
        .join(DossierFile, DossierFile.id == DocumentReuse.file_id)
        .where(DocumentReuse.dossier_id == Dossier.id, active_components())
        .exists()
    )


def electronic_result_condition() -> ColumnElement[bool]:
    result = select(Document.id).where(Document.dossier_id == Dossier.id, Document.kind == "result")
    return and_(Dossier.status == "completed", result.exists())


# --- one dossier's share ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """What one received dossier adds to the counters of one (agency, day, supplements) row."""

    agency_id: int
    day: date
    supplements: int
    flags: int
    score: int
    paid: int
    paid_online: int
    finish_day: date | None = None  # local day processing finished; None: not finished

    @property
    def key(self) -> tuple[int, date, int]:
        return (self.agency_id, self.day, self.supplements)

    @property
    def finish_key(self) -> tuple[int, date, int] | None:
        """Its row of the counters by day of finishing (None while being processed)."""
        if self.finish_day is None:
            return None
        return (self.agency_id, self.finish_day, self.supplements)

    def finish_counters(self) -> tuple[int, ...]:
        """Values in the order of FINISH_COUNTER_NAMES."""
        return (1, int(self.has("within_original")), int(self.has("within_due")))

    def has(self, name: str) -> bool:
        return bool(self.flags & BIT[name])

    def counters(self) -> tuple[int, ...]:
        """Values in the order of COUNTER_NAMES."""
        has = self.has
        rated = self.score > 0
        unhappy = [
            int(has("finished") and rated and (has("complaint") or self.score <= k))
            for k in NEGATIVE_SCORES
        ]
        return (
            1,
            int(has("synchronised")),
            int(has("online")),
            int(has("finished")),
            int(has("within_original")),
            int(has("within_due")),
            int(has("extended")),
            int(has("eligible")),
            int(has("eligible") and has("online")),
            int(has("full")),
            int(has("full") and has("online")),
            int(has("completed")),
            int(rated),
            self.score,
            *unhappy,
            int(has("digitised")),
            int(has("electronic_result")),
            self.paid,
            self.paid_online,
            int(has("reused")),
        )


def _flag(condition: ColumnElement[bool]) -> Any:
    return case((condition, 1), else_=0)


def facts_query(ids: Sequence[int] | None = None) -> Select[Any]:
    """One row of facts per received dossier (all of them, or the given ones)."""
    finished = finished_condition()
    paid = Payment.dossier_id == Dossier.id, Payment.status == "paid"
    flags = {
        "synchronised": synchronised_condition(),
        "online": Dossier.channel == "online",
        "finished": finished,
        "within_original": and_(finished, finished_moment() <= original_appointment()),
        "within_due": and_(finished, finished_moment() <= Dossier.due_at),
        "extended": Dossier.extension_count > 0,
        "eligible": ProcedureVersion.online_level.in_(("full", "partial")),
        "full": ProcedureVersion.online_level == "full",
        "completed": Dossier.status == "completed",
        "complaint": Rating.complaint.is_(True),
        "digitised": digitised_condition(),
        "electronic_result": electronic_result_condition(),
        "reused": reused_condition(),
    }
    stmt = (
        select(
            Dossier.id,
            Dossier.agency_id,
            Dossier.received_at,
            Dossier.supplement_count,
            finished_moment().label("finished_moment"),
            *(_flag(flags[name]).label(name) for name in FLAGS),
            func.coalesce(Rating.score, 0).label("score"),
            select(func.count(Payment.id)).where(*paid).scalar_subquery().label("paid"),
            select(func.count(Payment.id))
            .where(*paid, Payment.method.in_(ONLINE_METHODS))
            .scalar_subquery()
            .label("paid_online"),
        )
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.version_id)
        .outerjoin(Rating, Rating.dossier_id == Dossier.id)
        .where(Dossier.received_at.is_not(None))
    )
    if ids is not None:
        stmt = stmt.where(Dossier.id.in_(list(ids)))
    return stmt


def _entry(row: Any, zone: ZoneInfo) -> Entry:
    received: datetime = row.received_at
    flags = 0
    for name in FLAGS:
        if getattr(row, name):
            flags |= BIT[name]
    finished: datetime | None = row.finished_moment if flags & BIT["finished"] else None
    return Entry(
        agency_id=row.agency_id,
        day=received.astimezone(zone).date(),
        finish_day=finished.astimezone(zone).date() if finished is not None else None,
        supplements=min(int(row.supplement_count or 0), SUPPLEMENTS_CAP),
        flags=flags,
        score=int(row.score or 0),
        paid=int(row.paid or 0),
        paid_online=int(row.paid_online or 0),
    )


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


# --- applying changes ---------------------------------------------------------------------------

TALLY = cast(Table, DossierTally.__table__)
DAILY = cast(Table, DailyTally.__table__)
FINISH = cast(Table, FinishTally.__table__)
Deltas = dict[tuple[int, date, int], list[int]]


def _upsert(
    session: Session,
    deltas: Deltas,
    table: Table = DAILY,
    names: Sequence[str] = COUNTER_NAMES,
) -> None:
    """Add the deltas to the day rows, creating missing rows; keys in order (no deadlock)."""
    rows = [
        {
            "agency_id": k[0],
            "day": k[1],
            "supplements": k[2],
            **dict(zip(names, v, strict=True)),
        }
        for k, v in sorted(deltas.items())
        if any(v)
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["agency_id", "day", "supplements"],
        set_={name: table.c[name] + stmt.excluded[name] for name in names},
    )
    for row in rows:  # one statement per row: row order is lock order
        session.execute(stmt, row)


def _stored(session: Session, ids: Sequence[int]) -> dict[int, Entry]:
    rows = session.execute(select(TALLY).where(TALLY.c.dossier_id.in_(list(ids))))
    return {
        r.dossier_id: Entry(
            r.agency_id,
            r.day,
            r.supplements,
            r.flags,
            r.score,
            r.paid,
            r.paid_online,
            r.finish_day,
        )
        for r in rows
    }


def _entry_values(entry: Entry) -> dict[str, Any]:
    return {
        "agency_id": entry.agency_id,
        "day": entry.day,
        "supplements": entry.supplements,
        "flags": entry.flags,
        "score": entry.score,
        "paid": entry.paid,
        "paid_online": entry.paid_online,
        "finish_day": entry.finish_day,
    }


def refresh(session: Session, dossier_ids: Iterable[int]) -> int:
    """Bring the counters of these dossiers up to date; returns how many changed."""
    ids = sorted(set(dossier_ids))
    zone = _zone()
    changed = 0
    postgres = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        if postgres:
            # Serialise with any other transaction refreshing the same dossiers, so that each
            # reads the facts the other committed (READ COMMITTED takes a new snapshot).
            session.execute(
                select(Dossier.id)
                .where(Dossier.id.in_(chunk))
                .order_by(Dossier.id)
                .with_for_update()
            )
        old = _stored(session, chunk)
        new = {row.id: _entry(row, zone) for row in session.execute(facts_query(chunk))}
        deltas: Deltas = defaultdict(lambda: [0] * len(COUNTER_NAMES))
        finish_deltas: Deltas = defaultdict(lambda: [0] * len(FINISH_COUNTER_NAMES))
        gone, added, moved = [], [], []
        for dossier_id in chunk:
            before, after = old.get(dossier_id), new.get(dossier_id)
            if before == after:
                continue
            changed += 1
            for entry, sign in ((before, -1), (after, 1)):
                if entry is None:
                    continue
                row = deltas[entry.key]
                for i, value in enumerate(entry.counters()):
                    row[i] += sign * value
                if entry.finish_key is not None:
                    row = finish_deltas[entry.finish_key]
                    for i, value in enumerate(entry.finish_counters()):
                        row[i] += sign * value
            if after is None:
                gone.append(dossier_id)
            elif before is None:
                added.append({"dossier_id": dossier_id, **_entry_values(after)})
            else:
                moved.append({"b_id": dossier_id, **_entry_values(after)})
        if gone:
            session.execute(delete(TALLY).where(TALLY.c.dossier_id.in_(gone)))
        if added:
            session.execute(TALLY.insert(), added)
        if moved:
            session.execute(
                update(TALLY).where(TALLY.c.dossier_id == bindparam("b_id")),
                moved,
                execution_options={"synchronize_session": False},
            )
        _upsert(session, deltas)
        _upsert(session, finish_deltas, FINISH, FINISH_COUNTER_NAMES)
    return changed


def touch(session: Session, dossier_id: int) -> None:
    """Note a change made without the ORM (a bulk UPDATE) for the next refresh."""
    session.info.setdefault(PENDING, set()).add(dossier_id)


def apply_pending(session: Session) -> None:
    """Flush, then refresh every dossier noted since the last refresh."""
    session.flush()
    pending: set[int] = session.info.get(PENDING) or set()
    if pending:
        ids = set(pending)
        pending.clear()
        refresh(session, ids)


def _changed(obj: Dossier) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in DOSSIER_FIELDS)


def install() -> None:
    """Keep the counters with every flush and commit of any session from now on (called at
    start-up by ``app.wiring``; calling it again changes nothing). The counters follow the rows
    themselves, not the services' events, so no path that changes a dossier (a bulk seed, a
    fix in a shell) can leave them behind (docs/decisions/0016-domain-events.md)."""
    if not event.contains(Session, "after_flush", _note_changes):
        event.listen(Session, "after_flush", _note_changes)
    if not event.contains(Session, "before_commit", _refresh_before_commit):
        event.listen(Session, "before_commit", _refresh_before_commit)


def _note_changes(session: Session, _context: Any) -> None:
    pending: set[int] | None = None
    for obj in chain(session.new, session.dirty, session.deleted):
        dossier_id: int | None = None
        if isinstance(obj, Dossier):
            if obj in session.new or _changed(obj):
                dossier_id = obj.id
        elif isinstance(
            obj,
            DossierFile
            | Payment
            | Rating
            | Document
            | DossierEvent
            | NationalMessage
            | DocumentReuse,
        ):
            dossier_id = obj.dossier_id
        if dossier_id is not None:
            if pending is None:
                pending = session.info.setdefault(PENDING, set())
            pending.add(dossier_id)


def _refresh_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint released (a first counter row, a first receipt series): the counters
        # wait for the real commit. Taken here, their row locks would come before the audit
        # head's, and another writer takes them the other way round (PostgreSQL deadlock).
        return
    if session.info.get(PENDING) or session.new or session.dirty or session.deleted:
        apply_pending(session)


# --- rebuild and verification -------------------------------------------------------------------


def _all_entries(session: Session, batch: int = 5000) -> Iterator[tuple[int, Entry]]:
    """Every received dossier's entry, read in id order a batch at a time (keyset)."""
    zone = _zone()
    last = 0
    while True:
        stmt = facts_query().where(Dossier.id > last).order_by(Dossier.id).limit(batch)
        rows = session.execute(stmt).all()
        for row in rows:
            yield row.id, _entry(row, zone)
        if len(rows) < batch:
            return
        last = rows[-1].id


def _sums(entries: Iterable[Entry]) -> tuple[Deltas, Deltas]:
    """The day counters and the counters by day of finishing, summed from the entries."""
    sums: Deltas = defaultdict(lambda: [0] * len(COUNTER_NAMES))
    finish: Deltas = defaultdict(lambda: [0] * len(FINISH_COUNTER_NAMES))
    for entry in entries:
        row = sums[entry.key]
        for i, value in enumerate(entry.counters()):
            row[i] += value
        if entry.finish_key is not None:
            row = finish[entry.finish_key]
            for i, value in enumerate(entry.finish_counters()):
                row[i] += value
    return sums, finish


def _day_sums_select() -> Select[Any]:
    """The day counters as sums over the per-dossier shares (in SQL)."""
    t = TALLY.c

    def bit(name: str) -> ColumnElement[bool]:
        return t.flags.op("&")(BIT[name]) != 0

    def n(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, 1), else_=0))

    rated = t.score > 0
    columns: dict[str, Any] = {
        "received": func.count(),
        "synchronised": n(bit("synchronised")),
        "online": n(bit("online")),
        "finished": n(bit("finished")),
        "within_original": n(bit("within_original")),
        "within_due": n(bit("within_due")),
        "extended": n(bit("extended")),
        "eligible": n(bit("eligible")),
        "eligible_online": n(and_(bit("eligible"), bit("online"))),
        "full_total": n(bit("full")),
        "full_online": n(and_(bit("full"), bit("online"))),
        "completed": n(bit("completed")),
        "ratings": n(rated),
        "score_sum": func.sum(t.score),
        **{
            f"unhappy_{k}": n(and_(bit("finished"), rated, or_(bit("complaint"), t.score <= k)))
            for k in NEGATIVE_SCORES
        },
        "digitised": n(bit("digitised")),
        "electronic_results": n(bit("electronic_result")),
        "paid": func.sum(t.paid),
        "paid_online": func.sum(t.paid_online),
        "reused": n(bit("reused")),
    }
    assert tuple(columns) == COUNTER_NAMES
    return select(
        t.agency_id, t.day, t.supplements, *(v.label(k) for k, v in columns.items())
    ).group_by(t.agency_id, t.day, t.supplements)


def _finish_sums_select() -> Select[Any]:
    """The counters by day of finishing as sums over the per-dossier shares (in SQL)."""
    t = TALLY.c

    def n(name: str) -> Any:
        return func.sum(case((t.flags.op("&")(BIT[name]) != 0, 1), else_=0))

    return (
        select(
            t.agency_id,
            t.finish_day,
            t.supplements,
            func.count(),
            n("within_original"),
            n("within_due"),
        )
        .where(t.finish_day.is_not(None))
        .group_by(t.agency_id, t.finish_day, t.supplements)
    )


def _shares_in_sql(session: Session) -> None:
    """PostgreSQL: every dossier's share in one INSERT … SELECT (the local day in SQL)."""
    facts = facts_query().subquery()
    flags = sum((facts.c[name] * BIT[name] for name in FLAGS), start=literal(0))
    local = func.timezone(get_settings().timezone, facts.c.received_at)
    finished_local = func.timezone(get_settings().timezone, facts.c.finished_moment)
    finish_day = case((facts.c.finished == 1, cast_(finished_local, Date)), else_=None)
    share = select(
        facts.c.id,
        facts.c.agency_id,
        cast_(local, Date),
        func.least(facts.c.supplement_count, SUPPLEMENTS_CAP),
        flags,
        facts.c.score,
        facts.c.paid,
        facts.c.paid_online,
        finish_day,
    )
    names = ["dossier_id", "agency_id", "day", "supplements", "flags", "score", "paid"]
    session.execute(TALLY.insert().from_select([*names, "paid_online", "finish_day"], share))


def _shares_in_python(session: Session, progress: Callable[[int], None] | None) -> None:
    batch: list[dict[str, Any]] = []
    for dossier_id, entry in _all_entries(session):
        batch.append({"dossier_id": dossier_id, **_entry_values(entry)})
        if len(batch) >= 5000:
            session.execute(TALLY.insert(), batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        session.execute(TALLY.insert(), batch)
        if progress:
            progress(len(batch))


def rebuild(session: Session, progress: Callable[[int], None] | None = None) -> int:
    """Rewrite every counter from the dossiers; returns the number of dossiers counted."""
    session.flush()
    session.info.pop(PENDING, None)
    session.execute(delete(DAILY))
    session.execute(delete(FINISH))
    session.execute(delete(TALLY))
    if session.get_bind().dialect.name == "postgresql":
        _shares_in_sql(session)
    else:
        _shares_in_python(session, progress)
    session.execute(
        DAILY.insert().from_select(
            ["agency_id", "day", "supplements", *COUNTER_NAMES], _day_sums_select()
        )
    )
    session.execute(
        FINISH.insert().from_select(
            ["agency_id", "day", "supplements", *FINISH_COUNTER_NAMES], _finish_sums_select()
        )
    )
    return int(session.scalar(select(func.count()).select_from(TALLY)) or 0)


def stored_sums(
    session: Session, table: Table = DAILY, names: Sequence[str] = COUNTER_NAMES
) -> Deltas:
    out: Deltas = {}
    for row in session.execute(select(table)):
        values = [int(getattr(row, name)) for name in names]
        if any(values):
            out[(row.agency_id, row.day, row.supplements)] = values
    return out


def differences(session: Session) -> list[str]:
    """Where the counters disagree with a recount from the dossiers (empty: all agree)."""
    apply_pending(session)
    by_received, by_finish = _sums(e for _id, e in _all_entries(session))
    out = []
    for label, recounted, table, names in (
        ("", by_received, DAILY, COUNTER_NAMES),
        ("finished ", by_finish, FINISH, FINISH_COUNTER_NAMES),
    ):
        recount = {k: v for k, v in recounted.items() if any(v)}
        stored = stored_sums(session, table, names)
        for key in sorted(set(recount) | set(stored)):
            want, have = recount.get(key), stored.get(key)
            if want != have:
                agency_id, day, supplements = key
                detail = ", ".join(
                    f"{name} {h} != {w}"
                    for name, h, w in zip(
                        names, have or [0] * len(names), want or [0] * len(names), strict=True
                    )
                    if h != w
                )
                out.append(f"agency {agency_id}, {label}{day}, {supplements} supplements: {detail}")
    return out


def is_empty(session: Session) -> bool:
    return session.scalar(select(TALLY.c.dossier_id).limit(1)) is None


def needs_build(session: Session) -> bool:
    """Counters were never built although dossiers have been received (e.g. just upgraded)."""
    received = select(Dossier.id).where(Dossier.received_at.is_not(None)).limit(1)
    return is_empty(session) and session.scalar(received) is not None
