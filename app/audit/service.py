"""The audit log (nhật ký hệ thống): append-only, hash-chained, searchable and exportable.

Each entry carries the SHA-256 of a canonical JSON of its own fields and of the previous
entry's hash; the single ``audit_head`` row holds the last sequence number and hash and is
locked (UPDATE … RETURNING) while an entry is appended, in the caller's transaction. So
entries are numbered without gaps in commit order, a rolled-back transaction takes its entry
back with it, and any later change to a stored row breaks the chain (see
docs/decisions/0006-audit-chain.md).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.audit.context import current_ip
from app.audit.models import AuditEntry, AuditHead
from app.config import get_settings
from app.db import utcnow
from app.errors import Forbidden, InvalidInput, Unauthorized
from app.formatting import parse_query_day
from app.i18n_markers import N_

GENESIS = "0" * 64
HEAD_ID = 1
# Exports stop here: a bigger extract is a database job, not a download.
MAX_EXPORT_ROWS = 100_000
ACTION_LABELS = {
    "login.succeeded": N_("Đăng nhập thành công"),
    "login.failed": N_("Đăng nhập thất bại"),
    "login.password_accepted": N_("Đúng mật khẩu, chờ mã xác thực"),
    "login.eid_accepted": N_("Đã xác thực qua VNeID, chờ mã xác thực"),
    "account.eid_created": N_("Tạo tài khoản khi đăng nhập bằng VNeID"),
    "account.eid_linked": N_("Liên kết tài khoản với VNeID"),
    "login.throttled": N_("Đăng nhập bị hạn chế tạm thời"),
    "login.limits_cleared": N_("Quản trị gỡ hạn chế đăng nhập"),
    "file.download": N_("Cán bộ tải tệp của hồ sơ"),
    "payment.settled": N_("Ghi nhận thanh toán"),
    "receipt.cancelled": N_("Biên lai bị hủy"),
    "receipt.replaced": N_("Biên lai được thay thế"),
    "dossier.draft_deleted": N_("Xóa hồ sơ nháp"),
    "calendar.override_set": N_("Quản trị đặt ngày nghỉ, ngày làm bù hoặc gạch bỏ ngày lễ"),
    "calendar.override_delete": N_("Quản trị bỏ thay đổi của một ngày trong lịch"),
    "calendar.year_confirmed": N_("Quản trị xác nhận lịch nghỉ lễ của năm"),
    "calendar.due_recomputed": N_("Tính lại hạn của hồ sơ sau khi lịch thay đổi"),
    "rules.set": N_("Quản trị thay đổi quy tắc thời hạn"),
    "rules.reset": N_("Quản trị đưa quy tắc thời hạn về mặc định"),
    "national.retry": N_("Quản trị gửi lại tin đồng bộ Cổng Dịch vụ công quốc gia"),
    "national.discard": N_("Quản trị bỏ tin đồng bộ Cổng Dịch vụ công quốc gia"),
}
# The export's columns, in Vietnamese like the other exports (finding m23); the hashes stay so
# that an exported log can still be checked against the chain.
EXPORT_COLUMNS = (
    "STT",
    "Thời điểm",
    "Người thực hiện",
    "Mã tài khoản",
    "Địa chỉ IP",
    "Thao tác",
    "Mã thao tác",
    "Loại đối tượng",
    "Mã đối tượng",
    "Chi tiết",
    "Mã băm dòng trước",
    "Mã băm",
)


# --- the chain ------------------------------------------------------------------------------


def _canonical_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """What the database will give back: JSON types only (dates become ISO strings)."""
    value = json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))
    return value if isinstance(value, dict) else {"value": value}


def compute_hash(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor: str,
    ip: str,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 over a canonical JSON (sorted keys, no spaces, UTF-8) of the entry's fields."""
    payload = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor": actor,
        "ip": ip,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "details": details,
        "prev_hash": prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    return compute_hash(
        seq=entry.seq,
        at=entry.at,
        actor_id=entry.actor_id,
        actor=entry.actor,
        ip=entry.ip,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        details=entry.details or {},
        prev_hash=entry.prev_hash,
    )


def _advance_head(session: Session) -> tuple[int, str]:
    """Lock the head row and take the next sequence number; returns (seq, previous hash)."""
    bump = (
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(last_seq=AuditHead.last_seq + 1)
        .returning(AuditHead.last_seq, AuditHead.last_hash)
    )
    row = session.execute(bump).one_or_none()
    if row is None:
        # First entry ever: create the head; a concurrent first writer makes ours collide.
        try:
            with session.begin_nested():
                session.execute(insert(AuditHead).values(id=HEAD_ID, last_seq=1, last_hash=GENESIS))
            return 1, GENESIS
        except IntegrityError:
            row = session.execute(bump).one()
    return int(row[0]), str(row[1])


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    object_type: str = "",
    object_id: str | int = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry to the audit log in the caller's transaction (IP from the request)."""
    seq, prev_hash = _advance_head(session)
    entry = AuditEntry(
        seq=seq,
        # Taken under the head's lock, so time never runs backwards along the chain.
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor=(actor.email if actor is not None else "")[:254],
        ip=current_ip()[:45],
        action=action[:60],
        object_type=object_type[:40],
        object_id=str(object_id)[:60],
        details=_canonical_details(details),
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_hash=entry.hash))
    session.flush()
    return entry


