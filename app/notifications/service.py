"""Notifications (§8): in-app notices and e-mails through a durable outbox.

``notify`` writes, in the caller's transaction, a notice for the applicant's account and an
outbox row for the applicant's e-mail, both rendered in the applicant's language. If the
transaction rolls back, neither exists; if it commits, the e-mail will be sent by
``deliver_due`` (``portal worker``, or the web process when no worker runs), which claims
rows with a conditional UPDATE committed before sending, so two senders never send one row
(docs/decisions/0007-outbox.md).

``account_mail`` writes the e-mails about an account itself (the password-reset link) the same
way, without a dossier or an in-app notice; a mail that carries a secret link keeps no copy of
its body in the outbox once it has been sent (or given up).
"""

from __future__ import annotations

import logging
import re
import secrets
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import User
from app.config import get_settings
from app.db import begin_write, utcnow
from app.documents.models import Document
from app.dossiers.models import Dossier
from app.errors import NotFound
from app.formatting import TEMPLATE_DIR, format_date, format_datetime, format_money
from app.i18n import DEFAULT_LOCALE, LOCALES
from app.i18n_markers import N_
from app.notifications import channels, mailer
from app.notifications.models import Notice, OutboxMessage
from app.payments import refunds
from app.payments import service as payment_service

log = logging.getLogger(__name__)

EVENTS = (
    "submitted",
    "received",
    "supplement_requested",
    "rejected",
    "payment_requested",
    "paid",
    "refunded",
    "extended",
    "rescheduled",
    "withdrawal_requested",
    "stopped",
    "result_ready",
)
EVENT_LABELS = {
    "submitted": N_("Đã nộp hồ sơ"),
    "received": N_("Đã tiếp nhận hồ sơ"),
    "supplement_requested": N_("Yêu cầu bổ sung hồ sơ"),
    "rejected": N_("Từ chối hồ sơ"),
    "payment_requested": N_("Yêu cầu thanh toán"),
    "paid": N_("Đã thanh toán"),
    "refunded": N_("Đã hoàn trả phí, lệ phí"),
    "extended": N_("Xin lỗi, hẹn lại ngày trả"),
    "rescheduled": N_("Ngày hẹn trả tính lại theo lịch làm việc"),
    "withdrawal_requested": N_("Đã ghi nhận đề nghị rút hồ sơ"),
    "stopped": N_("Dừng xử lý hồ sơ"),
    "result_ready": N_("Có kết quả"),
    "booking_confirmed": N_("Đã đặt lịch hẹn"),
    "booking_cancelled": N_("Đã hủy lịch hẹn"),
    "booking_reminder": N_("Nhắc lịch hẹn ngày mai"),
}
# Workflow actions (app/workflow/service.py) that the applicant is told about.
ACTION_EVENTS = {
    "submit": "submitted",
    "resubmit": "submitted",
    "receive": "received",
    "request_supplement": "supplement_requested",
    "reject": "rejected",
    "request_payment": "payment_requested",
    "extend": "extended",
    "stop": "stopped",
    "supplement_timeout": "stopped",
    "withdraw": "stopped",
    "request_withdrawal": "withdrawal_requested",
    "accept_withdrawal": "stopped",
    "attach_result": "result_ready",
}
# The form (Circular 03/2025/TT-VPCP) that goes with each notice, linked from it.
EVENT_DOCUMENTS = {
    "received": "form_01",
    "supplement_requested": "form_02",
    "rejected": "form_03",
    "extended": "form_04",
    "stopped": "form_05",
    "result_ready": "result",
}
# Mails about the account itself (no dossier, no in-app notice), sent to the account's e-mail.
ACCOUNT_MAILS = ("password_reset", "booking_confirmed", "booking_cancelled", "booking_reminder")
# Their body holds a secret link: once the mail has left, the outbox keeps no copy of it.
SECRET_MAILS = frozenset({"password_reset"})
SCRUBBED_BODY = "(Nội dung chứa liên kết bí mật, đã xóa sau khi gửi.)\n"
APPOINTED = ("received", "processing", "awaiting_payment", "result_ready")
SUBJECT_PREFIX = "[Một cửa] "
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

