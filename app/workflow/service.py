"""The process engine (§4): which actions a caller may take now, and taking them.

Every action moves the dossier through its procedure version's steps, records a history
event and, where the regulation asks for one, issues a form (Circular 03/2025/TT-VPCP).
Concurrent actions on one dossier are settled by its version column: one wins, the other
gets a 409.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app import events
from app.accounts.models import User
from app.calendar import service as calendar_service
from app.db import utcnow
from app.dossiers import events as dossier_events
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn
from app.dossiers.state import DossierState
from app.errors import Conflict, DomainError, Forbidden, InvalidInput
from app.i18n_markers import N_
from app.workflow import actions as action_rules
from app.workflow import supplement
from app.workflow.labels import ACTION_LABELS as ACTION_LABELS


def available_actions(
    session: Session,
    dossier: DossierState,
    user: User | None,
    now: datetime | None = None,
    owed: int | None = None,
) -> list[str]:
    """The actions the caller may take on this dossier right now. ``owed``: the fees it still
    owes when the caller already knows (a queue reads them with the dossiers)."""
    now = now or utcnow()
    return [
        a
        for a in _possible_actions(session, dossier, user, now, owed)
        if supplement.held_back(session, a, dossier, now) is None
    ]


def refusal(
    session: Session,
    dossier: DossierState,
    user: User | None,
    action: str,
    now: datetime | None = None,
) -> DomainError | None:
    """Why the caller cannot take ``action`` now although it would otherwise be theirs to
    take (a supplement rule of Decree 118/2025), or None."""
    now = now or utcnow()
    if action not in _possible_actions(session, dossier, user, now):
        return None
    return supplement.held_back(session, action, dossier, now)


def _possible_actions(
    session: Session,
    dossier: DossierState,
    user: User | None,
    now: datetime,
    owed: int | None = None,
) -> list[str]:
    """The caller's actions by status, role and step, before the supplement rules."""
    if user is None:
        return []
    actions: list[str] = []
    status = dossier.status
    if dossier_service.is_owner(user, dossier):
        if status in ("draft", "supplement_requested"):
            actions.append("submit")
        if status in action_rules.WITHDRAWABLE and dossier.decided_at is None:
            actions.append("withdraw")
    if not user.is_staff:
        return actions
    if status == "submitted" and action_rules.is_receiver(user, dossier):
        actions += ["receive", "request_supplement", "reject"]
    elif (
        status == "draft"
        and dossier.channel != "online"
        and action_rules.is_receiver(user, dossier)
    ):
        actions.append("receive")
    elif status == "supplement_requested" and action_rules.is_receiver(user, dossier):
        actions.append("stop")
    elif status == "withdrawal_requested" and action_rules.is_receiver(user, dossier):
        actions.append("accept_withdrawal")
    step = dossier.current_step
    if (
        step is not None
        and status in action_rules.ACTIVE
        and action_rules.acts_at_step(user, dossier, step)
    ):
        actions += [
            a for a in step.actions if action_rules.step_applicable(session, a, dossier, now, owed)
        ]
    return list(dict.fromkeys(actions))


