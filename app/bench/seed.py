"""`portal bench seed --dossiers N`: realistic dossiers in bulk, for benchmarks.

Rows are built in memory in chunks and written with multi-row INSERTs (COPY would be faster
still on PostgreSQL; executemany with insertmanyvalues reaches minutes for a million). Every
dossier is consistent with what the application would have produced: a code from the unit's
daily counter, step runs and history, payments with receipts from the agency's series,
ratings, and result documents; counters and series are advanced so that real work continues
after the seeded data without collisions.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import User, UserRole
from app.accounts.service import hash_password
from app.agencies.models import Agency
from app.calendar.service import WorkCalendar, get_calendar
from app.catalog.models import ProcedureVersion
from app.db import begin_write, utcnow
from app.documents.models import Document
from app.dossiers.models import Dossier, DossierCodeCounter, DossierEvent, DossierFile, StepRun
from app.payments.models import Payment
from app.ratings.models import Rating
from app.receipts.models import Receipt, ReceiptSeries
from app.receipts.service import TEMPLATE_SYMBOL, ensure_series
from app.receipts.words import amount_in_words
from app.stats import tallies
from app.stats.models import DailyTally, DossierTally
from app.storage import service as storage

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CHUNK = 5_000
OPEN_SHARE = 0.04  # dossiers still open: received in the last two weeks
BENCH_CITIZENS = 500
FAKE_PDF = (
    b"%PDF-1.4\n% bench\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Đức", "Thu", "Hồng", "Quang", "Ngọc")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Lan", "Long", "Mai", "Nam", "Phương", "Tú")
ACTIVE_MIX = (
    ("submitted", 0.18),
    ("received", 0.14),
    ("processing", 0.35),
    ("supplement_requested", 0.08),
    ("awaiting_payment", 0.05),
    ("result_ready", 0.20),
)
Staff = dict[tuple[int | None, str], list[tuple[int | None, str]]]
FINAL_MIX = (("completed", 0.90), ("rejected", 0.04), ("withdrawn", 0.03), ("stopped", 0.03))


@dataclass
class Proc:
    version_id: int
    code: str
    days: float
    online_level: str
    result_code: str
    steps: list[tuple[int, str, str, str, float, int | None]]  # id, code, name, role, h, agency
    agencies: list[int]
    fees: list[tuple[str, int, str | None]]
    components: list[str]
    form: dict[str, Any]


LOADED_TABLES = (
    "users",
    "dossiers",
    "dossier_events",
    "step_runs",
    "dossier_files",
    "payments",
    "receipts",
    "ratings",
    "documents",
)


def _valid_form(schema: dict[str, Any]) -> dict[str, Any]:
    """Declared data that passes the procedure's validation."""
    values = {
        "date": "2025-06-15",
        "id_number": "034190001234",
        "phone": "0912345678",
        "email": "nguoi.nop@example.vn",
        "number": "1",
        "checkbox": True,
    }
    return {
        f["name"]: (f.get("options") or [""])[0]
        if f["type"] == "select"
        else values.get(f["type"], "Thông tin kê khai")
        for f in schema.get("fields", [])
    }


def _pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for value, weight in mix:
        x -= weight
        if x <= 0:
            return value
    return mix[-1][0]


