"""The national sync outbox: messages queued with every status change (by the subscriber of
``DossierChanged``, in the change's transaction), and what system administrators see and do
about them — the queue, the parked and unsendable messages with the partner's answer, retry
and discard (docs/decisions/0027-national-sync-outbox.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.audit import service as audit_service
from app.db import utcnow
from app.dossiers.models import Dossier
from app.errors import Conflict, InvalidInput, NotFound
from app.i18n_markers import N_
from app.national import messages
from app.national.models import OPEN_STATUSES, STATUSES, NationalMessage

STATUS_LABELS = {
    "pending": N_("Chờ gửi"),
    "acknowledged": N_("Đã đồng bộ"),
    "parked": N_("Tạm dừng gửi"),
    "unsendable": N_("Không gửi được"),
    "discarded": N_("Đã bỏ"),
}
SERVICE_LABELS = {
    messages.DOSSIER: N_("Đồng bộ hồ sơ"),
    messages.PROGRESS: N_("Cập nhật tiến độ"),
}
MAX_IDS = 100
NOT_FOUND = N_("Không tìm thấy tin đồng bộ.")


# --- queueing -------------------------------------------------------------------------------


def _has_messages(session: Session, dossier_id: int) -> bool:
    return (
        session.scalar(
            select(NationalMessage.id)
            .where(
                NationalMessage.dossier_id == dossier_id,
                NationalMessage.service == messages.DOSSIER,
            )
            .limit(1)
        )
        is not None
    )


def queue_action(
    session: Session, dossier: Dossier, actor: User | None, action: str, before: str, comment: str
) -> list[NationalMessage]:
    """Queue what the national portal is to be told of one action on ``dossier``: the dossier
    (``DongBoHoSoMC``) when its status changed, its appointment moved or it was never sent,
    then the progress entry (``CapNhatTienDoHoSoMC``). Nothing for a dossier without a code
    or a national status (a draft)."""
    status = messages.national_status(dossier)
    if dossier.code is None or status is None:
        return []
    session.flush()  # the action's history line and files, read below
    sent_before = _has_messages(session, dossier.id)
    code = messages.national_code(dossier)
    reason = "" if code else messages.NO_NATIONAL_CODE % {"code": dossier.version.procedure.code}
    rows = []
    if not sent_before or before != dossier.status or action in messages.RESEND_DOSSIER:
        rows.append(
            NationalMessage(
                service=messages.DOSSIER,
                is_updating=sent_before,
                data=messages.dossier_entry(session, dossier),
            )
        )
    rows.append(
        NationalMessage(
            service=messages.PROGRESS,
            data=messages.progress_entry(session, dossier, actor, action, comment),
        )
    )
    now = utcnow()
    for row in rows:
        row.dossier_id = dossier.id
        row.dossier_code = dossier.code
        row.national_status = status
        row.action = action
        row.status = "pending" if code else "unsendable"
        row.last_error = reason
        row.created_at = row.next_attempt_at = now
        session.add(row)
    return rows


def queue_appointment(session: Session, dossier: Dossier) -> NationalMessage | None:
    """Queue the dossier again after its appointment moved with the working calendar (no
    action, no progress entry). Called inside a batch that flushes once: no flush here."""
    status = messages.national_status(dossier)
    if dossier.code is None or status is None:
        return None
    code = messages.national_code(dossier)
    now = utcnow()
    row = NationalMessage(
        dossier_id=dossier.id,
        dossier_code=dossier.code,
        service=messages.DOSSIER,
        is_updating=True,
        national_status=status,
        action="recompute_due",
        data=messages.dossier_entry(session, dossier),
        status="pending" if code else "unsendable",
        last_error=""
        if code
        else messages.NO_NATIONAL_CODE % {"code": dossier.version.procedure.code},
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    return row


# --- what administrators see and do -------------------------------------------------------


@dataclass(frozen=True)
class QueuePage:
    items: list[NationalMessage]
    total: int
    counts: dict[str, int]


def require_reader(user: User | None) -> User:
    """The national connection is the province's: system administrators only."""
    return account_service.require_admin(user)


def counts(session: Session) -> dict[str, int]:
    """Messages per status (every status listed, zero included)."""
    rows = session.execute(
        select(NationalMessage.status, func.count()).group_by(NationalMessage.status)
    )
    found = {status: int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in STATUSES}