def perform(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    file: tuple[str, bytes] | None = None,
    now: datetime | None = None,
) -> Dossier:
    """Take one action on a dossier for the caller, or explain why it cannot be taken.
    ``now``: the moment of the action (the demo history replays past moments)."""
    if inp.action not in action_rules.HANDLERS:
        raise InvalidInput(N_("Thao tác không hợp lệ."), fields={"action": "unknown action"})
    now = now or utcnow()
    allowed = available_actions(session, dossier, user, now)
    if inp.action not in allowed:
        citizen_action = inp.action in ("submit", "withdraw")
        if (citizen_action and not dossier_service.is_owner(user, dossier)) or (
            not citizen_action and not user.is_staff
        ):
            raise Forbidden(N_("Bạn không có quyền thực hiện thao tác này."))
        held = refusal(session, dossier, user, inp.action, now)
        if held is not None:
            raise held
        if inp.action == "withdraw" and dossier.status == "withdrawal_requested":
            raise Conflict(
                N_("Đề nghị rút hồ sơ đã được ghi nhận, đang chờ cơ quan chấp nhận."),
                fields={"status": dossier.status},
            )
        if inp.action == "accept_withdrawal" and dossier.status != "withdrawal_requested":
            raise Conflict(
                N_(
                    "Chỉ chấp nhận rút hồ sơ khi người nộp đã đề nghị rút hồ sơ (hồ sơ ở trạng "
                    "thái Chờ chấp nhận rút hồ sơ)."
                ),
                fields={"status": dossier.status},
            )
        raise Conflict(
            N_(
                "Thao tác không thực hiện được ở trạng thái hiện tại của hồ sơ "
                "(có thể hồ sơ vừa được người khác xử lý)."
            ),
            fields={"available_actions": ", ".join(allowed) or "-"},
        )
    if inp.assignee_id is not None:
        action_rules.check_assignee(session, dossier, inp.action, inp.assignee_id)
    before = dossier.status
    step_before = dossier.current_step
    # What the applicant reads in the timeline and the notice: the comment, or the reasons of a
    # rejection when no comment was written (they were only on form 03 before).
    comment = inp.comment.strip() or "; ".join(r.strip() for r in inp.reasons if r.strip())
    try:
        action = action_rules.HANDLERS[inp.action](session, dossier, user, inp, now, file)
        event = dossier_service.record(
            session,
            dossier,
            user,
            action,
            before,
            comment,
            {"assignee_id": inp.assignee_id} if inp.assignee_id else None,
            at=now,
        )
        if step_before is not None:
            event.step_code, event.step_name = step_before.code, step_before.name
        session.flush()
    except StaleDataError as exc:
        # Another officer changed the dossier since we read it (its version moved on).
        raise Conflict(N_("Hồ sơ vừa được người khác xử lý. Vui lòng tải lại và thử lại.")) from exc
    _announce(session, dossier, user, action, before, comment)
    return dossier


def _announce(
    session: Session, dossier: Dossier, user: User | None, action: str, before: str, comment: str
) -> None:
    """Publish the action's event: the applicant is notified and the audit log appended by its
    subscribers (docs/decisions/0016-domain-events.md)."""
    events.publish(session, dossier_events.for_action(action, dossier, user, before, comment))


# --- periodic checks ----------------------------------------------------------------------


def run_periodic_checks(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Supplement time-outs stop dossiers (form 05); dossiers one working day from their due
    time (half the time of a procedure of a day or less) get a warning once, for the staff.
    Safe to run from several processes (version column)."""
    now = now or utcnow()
    cal = calendar_service.get_calendar(session)
    stopped = 0
    timed_out: list[Dossier] = []
    for dossier in session.scalars(
        select(Dossier).where(
            Dossier.status == "supplement_requested", Dossier.supplement_due_at < now
        )
    ).all():
        before = dossier.status
        action_rules.stop(
            session, dossier, None, ActionIn(action="stop"), now, None, cause="supplement_timeout"
        )
        dossier_service.record(session, dossier, None, "supplement_timeout", before, at=now)
        timed_out.append(dossier)
        stopped += 1
    horizon = cal.add_working_days(now, 1)
    warned = 0
    for dossier in session.scalars(
        select(Dossier).where(
            Dossier.status.in_(("received", "processing")),
            Dossier.late_warning_at.is_(None),
            Dossier.due_at <= horizon,
        )
    ).all():
        # One working day ahead, or half the legal time for a procedure of a day or less:
        # a same-day procedure is not "nearly late" the moment it is received.
        if dossier.due_at is None:
            continue
        days = dossier.version.processing_days
        if days > 0:
            warn_from = cal.add_working_days(now, min(1.0, days / 2))
        else:  # "ngay trong ngày": half the working time between reception and the due time
            span = cal.working_hours_between(dossier.received_at or now, dossier.due_at)
            warn_from = cal.add_working_hours(now, max(span, 0.0) / 2)
        if dossier.due_at > warn_from:
            continue
        dossier.late_warning_at = now
        dossier_service.record(session, dossier, None, "late_warning", dossier.status, at=now)
        warned += 1
    session.flush()
    for dossier in timed_out:  # after every dossier row is written: the audit lock comes last
        _announce(session, dossier, None, "supplement_timeout", "supplement_requested", "")
    return {"stopped": stopped, "warned": warned}
