"""A year of demo dossiers (``portal demo seed``), lived through the services.

Every dossier is made the way the portal makes one: a citizen (or a reception officer at the
counter) creates it, attaches its papers and submits it; the demo officers of its agency take
the actions of its process (``workflow.service.perform``) with the rights of their roles; fees
are paid in cash at the counter or through the sandbox bank (``payments.service``); citizens
rate what they received. Each call is given the moment it happened, and the moments of all
dossiers are replayed in order, with the worker's daily checks (supplement time-outs, late
warnings) in between, so that codes, deadlines in working time, step runs, forms, receipts,
the tracking book and the indicators are what a year of real use would have left.

The history is deterministic (its random choices are seeded with the day it ends) and made
once: its residents' accounts are created with it, in the same transaction, and their
presence says it is there. Receipts' PDFs are left for their first reader to draw and sign.
"""

from __future__ import annotations

import heapq
import logging
import random
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies.models import Agency
from app.calendar import service as calendar_service
from app.calendar.service import WorkCalendar
from app.catalog.models import ProcedureVersion
from app.db import utcnow
from app.demo import papers
from app.demo.agencies import DEMO_PASSWORD
from app.demo.seed import demo_password_hash
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn, ApplicantIn, DossierCreate
from app.errors import DomainError
from app.notifications.models import Notice, OutboxMessage
from app.payments import refunds
from app.payments import service as payment_service
from app.ratings import service as rating_service
from app.receipts import service as receipt_service
from app.workflow import service as workflow_service

log = logging.getLogger(__name__)
DAYS = 365
# Dossiers received per month by each unit whose demo staff can carry a process through.
MONTHLY = {"000.00.51.H31": 10, "000.00.54.H31": 6, "000.00.01.H31": 6}
# (e-mail, full name, phone, identity number, address): the residents who file online.
RESIDENTS = [
    ("nguoidan01@motcua.local", "Đặng Thị Hồng", "0904112233", "033190001101", "Phố Hiến"),
    ("nguoidan02@motcua.local", "Vũ Văn Khánh", "0913224455", "033088002202", "Sơn Nam"),
    ("nguoidan03@motcua.local", "Lê Thị Mai", "0936558899", "033195003303", "Liên Phương"),
    ("nguoidan04@motcua.local", "Phạm Quốc Toàn", "0977123456", "033079004404", "Hồng Châu"),
    ("nguoidan05@motcua.local", "Ngô Thị Thu Hà", "0988765432", "033196005505", "Mỹ Hào"),
    ("nguoidan06@motcua.local", "Bùi Đức Long", "0945667788", "033085006606", "Phố Hiến"),
]
MARK = RESIDENTS[0][0]
CITIZENS = ("congdan@motcua.local", "congdan2@motcua.local")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Đức", "Thu", "Hồng", "Quang", "Ngọc")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Lan", "Long", "Mai", "Nam", "Phương", "Tú")
COMMENTS = (
    "Hồ sơ đầy đủ, đề nghị lãnh đạo xem xét.",
    "Đã kiểm tra, đủ điều kiện giải quyết.",
    "Chuyển bộ phận trả kết quả.",
)
RATING_COMMENTS = {
    5: "Cán bộ hướng dẫn tận tình, trả kết quả đúng hẹn.",
    4: "Thủ tục nhanh gọn.",
    3: "",
    2: "Phải chờ lâu hơn giấy hẹn.",
    1: "Trả kết quả trễ hẹn, không được báo trước.",
}
# What a dossier ends as, and how often, among those of past months.
OUTCOMES = (
    ("completed", 0.80),
    ("rejected", 0.05),
    ("withdrawn", 0.04),
    ("stopped", 0.04),
    ("timed_out", 0.03),
    ("supplement", 0.04),  # completed after a supplement at reception
)
# Dossiers of the last days left where a demo officer picks them up (one per unit each).
WAITING = (
    "draft",
    "submitted",
    "submitted",
    "supplement_requested",
    "received",
    "received",
    "processing",
    "at_leader",
    "at_leader",
    "awaiting_payment",
    "result_ready",
    "result_ready",
    "withdrawal_requested",
)


