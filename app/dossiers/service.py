"""Dossiers: drafts, declared data, files, submission, access rules, reads and public lookup."""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, object_session, selectinload

from app import ratelimit
from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies.models import Agency
from app.audit import service as audit_service
from app.catalog import service as catalog_service
from app.catalog.models import Component, Procedure, ProcedureVersion
from app.config import get_settings
from app.db import utcnow
from app.dossiers import checks, schemas
from app.dossiers.models import FINAL_STATUSES, Dossier, DossierEvent, DossierFile, StepRun
from app.dossiers.state import DossierState
from app.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from app.i18n_markers import N_
from app.postal import service as postal_service
from app.storage import service as storage

STATUS_LABELS = {
    "draft": N_("Nháp"),
    "submitted": N_("Chờ tiếp nhận"),
    "supplement_requested": N_("Chờ bổ sung"),
    "received": N_("Đã tiếp nhận"),
    "processing": N_("Đang xử lý"),
    "awaiting_payment": N_("Chờ thanh toán"),
    "result_ready": N_("Có kết quả, chờ trả"),
    "completed": N_("Đã trả kết quả"),
    "rejected": N_("Từ chối"),
    "withdrawn": N_("Đã rút"),
    "stopped": N_("Dừng xử lý"),
    "withdrawal_requested": N_("Chờ chấp nhận rút hồ sơ"),
}
CHANNEL_LABELS = {"online": N_("Trực tuyến"), "counter": N_("Trực tiếp"), "postal": N_("Bưu chính")}
# National portal status codes (SPEC §3) for synchronisation.
NATIONAL_STATUS = {
    "draft": None,
    "submitted": 1,
    "received": 2,
    "rejected": 3,
    "processing": 4,
    "supplement_requested": 5,
    "awaiting_payment": 6,
    "withdrawal_requested": 7,
    "stopped": 8,
    "withdrawn": 8,
    "result_ready": 9,
    "completed": 10,
}
NATIONAL_CHANNEL = {"counter": 1, "online": 2, "postal": 3}
EDITABLE = ("draft", "supplement_requested")
# "Hồ sơ của tôi" groups (the national portal's "Quản lý hồ sơ"): everything that is neither a
# draft, waiting for a supplement nor closed is in progress.
MY_GROUPS = ("draft", "in_progress", "supplement", "done")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- access -------------------------------------------------------------------------------


def is_owner(user: User | None, dossier: DossierState) -> bool:
    return user is not None and dossier.applicant_id == user.id


def staff_can_view(session: Session, user: User, dossier: Dossier) -> bool:
    """Staff see dossiers of their agency, of the agency a step routes to, or that passed
    through their agency; agency admins their subtree; system admins every dossier. A
    citizen's unsubmitted online draft is theirs alone, the system admin's included: it is
    not yet a dossier of any agency (support goes through the citizen's own screen)."""
    if dossier.status == "draft" and dossier.channel == "online":
        return False
    if user.is_admin:
        return True
    if not user.is_staff or user.agency_id is None:
        return False
    for agency_id in {dossier.agency_id, dossier.handling_agency_id}:
        if agency_id and account_service.can_act_for_agency(session, user, agency_id):
            return True
    return bool(
        session.scalar(
            select(
                exists().where(
                    StepRun.dossier_id == dossier.id, StepRun.agency_id == user.agency_id
                )
            )
        )
    )


def get_visible(session: Session, user: User | None, dossier_id: int) -> Dossier:
    """A dossier the caller may see; anything else is "not found" (existence is not leaked)."""
    if user is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    dossier = session.get(Dossier, dossier_id)
    if dossier is None or not (is_owner(user, dossier) or staff_can_view(session, user, dossier)):
        raise NotFound(N_("Không tìm thấy hồ sơ."))
    return dossier


def may_edit(session: Session, user: User, dossier: Dossier) -> bool:
    """The applicant edits a draft or answers a supplement request; reception edits its own
    counter drafts."""
    if dossier.status not in EDITABLE:
        return False
    if is_owner(user, dossier):
        return True
    return (
        dossier.channel != "online"
        and dossier.status == "draft"
        and user.has_role("reception")
        and user.agency_id == dossier.agency_id
    )


