"""The leader's dashboard: overdue and due-today dossiers, workload per officer and per step,
and the 12-month trend, all aggregates over an agency and its subtree."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.catalog.models import ProcedureVersion, ProcessStep
from app.counter import tickets as queue_tickets
from app.db import utcnow
from app.dossiers.models import Dossier, StepRun
from app.errors import Forbidden
from app.i18n_markers import N_
from app.stats import tallies
from app.stats.counts import count_if
from app.stats.dates import local_today, month_starts, tz
from app.stats.figures import IndicatorSettings, indicator_settings
from app.stats.models import DailyTally, FinishTally

# --- leader's dashboard --------------------------------------------------------------------------

DASHBOARD_ROLES = ("leader", "agency_admin")
# In step with the partial index ix_dossiers_open_due (dossiers/models.py:OPEN_DUE_PREDICATE).
OPEN_STATUSES = ("received", "processing", "awaiting_payment")
LIST_LIMIT = 100
EXPORT_LIMIT = 10_000


def dashboard_agencies(session: Session, user: User) -> list[tuple[int, Agency]]:
    """Agencies whose dashboard the user may open: leaders their own agency, agency admins
    their subtree, system admins every agency."""
    account_service.require_role(user, *DASHBOARD_ROLES)
    if user.is_admin:
        return agency_service.tree(session)
    if user.agency_id is None:
        return []
    if user.has_role("agency_admin"):
        return agency_service.tree(session, user.agency_id)
    return [(0, user.agency)] if user.agency is not None else []


def dashboard_scope(
    session: Session, user: User, agency_code: str | None
) -> tuple[Agency, set[int]]:
    """The chosen agency (default: the user's) and its subtree, if the user may see it."""
    allowed = dashboard_agencies(session, user)
    if not allowed:
        raise Forbidden(N_("Bạn không có quyền xem bảng điều khiển của cơ quan này."))
    by_code = {a.code: a for _depth, a in allowed}
    if agency_code:
        agency = by_code.get(agency_code)
        if agency is None:
            raise Forbidden(N_("Bạn không có quyền xem bảng điều khiển của cơ quan này."))
    else:
        own = user.agency.code if user.agency is not None else None
        agency = by_code.get(own or "") or allowed[0][1]
    return agency, account_service.agency_subtree_ids(session, agency.id)


def _open_at(scope: Collection[int]) -> ColumnElement[bool]:
    """Open dossiers (no result yet) received by, or now handled at, the agencies."""
    ids = sorted(scope)
    return and_(
        Dossier.status.in_(OPEN_STATUSES),
        Dossier.result_ready_at.is_(None),
        Dossier.due_at.is_not(None),
        or_(Dossier.agency_id.in_(ids), Dossier.handling_agency_id.in_(ids)),
    )


def _dossier_list(
    session: Session, condition: ColumnElement[bool], limit: int
) -> tuple[int, list[dict[str, Any]]]:
    total = session.scalar(select(func.count(Dossier.id)).where(condition)) or 0
    assignee = aliased(User)
    rows = session.execute(
        select(
            Dossier.id,
            Dossier.code,
            ProcedureVersion.name,
            Dossier.applicant,
            Dossier.channel,
            Dossier.status,
            Dossier.received_at,
            Dossier.due_at,
            ProcessStep.name,
            assignee.full_name,
        )
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.version_id)
        .outerjoin(ProcessStep, ProcessStep.id == Dossier.current_step_id)
        .outerjoin(assignee, assignee.id == Dossier.assignee_id)
        .where(condition)
        .order_by(Dossier.due_at, Dossier.id)
        .limit(limit)
    ).all()
    items = [
        {
            "id": r[0],
            "code": r[1] or "",
            "procedure_name": r[2],
            "applicant_name": (r[3] or {}).get("full_name", ""),
            "channel": r[4],
            "status": r[5],
            "received_at": r[6],
            "due_at": r[7],
            "step_name": r[8] or "",
            "assignee": r[9] or "",
        }
        for r in rows
    ]
    return int(total), items


