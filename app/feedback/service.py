"""Feedback and complaints (phản ánh, kiến nghị, SPEC §12; docs/decisions/0032-feedback.md).

Filing: anyone, with an account or with a name and a phone or an e-mail; routed to the agency
concerned, or to the agency of the cited dossier (which a citizen may cite only if it is theirs
or if they give its lookup secret). Handling: any reception or specialist officer of that agency
assigns and answers; a leader of the agency approves (``published``: the answer goes to the
sender, and with consent to the public page) or sends it back (``reject`` of an answered item);
an officer rejects an item out of scope or duplicate (``reject`` of an open item, with the
reason). Staff of other agencies, other citizens and anonymous callers see nothing (404).
Items past their due time are escalated once to the parent agency by the worker."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, lazyload

from app.accounts.models import User
from app.agencies.models import Agency
from app.audit import service as audit_service
from app.calendar import service as calendar_service
from app.config import get_settings
from app.db import utcnow
from app.dossiers import codes as dossier_codes
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.feedback import masking, notices
from app.feedback.models import CATEGORIES, OPEN_STATUSES, FeedbackFile, FeedbackItem
from app.feedback.schemas import ActionIn, FeedbackIn
from app.i18n_markers import N_
from app.ratelimit import record, refuse_when_full
from app.storage import service as storage

STATUS_LABELS = {
    "new": N_("Mới tiếp nhận"),
    "assigned": N_("Đang xử lý"),
    "answered": N_("Chờ lãnh đạo duyệt"),
    "published": N_("Đã trả lời"),
    "rejected": N_("Không xử lý"),
}
CATEGORY_LABELS = {
    "procedure": N_("Thủ tục hành chính"),
    "dossier": N_("Hồ sơ"),
    "officer": N_("Cán bộ, công chức"),
    "agency": N_("Cơ quan"),
    "other": N_("Khác"),
}
HANDLERS = ("reception", "specialist")
ACCEPTED_TYPES = ["pdf", "jpg", "png"]
MAX_FILE_MB = 10
MAX_FILES = 3
RATE_WINDOW = timedelta(hours=1)
NOT_FOUND = N_("Không tìm thấy phản ánh, kiến nghị.")
LOOKUP_NOT_FOUND = N_("Không tìm thấy phản ánh với mã và mã tra cứu đã nhập.")
DOSSIER_NOT_YOURS = N_(
    "Không tìm thấy hồ sơ của Ông/Bà với mã này. Hồ sơ của người khác chỉ được nêu khi nhập "
    "đúng mã tra cứu của hồ sơ đó."
)
TOO_MANY = N_("Gửi phản ánh quá nhiều lần, vui lòng thử lại sau %(time)s.")
_PHONE = re.compile(r"^(?:\+84|0)\d{9,10}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _clean(text: str | None, limit: int) -> str:
    return unicodedata.normalize("NFC", (text or "").replace("\x00", "")).strip()[:limit]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- filing ---------------------------------------------------------------------------------


class Duplicate(Conflict):
    """The same feedback filed again within minutes; ``message`` names the earlier code."""

    def __init__(self, code: str) -> None:
        super().__init__(
            N_("Phản ánh này đã được gửi cách đây ít phút (mã %(code)s), không cần gửi lại.")
        )
        self.earlier = code

    def message(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.detail) % {"code": self.earlier}


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str


@dataclass(frozen=True)
class Sender:
    user: User | None
    name: str
    phone: str
    email: str

    @property
    def key(self) -> str:
        if self.user is not None:
            return f"user:{self.user.id}"
        return f"contact:{self.phone or self.email.lower()}"


def _sender(user: User | None, data: FeedbackIn) -> Sender:
    given = data.sender
    if user is not None:
        return Sender(user, user.full_name[:120], (user.phone or "")[:20], (user.email or "")[:254])
    errors: dict[str, str] = {}
    name = _clean(given.full_name if given else "", 120)
    phone = re.sub(r"[\s.\-()]", "", given.phone if given else "")
    email = _clean(given.email if given else "", 254)
    if not name:
        errors["sender.full_name"] = N_("Vui lòng nhập họ và tên.")
    if not phone and not email:
        errors["sender.phone"] = N_("Vui lòng nhập số điện thoại hoặc thư điện tử để nhận trả lời.")
    if phone and not _PHONE.match(phone):
        errors["sender.phone"] = N_("Số điện thoại không hợp lệ (ví dụ 0912345678).")
    if email and not _EMAIL.match(email):
        errors["sender.email"] = N_("Địa chỉ thư điện tử không hợp lệ.")
    if errors:
        raise InvalidInput(N_("Vui lòng kiểm tra lại thông tin người gửi."), fields=errors)
    return Sender(None, name, phone, email)


def _cited_dossier(session: Session, user: User | None, data: FeedbackIn) -> Dossier | None:
    code = _clean(data.dossier_code, 60)
    if not code:
        return None
    dossier = dossier_service.find_by_code(session, code)
    if dossier is None:
        raise InvalidInput(DOSSIER_NOT_YOURS, fields={"dossier_code": DOSSIER_NOT_YOURS})
    if user is not None and dossier.applicant_id == user.id:
        return dossier
    secret = _clean(data.dossier_secret, 20).upper()
    if (
        secret
        and dossier.lookup_secret is not None
        and hmac.compare_digest(secret.encode(), dossier.lookup_secret.encode())
    ):
        return dossier
    raise InvalidInput(DOSSIER_NOT_YOURS, fields={"dossier_code": DOSSIER_NOT_YOURS})


def _agency(session: Session, data: FeedbackIn, dossier: Dossier | None) -> Agency:
    if dossier is not None:
        agency = session.get(Agency, dossier.agency_id)
        assert agency is not None
        return agency
    code = _clean(data.agency_code, 35)
    agency = (
        session.scalar(select(Agency).where(Agency.code == code, Agency.is_active))
        if code
        else None
    )
    if agency is None:
        message = (
            N_("Vui lòng chọn cơ quan tiếp nhận phản ánh.")
            if not code
            else N_("Không tìm thấy cơ quan này.")
        )
        raise InvalidInput(message, fields={"agency_code": message})
    return agency


def _new_code(session: Session, now: datetime) -> str:
    local = calendar_service.get_calendar(session).local(now)
    while True:
        code = f"PA-{local:%y%m%d}-{secrets.randbelow(10**6):06d}"
        if session.scalar(select(FeedbackItem.id).where(FeedbackItem.code == code)) is None:
            return code


def due_at(session: Session, filed_at: datetime) -> datetime:
    """The answer's due time: the rule's working days from filing (cut-off hour applies)."""
    cal = calendar_service.get_calendar(session)
    return cal.due_after_working_days(filed_at, cal.rules.feedback_answer_days)


def file_feedback(
    session: Session,
    user: User | None,
    data: FeedbackIn,
    uploads: list[Upload] | None = None,
    *,
    client: str = "",
    now: datetime | None = None,
) -> tuple[FeedbackItem, str]:
    """File feedback; returns the item and its lookup secret (shown once, kept hashed).

    Everything is checked before anything is stored; an anonymous filing counts towards the
    address's hourly limit (the caller commits the count even when it answers an error)."""
    now = now or utcnow()
    settings = get_settings()
    subject, content = _clean(data.subject, 200), _clean(data.content, 5000)
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = N_("Vui lòng nhập tiêu đề.")
    if len(content) < 10:
        errors["content"] = N_("Vui lòng nhập nội dung phản ánh (ít nhất 10 ký tự).")
    if data.category not in CATEGORIES:
        errors["category"] = N_("Vui lòng chọn loại phản ánh.")
    if errors:
        raise InvalidInput(N_("Vui lòng kiểm tra lại nội dung phản ánh."), fields=errors)
    sender = _sender(user, data)
    if user is None:
        refuse_when_full(
            session, f"feedback:{client}", settings.feedback_rate_limit, RATE_WINDOW, TOO_MANY
        )
    dossier = _cited_dossier(session, user, data)
    agency = _agency(session, data, dossier)
    uploads = uploads or []
    if len(uploads) > MAX_FILES:
        message = N_("Chỉ được đính kèm tối đa 3 tệp.")
        raise InvalidInput(message, fields={"files": message})
    fingerprint = _digest(
        "\n".join((sender.key, str(agency.id), subject.casefold(), " ".join(content.split())))
    )
    window = timedelta(minutes=settings.feedback_duplicate_minutes)
    earlier = session.scalar(
        select(FeedbackItem.code).where(
            FeedbackItem.fingerprint == fingerprint, FeedbackItem.created_at >= now - window
        )
    )
    if earlier is not None:
        raise Duplicate(earlier)
    stored = [
        storage.check_upload(u.data, u.filename, ACCEPTED_TYPES, MAX_FILE_MB) for u in uploads
    ]
    if user is None:
        record(session, f"feedback:{client}", RATE_WINDOW)
    secret = dossier_codes.new_secret()
    item = FeedbackItem(
        code=_new_code(session, now),
        secret_hash=_digest(secret),
        category=data.category,
        subject=subject,
        content=content,
        agency_id=agency.id,
        dossier_id=dossier.id if dossier else None,
        sender_user_id=user.id if user else None,
        sender_name=sender.name,
        sender_phone=sender.phone,
        sender_email=sender.email,
        publish_consent=data.publish_consent,
        fingerprint=fingerprint,
        status="new",
        due_at=due_at(session, now),
        created_at=now,
        answer="",
        leader_comment="",
        reject_reason="",
        public_subject="",
        public_content="",
        public_answer="",
    )
    item.agency = agency
    session.add(item)
    session.flush()
    for f in stored:
        session.add(
            FeedbackFile(
                feedback_id=item.id,
                filename=f.filename,
                content_type=f.content_type,
                size=f.size,
                sha256=f.sha256,
            )
        )
    session.flush()
    audit_service.record(
        session,
        "feedback.filed",
        actor=user,
        object_type="feedback",
        object_id=item.code,
        details={"agency": agency.code, "category": item.category, "files": len(stored)},
    )
    notices.tell_sender(session, item, "feedback_received", {"secret": secret})
    return item, secret


