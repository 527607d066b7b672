"""Notice channels (issue 24 part 3, SPEC §15): e-mail, SMS, Zalo ZNS and in-app, chosen per
account, behind one interface.

``notify`` (app/notifications/service.py) asks ``chosen`` which channels an account wants and
hands the rendered facts of a notice to ``queue`` — which writes one ``ChannelMessage`` per
phone channel in the caller's transaction; ``app.notifications.sms`` delivers them. No
preference row means in-app and e-mail, as every account had before the choice existed.

SMS texts are written without diacritics: carriers bill an unaccented message as GSM 7-bit
(160 characters a segment) and an accented one as UCS-2 (70), and the brandname templates
registered with Vietnamese carriers are unaccented. Zalo ZNS carries Unicode and gets the
accented text with the template's parameters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.config import get_settings
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.formatting import format_datetime, format_money
from app.i18n_markers import N_
from app.notifications.channel_models import ChannelMessage, NoticePreference
from app.text import clean_phone

CHANNELS = ("in_app", "email", "sms", "zalo")
PHONE_CHANNELS = ("sms", "zalo")
DEFAULT_CHANNELS = ("in_app", "email")
CHANNEL_LABELS = {
    "in_app": N_("Trên cổng (thông báo trong tài khoản)"),
    "email": N_("Thư điện tử"),
    "sms": N_("Tin nhắn SMS"),
    "zalo": N_("Zalo (tin nhắn ZNS)"),
}
# Vietnamese mobile numbers: 10 digits from 03, 05, 07, 08 or 09, or the same after +84/84.
_MOBILE_RE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")
BAD_PHONE = N_(
    "Số điện thoại di động không đúng định dạng: nhập 10 chữ số bắt đầu bằng 03, 05, 07, 08 "
    "hoặc 09 (ví dụ 0912 345 678)."
)
PHONE_NEEDED = N_("Nhận thông báo qua SMS hoặc Zalo cần số điện thoại di động.")
NO_CHANNEL = N_("Chọn ít nhất một kênh nhận thông báo.")
UNKNOWN_CHANNEL = N_("Kênh nhận thông báo không hợp lệ.")
SMS_MAX = 306  # two concatenated GSM 7-bit segments


def normalise_phone(text: str) -> str | None:
    """A Vietnamese mobile number as the gateways take it (84xxxxxxxxx), or None."""
    match = _MOBILE_RE.match(clean_phone(text or ""))
    return f"84{match.group(1)}" if match else None


def display_phone(phone: str) -> str:
    """84912345678 → 0912 345 678."""
    if not phone.startswith("84") or len(phone) != 11:
        return phone
    local = "0" + phone[2:]
    return f"{local[:4]} {local[4:7]} {local[7:]}"


def unaccented(text: str) -> str:
    """The text without Vietnamese diacritics, case kept: "Hồ sơ đã" → "Ho so da"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", plain)


# --- preferences ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    channels: tuple[str, ...]
    phone: str  # normalised, "" when none
    chosen: bool  # False: the default, never saved


def preference(session: Session, user: User) -> Preference:
    """The account's notice channels (in-app and e-mail unless it chose otherwise)."""
    row = session.get(NoticePreference, user.id)
    if row is None:
        return Preference(DEFAULT_CHANNELS, normalise_phone(user.phone or "") or "", False)
    channels = tuple(c for c in CHANNELS if c in (row.channels or []))
    return Preference(channels, row.phone, True)


def set_preference(
    session: Session, user: User, channels: list[str], phone: str | None = None
) -> Preference:
    """Choose the caller's notice channels; SMS and Zalo need a valid mobile number (the one
    given, else the account's). All or nothing: a refusal changes nothing."""
    wanted = [str(c) for c in channels]
    if any(c not in CHANNELS for c in wanted):
        raise InvalidInput(UNKNOWN_CHANNEL, fields={"channels": UNKNOWN_CHANNEL})
    if not wanted:
        raise InvalidInput(NO_CHANNEL, fields={"channels": NO_CHANNEL})
    typed = (phone or "").strip()
    number = normalise_phone(typed) if typed else None
    if typed and number is None:
        raise InvalidInput(BAD_PHONE, fields={"phone": BAD_PHONE})
    if number is None and any(c in PHONE_CHANNELS for c in wanted):
        if not (user.phone or "").strip():
            raise InvalidInput(PHONE_NEEDED, fields={"phone": PHONE_NEEDED})
        number = normalise_phone(user.phone or "")
        if number is None:
            raise InvalidInput(BAD_PHONE, fields={"phone": BAD_PHONE})
    row = session.get(NoticePreference, user.id)
    if row is None:
        row = NoticePreference(user_id=user.id, channels=[], phone="")
        session.add(row)
    row.channels = [c for c in CHANNELS if c in wanted]
    row.phone = number or ""
    row.updated_at = utcnow()
    session.flush()
    return preference(session, user)