@dataclass
class Plan:
    """One dossier's life as the seed will replay it."""

    version: ProcedureVersion
    agency: Agency
    channel: str
    start: datetime
    outcome: str  # completed, rejected, withdrawn, stopped, timed_out, supplement, or WAITING
    late: bool
    extend: bool
    send_back: bool
    citizen: User | None
    applicant: ApplicantIn
    score: int
    rng: random.Random = field(repr=False)
    pace: float = 1.0  # share of each step's time it takes (the last days' dossiers run fast)
    done: bool = False  # its story stops here (left waiting where it is)


@dataclass
class Cast:
    """Who acts: the demo staff by (agency id, role), the citizens, the calendar."""

    staff: dict[tuple[int, str], User]
    citizens: list[User]
    cal: WorkCalendar
    now: datetime
    made: int = 0
    failed: list[str] = field(default_factory=list)
    live: dict[int, Dossier] = field(default_factory=dict)  # whose story goes on


Step = Iterator[datetime]


# --- entry point ----------------------------------------------------------------------------


def seeded(session: Session) -> bool:
    """Whether the demo history is in the database (its residents exist)."""
    return account_service.get_user_by_email(session, MARK) is not None


def seed_history(session: Session, now: datetime | None = None, *, strict: bool = False) -> int:
    """Add the year of demo dossiers ending ``now`` unless it is there; returns how many.

    An action the rules refuse (none is expected) leaves its dossier where it is and is
    logged; ``strict`` (the tests) raises instead."""
    if seeded(session):
        return 0
    now = (now or utcnow()).astimezone(UTC)
    first_notice = session.scalar(select(func.max(Notice.id))) or 0
    first_mail = session.scalar(select(func.max(OutboxMessage.id))) or 0
    receipt_service.leave_pdfs_to_readers(session)
    cast = _cast(session, now)
    rng = random.Random(f"motcua-demo-history-{now.date().isoformat()}")
    plans = _plans(session, cast, rng)
    _replay(session, cast, plans)
    _quiet_history_news(session, first_notice, first_mail)
    if cast.failed:
        if strict:
            raise RuntimeError("demo history: " + "; ".join(cast.failed[:5]))
        log.warning("demo history: %d actions refused: %s", len(cast.failed), cast.failed[:5])
    return cast.made


def refund_fees(session: Session, cast: Cast, dossier: Dossier, at: datetime) -> bool:
    """The receiving agency's cashier gives back the fees of a dossier closed without a result
    (rejected or withdrawn after paying): through the gateway when it was paid online."""
    cashier = cast.staff.get((dossier.agency_id, "cashier"))
    due = refunds.due_payments(session, dossier)
    if cashier is None or not due:
        return False
    method = "gateway" if due[0].method == "sandbox" else "cash"
    reason = "Hồ sơ kết thúc khi chưa giải quyết: hoàn trả phí, lệ phí đã nộp."
    return refunds.record_refund(session, dossier, cashier, method, reason, now=at) is not None


# --- who and what -----------------------------------------------------------------------------


def _cast(session: Session, now: datetime) -> Cast:
    for email, name, phone, _id_number, _place in RESIDENTS:
        account_service.create_user(
            session,
            email=email,
            password=DEMO_PASSWORD,
            full_name=name,
            phone=phone,
            password_hash=demo_password_hash(),
        )
    staff: dict[tuple[int, str], User] = {}
    for user in session.scalars(
        select(User).where(User.agency_id.is_not(None), User.email.like("%@motcua.local"))
    ):
        for role in sorted(user.roles):
            staff.setdefault((user.agency_id or 0, role), user)
    emails = [*CITIZENS, *(r[0] for r in RESIDENTS)]
    citizens = [u for e in emails if (u := account_service.get_user_by_email(session, e))]
    return Cast(staff, citizens, calendar_service.get_calendar(session), now)


class Workable(NamedTuple):
    version: ProcedureVersion
    agency: Agency  # receiving
    unit: str  # code of the one-stop shop that receives (commune or provincial centre)
    team: int  # id of the agency whose specialists process it


def _workable(session: Session, cast: Cast) -> list[Workable]:
    """The procedures and receiving agencies whose every step has a demo officer."""
    found = []
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    for version in session.scalars(
        select(ProcedureVersion)
        .where(ProcedureVersion.status == "published")
        .order_by(ProcedureVersion.id)
    ):
        for agency in version.agencies:
            units = [s.agency_id or agency.id for s in version.steps]
            if all((u, s.role) in cast.staff for u, s in zip(units, version.steps, strict=True)):
                team = next(
                    u for u, s in zip(units, version.steps, strict=True) if s.role == "specialist"
                )
                unit = agencies[units[0]].code
                if unit in MONTHLY:
                    found.append(Workable(version, agency, unit, team))
    return found


