"""The process engine (§4): which actions a caller may take now, and taking them.

Every action moves the dossier through its procedure version's steps, records a history
event and, where the regulation asks for one, issues a form (Circular 03/2025/TT-VPCP).
Concurrent actions on one dossier are settled by its version column: one wins, the other
gets a 409.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError

from app import events
from app.accounts.models import User
from app.agencies.models import Agency
from app.calendar import service as calendar_service
from app.catalog.models import ProcedureVersion, ProcessStep
from app.db import utcnow
from app.documents import service as document_service
from app.dossiers import events as dossier_events
from app.dossiers import service as dossier_service
from app.dossiers.models import QUEUE_STATUSES, Dossier, DossierCodeCounter, DossierFile, StepRun
from app.dossiers.schemas import ActionIn
from app.errors import Conflict, Forbidden, InvalidInput
from app.i18n_markers import N_
from app.payments import service as payment_service
from app.storage import service as storage

ACTION_LABELS = {
    "create": N_("Tạo hồ sơ"),
    "submit": N_("Nộp hồ sơ"),
    "resubmit": N_("Nộp bổ sung hồ sơ"),
    "receive": N_("Tiếp nhận hồ sơ"),
    "request_supplement": N_("Yêu cầu bổ sung hồ sơ"),
    "reject": N_("Từ chối hồ sơ"),
    "forward": N_("Chuyển bước tiếp theo"),
    "send_back": N_("Trả lại bước trước"),
    "approve": N_("Phê duyệt"),
    "request_payment": N_("Yêu cầu thanh toán"),
    "attach_result": N_("Đính kèm kết quả"),
    "return_result": N_("Trả kết quả"),
    "withdraw": N_("Rút hồ sơ"),
    "stop": N_("Dừng xử lý hồ sơ"),
    "extend": N_("Gia hạn, xin lỗi"),
    "supplement_timeout": N_("Quá hạn bổ sung, dừng xử lý"),
    "late_warning": N_("Cảnh báo sắp quá hạn"),
    "payment": N_("Thanh toán phí, lệ phí"),
}
ACTIVE = ("received", "processing", "result_ready")
WITHDRAWABLE = ("submitted", "supplement_requested", "received", "processing")
SECRET_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "0O1IL")


# --- who may do what ----------------------------------------------------------------------


def _is_receiver(user: User, dossier: Dossier) -> bool:
    return user.has_role("reception") and user.agency_id == dossier.agency_id


def _acts_at_step(user: User, dossier: Dossier, step: ProcessStep) -> bool:
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


# Published versions are never edited (the admin service refuses), so the order of their
# steps is kept for the life of the process: a queue needs no statement for it. The key holds
# the publication time, so a database rebuilt with other rows under the same ids (tests) is
# not confused with the old one.
_step_order_cache: dict[tuple[int, datetime | None], tuple[int, ...]] = {}


def _order_key(version: ProcedureVersion) -> tuple[int, datetime | None] | None:
    return (version.id, version.published_at) if version.status != "draft" else None


def _prime_step_order(session: Session, versions: Iterable[ProcedureVersion]) -> None:
    """Read the step order of the published versions not yet known, in one statement."""
    missing = {
        key[0]: key for v in versions if (key := _order_key(v)) and key not in _step_order_cache
    }
    if not missing:
        return
    found: dict[int, list[int]] = {version_id: [] for version_id in missing}
    for version_id, step_id in session.execute(
        select(ProcessStep.version_id, ProcessStep.id)
        .where(ProcessStep.version_id.in_(missing))
        .order_by(ProcessStep.version_id, ProcessStep.position, ProcessStep.id)
    ):
        found[version_id].append(step_id)
    for version_id, ids in found.items():
        _step_order_cache[missing[version_id]] = tuple(ids)


def _has_neighbour(session: Session, dossier: Dossier, offset: int) -> bool:
    """Whether the dossier's process has a step ``offset`` places from its current one."""
    key = _order_key(dossier.version)
    if key is None:
        order = tuple(s.id for s in _steps(dossier))
    else:
        _prime_step_order(session, [dossier.version])
        order = _step_order_cache[key]
    if dossier.current_step_id not in order:
        return False
    index = order.index(dossier.current_step_id) + offset
    return 0 <= index < len(order)