# --- events -------------------------------------------------------------------------------


def record(
    session: Session,
    dossier: Dossier,
    actor: User | None,
    action: str,
    from_status: str | None,
    comment: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    lazy: bool = False,
) -> DossierEvent:
    step = dossier.current_step
    event = DossierEvent(
        dossier_id=dossier.id,
        at=at or utcnow(),
        actor_id=actor.id if actor else None,
        actor_name=actor.full_name if actor else "Hệ thống",
        step_code=step.code if step else None,
        step_name=step.name if step else None,
        action=action,
        from_status=from_status,
        to_status=dossier.status,
        comment=comment,
        data=data or {},
    )
    if lazy and "events" not in dossier.__dict__:
        # A batch of saved dossiers: add the line without reading their whole history.
        session.add(event)
    else:
        dossier.events.append(event)
    return event


# --- drafts -------------------------------------------------------------------------------


VERIFIED_CHANGED = N_("Thông tin này đã được xác thực qua VNeID, không sửa được.")
# Applicant keys the national e-ID vouches for (e-mail is the person's own).
VERIFIED_APPLICANT_KEYS = ("full_name", "id_number", "phone", "address")


def verified_of(user: User | None) -> dict[str, str]:
    """What the national e-ID vouched for about an applicant at their last e-ID login
    (``accounts.oidc``); empty for anyone else."""
    if user is None:
        return {}
    return {k: str(v) for k, v in (user.verified_claims or {}).items() if v}


def verified_declared(version: ProcedureVersion, verified: dict[str, str]) -> dict[str, str]:
    """Declared fields prefilled from a verified attribute, with the verified value."""
    fields = (version.form_schema or {}).get("fields", [])
    return {f["name"]: verified[f["prefill"]] for f in fields if f.get("prefill") in verified}


def _hold_verified(
    verified: dict[str, str],
    version: ProcedureVersion,
    applicant: dict[str, Any] | None,
    form_data: dict[str, Any] | None,
) -> None:
    """Verified values stay as the e-ID gave them: a different value is refused (nothing is
    saved), a missing one is filled in."""
    if not verified:
        return
    problems: dict[str, str] = {}
    if applicant is not None:
        for key in VERIFIED_APPLICANT_KEYS:
            if key in verified:
                given = str(applicant.get(key) or "").strip()
                if given and given != verified[key]:
                    problems[f"applicant.{key}"] = VERIFIED_CHANGED
                applicant[key] = verified[key]
    if form_data is not None:
        for name, value in verified_declared(version, verified).items():
            if name in form_data:
                given = str(form_data[name] or "").strip()
                if given and given != value:
                    problems[name] = VERIFIED_CHANGED
                form_data[name] = value
    if problems:
        raise InvalidInput(VERIFIED_CHANGED, fields=problems)


def _applicant_from(user: User | None, given: schemas.ApplicantIn | None) -> dict[str, str]:
    base = {
        "full_name": user.full_name if user else "",
        "id_number": (user.id_number or "") if user else "",
        "phone": user.phone if user else "",
        "email": user.email if user else "",
        "address": user.address if user else "",
    }
    if given is not None:
        for key, value in given.model_dump().items():
            if value:
                base[key] = value.strip()
    return base


def _receiving_agency(version: ProcedureVersion, code: str | None) -> Agency:
    agencies = version.agencies
    if code:
        for agency in agencies:
            if agency.code == code:
                return agency
        raise InvalidInput(
            N_("Cơ quan này không thực hiện thủ tục."),
            fields={"agency_code": "not an implementing agency"},
        )
    if len(agencies) == 1:
        return agencies[0]
    raise InvalidInput(
        N_("Vui lòng chọn cơ quan tiếp nhận hồ sơ."),
        fields={"agency_code": "one of " + ", ".join(a.code for a in agencies)},
    )