def record_login(
    session: Session,
    user: User | None,
    email: str,
    channel: str,
    *,
    second_factor: bool = False,
    reason: str = "",
) -> AuditEntry:
    """A login attempt: success with the user as actor, failure with the e-mail tried. With
    ``second_factor`` the password (or the e-ID, channel "vneid") was right but a code is still
    asked for: the login has not succeeded yet (``login.succeeded`` follows when a session is
    opened). ``reason``: why an e-ID login was refused."""
    if user is None:
        tried = email.strip().lower()[:254]
        details = {"email": tried, "channel": channel}
        if reason:
            details["reason"] = reason
        return record(
            session,
            "login.failed",
            object_type="user",
            object_id=tried[:60],
            details=details,
        )
    accepted = "login.eid_accepted" if channel == "vneid" else "login.password_accepted"
    return record(
        session,
        accepted if second_factor else "login.succeeded",
        actor=user,
        object_type="user",
        object_id=user.id,
        details={"channel": channel},
    )


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    first_bad_seq: int | None
    message: str
    checked: int


_CHAIN_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor_id,
    AuditEntry.actor,
    AuditEntry.ip,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.details,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


def check_chain(session: Session) -> VerifyResult:
    """Walk the log in order up to the head, recomputing every hash and link.

    The head is read first: entries appended while the walk runs lie beyond it and are left
    for the next check."""
    head = session.execute(
        select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == HEAD_ID)
    ).one_or_none()
    if head is None:
        if session.scalar(select(func.count()).select_from(AuditEntry)):
            return VerifyResult(False, 1, "audit head is missing", 0)
        return VerifyResult(True, None, "audit log is empty", 0)
    last_seq, last_hash = int(head[0]), str(head[1])
    expected, prev, count = 1, GENESIS, 0
    stmt = (
        select(*_CHAIN_COLUMNS)
        .where(AuditEntry.seq <= last_seq)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=1000)
    )
    for row in session.execute(stmt):
        count += 1
        seq, stored_hash = int(row.seq), str(row.hash)
        if seq != expected:
            gone = f"entry {expected}" if seq == expected + 1 else f"entries {expected}–{seq - 1}"
            return VerifyResult(
                False, expected, f"entry {expected}: missing ({gone} deleted)", count
            )
        if row.prev_hash != prev:
            return VerifyResult(
                False,
                seq,
                f"entry {seq}: link to entry {seq - 1} broken (one of them was changed)",
                count,
            )
        computed = compute_hash(
            seq=seq,
            at=row.at,
            actor_id=row.actor_id,
            actor=row.actor,
            ip=row.ip,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            details=row.details or {},
            prev_hash=row.prev_hash,
        )
        if computed != stored_hash:
            return VerifyResult(False, seq, f"entry {seq}: content does not match its hash", count)
        prev = stored_hash
        expected += 1
    if expected - 1 != last_seq:
        first = expected
        return VerifyResult(
            False,
            first,
            f"entry {first}: missing (the head records {last_seq} entries, {count} found)",
            count,
        )
    if last_hash != prev:
        return VerifyResult(
            False, last_seq, f"entry {last_seq}: hash differs from the audit head", count
        )
    # Entries past the head are either appended since it was read (their head update is
    # committed with them, so a fresh read of the head covers them) or a broken head.
    beyond = session.scalar(select(func.max(AuditEntry.seq)))
    if beyond is not None and beyond > last_seq:
        now_head = session.scalar(select(AuditHead.last_seq).where(AuditHead.id == HEAD_ID))
        if now_head is None or beyond > now_head:
            return VerifyResult(
                False,
                last_seq + 1,
                f"entry {last_seq + 1}: beyond the audit head ({last_seq}); the head was changed",
                count,
            )
    return VerifyResult(True, None, f"audit log intact: {count} entries", count)


def verify(session: Session) -> tuple[bool, int | None, str]:
    """Check the chain: (ok, first broken sequence number or None, a message naming it)."""
    result = check_chain(session)
    return result.ok, result.first_bad_seq, result.message


# --- reading --------------------------------------------------------------------------------