def problems(session: Session) -> int:
    """Messages waiting for an administrator: parked or not sendable."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(NationalMessage)
            .where(NationalMessage.status.in_(("parked", "unsendable")))
        )
        or 0
    )


def check_status(status: str) -> str:
    if status and status not in STATUSES:
        raise InvalidInput(N_("Trạng thái không hợp lệ."), fields={"status": " | ".join(STATUSES)})
    return status


def list_messages(
    session: Session,
    user: User | None,
    status: str = "",
    dossier_code: str = "",
    limit: int = 50,
    offset: int = 0,
) -> QueuePage:
    """The queue, newest first, optionally of one status or one dossier."""
    require_reader(user)
    check_status(status)
    stmt = select(NationalMessage)
    if status:
        stmt = stmt.where(NationalMessage.status == status)
    if dossier_code:
        stmt = stmt.where(NationalMessage.dossier_code == dossier_code.strip())
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(
        stmt.order_by(NationalMessage.id.desc()).limit(limit).offset(offset)
    ).all()
    return QueuePage(items=list(items), total=int(total), counts=counts(session))


def _load(session: Session, ids: Sequence[int]) -> list[NationalMessage]:
    wanted = sorted(set(ids))
    if not wanted or len(wanted) > MAX_IDS:
        raise InvalidInput(
            N_("Chọn từ 1 đến 100 tin đồng bộ."), fields={"ids": f"1..{MAX_IDS} ids"}
        )
    rows = list(
        session.scalars(
            select(NationalMessage)
            .where(NationalMessage.id.in_(wanted))
            .order_by(NationalMessage.id)
            .with_for_update()
        )
    )
    if len(rows) != len(wanted):
        raise NotFound(NOT_FOUND, fields={"ids": "unknown id"})
    return rows


def retry(session: Session, user: User | None, ids: Sequence[int]) -> list[NationalMessage]:
    """Send parked messages again from the start (their attempts counted from zero). An
    unsendable message is retried only once the reason is gone (its procedure has a national
    code now)."""
    admin = require_reader(user)
    rows = _load(session, ids)
    for row in rows:
        if row.status not in ("parked", "unsendable"):
            raise Conflict(
                N_("Chỉ gửi lại được tin đang tạm dừng gửi hoặc không gửi được."),
                fields={"ids": str(row.id)},
            )
    codes: dict[int, str] = {}
    for row in rows:  # every check before any change: all or nothing
        if row.status == "unsendable":
            dossier = session.get(Dossier, row.dossier_id)
            code = messages.national_code(dossier) if dossier is not None else None
            if code is None:
                raise Conflict(row.last_error or N_("Tin này vẫn chưa gửi được."))
            codes[row.id] = code
    now = utcnow()
    for row in rows:
        if row.id in codes:
            row.data = {**row.data, "MaTTHC": codes[row.id]}
            row.last_error = ""
        row.status = "pending"
        row.attempts = 0
        row.next_attempt_at = now
        row.claimed_until = None
        _handled(row, admin, now)
    _audit(session, admin, "national.retry", rows)
    session.flush()
    return rows


def discard(session: Session, user: User | None, ids: Sequence[int]) -> list[NationalMessage]:
    """Give up messages that are not to be sent (the later messages of their dossier go on)."""
    admin = require_reader(user)
    rows = _load(session, ids)
    for row in rows:
        if row.status not in OPEN_STATUSES:
            raise Conflict(
                N_("Tin đã được Cổng Dịch vụ công quốc gia xác nhận hoặc đã bỏ."),
                fields={"ids": str(row.id)},
            )
    # A message being sent right now is left alone: its outcome decides.
    claimed = [r for r in rows if r.claimed_until is not None and r.claimed_until > utcnow()]
    if claimed:
        raise Conflict(
            N_("Tin đang được gửi; hãy thử lại sau ít phút."), fields={"ids": str(claimed[0].id)}
        )
    now = utcnow()
    for row in rows:
        row.status = "discarded"
        _handled(row, admin, now)
    _audit(session, admin, "national.discard", rows)
    session.flush()
    return rows


def _handled(row: NationalMessage, admin: User, now: datetime) -> None:
    row.handled_by = admin.full_name[:120]
    row.handled_at = now


def _audit(session: Session, admin: User, action: str, rows: list[NationalMessage]) -> None:
    for row in rows:
        audit_service.record(
            session,
            action,
            actor=admin,
            object_type="national_message",
            object_id=row.id,
            details={"dossier_code": row.dossier_code, "service": row.service},
        )