def create_draft(
    session: Session, user: User, data: schemas.DossierCreate, now: datetime | None = None
) -> Dossier:
    """Start a dossier: a citizen's online draft, or a reception officer's counter dossier
    (``now``: its creation moment, for the demo history)."""
    version = catalog_service.get_published(session, data.procedure_code)
    if data.channel == "online":
        if user.is_staff and not user.is_admin and data.applicant is not None:
            raise Forbidden(N_("Cán bộ nhập hồ sơ trực tiếp với kênh counter."))
        agency = _receiving_agency(version, data.agency_code)
        applicant_user: User | None = user
    else:
        account_service.require_role(user, "reception")
        if user.agency is None or user.agency not in version.agencies:
            raise Forbidden(N_("Cơ quan của bạn không thực hiện thủ tục này."))
        if data.agency_code and data.agency_code != user.agency.code:
            raise Forbidden(N_("Chỉ nhập hồ sơ cho cơ quan của mình."))
        agency = user.agency
        applicant_user = None
    verified = verified_of(applicant_user)
    given = {k: v.strip() for k, v in data.applicant.model_dump().items()} if data.applicant else {}
    form_data = checks.keep_declared(version, data.form_data)
    _hold_verified(verified, version, given, form_data)
    applicant = _applicant_from(applicant_user, data.applicant)
    applicant.update({k: verified[k] for k in VERIFIED_APPLICANT_KEYS if k in verified})
    form_data.update(verified_declared(version, verified))
    dossier = Dossier(
        version_id=version.id,
        agency_id=agency.id,
        applicant_id=applicant_user.id if applicant_user else None,
        created_by_id=user.id,
        channel=data.channel,
        status="draft",
        applicant=applicant,
        applicant_phone=checks.normal_phone(applicant.get("phone", "")),
        form_data=form_data,
    )
    if now is not None:
        dossier.created_at = dossier.updated_at = now
    dossier.version = version
    session.add(dossier)
    session.flush()
    record(session, dossier, user, "create", None, at=now)
    session.flush()
    return dossier


def delete_draft(session: Session, user: User, dossier: Dossier) -> None:
    """Delete the caller's own draft (never submitted, so no code, fee or document refers to
    it): its history and its attached files go with it. The stored bytes stay (storage is
    content-addressed and another dossier may hold the same file)."""
    if not is_owner(user, dossier):
        raise NotFound(N_("Không tìm thấy hồ sơ."))
    if dossier.status != "draft":
        raise Conflict(N_("Chỉ xóa được hồ sơ nháp (chưa nộp)."))
    details = {
        "procedure_code": dossier.version.code,
        "files": len(active_files(dossier)),
    }
    dossier_id = dossier.id
    for row in [*dossier.files, *dossier.events, *dossier.step_runs]:
        session.delete(row)
    session.delete(dossier)
    session.flush()
    # After the dossier's rows are written: the audit chain's lock comes last.
    audit_service.record(
        session,
        "dossier.draft_deleted",
        actor=user,
        object_type="dossier",
        object_id=dossier_id,
        details=details,
    )


def copy_as_new(session: Session, user: User, source: Dossier) -> Dossier:
    """A new draft of the same procedure (its version published now) for the same receiving
    agency, with the source's declared data and applicant; files are not copied."""
    if not is_owner(user, source):
        raise NotFound(N_("Không tìm thấy hồ sơ."))
    try:
        version = catalog_service.get_published(session, source.version.code)
    except NotFound as exc:
        raise Conflict(N_("Thủ tục này hiện không tiếp nhận hồ sơ.")) from exc
    agency_code = source.agency.code if source.agency in version.agencies else None
    stored = source.applicant or {}
    # What the e-ID vouches for now is taken afresh, not copied from the older dossier.
    verified = verified_of(user)
    fresh = {k for k in VERIFIED_APPLICANT_KEYS if k in verified}
    try:
        applicant: schemas.ApplicantIn | None = schemas.ApplicantIn(
            **{
                k: "" if k in fresh else str(stored.get(k) or "")
                for k in schemas.ApplicantIn.model_fields
            }
        )
    except ValidationError:
        applicant = None  # a value that no longer fits: the profile's is used instead
    held = verified_declared(version, verified)
    form_data = {k: v for k, v in (source.form_data or {}).items() if k not in held}
    dossier = create_draft(
        session,
        user,
        schemas.DossierCreate(
            procedure_code=version.code,
            agency_code=agency_code,
            applicant=applicant,
            form_data=form_data,
        ),
    )
    dossier.events[-1].data = {"copied_from": source.id}
    session.flush()
    return dossier