def _person(rng: random.Random) -> ApplicantIn:
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    return ApplicantIn(
        full_name=name,
        id_number=f"0331{rng.randrange(10**8):08d}",
        phone=f"09{rng.randrange(10**8):08d}",
        address="tỉnh Hưng Yên",
    )


def _plans(session: Session, cast: Cast, rng: random.Random) -> list[Plan]:
    workable = _workable(session, cast)
    by_unit: dict[str, list[Workable]] = {}
    by_team: dict[int, list[Workable]] = {}
    for item in workable:
        by_unit.setdefault(item.unit, []).append(item)
        by_team.setdefault(item.team, []).append(item)
    plans = []
    first_day = cast.now - timedelta(days=DAYS)
    for unit, items in sorted(by_unit.items()):
        for _ in range(MONTHLY[unit] * 12):
            item = rng.choice(items)
            # Past months: whatever the dossier ends as, it ends before the last weeks.
            start = first_day + timedelta(seconds=rng.uniform(0, (DAYS - 40) * 86400))
            outcome = _weighted(rng, OUTCOMES)
            plans.append(_plan(cast, rng, item.version, item.agency, start, outcome))
    # The last days: every team has dossiers waiting at each of its desks.
    for _team, items in sorted(by_team.items()):
        for k, outcome in enumerate(WAITING):
            item = items[k % len(items)]
            if outcome == "awaiting_payment":
                item = next((i for i in items if any(f.amount for f in i.version.fees)), item)
            days_back = 1 + (k % 3) + (6 if outcome in ("result_ready", "at_leader") else 0)
            start = _working_morning(cast, days_back, rng)
            plans.append(_plan(cast, rng, item.version, item.agency, start, outcome, recent=True))
    return plans


def _working_morning(cast: Cast, days_back: int, rng: random.Random) -> datetime:
    """A moment of the morning of the working day ``days_back`` days ago (or the one before)."""
    day = cast.now.astimezone(cast.cal.tz).date() - timedelta(days=days_back)
    while not cast.cal.is_working_day(day):
        day -= timedelta(days=1)
    opens = datetime.combine(day, time(7, 30), cast.cal.tz)
    return (opens + timedelta(minutes=rng.randint(0, 150))).astimezone(UTC)


def _plan(
    cast: Cast,
    rng: random.Random,
    version: ProcedureVersion,
    agency: Agency,
    start: datetime,
    outcome: str,
    recent: bool = False,
) -> Plan:
    online = version.online_level == "full" or rng.random() < 0.4
    if outcome in (
        "draft",
        "submitted",
        "supplement_requested",
        "supplement",
        "timed_out",
        "withdrawal_requested",
    ):
        online = True  # what a citizen does online
    channel = "online" if online else "counter"
    if channel == "counter" and (agency.id, "reception") not in cast.staff:
        channel = "online"
    citizen = None
    if channel == "online":
        # The two demo citizens own a share of the recent dossiers and a few older ones.
        pool = cast.citizens[:2] if recent and rng.random() < 0.5 else cast.citizens
        citizen = rng.choice(pool)
    applicant = _person(rng)
    if citizen is not None:
        applicant = ApplicantIn(id_number=applicant.id_number, address=applicant.address)
    late = not recent and rng.random() < 0.12
    return Plan(
        version=version,
        agency=agency,
        channel=channel,
        start=start,
        outcome=outcome,
        late=late,
        extend=late and version.processing_days >= 3 and rng.random() < 0.6,
        send_back=rng.random() < 0.08,
        citizen=citizen,
        applicant=applicant,
        score=_weighted(rng, ((5, 0.55), (4, 0.28), (3, 0.1), (2, 0.04), (1, 0.03))),
        rng=random.Random(rng.random()),
        pace=0.15 if recent else 1.0,
    )


def _weighted(rng: random.Random, mix: tuple[tuple[Any, float], ...]) -> Any:
    x = rng.random()
    for value, weight in mix:
        x -= weight
        if x <= 0:
            return value
    return mix[-1][0]


# --- the replay -------------------------------------------------------------------------------