def chosen(session: Session, user: User | None) -> Preference:
    """What ``notify`` follows: the account's choice; without an account, e-mail only."""
    if user is None:
        return Preference(("email",), "", False)
    return preference(session, user)


# --- texts ------------------------------------------------------------------------------------

# One short text per notice and language; ``{link}`` is the dossier page (or the lookup page).
TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "submitted": "Hồ sơ {code} ({procedure}) đã nộp thành công. Mã bí mật tra cứu: "
        "{secret}. Theo dõi: {link}",
        "received": "Hồ sơ {code} đã được tiếp nhận. Hẹn trả kết quả: {due}. Chi tiết: {link}",
        "supplement_requested": "Hồ sơ {code} cần bổ sung, hoàn thiện trước {supplement_due}. "
        "Xem yêu cầu: {link}",
        "rejected": "Hồ sơ {code} bị từ chối tiếp nhận. Lý do: {link}",
        "payment_requested": "Hồ sơ {code} chờ nộp phí, lệ phí {amount}. Thanh toán: {link}",
        "paid": "Đã nhận {amount} phí, lệ phí của hồ sơ {code}. Biên lai: {link}",
        "refunded": "Đã hoàn trả {amount} phí, lệ phí của hồ sơ {code}. Chi tiết: {link}",
        "extended": "Xin lỗi: hồ sơ {code} chậm trả kết quả, hẹn lại {due}. Chi tiết: {link}",
        "rescheduled": "Hồ sơ {code}: ngày hẹn trả tính lại là {due}. Chi tiết: {link}",
        "withdrawal_requested": "Đã ghi nhận đề nghị rút hồ sơ {code}. Chi tiết: {link}",
        "stopped": "Hồ sơ {code} đã dừng xử lý. Chi tiết: {link}",
        "result_ready": "Hồ sơ {code} đã có kết quả. Nhận kết quả: {link}",
        "password_reset": "Một cửa: đặt lại mật khẩu tại {link} (hết hạn sau {minutes} phút). "
        "Bỏ qua nếu bạn không yêu cầu.",
        "booking_confirmed": "Lịch hẹn {code} tại {agency}: {start}. Mang mã đến quầy lấy số. "
        "Chi tiết: {link}",
        "booking_cancelled": "Lịch hẹn {code} tại {agency} ({start}) đã hủy.",
        "booking_reminder": "Nhắc lịch hẹn {code} tại {agency}: {start}. Chi tiết: {link}",
    },
    "en": {
        "submitted": "Dossier {code} ({procedure}) submitted. Lookup secret: {secret}. "
        "Follow it: {link}",
        "received": "Dossier {code} received. Result due: {due}. Details: {link}",
        "supplement_requested": "Dossier {code} needs a supplement by {supplement_due}. "
        "See the request: {link}",
        "rejected": "Dossier {code} was not accepted. Reasons: {link}",
        "payment_requested": "Dossier {code} awaits payment of {amount}. Pay: {link}",
        "paid": "Payment of {amount} received for dossier {code}. Receipt: {link}",
        "refunded": "{amount} refunded for dossier {code}. Details: {link}",
        "extended": "Sorry: dossier {code} is late, new date {due}. Details: {link}",
        "rescheduled": "Dossier {code}: the due date is now {due}. Details: {link}",
        "withdrawal_requested": "Your request to withdraw dossier {code} is recorded. "
        "Details: {link}",
        "stopped": "Processing of dossier {code} has stopped. Details: {link}",
        "result_ready": "The result of dossier {code} is ready. Get it: {link}",
        "password_reset": "Mot cua: reset your password at {link} (expires in {minutes} "
        "minutes). Ignore this if you did not ask.",
        "booking_confirmed": "Appointment {code} at {agency}: {start}. Bring the code to the "
        "ticket kiosk. Details: {link}",
        "booking_cancelled": "Appointment {code} at {agency} ({start}) is cancelled.",
        "booking_reminder": "Reminder: appointment {code} at {agency}: {start}. Details: {link}",
    },
}
# Notices whose text holds a secret link: the outbox keeps no copy once sent.
SECRET_KINDS = frozenset({"password_reset"})
SCRUBBED = "(Noi dung chua lien ket bi mat, da xoa sau khi gui.)"


def _when(value: Any) -> str:
    return format_datetime(value) if isinstance(value, datetime) else "—"