def update_draft(
    session: Session, user: User, dossier: Dossier, data: schemas.DossierUpdate
) -> Dossier:
    """Save declared data of a draft (or of a dossier sent back for supplement)."""
    if not may_edit(session, user, dossier):
        raise Conflict(N_("Hồ sơ không còn sửa được ở trạng thái này."))
    declared = (
        checks.keep_declared(dossier.version, data.form_data)
        if data.form_data is not None
        else None
    )
    given = (
        {k: v.strip() for k, v in data.applicant.model_dump().items()}
        if data.applicant is not None
        else None
    )
    if dossier.channel == "online":
        _hold_verified(verified_of(dossier.applicant_user), dossier.version, given, declared)
    if declared is not None:
        dossier.form_data = {**dossier.form_data, **declared}
    if given is not None:
        dossier.applicant = {**dossier.applicant, **given}
        dossier.applicant_phone = checks.normal_phone(dossier.applicant.get("phone", ""))
    session.flush()
    return dossier


def component(dossier: Dossier, code: str) -> Component:
    for comp in dossier.version.components:
        if comp.code == code:
            return comp
    raise InvalidInput(
        N_("Thành phần hồ sơ không tồn tại."), fields={"component": "unknown component"}
    )


def active_files(dossier: Dossier, purpose: str = "component") -> list[DossierFile]:
    return [f for f in dossier.files if f.removed_at is None and f.purpose == purpose]


def add_file(
    session: Session,
    user: User,
    dossier: Dossier,
    component_code: str,
    filename: str,
    data: bytes,
    now: datetime | None = None,
) -> DossierFile:
    """Attach a file to a component; the type is judged by content, the size by the component."""
    if not may_edit(session, user, dossier):
        raise Conflict(N_("Không thể đính kèm tệp ở trạng thái này."))
    comp = component(dossier, component_code)
    stored = storage.check_upload(data, filename, list(comp.accepted_types), comp.max_size_mb)
    for attached in active_files(dossier):
        if attached.component_code == comp.code and attached.sha256 == stored.sha256:
            # The same content twice in one component is a double click or a second try, never
            # a second document.
            raise Conflict(
                N_("Tệp có cùng nội dung đã được đính kèm cho thành phần hồ sơ này."),
                fields={"file": attached.filename},
            )
    row = DossierFile(
        dossier_id=dossier.id,
        component_code=comp.code,
        purpose="component",
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        digitised=dossier.channel == "counter",
        uploaded_by_id=user.id,
        uploaded_at=now or utcnow(),
    )
    dossier.files.append(row)
    session.flush()
    return row


def remove_file(session: Session, user: User, dossier: Dossier, file_id: int) -> None:
    if not may_edit(session, user, dossier):
        raise Conflict(N_("Không thể xóa tệp ở trạng thái này."))
    row = session.get(DossierFile, file_id)
    if row is None or row.dossier_id != dossier.id or row.removed_at is not None:
        raise NotFound(N_("Không tìm thấy tệp."))
    if row.purpose != "component":
        raise Forbidden(N_("Không thể xóa tệp này."))
    row.removed_at = utcnow()
    session.flush()


def get_file(session: Session, user: User, dossier_id: int, file_id: int) -> DossierFile:
    dossier = get_visible(session, user, dossier_id)
    row = session.get(DossierFile, file_id)
    if row is None or row.dossier_id != dossier.id or row.removed_at is not None:
        raise NotFound(N_("Không tìm thấy tệp."))
    if not is_owner(user, dossier):
        # Staff opening a citizen's file is audited (who read which personal data, when).
        audit_service.record(
            session,
            "file.download",
            actor=user,
            object_type="dossier_file",
            object_id=row.id,
            details={
                "dossier_id": dossier.id,
                "code": dossier.code,
                "filename": row.filename,
                "purpose": row.purpose,
            },
        )
    return row