def _replay(session: Session, cast: Cast, plans: list[Plan]) -> None:
    """Run every dossier's life and the worker's daily checks in the order of their moments."""
    queue: list[tuple[datetime, int, Step]] = []
    for n, plan in enumerate(plans):
        life = _life(session, cast, plan)
        heapq.heappush(queue, (plan.start, n, life))
    tick = len(plans)
    day = min(p.start for p in plans).astimezone(cast.cal.tz).date() if plans else None
    while day is not None and day <= cast.now.astimezone(cast.cal.tz).date():
        moment = datetime.combine(day, time(6, 30), cast.cal.tz).astimezone(UTC)
        if moment < cast.now:
            heapq.heappush(queue, (moment, tick, _daily_check(session, moment)))
            tick += 1
        day += timedelta(days=1)
    steps = 0
    while queue:
        _at, n, life = heapq.heappop(queue)
        steps += 1
        if steps % SWEEP_EVERY == 0:
            _sweep(session, cast)
        try:
            moment = next(life)
        except StopIteration:
            continue
        if moment < cast.now:
            heapq.heappush(queue, (moment, n, life))


# What stays in the session between the moments: the catalogue, the agencies, the accounts,
# and the dossiers still being lived with their rows.
_KEPT_MODULES = ("app.accounts.", "app.agencies.", "app.catalog.", "app.calendar.")
SWEEP_EVERY = 250


def _sweep(session: Session, cast: Cast) -> None:
    """Let go of the rows written for past moments (audit entries, documents, payments …):
    a session holding thousands of them makes every statement slower (each UPDATE looks
    through all of them)."""
    session.flush()
    kept = set()
    for dossier in cast.live.values():
        kept.add(id(dossier))
        kept.update(id(row) for row in (*dossier.events, *dossier.step_runs, *dossier.files))
    for row in list(session.identity_map.values()):
        if id(row) in kept or type(row).__module__.startswith(_KEPT_MODULES):
            continue
        # Expunging a parent also expunges its children (a PAR criteria set its criteria):
        # a row already gone with its parent is passed over.
        if row in session:
            session.expunge(row)


def _daily_check(session: Session, moment: datetime) -> Step:
    """The worker's periodic checks, once a day: supplements not given in time stop their
    dossiers (form 05), dossiers a working day from their due time get a warning."""
    yield moment
    workflow_service.run_periodic_checks(session, moment)


def _act(
    session: Session,
    cast: Cast,
    dossier: Dossier,
    user: User,
    at: datetime,
    action: str,
    **values: Any,
) -> bool:
    file = values.pop("file", None)
    try:
        workflow_service.perform(
            session, dossier, user, ActionIn(action=action, **values), file, at
        )
    except DomainError as exc:
        cast.failed.append(f"{dossier.id} {action} at {at:%Y-%m-%d %H:%M}: {exc.detail}")
        return False
    return True


def _officer(cast: Cast, dossier: Dossier, role: str | None = None) -> User:
    step = dossier.current_step
    assert step is not None
    return cast.staff[(step.agency_id or dossier.agency_id, role or step.role)]


def _started(dossier: Dossier, t: datetime) -> datetime:
    """``t``, or the start of the dossier's current step if later (a dossier received after
    the afternoon cut-off starts the next working day)."""
    runs = [run.started_at for run in dossier.step_runs if run.finished_at is None]
    return max([t, *runs])


def _receiver(cast: Cast, plan: Plan) -> User:
    """The reception officer where the process starts (the provincial centre for the
    departments' procedures)."""
    first = plan.version.steps[0]
    return cast.staff[(first.agency_id or plan.agency.id, "reception")]


def _later(cast: Cast, at: datetime, hours: float) -> datetime:
    """``hours`` of working time after ``at``, a few minutes into the working day."""
    return cast.cal.add_working_hours(at, hours) + timedelta(minutes=3)


def _life(session: Session, cast: Cast, plan: Plan) -> Step:
    """One dossier, action by action: it yields the moment of its next action and is resumed
    then; a moment after the end of the history leaves it where it is."""
    yield plan.start
    t = plan.start if plan.channel == "online" else cast.cal.next_working_start(plan.start)
    dossier = _create(session, cast, plan, t)
    cast.made += 1
    if plan.outcome == "draft":
        return
    cast.live[dossier.id] = dossier
    try:
        for stage in (_reception, _processing, _decision, _result):
            t = yield from stage(session, cast, plan, dossier, t)
            if not _goes_on(plan, dossier):
                return
    finally:
        del cast.live[dossier.id]