def facts(event: str, context: dict[str, Any]) -> dict[str, str]:
    """The values a short text is written from, out of the notice's rendering context."""
    d = context.get("d") or {}
    extra = context.get("extra") or {}
    amount = extra.get("amount") if event in ("paid", "refunded") else context.get("fees_due")
    procedure = str(d.get("procedure_name") or "")
    if len(procedure) > 60:
        procedure = procedure[:57].rstrip() + "..."
    info = context.get("info") or {}
    return {
        # A dossier's reference, or an appointment's code (``app.counter.notices``).
        "code": str(d.get("ref") or context.get("code") or ""),
        "agency": str(context.get("agency") or ""),
        "start": _when(context.get("start")),
        "procedure": procedure,
        "secret": str(d.get("lookup_secret") or ""),
        "due": _when(info.get("new_due_at") or extra.get("new_due_at") or d.get("due_at")),
        "supplement_due": _when(d.get("supplement_due_at")),
        "amount": format_money(int(amount or 0)),
        "link": str(context.get("receipt_url") or context.get("link") or "")
        if event == "paid"
        else str(context.get("link") or ""),
        "name": str(d.get("applicant_name") or context.get("name") or ""),
        "minutes": str(context.get("minutes") or ""),
    }


def text(event: str, locale: str, values: dict[str, str]) -> str:
    """The notice's short text in ``locale`` (Vietnamese when the language has none)."""
    templates = TEXTS.get(locale) or TEXTS["vi"]
    return (templates.get(event) or TEXTS["vi"][event]).format(**values)


def sms_text(event: str, locale: str, values: dict[str, str]) -> str:
    """The SMS: unaccented, at most two segments."""
    body = unaccented(text(event, locale, values))
    return body if len(body) <= SMS_MAX else body[: SMS_MAX - 3] + "..."


def zalo_template(event: str) -> str:
    """The ZNS template id registered for the notice (its name when none is configured)."""
    return get_settings().zalo_template_ids.get(event) or event


def queue(
    session: Session,
    pref: Preference,
    *,
    event: str,
    locale: str,
    context: dict[str, Any],
    user_id: int | None,
    dossier_id: int | None = None,
) -> int:
    """Write the SMS and Zalo messages of a notice for the channels chosen (no flush: the
    caller's flush writes them with the notice); returns how many."""
    wanted = [c for c in PHONE_CHANNELS if c in pref.channels]
    if not wanted or not pref.phone or event not in TEXTS["vi"]:
        return 0
    values = facts(event, context)
    for channel in wanted:
        if channel == "sms":
            body, template_id, data = sms_text(event, locale, values), "", None
        else:
            body = text(event, locale, values)
            template_id = zalo_template(event)
            data = {k: v for k, v in values.items() if v and k != "secret"}
            if values.get("secret"):
                data["secret"] = values["secret"]
        session.add(
            ChannelMessage(
                channel=channel,
                kind=event,
                to_phone=pref.phone,
                body_text=body,
                template_id=template_id,
                template_data=data,
                dossier_id=dossier_id,
                user_id=user_id,
                next_attempt_at=utcnow(),
            )
        )
    return len(wanted)


# --- the delivery log (system administrators) -------------------------------------------------

STATUSES = ("pending", "sent", "failed")
STATUS_LABELS = {"pending": N_("Chờ gửi"), "sent": N_("Đã gửi"), "failed": N_("Gửi không được")}
BAD_FILTER = N_("Bộ lọc không hợp lệ.")


@dataclass(frozen=True)
class LogPage:
    items: list[ChannelMessage]
    total: int
    counts: dict[str, int]


def delivery_log(
    session: Session,
    user: User | None,
    status: str = "",
    channel: str = "",
    limit: int = 50,
    offset: int = 0,
) -> LogPage:
    """SMS and Zalo messages, newest first, with their attempts and the gateway's answer."""
    account_service.require_admin(user)
    if status not in ("", *STATUSES):
        raise InvalidInput(BAD_FILTER, fields={"status": BAD_FILTER})
    if channel not in ("", *PHONE_CHANNELS):
        raise InvalidInput(BAD_FILTER, fields={"channel": BAD_FILTER})
    stmt = select(ChannelMessage)
    if status:
        stmt = stmt.where(ChannelMessage.status == status)
    if channel:
        stmt = stmt.where(ChannelMessage.channel == channel)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(
        stmt.order_by(ChannelMessage.id.desc()).limit(limit).offset(offset)
    ).all()
    rows = session.execute(
        select(ChannelMessage.status, func.count()).group_by(ChannelMessage.status)
    )
    found = {s: int(n) for s, n in rows}
    return LogPage(list(items), int(total), {s: found.get(s, 0) for s in STATUSES})


def retry(session: Session, user: User | None, message_id: int) -> ChannelMessage:
    """Send a given-up message again (its attempts start over)."""
    account_service.require_admin(user)
    row = session.get(ChannelMessage, message_id)
    if row is None:
        raise NotFound(N_("Không tìm thấy tin nhắn."))
    if row.status != "failed" or row.kind in SECRET_KINDS:
        raise Conflict(N_("Chỉ gửi lại được tin nhắn đã gửi không được."))
    row.status, row.attempts, row.next_attempt_at = "pending", 0, utcnow()
    row.claimed_until = None
    session.flush()
    return row