def _step_applicable(
    session: Session, action: str, dossier: Dossier, now: datetime, owed: int | None = None
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
        return (payment_service.outstanding(session, dossier) if owed is None else owed) > 0
    if action == "extend":
        return (
            status in ("received", "processing")
            and dossier.due_at is not None
            and dossier.extension_count < cal.rules.max_extensions
            and cal.add_working_days(now, cal.rules.apology_lead_days) <= dossier.due_at
        )
    return False


def available_actions(
    session: Session,
    dossier: Dossier,
    user: User | None,
    now: datetime | None = None,
    owed: int | None = None,
) -> list[str]:
    """The actions the caller may take on this dossier right now. ``owed``: the fees it still
    owes when the caller already knows (a queue reads them with the dossiers)."""
    if user is None:
        return []
    now = now or utcnow()
    actions: list[str] = []
    status = dossier.status
    if dossier_service.is_owner(user, dossier):
        if status in ("draft", "supplement_requested"):
            actions.append("submit")
        if status in WITHDRAWABLE and dossier.decided_at is None:
            actions.append("withdraw")
    if not user.is_staff:
        return actions
    if status == "submitted" and _is_receiver(user, dossier):
        actions += ["receive", "request_supplement", "reject"]
    elif status == "draft" and dossier.channel != "online" and _is_receiver(user, dossier):
        actions.append("receive")
    elif status == "supplement_requested" and _is_receiver(user, dossier):
        actions.append("stop")
    step = dossier.current_step
    if step is not None and status in ACTIVE and _acts_at_step(user, dossier, step):
        actions += [a for a in step.actions if _step_applicable(session, a, dossier, now, owed)]
    return list(dict.fromkeys(actions))


# --- code and secret ----------------------------------------------------------------------


def issue_code(session: Session, agency: Agency, at: datetime) -> str:
    """Next dossier code of the unit for the day (Circular 01/2018: unit-YYMMDD-NNNN).

    The counter row is incremented inside the receiving transaction: concurrent receptions
    queue on its row lock, and a rolled-back reception takes its number back with it."""
    day = calendar_service.WorkCalendar().local(at).date()
    bump = (
        update(DossierCodeCounter)
        .where(DossierCodeCounter.agency_code == agency.code, DossierCodeCounter.day == day)
        .values(last=DossierCodeCounter.last + 1)
        .returning(DossierCodeCounter.last)
    )
    seq = session.execute(bump).scalar()
    if seq is None:
        try:
            with session.begin_nested():
                session.execute(
                    insert(DossierCodeCounter).values(agency_code=agency.code, day=day, last=1)
                )
            seq = 1
        except IntegrityError:
            seq = session.execute(bump).scalar_one()
    if seq > 9999:
        raise Conflict(N_("Đã hết số hồ sơ trong ngày của đơn vị."))
    return f"{agency.code}-{day:%y%m%d}-{seq:04d}"


def _new_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(8))


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


def _check_assignee(session: Session, dossier: Dossier, action: str, assignee_id: int) -> None:
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


def _final_documents(session: Session, dossier: Dossier, user: User | None) -> None:
    """Form 06 (control slip) is issued when a received dossier is closed."""
    if dossier.received_at is not None:
        document_service.issue(session, dossier, "form_06", user, {"rows": control_rows(dossier)})