def _goes_on(plan: Plan, dossier: Dossier) -> bool:
    """Whether the dossier's story continues after a stage."""
    if plan.done or dossier.received_at is None:
        return False
    if dossier.status in ("completed", "rejected", "withdrawn", "stopped"):
        return False
    if dossier.status in ("awaiting_payment", "withdrawal_requested"):
        return False
    if plan.outcome == dossier.status and plan.outcome != "processing":
        return False
    if plan.outcome == "at_leader" and dossier.step_role == "leader":
        return False
    return plan.outcome not in ("supplement_requested", "timed_out") or dossier.status not in (
        "supplement_requested",
    )


def _reception(
    session: Session, cast: Cast, plan: Plan, dossier: Dossier, t: datetime
) -> Generator[datetime, None, datetime]:
    rng, receiver = plan.rng, _receiver(cast, plan)
    if plan.channel == "counter":
        t += timedelta(minutes=rng.randint(8, 25))
        yield t
        if _act(session, cast, dossier, receiver, t, "receive") and _owes(session, dossier):
            if plan.outcome == "awaiting_payment" and dossier.status == "awaiting_payment":
                return t
            t += timedelta(minutes=rng.randint(2, 10))
            yield t
            _pay_at_counter(session, cast, dossier, t)
        return t
    citizen = plan.citizen
    assert citizen is not None
    t += timedelta(minutes=rng.randint(3, 40))
    yield t
    if not _act(session, cast, dossier, citizen, t, "submit"):
        return t
    if dossier.status == "awaiting_payment":  # fees first (payment at submission)
        if plan.outcome == "awaiting_payment":
            return t
        t += timedelta(minutes=rng.randint(5, 90))
        yield t
        _pay_online(session, cast, dossier, t)
    if plan.outcome == "submitted":
        return t
    answer = rng.uniform(9, 14) if rng.random() < 0.06 else rng.uniform(0.3, 6)
    t = _later(cast, t, answer * plan.pace)
    yield t
    if plan.outcome in ("supplement", "supplement_requested", "timed_out"):
        if not _act(
            session,
            cast,
            dossier,
            receiver,
            t,
            "request_supplement",
            missing_components=[plan.version.components[0].code],
            comment="Bản chụp không rõ nét, đề nghị chụp lại.",
        ):
            return t
        if plan.outcome != "supplement":
            return t  # it waits; the daily check stops it after the time limit
        t += timedelta(days=rng.randint(1, 4), hours=rng.randint(1, 6))
        yield t
        _upload(session, dossier, citizen, plan, t, again=True)
        if not _act(session, cast, dossier, citizen, t, "submit"):
            return t
        t = _later(cast, t, rng.uniform(0.5, 4))
        yield t
    if plan.outcome == "rejected":
        reasons = ["Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan tiếp nhận."]
        if _act(session, cast, dossier, receiver, t, "reject", reasons=reasons):
            refund_fees(session, cast, dossier, t)
        return t
    if not _act(session, cast, dossier, receiver, t, "receive"):
        return t
    if dossier.status == "awaiting_payment" and plan.outcome != "awaiting_payment":
        t += timedelta(minutes=rng.randint(10, 240))  # fees at reception
        yield t
        _pay_online(session, cast, dossier, t)
    return t