# --- lookup and public reads ----------------------------------------------------------------


def lookup(session: Session, code: str, secret: str, user: User | None = None) -> FeedbackItem:
    """By code and secret (the sender's account needs no secret); the same answer for an
    unknown code and a wrong secret."""
    item = session.scalar(select(FeedbackItem).where(FeedbackItem.code == _clean(code, 30).upper()))
    if item is None:
        raise NotFound(LOOKUP_NOT_FOUND)
    if user is not None and item.sender_user_id == user.id:
        return item
    given = _clean(secret, 20).upper()
    if not given or not hmac.compare_digest(_digest(given), item.secret_hash):
        raise NotFound(LOOKUP_NOT_FOUND)
    return item


def public_items(
    session: Session, q: str = "", limit: int = 20, offset: int = 0
) -> tuple[list[FeedbackItem], int]:
    """Published items whose sender consented, newest first; ``q`` searches the published
    wording only."""
    cond = and_(FeedbackItem.status == "published", FeedbackItem.publish_consent.is_(True))
    words = _clean(q, 100)
    if words:
        like = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        cond = and_(
            cond,
            or_(
                FeedbackItem.public_subject.ilike(like, escape="\\"),
                FeedbackItem.public_content.ilike(like, escape="\\"),
                FeedbackItem.public_answer.ilike(like, escape="\\"),
            ),
        )
    total = session.scalar(select(func.count(FeedbackItem.id)).where(cond)) or 0
    rows = session.scalars(
        select(FeedbackItem)
        .where(cond)
        .order_by(FeedbackItem.published_at.desc(), FeedbackItem.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


# --- staff ----------------------------------------------------------------------------------


def _staff(user: User | None) -> User:
    if user is None or not (user.is_admin or user.is_staff):
        raise NotFound(NOT_FOUND)
    return user


def can_see(user: User | None, item: FeedbackItem) -> bool:
    """The agency's staff, the parent agency's once escalated, system admins."""
    if user is None:
        return False
    if user.is_admin:
        return True
    return user.is_staff and user.agency_id in (item.agency_id, item.escalated_to_id)


def get_for_staff(session: Session, user: User | None, item_id: int) -> FeedbackItem:
    item = session.get(FeedbackItem, item_id)
    if item is None or not can_see(user, item):
        raise NotFound(NOT_FOUND)
    return item


def is_overdue(item: FeedbackItem, now: datetime | None = None) -> bool:
    return item.status in OPEN_STATUSES and item.due_at < (now or utcnow())


def queue(
    session: Session,
    user: User | None,
    *,
    status: str | None = None,
    after: str | None = None,
    limit: int = 20,
) -> tuple[list[FeedbackItem], str | None]:
    """The caller's agency's items (and those escalated to it), open ones by due time: keyset
    paging on (due_at, id). One small query per status and scope, each read in index order
    from ``ix_feedback_queue`` / ``ix_feedback_escalated`` and cut at the page size, then
    merged: a page reads about a page of rows whatever the number of items."""
    user = _staff(user)
    statuses = (status,) if status else OPEN_STATUSES
    keyset = []
    if after:
        try:
            stamp, _sep, last = after.partition("_")
            key = (datetime.fromisoformat(stamp), int(last))
        except ValueError as exc:
            raise InvalidInput(N_("Trang không hợp lệ."), fields={"after": "due_id"}) from exc
        keyset.append(FeedbackItem.due_at >= key[0])  # a range the index can seek to
        keyset.append(
            or_(
                FeedbackItem.due_at > key[0],
                and_(FeedbackItem.due_at == key[0], FeedbackItem.id > key[1]),
            )
        )
    scopes = (
        [None]
        if user.is_admin
        else [
            FeedbackItem.agency_id == user.agency_id,
            FeedbackItem.escalated_to_id == user.agency_id,
        ]
    )
    found: dict[int, FeedbackItem] = {}
    for one in statuses:
        for scope in scopes:
            stmt = (
                select(FeedbackItem)
                .options(lazyload(FeedbackItem.files))
                .where(FeedbackItem.status == one, *keyset)
                .order_by(FeedbackItem.due_at, FeedbackItem.id)
                .limit(limit + 1)
            )
            if scope is not None:
                stmt = stmt.where(scope)
            for row in session.scalars(stmt):
                found[row.id] = row
    rows = sorted(found.values(), key=lambda r: (r.due_at, r.id))
    more = len(rows) > limit
    rows = rows[:limit]
    next_after = f"{rows[-1].due_at.isoformat()}_{rows[-1].id}" if more and rows else None
    return rows, next_after


def handlers(session: Session, item: FeedbackItem) -> list[User]:
    """Who may be assigned: active reception and specialist officers of the item's agency."""
    users = session.scalars(
        select(User)
        .where(User.agency_id == item.agency_id, User.is_active)
        .order_by(User.full_name, User.id)
    ).all()
    return [u for u in users if u.roles.intersection(HANDLERS)]


def _at(user: User, agency_ids: tuple[int | None, ...], *roles: str) -> bool:
    return (
        user.is_admin is False
        and user.agency_id in agency_ids
        and bool(user.roles.intersection(roles))
    )


def available_actions(user: User | None, item: FeedbackItem) -> list[str]:
    """The actions the caller may take on the item now."""
    if user is None or not can_see(user, item):
        return []
    own = (item.agency_id,)
    handler = _at(user, own, *HANDLERS)
    leader = _at(user, (item.agency_id, item.escalated_to_id), "leader")
    out = []
    if item.status in ("new", "assigned") and (handler or _at(user, own, "leader")):
        out.append("assign")
    if item.status in ("new", "assigned") and handler:
        out += ["answer", "reject"]
    if item.status == "answered" and leader:
        out += ["approve", "reject"]
    return out


def _text(value: str | None, limit: int) -> str:
    return _clean(value, limit)


def perform(
    session: Session, user: User | None, item_id: int, data: ActionIn, now: datetime | None = None
) -> FeedbackItem:
    """Take an action on an item: ``assign``, ``answer``, ``approve``, ``reject``."""
    now = now or utcnow()
    item = get_for_staff(session, user, item_id)
    assert user is not None
    if data.action not in available_actions(user, item):
        raise Forbidden(
            N_("Bạn không thể thực hiện thao tác này với phản ánh ở trạng thái hiện tại.")
        )
    before = item.status
    details: dict[str, object] = {"from": before}
    if data.action == "assign":
        chosen = next((u for u in handlers(session, item) if u.id == data.assignee_id), None)
        if chosen is None:
            message = N_("Vui lòng chọn một cán bộ tiếp nhận hoặc chuyên viên của cơ quan.")
            raise InvalidInput(message, fields={"assignee_id": message})
        item.assignee_id = chosen.id
        item.status = "assigned"
        details["assignee"] = chosen.email
    elif data.action == "answer":
        answer = _text(data.answer, 10000)
        if len(answer) < 10:
            message = N_("Vui lòng nhập nội dung trả lời (ít nhất 10 ký tự).")
            raise InvalidInput(message, fields={"answer": message})
        item.answer = answer
        item.upheld = data.upheld
        item.answered_by_id = user.id
        item.answered_at = now
        item.assignee_id = item.assignee_id or user.id
        item.leader_comment = ""
        names = [item.sender_name]
        item.public_subject = _text(data.public_subject, 200) or masking.mask(item.subject, names)
        item.public_content = _text(data.public_content, 5000) or masking.mask(item.content, names)
        item.public_answer = _text(data.public_answer, 10000) or masking.mask(answer, names)
        item.status = "answered"
        details["upheld"] = data.upheld
    elif data.action == "approve":
        item.status = "published"
        item.approved_by_id = user.id
        item.closed_at = now
        if item.publish_consent:
            item.published_at = now
        details["public"] = item.publish_consent
    else:  # reject
        comment = _text(data.comment, 2000)
        if not comment:
            message = N_("Vui lòng nêu lý do.")
            raise InvalidInput(message, fields={"comment": message})
        if item.status == "answered":  # the leader sends the answer back
            item.status = "assigned"
            item.leader_comment = comment
        else:
            item.status = "rejected"
            item.reject_reason = comment
            item.closed_at = now
    session.flush()
    details["to"] = item.status
    action = "sent_back" if before == "answered" and item.status == "assigned" else data.action
    audit_service.record(
        session,
        f"feedback.{action}",
        actor=user,
        object_type="feedback",
        object_id=item.code,
        details=details,
    )
    if item.status == "published":
        notices.tell_sender(session, item, "feedback_answered", {})
    elif item.status == "rejected":
        notices.tell_sender(session, item, "feedback_rejected", {})
    return item


def file_bytes(
    session: Session, user: User | None, item_id: int, file_id: int
) -> tuple[FeedbackFile, bytes]:
    """An attachment, for the item's staff."""
    item = get_for_staff(session, user, item_id)
    row = next((f for f in item.files if f.id == file_id), None)
    if row is None:
        raise NotFound(N_("Không tìm thấy tệp."))
    audit_service.record(
        session, "feedback.file_read", actor=user, object_type="feedback", object_id=item.code
    )
    return row, storage.read_bytes(row.sha256)


# --- the worker: escalation -----------------------------------------------------------------


def escalate_overdue(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Open items past their due time go to the parent agency once (its staff see them, its
    leaders are told); an agency without a parent keeps its items."""
    now = now or utcnow()
    rows = session.scalars(
        select(FeedbackItem)
        .where(
            FeedbackItem.status.in_(OPEN_STATUSES),
            FeedbackItem.due_at < now,
            FeedbackItem.escalated_at.is_(None),
        )
        .order_by(FeedbackItem.due_at)
        .limit(500)
    ).all()
    escalated = 0
    for item in rows:
        item.escalated_at = now
        item.escalated_to_id = item.agency.parent_id
        audit_service.record(
            session,
            "feedback.escalated",
            object_type="feedback",
            object_id=item.code,
            details={"to": item.escalated_to_id},
        )
        if item.escalated_to_id is not None:
            notices.tell_leaders(session, item, item.escalated_to_id)
        escalated += 1
    session.flush()
    return {"feedback_escalated": escalated}


# --- indicators -----------------------------------------------------------------------------


class OnTime(NamedTuple):
    on_time: int
    total: int

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.on_time / self.total, 2) if self.total else None


def _moment(value: date | datetime, *, after: bool = False) -> datetime:
    """A datetime as given; a date as the local midnight starting it (``after``: ending it)."""
    if isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if after else value
    return datetime.combine(day, time(0), ZoneInfo(get_settings().timezone))


def on_time_rate(
    session: Session,
    agency_ids: Collection[int] | None,
    start: date | datetime,
    end: date | datetime,
    now: datetime | None = None,
) -> OnTime:
    """Feedback answered on time, of the items filed at ``agency_ids`` (None: all) from
    ``start`` to ``end`` (datetimes: [start, end); dates: local days, both included):
    answered (approved) by the due time ÷ (answered + still open past the due time)."""
    now = now or utcnow()
    cond = and_(
        FeedbackItem.created_at >= _moment(start),
        FeedbackItem.created_at < _moment(end, after=True),
    )
    if agency_ids is not None:
        cond = and_(cond, FeedbackItem.agency_id.in_(sorted(agency_ids)))
    answered = FeedbackItem.status == "published"
    late_open = and_(FeedbackItem.status.in_(OPEN_STATUSES), FeedbackItem.due_at < now)
    row = session.execute(
        select(
            func.count(FeedbackItem.id).filter(
                answered, FeedbackItem.closed_at <= FeedbackItem.due_at
            ),
            func.count(FeedbackItem.id).filter(or_(answered, late_open)),
        ).where(cond)
    ).one()
    return OnTime(int(row[0] or 0), int(row[1] or 0))


def upheld_dossiers(
    session: Session, agency_ids: set[int] | list[int] | None, start: datetime, end: datetime
) -> dict[int, int]:
    """Per agency: dossiers received in [start, end) with an upheld complaint (Decision 766's
    satisfaction group)."""
    stmt = (
        select(Dossier.agency_id, func.count(func.distinct(FeedbackItem.dossier_id)))
        .join(Dossier, Dossier.id == FeedbackItem.dossier_id)
        .where(
            FeedbackItem.upheld.is_(True),
            FeedbackItem.status == "published",
            Dossier.received_at >= start,
            Dossier.received_at < end,
        )
        .group_by(Dossier.agency_id)
    )
    if agency_ids is not None:
        stmt = stmt.where(Dossier.agency_id.in_(sorted(agency_ids)))
    return {int(a): int(n) for a, n in session.execute(stmt)}


def register(
    session: Session, user: User | None, start: datetime, end: datetime
) -> list[FeedbackItem]:
    """The feedback register of the caller's agency (all for a system admin), by filing."""
    user = _staff(user)
    stmt = select(FeedbackItem).where(
        FeedbackItem.created_at >= start, FeedbackItem.created_at < end
    )
    if not user.is_admin:
        stmt = stmt.where(FeedbackItem.agency_id == user.agency_id)
    return list(
        session.scalars(stmt.order_by(FeedbackItem.created_at, FeedbackItem.id).limit(100_000))
    )


def dossier_code(session: Session, item: FeedbackItem) -> str | None:
    if item.dossier_id is None:
        return None
    return session.scalar(select(Dossier.code).where(Dossier.id == item.dossier_id))