def control_rows(dossier: Dossier) -> list[dict[str, Any]]:
    """Form 06 rows: every hand-over with planned and actual times, on time or late."""
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
                "note": run.outcome or "",
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
    cal = calendar_service.get_calendar(session)
    steps = _steps(dossier)
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
    dossier.submitted_at = now
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
        dossier.submitted_at = now
        _enter_step(session, dossier, steps[0], now, due_at=now)
    dossier.code = issue_code(session, dossier.agency, now)
    dossier.lookup_secret = _new_secret()
    dossier.received_at = now
    dossier.processing_started_at = cal.reception_start(now)
    dossier.due_at = cal.due_after_working_days(now, dossier.version.processing_days)
    dossier.original_due_at = dossier.due_at
    dossier.status = "received"
    _close_run(session, dossier, user, "receive", now)
    nxt = steps[1] if len(steps) > 1 else steps[0]
    _enter_step(session, dossier, nxt, max(now, dossier.processing_started_at), inp.assignee_id)
    method = N_("Trực tuyến") if dossier.channel == "online" else N_("Tại Bộ phận Một cửa")
    document_service.issue(session, dossier, "form_01", user, {"return_method": method})
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
    codes = list(dict.fromkeys(inp.missing_components))
    items = []
    for code in codes:
        comp = dossier_service.component(dossier, code)
        items.append({"code": comp.code, "name": comp.name, "reason": inp.comment.strip()})
    if not items and not inp.comment.strip():
        raise InvalidInput(
            N_("Nêu rõ thành phần cần bổ sung hoặc lý do."),
            fields={"missing_components": "required"},
        )
    cal = calendar_service.get_calendar(session)
    dossier.supplement_request = {
        "items": items,
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
            "reason": inp.comment.strip(),
            "deadline": dossier.supplement_due_at,
        },
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
    document_service.issue(session, dossier, "form_03", user, {"reasons": reasons})
    _final_documents(session, dossier, user)
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
    stored = storage.check_upload(file[1], file[0], ["pdf"], 20)
    dossier.files.append(
        DossierFile(
            dossier_id=dossier.id,
            purpose="result",
            filename=stored.filename,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by_id=user.id,
        )
    )
    holder = (dossier.applicant or {}).get("id_number") or str(dossier.id)
    number = f"{holder}.{dossier.version.result_type_code or 'KQ'}"
    document_service.attach_file_document(
        session,
        dossier,
        "result",
        f"{dossier.version.result} — số {number}",
        stored.sha256,
        stored.size,
        user,
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
    _close_run(session, dossier, user, "return_result", now)
    _leave_active(dossier, "completed", now)
    _final_documents(session, dossier, user)
    return "return_result"


def _withdraw(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    now: datetime,
    file: tuple[str, bytes] | None,
) -> str:
    requested = now
    _close_run(session, dossier, user, "withdraw", now)
    _leave_active(dossier, "withdrawn", now)
    if dossier.received_at is not None:
        document_service.issue(
            session,
            dossier,
            "form_05",
            user,
            {"cause": "withdrawn", "reason": inp.comment.strip(), "requested_at": requested},
        )
        _final_documents(session, dossier, user)
    return "withdraw"


def _stop(
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
    )
    _final_documents(session, dossier, user)
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
    "stop": _stop,
    "extend": _extend,
    "request_payment": _request_payment,
}


def perform(
    session: Session,
    dossier: Dossier,
    user: User,
    inp: ActionIn,
    file: tuple[str, bytes] | None = None,
) -> Dossier:
    """Take one action on a dossier for the caller, or explain why it cannot be taken."""
    if inp.action not in HANDLERS:
        raise InvalidInput(N_("Thao tác không hợp lệ."), fields={"action": "unknown action"})
    now = utcnow()
    allowed = available_actions(session, dossier, user, now)
    if inp.action not in allowed:
        citizen_action = inp.action in ("submit", "withdraw")
        if (citizen_action and not dossier_service.is_owner(user, dossier)) or (
            not citizen_action and not user.is_staff
        ):
            raise Forbidden(N_("Bạn không có quyền thực hiện thao tác này."))
        raise Conflict(
            N_(
                "Thao tác không thực hiện được ở trạng thái hiện tại của hồ sơ "
                "(có thể hồ sơ vừa được người khác xử lý)."
            ),
            fields={"available_actions": ", ".join(allowed) or "-"},
        )
    if inp.assignee_id is not None:
        _check_assignee(session, dossier, inp.action, inp.assignee_id)
    before = dossier.status
    step_before = dossier.current_step
    try:
        action = HANDLERS[inp.action](session, dossier, user, inp, now, file)
        event = dossier_service.record(
            session,
            dossier,
            user,
            action,
            before,
            inp.comment.strip(),
            {"assignee_id": inp.assignee_id} if inp.assignee_id else None,
            at=now,
        )
        if step_before is not None:
            event.step_code, event.step_name = step_before.code, step_before.name
        session.flush()
    except StaleDataError as exc:
        # Another officer changed the dossier since we read it (its version moved on).
        raise Conflict(N_("Hồ sơ vừa được người khác xử lý. Vui lòng tải lại và thử lại.")) from exc
    _announce(session, dossier, user, action, before, inp.comment)
    return dossier


def _announce(
    session: Session, dossier: Dossier, user: User | None, action: str, before: str, comment: str
) -> None:
    """Publish the action's event: the applicant is notified and the audit log appended by its
    subscribers (docs/decisions/0016-domain-events.md)."""
    events.publish(session, dossier_events.for_action(action, dossier, user, before, comment))


# --- queues -------------------------------------------------------------------------------