def _processing(
    session: Session, cast: Cast, plan: Plan, dossier: Dossier, t: datetime
) -> Generator[datetime, None, datetime]:
    """The specialists' steps: an apology and a new date when it will be late, a stop, or a
    withdrawal by the applicant."""
    rng = plan.rng
    if plan.outcome == "received":
        return t
    assert dossier.due_at is not None and dossier.original_due_at is not None
    if plan.outcome in ("withdrawn", "withdrawal_requested") and plan.citizen is not None:
        t = _later(cast, t, rng.uniform(2, 10) * plan.pace)
        yield t
        reason = "Không còn nhu cầu."
        if not _act(session, cast, dossier, plan.citizen, t, "withdraw", comment=reason):
            return t
        if plan.outcome == "withdrawal_requested":
            return t  # it waits for reception's acceptance
        if dossier.status == "withdrawal_requested":  # received: reception accepts (Art. 21)
            t = _later(cast, t, rng.uniform(0.5, 4))
            yield t
            reception = _officer(cast, dossier, "reception")
            if not _act(session, cast, dossier, reception, t, "accept_withdrawal"):
                return t
        refund_fees(session, cast, dossier, t)
        return t
    if plan.extend:
        t = _later(cast, t, rng.uniform(1, 4))
        yield t
        _act(
            session,
            cast,
            dossier,
            _officer(cast, dossier),
            t,
            "extend",
            comment="Cần xác minh thêm thông tin với cơ quan liên quan.",
            new_due_at=cast.cal.add_working_days(dossier.due_at, rng.choice((2, 3, 5))),
        )
    # Late against the date finally promised, or only against the first one (extended).
    due = dossier.original_due_at if plan.extend and rng.random() < 0.5 else dossier.due_at
    while dossier.step_role == "specialist" and dossier.status in ("received", "processing"):
        step = dossier.current_step
        assert step is not None
        if plan.outcome == "stopped":
            t = _later(cast, t, rng.uniform(2, 12))
            yield t
            reason = "Người nộp đề nghị dừng do thay đổi nhu cầu; cơ quan dừng giải quyết."
            _act(session, cast, dossier, _officer(cast, dossier), t, "stop", comment=reason)
            return t
        t = _later(
            cast, _started(dossier, t), step.duration_hours * rng.uniform(0.3, 0.95) * plan.pace
        )
        if plan.late:
            t = max(t, _later(cast, due, rng.uniform(1, 20)))
        yield t
        comment = rng.choice(COMMENTS)
        if not _act(session, cast, dossier, _officer(cast, dossier), t, "forward", comment=comment):
            return t
    return t


def _decision(
    session: Session, cast: Cast, plan: Plan, dossier: Dossier, t: datetime
) -> Generator[datetime, None, datetime]:
    """The leader approves, after sending it back once in a while."""
    rng, step = plan.rng, dossier.current_step
    assert step is not None
    t = _later(cast, _started(dossier, t), step.duration_hours * rng.uniform(0.2, 0.9) * plan.pace)
    yield t
    if plan.send_back or plan.outcome == "processing":
        comment = "Bổ sung ý kiến thẩm định trước khi trình."
        if not _act(
            session, cast, dossier, _officer(cast, dossier), t, "send_back", comment=comment
        ):
            return t
        if plan.outcome == "processing":
            plan.done = True  # back with the specialist
            return t
        t = _later(cast, t, rng.uniform(1, 4) * plan.pace)
        yield t
        _act(session, cast, dossier, _officer(cast, dossier), t, "forward", comment=COMMENTS[0])
        t = _later(cast, t, rng.uniform(0.5, 2) * plan.pace)
        yield t
    _act(session, cast, dossier, _officer(cast, dossier), t, "approve")
    return t


def _result(
    session: Session, cast: Cast, plan: Plan, dossier: Dossier, t: datetime
) -> Generator[datetime, None, datetime]:
    """Reception attaches the result, collects what is owed, hands it over; the applicant
    rates the service."""
    rng = plan.rng
    t = _later(cast, _started(dossier, t), rng.uniform(0.2, 1.5) * plan.pace)
    yield t
    paper = ("ket-qua.pdf", papers.paper(f"Ket qua giai quyet thu tuc {plan.version.code}"))
    if not _act(session, cast, dossier, _officer(cast, dossier), t, "attach_result", file=paper):
        return t
    if dossier.status == "awaiting_payment":  # fees before the result
        if plan.outcome == "awaiting_payment":
            return t
        t = _later(cast, t, rng.uniform(0.5, 16) * plan.pace)
        yield t
        if plan.citizen is not None and rng.random() < 0.6:
            _pay_online(session, cast, dossier, t)
        else:
            _pay_at_counter(session, cast, dossier, t)
    if plan.outcome in ("result_ready", "awaiting_payment"):
        return t
    t = _later(cast, t, rng.uniform(0.5, 24) * plan.pace)
    yield t
    if not _act(session, cast, dossier, _officer(cast, dossier), t, "return_result"):
        return t
    if plan.citizen is not None and rng.random() < 0.7:
        t += timedelta(hours=rng.uniform(2, 72))
        yield t
        score = plan.score if not plan.late else min(plan.score, rng.choice((1, 2, 3, 4)))
        rating_service.rate(
            session,
            plan.citizen,
            dossier.id,
            score,
            RATING_COMMENTS[score],
            complaint=score == 1,
            now=t,
        )
    return t