@dataclass
class Filters:
    """What the admin page and the API filter on; empty strings mean "any"."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None


def parse_filters(
    actor: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: str = "",
    date_to: str = "",
) -> Filters:
    """Filters from query strings; dates are ``YYYY-MM-DD`` (local days, both ends included)."""
    days: dict[str, date | None] = {}
    for name, text in (("from", date_from), ("to", date_to)):
        text = (text or "").strip()
        if not text:
            days[name] = None
            continue
        days[name] = parse_query_day(text, name)
    start, end = days["from"], days["to"]
    if start and end and end < start:
        raise InvalidInput(
            N_("Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."), fields={"to": "before from"}
        )
    return Filters(
        actor=(actor or "").strip()[:254],
        action=(action or "").strip()[:60],
        object_type=(object_type or "").strip()[:40],
        object_id=(object_id or "").strip()[:60],
        date_from=start,
        date_to=end,
    )


def require_reader(user: User | None) -> User:
    """System admins read the whole log; agency admins the entries of their subtree's staff."""
    if user is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    if user.is_admin or (user.is_staff and user.has_role("agency_admin")):
        return user
    raise Forbidden(N_("Chỉ quản trị viên được xem nhật ký hệ thống."))


def _local_midnight(day: date) -> datetime:
    zone = ZoneInfo(get_settings().timezone)
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query(session: Session, user: User, filters: Filters) -> Select[AuditEntry]:
    """The entries the caller may read, filtered; newest first."""
    require_reader(user)
    stmt = select(AuditEntry)
    if not user.is_admin:
        # Decided in docs/decisions/0006-audit-chain.md: an agency admin sees what the staff
        # of their agency subtree did (citizens' and system entries are the system admin's).
        assert user.agency_id is not None
        agencies = account_service.agency_subtree_ids(session, user.agency_id)
        staff = select(User.id).where(User.agency_id.in_(agencies))
        stmt = stmt.where(AuditEntry.actor_id.in_(staff))
    if filters.actor:
        pattern = f"%{_escape_like(filters.actor.lower())}%"
        stmt = stmt.where(func.lower(AuditEntry.actor).like(pattern, escape="\\"))
    if filters.action:
        # "dossier" finds every dossier.* action; "dossier.receive" exactly that one.
        stmt = stmt.where(
            or_(
                AuditEntry.action == filters.action,
                AuditEntry.action.like(f"{_escape_like(filters.action)}.%", escape="\\"),
            )
        )
    if filters.object_type:
        stmt = stmt.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id:
        stmt = stmt.where(AuditEntry.object_id == filters.object_id)
    if filters.date_from:
        stmt = stmt.where(AuditEntry.at >= _local_midnight(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEntry.at < _local_midnight(filters.date_to + timedelta(days=1)))
    return stmt.order_by(AuditEntry.seq.desc())


def search(
    session: Session, user: User, filters: Filters, limit: int = 50, offset: int = 0
) -> tuple[list[AuditEntry], int]:
    """One page of entries (newest first) and the number matching."""
    stmt = query(session, user, filters)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(limit).offset(offset)).all()
    return list(rows), int(total)


def actions_in_use(session: Session) -> list[str]:
    return sorted(session.scalars(select(AuditEntry.action).distinct()))


# --- export ---------------------------------------------------------------------------------


def detail_text(details: dict[str, Any] | None) -> str:
    """An entry's details as people read them: "code: …; from: submitted; to: received"."""
    parts = []
    for key, value in sorted((details or {}).items()):
        if value is None or value == "":
            text = "—"
        elif isinstance(value, (dict, list)):
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        else:
            text = str(value)
        parts.append(f"{key}: {text}")
    return "; ".join(parts)


def _row(entry: AuditEntry, labels: Mapping[str, str]) -> list[Any]:
    local = entry.at.astimezone(ZoneInfo(get_settings().timezone))
    return [
        entry.seq,
        local.strftime("%d/%m/%Y %H:%M:%S"),
        entry.actor or "Hệ thống / không xác định",
        entry.actor_id if entry.actor_id is not None else "",
        entry.ip,
        labels.get(entry.action, entry.action),
        entry.action,
        entry.object_type,
        entry.object_id,
        detail_text(entry.details),
        entry.prev_hash,
        entry.hash,
    ]


def export_rows(session: Session, user: User, filters: Filters) -> Sequence[AuditEntry]:
    stmt = query(session, user, filters).limit(MAX_EXPORT_ROWS)
    return session.scalars(stmt).all()


def export_csv(entries: Sequence[AuditEntry], labels: Mapping[str, str]) -> bytes:
    """CSV (UTF-8 with BOM so that Excel shows Vietnamese correctly); ``labels`` name the
    actions in Vietnamese."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        writer.writerow(_row(entry, labels))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(entries: Sequence[AuditEntry], labels: Mapping[str, str]) -> bytes:
    """The entries as a workbook: every text cell is text (an e-mail or a detail beginning with
    "=" never becomes a formula), without the control characters XML cannot hold."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Nhật ký")
    sheet.append(list(EXPORT_COLUMNS))
    for entry in entries:
        sheet.append([_sheet_cell(sheet, value) for value in _row(entry, labels)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell
