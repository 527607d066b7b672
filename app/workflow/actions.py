"""Taking one action (§3, §4): what each action does to a dossier, its steps and its forms,
and the rules of who may act at a step. ``app.workflow.service.perform`` checks the caller and
calls the handler of the action asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.calendar import service as calendar_service
from app.catalog.models import ProcessStep
from app.config import get_settings
from app.documents import results
from app.documents import service as document_service
from app.dossiers import codes as dossier_codes
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier, DossierFile, StepRun
from app.dossiers.schemas import ActionIn
from app.dossiers.state import DossierState, StepState, VersionState
from app.errors import Conflict, InvalidInput
from app.i18n_markers import N_
from app.payments import service as payment_service
from app.postal import service as postal_service
from app.workflow import supplement
from app.workflow.labels import ACTION_LABELS

ACTIVE = ("received", "processing", "result_ready")
# Decree 118/2025 Art. 21: the applicant may withdraw before the decision; a draft is deleted.
WITHDRAWABLE = ("submitted", "supplement_requested", "received", "processing", "awaiting_payment")


# --- who may do what ----------------------------------------------------------------------


def is_receiver(user: User, dossier: DossierState) -> bool:
    """Reception of the receiving agency, or of the one-stop shop where the dossier's step
    is (the province's centre receives for its departments)."""
    return user.has_role("reception") and user.agency_id in (
        dossier.agency_id,
        dossier.handling_agency_id,
    )


def acts_at_step(user: User, dossier: DossierState, step: StepState) -> bool:
    if not user.has_role(step.role) or user.agency_id != dossier.handling_agency_id:
        return False
    # A dossier assigned to a named officer is theirs (a leader may still take it over).
    return dossier.assignee_id in (None, user.id) or user.has_role("leader")


def _steps(dossier: Dossier) -> list[ProcessStep]:
    return list(dossier.version.steps)


def _neighbour(dossier: Dossier, offset: int) -> ProcessStep | None:
    steps = _steps(dossier)
    if dossier.current_step is None:
        return None
    index = next(i for i, s in enumerate(steps) if s.id == dossier.current_step_id) + offset
    return steps[index] if 0 <= index < len(steps) else None


@dataclass(frozen=True, slots=True)
class StepInfo:
    """A step of a process as the queue shows it and the action rules read it."""

    id: int
    code: str
    name: str
    role: str
    actions: list[str]


@dataclass(frozen=True, slots=True)
class Process:
    """The steps of one procedure version, in order."""

    steps: tuple[StepInfo, ...]
    by_id: dict[int, StepInfo]
    order: tuple[int, ...]


# Published versions are never edited (the admin service refuses), so their steps are kept
# for the life of the process: a queue needs no statement for them. The key holds the
# version's creation and publication times, so another version stored under the same id (a
# database rebuilt, an id reused after a rollback) is not confused with the old one. A draft's
# steps may still change: they are read each time.
_ProcessKey = tuple[int, datetime | None, datetime]
_process_cache: dict[_ProcessKey, Process] = {}


def forget_processes() -> None:
    """Drop the kept steps (tests that edit a published version's rows behind the admin
    service, which never does)."""
    _process_cache.clear()


def _process_key(version: VersionState) -> _ProcessKey | None:
    if version.status == "draft":
        return None
    return (version.id, version.published_at, version.created_at)


def processes(session: Session, versions: Iterable[VersionState]) -> dict[int, Process]:
    """The steps of each version by its id, those not yet known read in one statement."""
    keys = {v.id: _process_key(v) for v in versions}
    result = {vid: _process_cache[key] for vid, key in keys.items() if key in _process_cache}
    missing = [vid for vid in keys if vid not in result]
    if not missing:
        return result
    found: dict[int, list[StepInfo]] = {vid: [] for vid in missing}
    for version_id, step_id, code, name, role, actions in session.execute(
        select(
            ProcessStep.version_id,
            ProcessStep.id,
            ProcessStep.code,
            ProcessStep.name,
            ProcessStep.role,
            ProcessStep.actions,
        )
        .where(ProcessStep.version_id.in_(missing))
        .order_by(ProcessStep.version_id, ProcessStep.position, ProcessStep.id)
    ):
        found[version_id].append(StepInfo(step_id, code, name, role, actions))
    for vid, steps in found.items():
        process = Process(tuple(steps), {s.id: s for s in steps}, tuple(s.id for s in steps))
        if (key := keys[vid]) is not None:
            _process_cache[key] = process
        result[vid] = process
    return result


def _has_neighbour(session: Session, dossier: DossierState, offset: int) -> bool:
    """Whether the dossier's process has a step ``offset`` places from its current one."""
    order = processes(session, [dossier.version])[dossier.version.id].order
    if dossier.current_step_id not in order:
        return False
    index = order.index(dossier.current_step_id) + offset
    return 0 <= index < len(order)


def step_applicable(
    session: Session, action: str, dossier: DossierState, now: datetime, owed: int | None = None
) -> bool:
    status = dossier.status
    cal = calendar_service.get_calendar(session)
    if action in ("forward", "approve"):
        return status in ("received", "processing") and _has_neighbour(session, dossier, 1)
    if action == "send_back":
        return status in ("received", "processing") and _has_neighbour(session, dossier, -1)
    if action == "request_supplement":
        # Decree 118/2025 Art. 19: within 3 working days of reception.
        return (
            status in ("received", "processing")
            and dossier.received_at is not None
            and now <= cal.supplement_request_due_at(dossier.received_at)
        )
    if action == "reject":
        return status in ("received", "processing") and dossier.decided_at is None
    if action == "attach_result":
        return status in ("received", "processing")
    if action == "return_result":
        return status == "result_ready"
    if action == "stop":
        return status in ("received", "processing")
    if action == "request_payment":
        if status not in ("received", "processing"):
            return False
        if owed is None:
            assert isinstance(dossier, Dossier), "a plain row comes with what it owes"
            owed = payment_service.outstanding(session, dossier)
        return owed > 0
    if action == "extend":
        return (
            status in ("received", "processing")
            and dossier.due_at is not None
            and dossier.extension_count < cal.rules.max_extensions
            and cal.add_working_days(now, cal.rules.apology_lead_days) <= dossier.due_at
        )
    return False


# --- step bookkeeping ---------------------------------------------------------------------


def _close_run(
    session: Session, dossier: Dossier, user: User | None, outcome: str, now: datetime
) -> None:
    for run in dossier.step_runs:
        if run.finished_at is None:
            run.finished_at = now
            run.finished_by_id = user.id if user else None
            run.outcome = outcome
            run.on_time = now <= run.due_at


def check_assignee(session: Session, dossier: Dossier, action: str, assignee_id: int) -> None:
    """Refuse a named officer who cannot handle the step the action leads to — before anything
    (a dossier code, a closed step) has changed."""
    steps = _steps(dossier)
    target = {
        "receive": steps[1] if len(steps) > 1 else None,
        "forward": _neighbour(dossier, 1),
        "approve": _neighbour(dossier, 1),
        "send_back": _neighbour(dossier, -1),
    }.get(action)
    officer = session.get(User, assignee_id)
    if (
        target is None
        or officer is None
        or officer.agency_id != (target.agency_id or dossier.agency_id)
        or not officer.has_role(target.role)
    ):
        message = N_("Cán bộ được chọn không xử lý được bước này.")
        raise InvalidInput(message, fields={"assignee_id": "invalid"})


def _enter_step(
    session: Session,
    dossier: Dossier,
    step: ProcessStep,
    now: datetime,
    assignee_id: int | None = None,
    due_at: datetime | None = None,
) -> None:
    cal = calendar_service.get_calendar(session)
    agency_id = step.agency_id or dossier.agency_id
    if assignee_id is not None:
        officer = session.get(User, assignee_id)
        if officer is None or officer.agency_id != agency_id or not officer.has_role(step.role):
            raise InvalidInput(
                N_("Cán bộ được chọn không xử lý được bước này."), fields={"assignee_id": "invalid"}
            )
    due = due_at or cal.add_working_hours(now, step.duration_hours)
    dossier.current_step_id = step.id
    dossier.current_step = step
    dossier.handling_agency_id = agency_id
    dossier.assignee_id = assignee_id
    dossier.step_due_at = due
    dossier.step_role = step.role
    run = StepRun(
        dossier_id=dossier.id,
        step_id=step.id,
        step_code=step.code,
        step_name=step.name,
        agency_id=agency_id,
        assignee_id=assignee_id,
        started_at=now,
        due_at=due,
    )
    session.add(run)
    dossier.step_runs.append(run)


def _leave_active(dossier: Dossier, status: str, now: datetime) -> None:
    dossier.status = status
    dossier.finished_at = now
    dossier.step_due_at = None
    dossier.assignee_id = None


def _require_comment(inp: ActionIn, message: str) -> str:
    comment = inp.comment.strip()
    if not comment:
        raise InvalidInput(message, fields={"comment": "required"})
    return comment


def _final_documents(
    session: Session, dossier: Dossier, user: User | None, note: str, now: datetime
) -> None:
    """Form 06 (control slip) is issued when a received dossier is closed; ``note`` is what
    the officer wrote with the closing action (not yet in the history)."""
    if dossier.received_at is not None:
        rows = control_rows(dossier, {now: note})
        document_service.issue(session, dossier, "form_06", user, {"rows": rows}, now=now)


def _note(inp: ActionIn) -> str:
    """The officer's comment as the history keeps it (a rejection's reasons if none)."""
    return inp.comment.strip() or "; ".join(r.strip() for r in inp.reasons if r.strip())


def control_rows(
    dossier: Dossier, pending: dict[datetime, str] | None = None
) -> list[dict[str, Any]]:
    """Form 06 rows: every hand-over with planned and actual times, on time or late, and in
    "Ghi chú" the action that closed the step (its Vietnamese name) and the officer's comment.

    A step run is closed by the action recorded at the same moment; ``pending`` gives the
    comment of an action whose history line is not written yet."""
    comments = {event.at: event.comment for event in dossier.events}
    comments.update(pending or {})
    rows = []
    runs = list(dossier.step_runs)
    for i, run in enumerate(runs):
        nxt = runs[i + 1] if i + 1 < len(runs) else None
        rows.append(
            {
                "step_name": run.step_name,
                "unit": run.agency.name if run.agency else "",
                "handed_by": run.finished_by.full_name if run.finished_by else "",
                "received_by": (
                    nxt.assignee.full_name
                    if nxt and nxt.assignee
                    else (nxt.agency.name if nxt and nxt.agency else "")
                ),
                "planned_at": run.due_at,
                "actual_at": run.finished_at,
                "on_time": run.on_time,
                "action_label": ACTION_LABELS.get(run.outcome, run.outcome) if run.outcome else "",
                "comment": comments.get(run.finished_at, "") if run.finished_at else "",
            }
        )
    return rows


# --- actions ------------------------------------------------------------------------------


def _submit(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    dossier_service.check_complete(dossier)
    # The fee is frozen from the declared data (recomputed on a resubmission, until paid).
    payment_service.freeze_fees(session, dossier)
    cal = calendar_service.get_calendar(session)
    steps = _steps(dossier)
    # The code is the portal's electronic acknowledgement of receipt: given on the first
    # submission, with that day in it, and kept by a resubmission (SPEC §3).
    dossier_codes.give_code(session, dossier, now)
    if dossier.status == "supplement_requested":
        # "Ngày nộp" stays the first submission; the supplement's time is kept beside it.
        dossier.supplement_request = {
            **dossier.supplement_request,
            "resubmitted_at": now.isoformat(),
        }
    if dossier.status == "supplement_requested" and dossier.received_at is not None:
        # Art. 19: once complete, the full legal time starts again from the resubmission.
        resume = dossier.supplement_request.get("resume_step")
        dossier.status = dossier.supplement_request.get("resume_status", "processing")
        dossier.processing_started_at = cal.reception_start(now)
        dossier.due_at = cal.due_after_working_days(now, dossier.version.processing_days)
        dossier.original_due_at = dossier.due_at
        dossier.supplement_due_at = None
        step = next((s for s in steps if s.code == resume), steps[min(1, len(steps) - 1)])
        _enter_step(session, dossier, step, now)
        return "resubmit"
    was_supplement = dossier.status == "supplement_requested"
    dossier.status = "submitted"
    dossier.submitted_at = dossier.submitted_at or now
    dossier.supplement_due_at = None
    if payment_service.needs_payment_now(session, dossier, "submission"):
        # The process asks for the fees first: the answer window opens once they are paid.
        dossier.answer_due_at = None
        _enter_step(session, dossier, steps[0], now)
        payment_service.hold_for_payment(dossier, "submitted")
        return "resubmit" if was_supplement else "submit"
    dossier.answer_due_at = cal.answer_due_at(now)
    _enter_step(session, dossier, steps[0], now, due_at=dossier.answer_due_at)
    return "resubmit" if was_supplement else "submit"


def _receive(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    dossier_service.check_complete(dossier)
    cal = calendar_service.get_calendar(session)
    steps = _steps(dossier)
    if dossier.status == "draft":  # counter: submitted and received at once
        payment_service.freeze_fees(session, dossier)
        dossier.submitted_at = now
        _enter_step(session, dossier, steps[0], now, due_at=now)
    # An online dossier keeps the code of its submission; a counter one gets it now.
    dossier_codes.give_code(session, dossier, now)
    dossier.received_at = now
    dossier.processing_started_at = cal.reception_start(now)
    dossier.due_at = cal.due_after_working_days(now, dossier.version.processing_days)
    dossier.original_due_at = dossier.due_at
    dossier.status = "received"
    _close_run(session, dossier, user, "receive", now)
    nxt = steps[1] if len(steps) > 1 else steps[0]
    _enter_step(session, dossier, nxt, max(now, dossier.processing_started_at), inp.assignee_id)
    method = N_("Trực tuyến") if dossier.channel == "online" else N_("Tại Bộ phận Một cửa")
    document_service.issue(session, dossier, "form_01", user, {"return_method": method}, now=now)
    if payment_service.needs_payment_now(session, dossier, "reception"):
        payment_service.hold_for_payment(dossier, "received")
    return "receive"


def _request_supplement(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    items = supplement.requested_items(dossier, inp)
    problems = supplement.data_problems(dossier, inp)
    if not items and not problems and not inp.comment.strip():
        raise InvalidInput(
            N_("Nêu rõ thành phần cần bổ sung hoặc lý do."),
            fields={"missing_components": "required"},
        )
    cal = calendar_service.get_calendar(session)
    dossier.supplement_request = {
        "items": items,
        # Decree 118/2025: every gap at once — the declared data to correct as well.
        "data_problems": problems,
        "reason": inp.comment.strip(),
        "requested_at": now.isoformat(),
        "resume_status": "processing" if dossier.status in ACTIVE else "submitted",
        "resume_step": dossier.current_step.code if dossier.current_step else None,
    }
    dossier.status = "supplement_requested"
    dossier.supplement_count += 1
    dossier.supplement_requested_at = now
    dossier.supplement_due_at = cal.supplement_deadline(now)
    dossier.step_due_at = None
    dossier.assignee_id = None
    _close_run(session, dossier, user, "request_supplement", now)
    document_service.issue(
        session,
        dossier,
        "form_02",
        user,
        {
            "items": [{"name": i["name"], "reason": i["reason"]} for i in items],
            "data_problems": [{"label": p["label"], "problem": p["problem"]} for p in problems],
            "reason": inp.comment.strip(),
            "deadline": dossier.supplement_due_at,
        },
        now=now,
    )
    return "request_supplement"


def _reject(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    reasons = [r.strip() for r in inp.reasons if r.strip()] or (
        [inp.comment.strip()] if inp.comment.strip() else []
    )
    if not reasons:
        raise InvalidInput(N_("Nêu rõ lý do từ chối."), fields={"reasons": "required"})
    _close_run(session, dossier, user, "reject", now)
    _leave_active(dossier, "rejected", now)
    document_service.issue(session, dossier, "form_03", user, {"reasons": reasons}, now=now)
    _final_documents(session, dossier, user, _note(inp), now)
    return "reject"


def _move(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    offset: int,
    outcome: str,
) -> None:
    target = _neighbour(dossier, offset)
    if target is None:
        raise Conflict(N_("Không có bước để chuyển tới."))
    _close_run(session, dossier, user, outcome, now)
    dossier.status = "processing"
    _enter_step(session, dossier, target, now, inp.assignee_id)


def _forward(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    _move(session, dossier, user, inp, now, 1, "forward")
    return "forward"


def _approve(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    dossier.decided_at = now
    _move(session, dossier, user, inp, now, 1, "approve")
    return "approve"


def _send_back(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    _require_comment(inp, N_("Nêu lý do trả lại bước trước."))
    _move(session, dossier, user, inp, now, -1, "send_back")
    return "send_back"


def _attach_result(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    if file is None:
        raise InvalidInput(N_("Đính kèm tệp kết quả (PDF)."), fields={"file": "required"})
    issued_on = now.astimezone(ZoneInfo(get_settings().timezone)).date()
    if inp.valid_until is not None and inp.valid_until < issued_on:
        raise InvalidInput(
            N_("Ngày hết hiệu lực của kết quả không được trước ngày cấp."),
            fields={"valid_until": "not before today"},
        )
    # Numbered, stamped with its QR code and signed before anyone can download it.
    sealed = results.seal(
        session,
        dossier.agency_id,
        file[1],
        file[0],
        result_type_code=dossier.version.result_type_code,
        signer_name=user.full_name,
        at=now,
    )
    dossier.files.append(
        DossierFile(
            dossier_id=dossier.id,
            purpose="result",
            filename=sealed.filename,
            content_type="application/pdf",
            size=sealed.size,
            sha256=sealed.sha256,
            uploaded_by_id=user.id,
            uploaded_at=now,
        )
    )
    document_service.attach_file_document(
        session,
        dossier,
        "result",
        f"{dossier.version.result} — số {sealed.number}",
        sealed.sha256,
        sealed.size,
        user,
        verify_token=sealed.verify_token,
        number=sealed.number,
        context={
            "result": {
                "number": sealed.number,
                "portal_signed": sealed.portal_signed,
                "signed_before": sealed.signed_before,
                # Read by the applicant's document store (docs/decisions/0028).
                "valid_until": inp.valid_until.isoformat() if inp.valid_until else None,
            }
        },
        now=now,
    )
    dossier.decided_at = dossier.decided_at or now
    dossier.result_ready_at = now
    _close_run(session, dossier, user, "attach_result", now)
    dossier.status = "result_ready"
    step = dossier.current_step
    if step is None or "return_result" not in step.actions:
        step = next((s for s in _steps(dossier) if "return_result" in s.actions), step)
    if step is not None:
        _enter_step(session, dossier, step, now)
    if payment_service.needs_payment_now(session, dossier, "before_result"):
        payment_service.hold_for_payment(dossier, "result_ready")
    return "attach_result"


def _request_payment(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    payment_service.hold_for_payment(dossier, dossier.status)
    return "request_payment"


def _return_result(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    # By post: the hand-over to the carrier, with its tracking number, is the return.
    postal_service.record_handover(session, dossier, user, inp.tracking_number, now)
    _close_run(session, dossier, user, "return_result", now)
    _leave_active(dossier, "completed", now)
    _final_documents(session, dossier, user, _note(inp), now)
    return "return_result"


def _withdraw(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    if dossier.received_at is None:
        # Not yet received: withdrawn at once (Decree 118/2025 Art. 21).
        _close_run(session, dossier, user, "withdraw", now)
        _leave_active(dossier, "withdrawn", now)
        return "withdraw"
    # Received: the receiving agency's reception accepts the request (Decree 118/2025 Art. 21,
    # form 05); the dossier waits at its reception step, its appointment standing still
    # (docs/decisions/0025-withdrawal-on-request.md).
    cal = calendar_service.get_calendar(session)
    _close_run(session, dossier, user, "request_withdrawal", now)
    dossier.status = "withdrawal_requested"
    dossier.supplement_due_at = None
    # The portal's choice, no article sets one: answered within the answer window (Art. 17).
    _enter_step(session, dossier, _steps(dossier)[0], now, due_at=cal.answer_due_at(now))
    dossier.step_role = "reception"
    return "request_withdrawal"


def _accept_withdrawal(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    request = next((e for e in reversed(dossier.events) if e.action == "request_withdrawal"), None)
    _close_run(session, dossier, user, "accept_withdrawal", now)
    _leave_active(dossier, "withdrawn", now)
    # Decree 118/2025 Art. 21: the agency stops processing at the applicant's request (form 05).
    document_service.issue(
        session,
        dossier,
        "form_05",
        user,
        {
            "cause": "withdrawn",
            "reason": request.comment if request is not None else inp.comment.strip(),
            "requested_at": request.at if request is not None else now,
        },
        now=now,
    )
    _final_documents(session, dossier, user, _note(inp), now)
    return "accept_withdrawal"


def stop(
    session: Session,
    dossier: Dossier,
    user: User | None,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
    cause: str = "agency",
) -> str:
    if cause == "agency":
        _require_comment(inp, N_("Nêu lý do dừng xử lý hồ sơ."))
    _close_run(session, dossier, user, "stop", now)
    _leave_active(dossier, "stopped", now)
    document_service.issue(
        session,
        dossier,
        "form_05",
        user,
        {
            "cause": cause,
            "reason": inp.comment.strip(),
            "requested_at": dossier.supplement_requested_at,
        },
        now=now,
    )
    _final_documents(session, dossier, user, _note(inp), now)
    return "stop" if cause == "agency" else "supplement_timeout"


def _extend(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    reason = _require_comment(inp, N_("Nêu lý do gia hạn (văn bản xin lỗi)."))
    if inp.new_due_at is None or inp.new_due_at.tzinfo is None:
        raise InvalidInput(
            N_("Nhập ngày hẹn trả mới (có múi giờ)."), fields={"new_due_at": "required"}
        )
    assert dossier.due_at is not None
    if inp.new_due_at <= dossier.due_at:
        raise InvalidInput(
            N_("Ngày hẹn mới phải sau ngày hẹn cũ."), fields={"new_due_at": "too early"}
        )
    old = dossier.due_at
    dossier.due_at = inp.new_due_at
    dossier.extension_count += 1
    document_service.issue(
        session,
        dossier,
        "form_04",
        user,
        {"reason": reason, "old_due_at": old, "new_due_at": inp.new_due_at},
        now=now,
    )
    return "extend"


Handler = Callable[[Session, Dossier, User, ActionIn, datetime, "tuple[str, bytes] | None"], str]
HANDLERS: dict[str, Handler] = {
    "submit": _submit,
    "receive": _receive,
    "request_supplement": _request_supplement,
    "reject": _reject,
    "forward": _forward,
    "approve": _approve,
    "send_back": _send_back,
    "attach_result": _attach_result,
    "return_result": _return_result,
    "withdraw": _withdraw,
    "accept_withdrawal": _accept_withdrawal,
    "stop": stop,
    "extend": _extend,
    "request_payment": _request_payment,
}
