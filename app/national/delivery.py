"""The worker's side of the national sync outbox: claim the next message of each dossier,
send it, and record the acknowledgement or the failure (docs/decisions/0027).

- Order per dossier: a message is claimed only while no earlier message of its dossier is
  open (pending, parked or unsendable), so a dossier's messages arrive in the order written.
- Once: a sender claims rows with a conditional UPDATE of ``claimed_until`` (committed before
  sending, as the e-mail outbox does), and marks them only while its claim holds.
- Failures wait ``backoff(attempts)`` and are parked after ``PORTAL_NATIONAL_MAX_ATTEMPTS``.
- No transaction is open during a call to the national portal."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from app.config import get_settings
from app.db import begin_write, utcnow
from app.dossiers.models import Dossier
from app.national import client as national_client
from app.national.models import OPEN_STATUSES, NationalMessage
from app.stats import tallies

log = logging.getLogger(__name__)
CLAIM_SECONDS = 300
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """After the 1st, 2nd, 3rd … failure: PORTAL_NATIONAL_RETRY_SECONDS (30 s), twice, four
    times as long …; at most an hour."""
    base = get_settings().national_retry_seconds
    return min(timedelta(seconds=base * 2 ** min(max(attempts - 1, 0), 20)), MAX_BACKOFF)


@dataclass(frozen=True)
class _Claimed:
    id: int
    dossier_id: int
    service: str
    is_updating: bool | None
    data: dict[str, Any]
    attempts: int
    created_at: datetime
    request_id: str = ""


@dataclass
class Outcome:
    acknowledged: int = 0
    failed: int = 0
    parked: int = 0

    def __bool__(self) -> bool:
        return bool(self.acknowledged or self.failed or self.parked)


def _claimable(now: datetime) -> list[Any]:
    earlier = aliased(NationalMessage)
    blocked = exists().where(
        earlier.dossier_id == NationalMessage.dossier_id,
        earlier.id < NationalMessage.id,
        earlier.status.in_(OPEN_STATUSES),
    )
    return [
        NationalMessage.status == "pending",
        NationalMessage.next_attempt_at <= now,
        or_(NationalMessage.claimed_until.is_(None), NationalMessage.claimed_until < now),
        ~blocked,
    ]


def claim(
    session_factory: sessionmaker[Session], token: str, batch: int, now: datetime
) -> list[_Claimed]:
    """Claim up to ``batch`` messages, each the next one of its dossier, oldest first."""
    with session_factory() as session, session.begin():
        begin_write(session)
        ids = list(
            session.scalars(
                select(NationalMessage.id)
                .where(*_claimable(now))
                .order_by(NationalMessage.id)
                .limit(batch)
            )
        )
        if not ids:
            return []
        got = list(
            session.scalars(
                update(NationalMessage)
                .where(NationalMessage.id.in_(ids), *_claimable(now))
                .values(claimed_by=token[:80], claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
                .returning(NationalMessage.id)
                .execution_options(synchronize_session=False)
            )
        )
        rows = session.scalars(
            select(NationalMessage).where(NationalMessage.id.in_(got)).order_by(NationalMessage.id)
        ).all()
        return [
            _Claimed(
                r.id,
                r.dossier_id,
                r.service,
                r.is_updating,
                dict(r.data),
                r.attempts,
                r.created_at,
                r.request_id,
            )
            for r in rows
        ]


def _finish(session: Session, row: _Claimed, token: str, values: dict[str, Any]) -> bool:
    result = session.execute(
        update(NationalMessage)
        .where(
            NationalMessage.id == row.id,
            NationalMessage.claimed_by == token[:80],
            NationalMessage.status == "pending",
        )
        .values(claimed_until=None, attempts=row.attempts + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        log.warning("national message %s: claim lost before it was marked", row.id)
        return False
    return True


def acknowledged_in_day(
    received_at: datetime | None, queued_at: datetime, acked_at: datetime
) -> bool:
    """Acknowledged by the end of the local day the dossier was received (a message written
    at or after the reception)."""
    if received_at is None or queued_at < received_at:
        return False
    zone = ZoneInfo(get_settings().timezone)
    return acked_at.astimezone(zone).date() <= received_at.astimezone(zone).date()


def _acknowledged(session_factory: sessionmaker[Session], row: _Claimed, token: str) -> None:
    with session_factory() as session, session.begin():
        begin_write(session)
        now = utcnow()
        received_at = session.scalar(
            select(Dossier.received_at).where(Dossier.id == row.dossier_id)
        )
        in_day = acknowledged_in_day(received_at, row.created_at, now)
        values = {
            "status": "acknowledged",
            "acknowledged_at": now,
            "last_error": "",
            "in_day": in_day,
        }
        if _finish(session, row, token, values) and in_day:
            tallies.touch(session, row.dossier_id)  # Decision 766's "synchronised" figure
    log.info(
        "national message %s (%s) acknowledged",
        row.id,
        row.service,
        extra={"request_id": row.request_id, "dossier_id": row.dossier_id},
    )


def _failed(
    session_factory: sessionmaker[Session], row: _Claimed, token: str, error: str, now: datetime
) -> bool:
    """Record a failure; True when the message is parked now."""
    attempts = row.attempts + 1
    parked = attempts >= get_settings().national_max_attempts
    values: dict[str, Any] = {"last_error": error}
    if parked:
        values["status"] = "parked"
    else:
        values["next_attempt_at"] = now + backoff(attempts)
    with session_factory() as session, session.begin():
        begin_write(session)
        _finish(session, row, token, values)
    return parked


def _release(session_factory: sessionmaker[Session], rows: list[_Claimed], token: str) -> None:
    """Give back rows not sent (no attempt counted)."""
    if not rows:
        return
    with session_factory() as session, session.begin():
        begin_write(session)
        session.execute(
            update(NationalMessage)
            .where(
                NationalMessage.id.in_([r.id for r in rows]),
                NationalMessage.claimed_by == token[:80],
            )
            .values(claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def deliver_due(
    session_factory: sessionmaker[Session],
    worker_id: str,
    batch: int = 20,
    now: datetime | None = None,
) -> Outcome:
    """Send the next message of each dossier that is due; nothing when PORTAL_NATIONAL_URL is
    empty (the messages wait)."""
    settings = get_settings()
    outcome = Outcome()
    if not settings.national_url:
        return outcome
    now = now or utcnow()
    token = f"{worker_id[:60]}/{secrets.token_hex(6)}"
    rows = claim(session_factory, token, batch, now)
    if not rows:
        return outcome
    started = time.monotonic()
    budget = CLAIM_SECONDS - 4 * settings.national_timeout_seconds
    try:
        sender = national_client.Client(settings)
    except national_client.NotAcknowledged as exc:
        for row in rows:
            outcome.parked += _failed(session_factory, row, token, str(exc), now)
        outcome.failed += len(rows)
        log.error("national sync: %s", exc)
        return outcome
    for index, row in enumerate(rows):
        if time.monotonic() - started > budget:
            _release(session_factory, rows[index:], token)
            break
        try:
            sender.sync(row.service, row.is_updating, row.data)
        except national_client.NotAcknowledged as exc:
            error = sender.scrub(str(exc))
            parked = _failed(session_factory, row, token, error, now)
            outcome.failed += 1
            outcome.parked += parked
            log.warning(
                "national message %s (%s) not acknowledged%s: %s",
                row.id,
                row.service,
                ", parked" if parked else "",
                error,
            )
            continue
        _acknowledged(session_factory, row, token)
        outcome.acknowledged += 1
    if outcome:
        log.info(
            "national sync: %d acknowledged, %d not acknowledged, %d parked",
            outcome.acknowledged,
            outcome.failed,
            outcome.parked,
        )
    return outcome