def missing_components(dossier: Dossier) -> list[Component]:
    provided = {f.component_code for f in active_files(dossier)}
    return [c for c in dossier.version.components if c.required and c.code not in provided]


def check_complete(dossier: Dossier) -> None:
    """Raise one InvalidInput naming every invalid field and every missing component (the
    quantities the fees are computed from included)."""
    fields = checks.applicant_problems(dossier.applicant or {})
    fields.update(checks.declared_errors(dossier.version, dossier.form_data or {}, dossier.channel))
    for comp in missing_components(dossier):
        fields[f"component.{comp.code}"] = N_("Chưa đính kèm thành phần hồ sơ bắt buộc.")
    if fields:
        raise InvalidInput(
            N_("Hồ sơ chưa đầy đủ, vui lòng kiểm tra các mục được đánh dấu."), fields=fields
        )


# --- reads --------------------------------------------------------------------------------


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def file_read(dossier: Dossier, row: DossierFile) -> schemas.FileRead:
    return schemas.FileRead(
        id=row.id,
        component=row.component_code,
        purpose=row.purpose,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        digitised=row.digitised,
        uploaded_at=row.uploaded_at,
        url=f"/api/v1/dossiers/{dossier.id}/files/{row.id}",
    )


def flags(dossier: DossierState, now: datetime | None = None) -> tuple[bool, bool]:
    """(overdue, due today) for the current step, or for the answer window before reception."""
    now = now or utcnow()
    due = dossier.step_due_at or dossier.answer_due_at
    if due is None or dossier.status in FINAL_STATUSES:
        return False, False
    zone = ZoneInfo(get_settings().timezone)
    return due < now, due >= now and due.astimezone(zone).date() == now.astimezone(zone).date()


def summary(dossier: Dossier, now: datetime | None = None) -> schemas.DossierSummary:
    return schemas.DossierSummary(**summary_fields(dossier, now))


def summary_fields(dossier: DossierState, now: datetime | None = None) -> dict[str, Any]:
    """The fields of a dossier's summary (lists and queues extend them)."""
    overdue, today = flags(dossier, now)
    return dict(
        id=dossier.id,
        code=dossier.code,
        status=dossier.status,
        status_label=status_label(dossier.status),
        procedure_code=dossier.version.code,
        procedure_name=dossier.version.name,
        applicant_name=dossier.applicant_name,
        channel=dossier.channel,
        submitted_at=dossier.submitted_at,
        due_at=dossier.due_at,
        current_step=dossier.current_step.code if dossier.current_step else None,
        step_due_at=dossier.step_due_at,
        overdue=overdue,
        due_today=today,
    )


def group_of(status: str) -> str:
    """The "Hồ sơ của tôi" group of a status (``MY_GROUPS``)."""
    if status == "draft":
        return "draft"
    if status == "supplement_requested":
        return "supplement"
    if status in FINAL_STATUSES:
        return "done"
    return "in_progress"


def _group_filter(group: str) -> ColumnElement[bool]:
    if group == "draft":
        return Dossier.status == "draft"
    if group == "supplement":
        return Dossier.status == "supplement_requested"
    if group == "done":
        return Dossier.status.in_(FINAL_STATUSES)
    if group == "in_progress":
        return Dossier.status.not_in(("draft", "supplement_requested", *FINAL_STATUSES))
    raise InvalidInput(
        N_("Nhóm hồ sơ không hợp lệ."), fields={"group": "one of " + ", ".join(MY_GROUPS)}
    )