def _owes(session: Session, dossier: Dossier) -> bool:
    return payment_service.outstanding(session, dossier) > 0


def _create(session: Session, cast: Cast, plan: Plan, at: datetime) -> Dossier:
    author = plan.citizen or cast.staff[(plan.agency.id, "reception")]
    dossier = dossier_service.create_draft(
        session,
        author,
        DossierCreate(
            procedure_code=plan.version.code,
            agency_code=plan.agency.code,
            channel="online" if plan.citizen else "counter",
            applicant=plan.applicant,
            form_data=_form(plan),
        ),
        now=at,
    )
    _upload(session, dossier, author, plan, at)
    return dossier


def _upload(
    session: Session, dossier: Dossier, user: User, plan: Plan, at: datetime, again: bool = False
) -> None:
    for component in plan.version.components:
        if component.required or plan.rng.random() < 0.3:
            if again and component.position > 0:
                continue
            title = f"{component.code} {'(chup lai)' if again else ''}".strip()
            kind = "pdf" if "pdf" in component.accepted_types else "jpg"
            dossier_service.add_file(
                session,
                user,
                dossier,
                component.code,
                f"{component.code.lower()}.{kind}",
                papers.paper(title) if kind == "pdf" else papers.photo(title),
                now=at,
            )


def _form(plan: Plan) -> dict[str, Any]:
    """Declared data that passes the procedure's checks."""
    person, rng = plan.applicant, plan.rng
    citizen = plan.citizen
    name = citizen.full_name if citizen else person.full_name
    phone = citizen.phone if citizen and citizen.phone else person.phone
    values: dict[str, Any] = {}
    for f in (plan.version.form_schema or {}).get("fields", []):
        kind, key = f["type"], f["name"]
        if kind == "select":
            values[key] = rng.choice(f.get("options") or [""])
        elif kind == "checkbox":
            values[key] = rng.random() < 0.3
        elif kind == "date":
            values[key] = (date(1960, 1, 1) + timedelta(days=rng.randrange(20000))).isoformat()
        elif kind == "id_number":
            values[key] = person.id_number
        elif kind == "phone":
            values[key] = phone
        elif kind == "email":
            values[key] = citizen.email if citizen else "nguoinop@example.vn"
        elif kind == "number":
            values[key] = str(rng.randint(1, 5))
        elif key.endswith("_name"):
            values[key] = name if key == "applicant_name" else _person(rng).full_name
        elif key.endswith("_number"):
            values[key] = str(rng.randint(10, 999))
        else:
            text = f"{f.get('label') or key} — tỉnh Hưng Yên"
            values[key] = text[: int(f.get("max_length") or 500)]
    return values


# --- paying -----------------------------------------------------------------------------------


def _pay_at_counter(session: Session, cast: Cast, dossier: Dossier, at: datetime) -> None:
    for agency_id in (dossier.handling_agency_id, dossier.agency_id):
        cashier = cast.staff.get((agency_id or 0, "cashier"))
        if cashier is not None:
            payment_service.start_payment(session, dossier, cashier, "cash", now=at)
            return
    cast.failed.append(f"{dossier.id}: no cashier")


def _pay_online(session: Session, cast: Cast, dossier: Dossier, at: datetime) -> None:
    """The applicant pays through the sandbox bank, which confirms two minutes later."""
    owner = session.get(User, dossier.applicant_id) if dossier.applicant_id else None
    if owner is None:
        _pay_at_counter(session, cast, dossier, at)
        return
    payment = payment_service.start_payment(session, dossier, owner, "sandbox", now=at)
    paid_at = at + timedelta(minutes=2)
    params = payment_service.sandbox_callback_params(payment, True, paid_at)
    payment_service.settle(
        session, payment, None, gateway_txn=params["vnp_TransactionNo"], data=params, now=paid_at
    )


# --- news ---------------------------------------------------------------------------------------


def _quiet_history_news(session: Session, after_notice: int, after_mail: int) -> None:
    """The notices and e-mails written while replaying: a year of past actions is not news to
    send today, so they are removed (the dossiers' history and audit log keep every action)."""
    session.execute(delete(OutboxMessage).where(OutboxMessage.id > after_mail))
    session.execute(delete(Notice).where(Notice.id > after_notice))