def _queue_filter(leader: bool, cashier: bool) -> ColumnElement[bool]:
    """Dossiers actionable by the caller: at their agency (``agency_id``), at a step of one of
    their ``roles``, assigned to nobody or to them (``user_id``; leaders see all of their
    unit's)."""
    at_step = and_(
        Dossier.handling_agency_id == bindparam("agency_id"),
        Dossier.step_role.in_(bindparam("roles", expanding=True)),
        Dossier.status.in_(QUEUE_STATUSES),
    )
    if not leader:
        at_step = and_(
            at_step,
            or_(Dossier.assignee_id.is_(None), Dossier.assignee_id == bindparam("user_id")),
        )
    if cashier:
        # Cashiers also see what waits for fees at their counter.
        return or_(
            at_step,
            and_(Dossier.agency_id == bindparam("agency_id"), Dossier.status == "awaiting_payment"),
        )
    return at_step


@lru_cache(maxsize=8)
def _queue_statement(leader: bool, cashier: bool, keyset: bool) -> Select[Dossier, int]:
    """The queue query of one shape, built once: it runs on every request of every officer,
    so the caller's values are bound parameters, not a new statement to build each time."""
    page = select(Dossier.id).where(_queue_filter(leader, cashier))
    if keyset:
        due: BindParameter[datetime] = bindparam("after_due")
        page = page.where(
            or_(
                Dossier.step_due_at > due,
                and_(Dossier.step_due_at == due, Dossier.id > bindparam("after_id")),
            )
        )
    # The page's ids first, on their own: read in order from the partial index
    # ix_dossiers_queue and stopped at the limit. Joined in the same query, the other tables
    # led PostgreSQL to read and sort every open dossier of the unit (2,000 at 1M: 20 ms
    # instead of 0.5 ms).
    ids = page.order_by(Dossier.step_due_at, Dossier.id).limit(bindparam("limit")).subquery()
    # A queue shows a summary: leave the big columns (declared data, procedure texts) unread.
    # One statement whatever its length: the dossiers joined with their versions, their
    # current steps and what each still owes (whether "request_payment" applies); whether a
    # step comes before or after is known per process (``_step_order_cache``).
    return (
        select(Dossier, payment_service.outstanding_column())
        .join(ids, ids.c.id == Dossier.id)
        .options(
            defer(Dossier.form_data),
            defer(Dossier.supplement_request),
            lazyload(Dossier.agency),
            joinedload(Dossier.current_step).lazyload(ProcessStep.agency),
            joinedload(Dossier.version).options(
                defer(ProcedureVersion.form_schema),
                defer(ProcedureVersion.search_text),
                defer(ProcedureVersion.legal_basis),
                defer(ProcedureVersion.description),
            ),
        )
        .order_by(Dossier.step_due_at, Dossier.id)
    )


class QueueEntry(NamedTuple):
    dossier: Dossier
    owed: int  # fees still owed (negative when overpaid), for ``available_actions``


def queue(
    session: Session, user: User, limit: int = 50, after: tuple[datetime, int] | None = None
) -> list[QueueEntry]:
    """The caller's queue sorted by due time (keyset pagination on (step_due_at, id))."""
    if not user.is_staff:
        raise Forbidden(N_("Chỉ cán bộ mới có hàng đợi hồ sơ."))
    stmt = _queue_statement(user.has_role("leader"), user.has_role("cashier"), after is not None)
    params: dict[str, Any] = {
        "agency_id": user.agency_id,
        "roles": sorted(user.roles),
        "user_id": user.id,
        "limit": limit,
    }
    if after is not None:
        params["after_due"], params["after_id"] = after
    entries = [QueueEntry(d, int(owed)) for d, owed in session.execute(stmt, params)]
    _prime_step_order(session, {id(e.dossier.version): e.dossier.version for e in entries}.values())
    return entries


# --- periodic checks ----------------------------------------------------------------------


def run_periodic_checks(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Supplement time-outs stop dossiers (form 05); dossiers one working day from their due
    time get a warning once. Safe to run from several processes (version column)."""
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
        _stop(
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
        dossier.late_warning_at = now
        dossier_service.record(session, dossier, None, "late_warning", dossier.status, at=now)
        warned += 1
    session.flush()
    for dossier in timed_out:  # after every dossier row is written: the audit lock comes last
        _announce(session, dossier, None, "supplement_timeout", "supplement_requested", "")
    return {"stopped": stopped, "warned": warned}