def _workload(
    session: Session, scope: Collection[int], now: datetime, by_officer: bool
) -> list[dict[str, Any]]:
    overdue = count_if(StepRun.due_at < now)
    open_runs = and_(StepRun.finished_at.is_(None), StepRun.agency_id.in_(sorted(scope)))
    if by_officer:
        stmt = (
            select(StepRun.assignee_id, User.full_name, func.count(), overdue)
            .outerjoin(User, User.id == StepRun.assignee_id)
            .where(open_runs)
            .group_by(StepRun.assignee_id, User.full_name)
        )
        rows = [
            {"key": r[0], "name": r[1] or "", "open": int(r[2]), "overdue": int(r[3])}
            for r in session.execute(stmt)
        ]
    else:
        stmt = (
            select(StepRun.step_code, StepRun.step_name, func.count(), overdue)
            .where(open_runs)
            .group_by(StepRun.step_code, StepRun.step_name)
        )
        rows = [
            {"key": r[0], "name": r[1], "open": int(r[2]), "overdue": int(r[3])}
            for r in session.execute(stmt)
        ]
    rows.sort(key=lambda r: (-r["open"], -r["overdue"], r["name"]))
    return rows


def trend(
    session: Session, scope: Collection[int], now: datetime, cfg: IndicatorSettings
) -> list[dict[str, Any]]:
    """Received, finished and finished-late dossiers per month, last 12 months (local time)."""
    zone = tz()
    firsts = month_starts(local_today(now))
    edges = [datetime.combine(d, time(0), zone).astimezone(UTC) for d in firsts]
    ids = sorted(scope)

    def buckets(moment: Any, extra: ColumnElement[bool] | None = None) -> list[Any]:
        cols = []
        for lo, hi in pairwise(edges):
            cond = and_(moment >= lo, moment < hi)
            cols.append(count_if(cond if extra is None else and_(cond, extra)))
        return cols

    # Receptions from the day counters (kept by local day of reception, exactly these
    # dossiers: docs/decisions/0010), not a scan of the year's dossiers.
    tallies.apply_pending(session)
    received = [0] * (len(firsts) - 1)
    first_month = firsts[0].year * 12 + firsts[0].month
    for day, count in session.execute(
        select(DailyTally.day, func.sum(DailyTally.received))
        .where(
            DailyTally.agency_id.in_(ids),
            DailyTally.day >= firsts[0],
            DailyTally.day < firsts[-1],
        )
        .group_by(DailyTally.day)
    ):
        received[day.year * 12 + day.month - first_month] += int(count or 0)
    # Finished and late ones from the counters by local day of finishing (received dossiers,
    # as the indicators count them; issue 18): late is finished but not within the appointment
    # the settings name, or after more supplement requests than they allow.
    within = FinishTally.within_due if cfg.extension_counts_on_time else FinishTally.within_original
    finished = [0] * (len(firsts) - 1)
    late = [0] * (len(firsts) - 1)
    for day, supplements, done, in_time in session.execute(
        select(
            FinishTally.day,
            FinishTally.supplements,
            func.sum(FinishTally.finished),
            func.sum(within),
        )
        .where(
            FinishTally.agency_id.in_(ids),
            FinishTally.day >= firsts[0],
            FinishTally.day < firsts[-1],
        )
        .group_by(FinishTally.day, FinishTally.supplements)
    ):
        month = day.year * 12 + day.month - first_month
        finished[month] += int(done or 0)
        on_time = int(in_time or 0) if supplements <= cfg.max_supplements else 0
        late[month] += int(done or 0) - on_time
    n = len(edges) - 1
    return [
        {
            "month": firsts[i],
            "received": int(received[i]),
            "finished": finished[i],
            "late": late[i],
        }
        for i in range(n)
    ]


def dashboard(
    session: Session,
    user: User,
    agency_code: str | None,
    now: datetime | None = None,
    list_limit: int = LIST_LIMIT,
) -> dict[str, Any]:
    """The leader's dashboard: overdue and due-today dossiers, workload per officer and per
    step, and the 12-month trend — all aggregates over the agency and its subtree."""
    now = now or utcnow()
    agency, scope = dashboard_scope(session, user, agency_code)
    cfg = indicator_settings(session)
    end_of_today = datetime.combine(local_today(now) + timedelta(days=1), time(0), tz())
    open_ = _open_at(scope)
    overdue_total, overdue = _dossier_list(session, and_(open_, Dossier.due_at < now), list_limit)
    today_total, due_today = _dossier_list(
        session, and_(open_, Dossier.due_at >= now, Dossier.due_at < end_of_today), list_limit
    )
    return {
        "agency": agency,
        "now": now,
        "overdue": overdue,
        "overdue_total": overdue_total,
        "due_today": due_today,
        "due_today_total": today_total,
        "officers": _workload(session, scope, now, by_officer=True),
        "steps": _workload(session, scope, now, by_officer=False),
        "trend": trend(session, scope, now, cfg),
        # The counter's queue today (SPEC §15): average wait and service times.
        "queue": queue_tickets.times_today(session, scope, now),
    }