MAX_ATTEMPTS = 10
CLAIM_SECONDS = 120
# Stop sending a batch this long before its claim runs out, so no other sender can take a
# row over while we are still on it.
CLAIM_MARGIN_SECONDS = 30
MAX_BACKOFF = timedelta(hours=6)


# --- rendering ------------------------------------------------------------------------------


@lru_cache
def _mail_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = format_money
    env.filters["date"] = format_date
    env.filters["datetime"] = format_datetime
    return env


def warm_up() -> None:
    """Compile every notice's templates now (at start-up) rather than in the first request
    that sends each notice (a few tens of milliseconds each)."""
    env = _mail_env()
    for name in env.list_templates(filter_func=lambda n: n.startswith("notifications/mail/")):
        env.get_template(name)


@dataclass(frozen=True)
class Rendered:
    subject: str
    summary: str
    text: str
    html: str


def render(event: str, locale: str, context: dict[str, Any]) -> Rendered:
    """Subject, one-paragraph summary, plain text and HTML of a notice, in ``locale``."""
    lang = locale if locale in LOCALES else DEFAULT_LOCALE
    env = _mail_env()
    text_tpl = env.get_template(f"notifications/mail/{lang}/{event}.txt")
    blocks = text_tpl.new_context(dict(context))
    subject = " ".join("".join(text_tpl.blocks["subject"](blocks)).split())
    summary = " ".join("".join(text_tpl.blocks["summary"](blocks)).split())
    ctx = {**context, "subject": subject, "summary": summary}
    text = re.sub(r"\n{3,}", "\n\n", text_tpl.render(ctx)).strip() + "\n"
    html = env.get_template(f"notifications/mail/{lang}/{event}.html").render(ctx)
    return Rendered(subject=subject, summary=summary, text=text, html=html)