def _chunks(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


def _next_ids(session: Session, *tables: Any) -> dict[str, int]:
    return {t.__tablename__: (session.scalar(select(func.max(t.id))) or 0) + 1 for t in tables}


def _bench_citizens(session: Session) -> list[tuple[int, str, str]]:
    """A pool of citizen accounts that own the seeded online dossiers."""
    rows = session.execute(
        select(User.id, User.full_name, User.phone).where(User.email.like("bench-%@motcua.local"))
    ).all()
    if len(rows) >= BENCH_CITIZENS:
        return [(r[0], r[1], r[2]) for r in rows]
    password = hash_password(secrets.token_urlsafe(12))
    rng = random.Random(11)
    start = len(rows)
    session.execute(
        insert(User),
        [
            {
                "email": f"bench-{i:05d}@motcua.local",
                "password_hash": password,
                "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                "phone": f"09{rng.randrange(10**8):08d}",
                "created_at": utcnow(),
                "is_admin": False,
                "is_active": True,
                "locale": "vi",
                "address": "tỉnh Hưng Yên",
            }
            for i in range(start, BENCH_CITIZENS)
        ],
    )
    return _bench_citizens(session)


def _procedures(session: Session) -> list[Proc]:
    out = []
    for v in session.scalars(
        select(ProcedureVersion).where(ProcedureVersion.status == "published")
    ):
        out.append(
            Proc(
                version_id=v.id,
                code=v.code,
                days=v.processing_days,
                online_level=v.online_level,
                result_code=v.result_type_code or "KQ",
                steps=[
                    (s.id, s.code, s.name, s.role, s.duration_hours, s.agency_id) for s in v.steps
                ],
                agencies=[link.agency_id for link in v.agency_links],
                fees=[(f.name, f.amount, f.channel) for f in v.fees if f.amount > 0],
                components=[c.code for c in v.components if c.required],
                form=_valid_form(v.form_schema or {}),
            )
        )
    return out


def _staff(session: Session) -> Staff:
    staff: Staff = defaultdict(list)
    for uid, name, agency_id, role in session.execute(
        select(User.id, User.full_name, User.agency_id, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.agency_id.is_not(None))
    ):
        staff[(agency_id, role)].append((uid, name))
    return staff


def seed_dossiers(
    factory: sessionmaker[Session],
    target: int,
    *,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Add dossiers until there are ``target`` in total; returns how many were added."""
    with factory.begin() as session:
        begin_write(session)
        existing = session.scalar(select(func.count()).select_from(Dossier)) or 0
        if existing >= target:
            return 0
        citizens = _bench_citizens(session)
        procs = _procedures(session)
        staff = _staff(session)
        agencies = {a.id: a for a in session.scalars(select(Agency))}
        cal = get_calendar(session)
        result_sha = storage.write_bytes(FAKE_PDF)
    rng = random.Random(seed + existing)
    due = _due_function(cal)
    added = 0
    for size in _chunks(target - existing, CHUNK):
        with factory.begin() as session:
            begin_write(session)
            _write_chunk(session, size, rng, procs, staff, agencies, citizens, due, result_sha)
        added += size
        if progress:
            progress(size)
    with factory.begin() as session:
        begin_write(session)
        _fix_sequences(session)
        # Bulk inserts bypass the session hooks: count the indicator counters afresh.
        tallies.rebuild(session)
    with factory() as session:
        # At once what autovacuum does some time after a bulk load (it may be off, or lag): the
        # planner's statistics of what was loaded (without them PostgreSQL plans for the tables
        # as they were before) and, on PostgreSQL, the visibility map, without which the
        # covering indexes of the queue, the dashboard and the workload still read the table.
        conn = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        verb = "VACUUM (ANALYZE)" if conn.dialect.name == "postgresql" else "ANALYZE"
        for table in (*LOADED_TABLES, DailyTally.__tablename__, DossierTally.__tablename__):
            conn.execute(text(f"{verb} {table}"))
    return added


def _due_function(cal: WorkCalendar) -> Callable[[datetime, float], datetime]:
    @lru_cache(maxsize=200_000)
    def due(received: datetime, days: float) -> datetime:
        return cal.due_after_working_days(received, days)

    return due


def _working_moment(rng: random.Random, day: date) -> datetime:
    minutes = rng.choice((rng.randrange(0, 240), rng.randrange(360, 570)))
    return datetime(day.year, day.month, day.day, 7, 30, tzinfo=TZ) + timedelta(minutes=minutes)


def _write_chunk(
    session: Session,
    size: int,
    rng: random.Random,
    procs: list[Proc],
    staff: Staff,
    agencies: dict[int, Agency],
    citizens: list[tuple[int, str, str]],
    due: Callable[[datetime, float], datetime],
    result_sha: str,
) -> None:
    ids = _next_ids(
        session, Dossier, DossierEvent, StepRun, DossierFile, Payment, Receipt, Rating, Document
    )
    today = datetime.now(TZ).date()
    dossiers: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    receipts: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    counters: dict[tuple[str, date], int] = {}
    series_cache: dict[tuple[int, int], ReceiptSeries] = {}
    series_next: dict[int, int] = {}

    def next_seq(agency_code: str, day: date) -> int:
        key = (agency_code, day)
        if key not in counters:
            counters[key] = (
                session.scalar(
                    select(DossierCodeCounter.last).where(
                        DossierCodeCounter.agency_code == agency_code, DossierCodeCounter.day == day
                    )
                )
                or 0
            )
        counters[key] += 1
        return counters[key]

    for _ in range(size):
        p = rng.choice(procs)
        agency_id = rng.choice(p.agencies)
        agency = agencies[agency_id]
        channel = (
            "online"
            if rng.random() < (0.75 if p.online_level == "full" else 0.45)
            else ("counter" if rng.random() < 0.93 else "postal")
        )
        age = rng.random()
        recent = age < OPEN_SHARE
        day = today - timedelta(days=int(rng.random() * (11 if recent else 730)))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        received = _working_moment(rng, day)
        submitted = received - timedelta(minutes=rng.randrange(5, 600))
        status = _pick(rng, ACTIVE_MIX) if recent else _pick(rng, FINAL_MIX)
        did = ids["dossiers"]
        ids["dossiers"] += 1
        citizen = rng.choice(citizens)
        applicant_id = citizen[0] if channel == "online" else None
        due_at = due(received, p.days)
        is_received = status not in ("submitted",)
        # Every submitted dossier has its code (ADR 0005): an online one of its submission day.
        code_day = submitted.astimezone(TZ).date() if channel == "online" else day
        seq = next_seq(agency.code, code_day)
        supplement_count = 1 if rng.random() < 0.08 else (2 if rng.random() < 0.01 else 0)
        late = rng.random() < 0.12
        finished = None
        if status in ("completed", "rejected", "withdrawn", "stopped"):
            span = due_at - received
            finished = received + (
                span * rng.uniform(0.2, 0.95)
                if not late
                else span + timedelta(hours=rng.uniform(1, 72))
            )
        step_index = min(
            len(p.steps) - 1,
            {
                "submitted": 0,
                "received": 1,
                "processing": 1,
                "supplement_requested": 1,
                "awaiting_payment": 1,
                "result_ready": len(p.steps) - 1,
            }.get(status, 0),
        )
        if status == "processing" and len(p.steps) > 3 and rng.random() < 0.4:
            step_index = 2  # at the leader's approval, for the leaders' queues
        step = p.steps[step_index]
        handling = step[5] or agency_id
        step_due = (
            received + timedelta(hours=step[4] * 3)
            if status not in ("completed", "rejected", "withdrawn", "stopped")
            else None
        )
        dossiers.append(
            {
                "id": did,
                "code": f"{agency.code}-{code_day:%y%m%d}-{seq:04d}",
                "version_id": p.version_id,
                "agency_id": agency_id,
                "applicant_id": applicant_id,
                "created_by_id": applicant_id,
                "channel": channel,
                "status": status,
                "applicant": {
                    "full_name": citizen[1],
                    "phone": citizen[2],
                    "id_number": "",
                    "email": "",
                    "address": "tỉnh Hưng Yên",
                },
                "form_data": p.form,
                "lookup_secret": secrets.token_hex(4).upper(),
                "applicant_phone": citizen[2],
                "current_step_id": step[0] if finished is None else None,
                "assignee_id": None,
                "handling_agency_id": handling if finished is None else None,
                "step_due_at": step_due,
                "step_role": step[3] if finished is None else None,
                "submitted_at": submitted,
                "answer_due_at": submitted + timedelta(hours=8),
                "received_at": received if is_received else None,
                "processing_started_at": received if is_received else None,
                "due_at": due_at if is_received else None,
                "original_due_at": due_at,
                "extension_count": 1 if late and rng.random() < 0.3 else 0,
                "supplement_count": supplement_count,
                "supplement_requested_at": None,
                "supplement_due_at": None,
                "supplement_request": {},
                "decided_at": finished,
                "result_ready_at": finished,
                "finished_at": finished,
                "late_warning_at": None,
                "resume_status": None,
                "created_at": submitted,
                "updated_at": finished or received,
                "lock_version": 1,
            }
        )
        events.append(
            {
                "id": ids["dossier_events"],
                "dossier_id": did,
                "at": submitted,
                "actor_id": applicant_id,
                "actor_name": citizen[1],
                "step_code": None,
                "step_name": None,
                "action": "submit",
                "from_status": "draft",
                "to_status": "submitted",
                "comment": "",
                "data": {},
            }
        )
        ids["dossier_events"] += 1
        for comp in p.components:
            files.append(
                {
                    "id": ids["dossier_files"],
                    "dossier_id": did,
                    "component_code": comp,
                    "purpose": "component",
                    "filename": f"{comp.lower()}.pdf",
                    "content_type": "application/pdf",
                    "size": len(FAKE_PDF),
                    "sha256": result_sha,
                    "digitised": channel != "online",
                    "uploaded_by_id": applicant_id,
                    "uploaded_at": submitted,
                    "removed_at": None,
                }
            )
            ids["dossier_files"] += 1
        if not is_received:
            continue
        moment = received
        for index, (sid, scode, sname, role, hours, fixed) in enumerate(
            p.steps[: step_index + 1] if finished is None else p.steps
        ):
            people = staff.get((fixed or agency_id, role)) or [(None, "")]
            officer = rng.choice(people)
            planned = moment + timedelta(hours=hours * 2)
            done = (
                None
                if (finished is None and index == step_index)
                else (moment + timedelta(hours=hours * rng.uniform(0.5, 2.6)))
            )
            runs.append(
                {
                    "id": ids["step_runs"],
                    "dossier_id": did,
                    "step_id": sid,
                    "step_code": scode,
                    "step_name": sname,
                    "agency_id": fixed or agency_id,
                    "assignee_id": officer[0],
                    "started_at": moment,
                    "due_at": planned,
                    "finished_at": done,
                    "finished_by_id": officer[0] if done else None,
                    "outcome": "forward" if done else None,
                    "on_time": (done <= planned) if done else None,
                }
            )
            ids["step_runs"] += 1
            events.append(
                {
                    "id": ids["dossier_events"],
                    "dossier_id": did,
                    "at": moment,
                    "actor_id": officer[0],
                    "actor_name": officer[1],
                    "step_code": scode,
                    "step_name": sname,
                    "action": "receive" if index == 0 else "forward",
                    "from_status": "submitted" if index == 0 else "processing",
                    "to_status": "received" if index == 0 else "processing",
                    "comment": "",
                    "data": {},
                }
            )
            ids["dossier_events"] += 1
            moment = done or moment
        fees = [(n, a) for n, a, ch in p.fees if ch in (None, channel)]
        if fees and status not in ("awaiting_payment", "withdrawn", "rejected"):
            amount = sum(a for _, a in fees)
            method = (
                rng.choice(("vnpay", "sandbox"))
                if channel == "online" and rng.random() < 0.7
                else rng.choice(("cash", "transfer"))
            )
            paid_at = received + timedelta(minutes=rng.randrange(1, 240))
            pid = ids["payments"]
            ids["payments"] += 1
            payments.append(
                {
                    "id": pid,
                    "dossier_id": did,
                    "method": method,
                    "amount": amount,
                    "items": [{"name": n, "amount": a} for n, a in fees],
                    "status": "paid",
                    "txn_ref": f"B{did}-{pid}",
                    "gateway_txn": "",
                    "gateway_data": {},
                    "created_by_id": applicant_id,
                    "created_at": paid_at,
                    "paid_at": paid_at,
                }
            )
            year = paid_at.year
            key = (agency_id, year)
            if key not in series_cache:
                series_cache[key] = ensure_series(session, agency, year)
                series_next.setdefault(series_cache[key].id, series_cache[key].last_number)
            series = series_cache[key]
            series_next[series.id] += 1
            receipts.append(
                {
                    "id": ids["receipts"],
                    "series_id": series.id,
                    "number": series_next[series.id],
                    "template_symbol": TEMPLATE_SYMBOL,
                    "series": series.series,
                    "issued_at": paid_at,
                    "agency_id": agency_id,
                    "agency_name": agency.name,
                    "agency_tax_code": agency.tax_code,
                    "agency_address": agency.address,
                    "dossier_id": did,
                    "payment_id": pid,
                    "payer_name": citizen[1],
                    "payer_address": "tỉnh Hưng Yên",
                    "payer_id_number": "",
                    "items": [{"name": n, "amount": a} for n, a in fees],
                    "amount": amount,
                    "amount_in_words": amount_in_words(amount),
                    "payment_method": method,
                    "collector_id": None,
                    "collector_name": "",
                    "status": "issued",
                    "cancelled_at": None,
                    "cancel_reason": "",
                    "replaces_id": None,
                    "document_id": None,
                }
            )
            ids["receipts"] += 1
        if finished is not None:
            events.append(
                {
                    "id": ids["dossier_events"],
                    "dossier_id": did,
                    "at": finished,
                    "actor_id": None,
                    "actor_name": "",
                    "step_code": p.steps[-1][1],
                    "step_name": p.steps[-1][2],
                    "action": {
                        "completed": "return_result",
                        "rejected": "reject",
                        "withdrawn": "withdraw",
                        "stopped": "stop",
                    }[status],
                    "from_status": "processing",
                    "to_status": status,
                    "comment": "",
                    "data": {},
                }
            )
            ids["dossier_events"] += 1
        if status == "completed":
            documents.append(
                {
                    "id": ids["documents"],
                    "dossier_id": did,
                    "agency_id": agency_id,
                    "kind": "result",
                    "title": f"Kết quả {p.result_code}",
                    "context": {},
                    "sha256": result_sha,
                    "size": len(FAKE_PDF),
                    "verify_token": secrets.token_urlsafe(32),
                    "created_at": finished,
                    "created_by_id": None,
                }
            )
            ids["documents"] += 1
            if applicant_id and rng.random() < 0.3:
                score = rng.choices((5, 4, 3, 2, 1), (55, 25, 10, 6, 4))[0]
                ratings.append(
                    {
                        "id": ids["ratings"],
                        "dossier_id": did,
                        "user_id": applicant_id,
                        "score": score,
                        "comment": "",
                        "complaint": score == 1,
                        "created_at": (finished or received) + timedelta(days=1),
                    }
                )
                ids["ratings"] += 1
    for model, rows in (
        (Dossier, dossiers),
        (DossierEvent, events),
        (StepRun, runs),
        (DossierFile, files),
        (Payment, payments),
        (Receipt, receipts),
        (Document, documents),
        (Rating, ratings),
    ):
        if rows:
            # Core executemany: no ORM bookkeeping, ids are given.
            session.connection().execute(model.__table__.insert(), rows)  # type: ignore[attr-defined]
    for (agency_code, day), last in counters.items():
        changed = session.execute(
            update(DossierCodeCounter)
            .where(DossierCodeCounter.agency_code == agency_code, DossierCodeCounter.day == day)
            .values(last=last)
        )
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            session.execute(
                insert(DossierCodeCounter).values(agency_code=agency_code, day=day, last=last)
            )
    for series_id, last in series_next.items():
        session.execute(
            update(ReceiptSeries).where(ReceiptSeries.id == series_id).values(last_number=last)
        )


def _fix_sequences(session: Session) -> None:
    """Explicit ids were used: move PostgreSQL's sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in LOADED_TABLES:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