def list_mine(
    session: Session, user: User, limit: int = 20, offset: int = 0, group: str | None = None
) -> tuple[list[Dossier], int]:
    """The caller's own dossiers (as applicant), newest first; ``group`` one of ``MY_GROUPS``."""
    base = select(Dossier).where(Dossier.applicant_id == user.id)
    if group:
        base = base.where(_group_filter(group))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.options(selectinload(Dossier.current_step))
        .order_by(Dossier.created_at.desc(), Dossier.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def count_mine(session: Session, user: User) -> dict[str, int]:
    """How many of the caller's own dossiers each group of ``MY_GROUPS`` holds."""
    counts = dict.fromkeys(MY_GROUPS, 0)
    rows = session.execute(
        select(Dossier.status, func.count())
        .where(Dossier.applicant_id == user.id)
        .group_by(Dossier.status)
    ).all()
    for status, count in rows:
        counts[group_of(str(status))] += int(count)
    return counts


def find_by_code(session: Session, code: str) -> Dossier | None:
    return session.scalar(select(Dossier).where(Dossier.code == code))


LOOKUP_CODE_WINDOW = timedelta(minutes=10)
LOOKUP_CODE_LOCKED = N_(
    "Mã hồ sơ này đã bị tra cứu sai quá nhiều lần nên tạm ngừng tra cứu, kể cả với mã tra cứu "
    "đúng. Vui lòng thử lại từ %(time)s."
)


def lookup(session: Session, code: str, secret: str) -> Dossier:
    """Public lookup by code and the secret of form 01. A phone number does not open it: it
    is no secret (SPEC §3). Unknown code and wrong secret give the same answer.

    Failures are counted per code, from every address together (in the database, so across
    processes): after ``lookup_code_failure_limit`` in 10 minutes the code answers
    ``LimitReached`` (429), the right secret too — otherwise the right answer would tell a
    guesser the secret (the caller commits the failure it returns)."""
    code = code.strip()
    key = f"lookup-code:{code.upper()[:100]}"
    ratelimit.refuse_when_full(
        session,
        key,
        get_settings().lookup_code_failure_limit,
        LOOKUP_CODE_WINDOW,
        LOOKUP_CODE_LOCKED,
    )
    dossier = find_by_code(session, code) if code else None
    secret = secret.strip()
    ok = (
        dossier is not None
        and bool(secret)
        and dossier.lookup_secret is not None
        and hmac.compare_digest(secret.upper().encode(), dossier.lookup_secret.encode())
    )
    if not ok or dossier is None:
        ratelimit.record(session, key, LOOKUP_CODE_WINDOW)
        raise NotFound(N_("Không tìm thấy hồ sơ với mã và mã tra cứu đã nhập."))
    return dossier


# History events for the staff only: the creation of a draft and the warning that a dossier
# nears its due time (an internal reminder, not a step of the applicant's dossier).
STAFF_ONLY_ACTIONS = frozenset({"create", "late_warning"})


def public_events(dossier: Dossier) -> list[DossierEvent]:
    """The timeline the applicant and the public lookup show."""
    return [e for e in dossier.events if e.action not in STAFF_ONLY_ACTIONS]


def lookup_read(dossier: Dossier) -> schemas.LookupRead:
    """Status and timeline only: never the applicant's personal data."""
    session = object_session(dossier)
    postal = postal_service.get(session, dossier.id) if session is not None else None
    return schemas.LookupRead(
        result_by_post=postal is not None,
        result_tracking_number=postal.tracking_number if postal is not None else None,
        code=dossier.code or "",
        status=dossier.status,
        status_label=status_label(dossier.status),
        procedure_code=dossier.version.code,
        procedure_name=dossier.version.name,
        agency_name=dossier.agency.name,
        submitted_at=dossier.submitted_at,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        finished_at=dossier.finished_at,
        timeline=[
            schemas.LookupEvent(
                at=e.at, action=e.action, status=e.to_status, status_label=status_label(e.to_status)
            )
            for e in public_events(dossier)
        ],
    )


def counts_by_version(session: Session, procedure: Procedure) -> dict[int, int]:
    """How many dossiers each version of a procedure carries (they keep their version)."""
    rows = session.execute(
        select(Dossier.version_id, func.count())
        .where(Dossier.version_id.in_([v.id for v in procedure.versions]))
        .group_by(Dossier.version_id)
    ).all()
    return {int(version_id): int(count) for version_id, count in rows}