def _thaw(value: Any, key: str = "") -> Any:
    """Frozen document content back to Python: ISO strings under ``*_at``/deadline keys."""
    if isinstance(value, dict):
        return {k: _thaw(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_thaw(v, key) for v in value]
    if isinstance(value, str) and value and (key.endswith("_at") or key == "deadline"):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _latest_document(session: Session, dossier: Dossier, kind: str) -> Document | None:
    return session.scalar(
        select(Document)
        .where(Document.dossier_id == dossier.id, Document.kind == kind)
        .order_by(Document.id.desc())
        .limit(1)
    )


def _context(
    session: Session, dossier: Dossier, event: str, extra: dict[str, Any], has_account: bool
) -> dict[str, Any]:
    base = get_settings().base_url.rstrip("/")
    applicant = dossier.applicant or {}
    # Not prefilled: the lookup form validates whatever it is given, and the code is in the text.
    lookup_url = f"{base}/tra-cuu"
    page = f"/ho-so/{dossier.id}"
    document = None
    info: dict[str, Any] = {}
    kind = EVENT_DOCUMENTS.get(event)
    doc = _latest_document(session, dossier, kind) if kind else None
    if doc is not None:
        info = _thaw((doc.context or {}).get("extra") or {})
        document = {
            "title": doc.title,
            # The PDF opens for the logged-in applicant; counter applicants hold the paper.
            "url": f"{base}/ho-so/{dossier.id}/van-ban/{doc.id}" if has_account else "",
        }
    fees_due = 0
    if event in ("payment_requested", "paid") or dossier.status == "awaiting_payment":
        fees_due = payment_service.outstanding(session, dossier)
    receipt_id = extra.get("receipt_id")
    agency = dossier.agency
    return {
        "event": event,
        "d": {
            "id": dossier.id,
            # Every submitted dossier has its code; the procedure names one from before codes
            # were given at submission, never the internal id.
            "ref": dossier.code or dossier.version.name,
            "code": dossier.code or "",
            "lookup_secret": dossier.lookup_secret or "",
            "procedure_code": dossier.version.code,
            "procedure_name": dossier.version.name,
            "agency_name": agency.name if agency else "",
            "agency_phone": agency.phone if agency else "",
            "applicant_name": applicant.get("full_name", ""),
            "status": dossier.status,
            "channel": dossier.channel,
            "submitted_at": dossier.submitted_at,
            "resubmitted_at": dossier.resubmitted_at,
            "answer_due_at": dossier.answer_due_at,
            "received_at": dossier.received_at,
            # The appointment stands only while the agency has the dossier.
            "due_at": dossier.due_at if dossier.status in APPOINTED else None,
            "supplement_due_at": dossier.supplement_due_at,
            "supplement_items": (dossier.supplement_request or {}).get("items", []),
            "supplement_reason": (dossier.supplement_request or {}).get("reason", ""),
            "supplement_data_problems": (dossier.supplement_request or {}).get("data_problems", []),
            "result_name": dossier.version.result,
        },
        "has_account": has_account,
        "page": page,
        "link": f"{base}{page}" if has_account else lookup_url,
        "lookup_url": lookup_url,
        "document": document,
        "info": info,
        "extra": extra,
        "fees_due": fees_due,
        # Told with the rejection or stop: what was paid is owed back (SPEC §6).
        "refund_due": refunds.refund_due(session, dossier)
        if event in ("rejected", "stopped")
        else 0,
        "receipt_url": f"{base}/bien-lai/{receipt_id}" if receipt_id and has_account else "",
        "action": extra.get("action", ""),
        "comment": extra.get("comment", ""),
    }


# --- writing notices ------------------------------------------------------------------------


def notify(
    session: Session,
    dossier: Dossier,
    event: str,
    *,
    extra: dict[str, Any] | None = None,
    flush: bool = True,
) -> None:
    """Tell the applicant about ``event``: an in-app notice for their account (if any) and an
    e-mail to the dossier's applicant address (if any), in the same transaction. ``flush``:
    False when the caller writes a batch and flushes it once."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    user = session.get(User, dossier.applicant_id) if dossier.applicant_id else None
    address = str((dossier.applicant or {}).get("email") or "").strip()
    if not EMAIL_RE.match(address) or len(address) > 254:
        address = ""
    # The channels the account chose (issue 24): in-app and e-mail unless it said otherwise.
    pref = channels.chosen(session, user)
    if "email" not in pref.channels:
        address = ""
    if user is None and not address:
        return
    locale = user.locale if user is not None and user.locale in LOCALES else DEFAULT_LOCALE
    context = _context(session, dossier, event, dict(extra or {}), user is not None)
    rendered = render(event, locale, context)
    channels.queue(
        session,
        pref,
        event=event,
        locale=locale,
        context=context,
        user_id=user.id if user is not None else None,
        dossier_id=dossier.id,
    )
    if user is not None and "in_app" in pref.channels:
        # Every language from the same facts, so the notice reads in whichever language the
        # reader has chosen when they open it (finding m18).
        texts = {
            lang: {"title": r.subject[:255], "body": r.summary}
            for lang in LOCALES
            for r in [rendered if lang == locale else render(event, lang, context)]
        }
        session.add(
            Notice(
                user_id=user.id,
                dossier_id=dossier.id,
                kind=event,
                title=rendered.subject[:255],
                body=rendered.summary,
                link=context["page"],
                texts=texts,
            )
        )
    if address:
        session.add(
            OutboxMessage(
                kind=event,
                to_address=address,
                subject=(SUBJECT_PREFIX + rendered.subject)[:255],
                body_text=rendered.text,
                body_html=rendered.html,
                dossier_id=dossier.id,
                next_attempt_at=utcnow(),
            )
        )
    if flush:
        session.flush()


def account_mail(session: Session, user: User, kind: str, context: dict[str, Any]) -> None:
    """Write an e-mail about ``user``'s account (``ACCOUNT_MAILS``) to the outbox, in the
    caller's transaction and the user's language; the worker sends it."""
    if kind not in ACCOUNT_MAILS:
        raise ValueError(f"unknown account mail {kind!r}")
    locale = user.locale if user.locale in LOCALES else DEFAULT_LOCALE
    base = get_settings().base_url.rstrip("/")
    full = {"name": user.full_name, "email": user.email, "base_url": base, **context}
    rendered = render(kind, locale, full)
    # Also by SMS / Zalo when chosen; the e-mail goes regardless (the request named it).
    channels.queue(
        session,
        channels.chosen(session, user),
        event=kind,
        locale=locale,
        context=full,
        user_id=user.id,
    )
    session.add(
        OutboxMessage(
            kind=kind,
            to_address=user.email,
            subject=(SUBJECT_PREFIX + rendered.subject)[:255],
            body_text=rendered.text,
            body_html=rendered.html,
            next_attempt_at=utcnow(),
        )
    )
    session.flush()


def account_notice(
    session: Session, user: User, kind: str, context: dict[str, Any], *, link: str = ""
) -> None:
    """An in-app notice about the user's own business with no dossier (an appointment), in
    every interface language, and the same as an e-mail through the outbox."""
    base = get_settings().base_url.rstrip("/")
    # The link also goes into the short texts of the channels the user chose (SMS, Zalo).
    account_mail(session, user, kind, {**context, "link": base + link if link else ""})
    full = {"name": user.full_name, "email": user.email, "base_url": base, **context}
    texts = {}
    for lang in LOCALES:
        r = render(kind, lang, full)
        texts[lang] = {"title": r.subject[:255], "body": r.summary}
    own = texts[user.locale if user.locale in LOCALES else DEFAULT_LOCALE]
    session.add(
        Notice(
            user_id=user.id,
            kind=kind,
            title=own["title"],
            body=own["body"],
            link=link,
            texts=texts,
        )
    )
    session.flush()


# Mails and notices about feedback (SPEC §12): no dossier; the sender may have no account.
FEEDBACK_MAILS = (
    "feedback_received",
    "feedback_answered",
    "feedback_rejected",
    "feedback_escalated",
)


def feedback_notice(
    session: Session,
    kind: str,
    *,
    user: User | None,
    address: str,
    context: dict[str, Any],
    link: str,
    mail: bool = True,
) -> None:
    """Tell someone about a feedback item: an in-app notice for an account, an e-mail to
    ``address`` through the outbox (both in the caller's transaction)."""
    if kind not in FEEDBACK_MAILS:
        raise ValueError(f"unknown feedback notice {kind!r}")
    address = address.strip()
    if not EMAIL_RE.match(address) or len(address) > 254:
        address = ""
    locale = user.locale if user is not None and user.locale in LOCALES else DEFAULT_LOCALE
    base = get_settings().base_url.rstrip("/")
    ctx = {"base_url": base, "link": base + link, **context}
    rendered = render(kind, locale, ctx)
    if user is not None:
        texts = {
            lang: {"title": r.subject[:255], "body": r.summary}
            for lang in LOCALES
            for r in [rendered if lang == locale else render(kind, lang, ctx)]
        }
        session.add(
            Notice(
                user_id=user.id,
                kind=kind,
                title=rendered.subject[:255],
                body=rendered.summary,
                link=link,
                texts=texts,
            )
        )
    if address and mail:
        session.add(
            OutboxMessage(
                kind=kind,
                to_address=address,
                subject=(SUBJECT_PREFIX + rendered.subject)[:255],
                body_text=rendered.text,
                body_html=rendered.html,
                next_attempt_at=utcnow(),
            )
        )
    session.flush()


def after_action(session: Session, dossier: Dossier, action: str, *, comment: str = "") -> None:
    """The workflow's hook: notify the applicant of the actions that concern them."""
    event = ACTION_EVENTS.get(action)
    if event is not None:
        notify(session, dossier, event, extra={"action": action, "comment": comment.strip()})


# --- in-app notices -------------------------------------------------------------------------


def unread_count(session: Session, user_id: int) -> int:
    """Unread notices of a user (one index-only count)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.user_id == user_id, Notice.read_at.is_(None))
        )
        or 0
    )


def list_for(
    session: Session, user: User, limit: int = 20, offset: int = 0
) -> tuple[list[Notice], int, int]:
    """The user's notices, newest first; with the total and the unread count."""
    total = (
        session.scalar(select(func.count()).select_from(Notice).where(Notice.user_id == user.id))
        or 0
    )
    rows = session.scalars(
        select(Notice)
        .where(Notice.user_id == user.id)
        .order_by(Notice.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total), unread_count(session, user.id)


def mark_read(session: Session, user: User, notice_id: int) -> Notice:
    """Mark one of the caller's notices read (idempotent)."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound(N_("Không tìm thấy thông báo."))
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.flush()
    return notice


def mark_all_read(session: Session, user: User) -> int:
    """Mark every unread notice of the caller read; returns how many."""
    result = session.execute(
        update(Notice)
        .where(Notice.user_id == user.id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- delivery -------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most 6 hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    to_address: str
    subject: str
    body_text: str
    body_html: str
    dossier_id: int | None
    attempts: int
    created_at: datetime
    request_id: str = ""


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


def claim(
    session_factory: sessionmaker[Session], token: str, batch: int, now: datetime
) -> list[_Claimed]:
    """Take up to ``batch`` due rows for ``token`` and commit the claim before anything is sent.

    The UPDATE repeats the due conditions: a row another sender claimed meanwhile no longer
    matches (PostgreSQL re-checks them after waiting for the row lock; SQLite writers queue)."""
    with session_factory() as session, session.begin():
        begin_write(session)
        ids = list(
            session.scalars(
                select(OutboxMessage.id).where(*_due(now)).order_by(OutboxMessage.id).limit(batch)
            )
        )
        if not ids:
            return []
        got = list(
            session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), *_due(now))
                .values(claimed_by=token, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
        )
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(got)).order_by(OutboxMessage.id)
        ).all()
        return [
            _Claimed(
                id=r.id,
                kind=r.kind,
                to_address=r.to_address,
                subject=r.subject,
                body_text=r.body_text,
                body_html=r.body_html,
                dossier_id=r.dossier_id,
                attempts=r.attempts,
                created_at=r.created_at,
                request_id=r.request_id,
            )
            for r in rows
        ]


def _finish(
    session_factory: sessionmaker[Session], row: _Claimed, token: str, values: dict[str, Any]
) -> None:
    with session_factory() as session, session.begin():
        begin_write(session)
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row.id,
                OutboxMessage.claimed_by == token,
                OutboxMessage.status == "pending",
            )
            .values(claimed_until=None, attempts=row.attempts + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            log.warning("outbox message %s: claim lost before it was marked", row.id)


def _mark_sent(session_factory: sessionmaker[Session], row: _Claimed, token: str) -> None:
    values: dict[str, Any] = {"status": "sent", "sent_at": utcnow(), "last_error": ""}
    if row.kind in SECRET_MAILS:
        values.update(body_text=SCRUBBED_BODY, body_html="")
    _finish(session_factory, row, token, values)
    # The id of the request that wrote it, no address (SPEC §14).
    extra = {"request_id": row.request_id, "dossier_id": row.dossier_id}
    log.info("outbox message %s (%s) sent", row.id, row.kind, extra=extra)


def _mark_failed(
    session_factory: sessionmaker[Session],
    row: _Claimed,
    token: str,
    error: str,
    now: datetime,
    permanent: bool = False,
) -> None:
    attempts = row.attempts + 1
    values: dict[str, Any] = {"last_error": error}
    if permanent or attempts >= MAX_ATTEMPTS:
        values["status"] = "failed"
        if row.kind in SECRET_MAILS:
            values.update(body_text=SCRUBBED_BODY, body_html="")
    else:
        values["next_attempt_at"] = now + backoff(attempts)
    _finish(session_factory, row, token, values)


def _release(session_factory: sessionmaker[Session], rows: list[_Claimed], token: str) -> None:
    """Give back rows we did not get to (no attempt counted)."""
    if not rows:
        return
    with session_factory() as session, session.begin():
        begin_write(session)
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([r.id for r in rows]), OutboxMessage.claimed_by == token)
            .values(claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def _message(row: _Claimed, mail_from: str) -> Any:
    domain = mailer.sender_domain(mail_from)
    headers = {"X-Motcua-Outbox-Id": str(row.id), "X-Motcua-Event": row.kind}
    if row.dossier_id is not None:
        headers["X-Motcua-Dossier-Id"] = str(row.dossier_id)
    return mailer.build_message(
        mail_from=mail_from,
        to=row.to_address,
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        # Stable per row: should a crash make us send a row twice, mail clients see one.
        message_id=f"<motcua.{row.id}.{int(row.created_at.timestamp())}@{domain}>",
        headers=headers,
    )


# Refusals of one message; anything else (OSError: refused connection, time-out, TLS, a
# dropped session, failed login) means the rest of the batch cannot go out now either.
_MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
    UnicodeError,
    ValueError,
)


def deliver_due(
    session_factory: sessionmaker[Session],
    worker_id: str,
    batch: int = 20,
    now: datetime | None = None,
) -> int:
    """Send due outbox e-mails over ``PORTAL_SMTP_URL``; returns how many were sent.

    Without an SMTP URL nothing is sent and messages stay pending. Each row is claimed and
    committed before sending and marked sent right after, in its own transaction; a failure
    schedules a retry with back-off, and after ``MAX_ATTEMPTS`` the row is given up (failed)."""
    settings = get_settings()
    if not settings.smtp_url:
        return 0
    config = mailer.parse_smtp_url(settings.smtp_url)
    now = now or utcnow()
    token = f"{worker_id[:60]}/{secrets.token_hex(6)}"
    rows = claim(session_factory, token, batch, now)
    if not rows:
        return 0
    started = time.monotonic()
    sent = failed = 0
    with mailer.Connection(config) as connection:
        try:
            connection.open()
        except OSError as exc:  # refused, time-out, TLS or login failure: all of them wait
            error = mailer.describe(exc)
            for row in rows:
                _mark_failed(session_factory, row, token, error, now)
            log.warning("mail via %s: cannot connect (%s)", config.safe_url, error)
            return 0
        for index, row in enumerate(rows):
            if time.monotonic() - started > CLAIM_SECONDS - CLAIM_MARGIN_SECONDS:
                _release(session_factory, rows[index:], token)
                break
            try:
                connection.send(_message(row, settings.mail_from))
            except _MESSAGE_ERRORS as exc:
                error = mailer.describe(exc)
                permanent = mailer.is_permanent(exc)
                _mark_failed(session_factory, row, token, error, now, permanent)
                failed += 1
                continue
            except OSError as exc:
                # The server is unreachable or dropped us: this row and the rest wait.
                error = mailer.describe(exc)
                for rest in rows[index:]:
                    _mark_failed(session_factory, rest, token, error, now)
                failed += len(rows) - index
                break
            _mark_sent(session_factory, row, token)
            sent += 1
    if sent or failed:
        log.info("mail via %s: %d sent, %d failed", config.safe_url, sent, failed)
    return sent
