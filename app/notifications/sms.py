"""Delivery of SMS and Zalo ZNS messages (``ChannelMessage``) by the worker.

The SMS gateway (``PORTAL_SMS_URL``): ``POST`` JSON ``{"to", "text", "brandname",
"request_id"}`` with ``Authorization: Bearer <PORTAL_SMS_KEY>``; a 2xx answer with ``"code":
0`` is a delivery, with the gateway's ``message_id``. Zalo ZNS (``PORTAL_ZALO_URL``, the
"send template message" call): ``POST`` JSON ``{"phone", "template_id", "template_data",
"tracking_id"}`` with the header ``access_token: <PORTAL_ZALO_KEY>``; ``"error": 0`` is a
delivery, ``data.msg_id`` its id. Anything else is retried with back-off and given up after
``PORTAL_CHANNEL_MAX_ATTEMPTS``; a 4xx other than 401/408/429 is not retried.

Rows are claimed with a conditional UPDATE committed before sending (as the e-mail outbox,
docs/decisions/0007-outbox.md), so two workers never send one message twice. Keys never
appear in logs, rows or error texts.
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, get_settings
from app.db import begin_write, utcnow
from app.notifications.channel_models import ChannelMessage
from app.notifications.channels import SCRUBBED, SECRET_KINDS

log = logging.getLogger(__name__)
CLAIM_SECONDS = 120
MAX_ERROR = 300
MAX_WAIT = timedelta(hours=1)
RETRYABLE_4XX = (401, 408, 429)


class NotDelivered(Exception):
    """The gateway did not take the message; ``permanent``: retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message[:MAX_ERROR])
        self.permanent = permanent


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: ``PORTAL_CHANNEL_RETRY_SECONDS`` (30 s), then
    doubled each time, at most an hour."""
    first = timedelta(seconds=get_settings().channel_retry_seconds)
    return min(first * 2 ** max(attempts - 1, 0), MAX_WAIT)


def _post(url: str, payload: dict[str, Any], headers: dict[str, str], timeout: float) -> Any:
    request = urllib.request.Request(  # noqa: S310 (http(s) checked by configured())
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(65536)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        raise NotDelivered(f"{type(exc).__name__}: {exc}") from None
    try:
        body = json.loads(raw.decode("utf-8", "replace") or "{}")
    except ValueError:
        body = {}
    if not 200 <= status < 300:
        detail = body.get("message") if isinstance(body, dict) else ""
        permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
        raise NotDelivered(f"HTTP {status} {detail or ''}".strip(), permanent)
    return body if isinstance(body, dict) else {}


def configured(settings: Settings, channel: str) -> str:
    """The gateway URL of ``channel`` when it is set to an http(s) URL, else ""."""
    url = settings.sms_url if channel == "sms" else settings.zalo_url
    return url if url.startswith(("http://", "https://")) else ""


@dataclass(frozen=True)
class _Claimed:
    id: int
    channel: str
    kind: str
    to_phone: str
    body_text: str
    template_id: str
    template_data: dict[str, Any]
    attempts: int


def send(settings: Settings, row: _Claimed) -> str:
    """Hand one message to its gateway; returns the provider's message id."""
    timeout = settings.channel_timeout_seconds
    if row.channel == "sms":
        body = _post(
            configured(settings, "sms"),
            {
                "to": row.to_phone,
                "text": row.body_text,
                "brandname": settings.sms_brandname,
                "request_id": f"motcua-{row.id}",
            },
            {"Authorization": f"Bearer {settings.sms_key}"},
            timeout,
        )
        if body.get("code") != 0:
            raise NotDelivered(f"code {body.get('code')}: {body.get('message', '')}")
        return str(body.get("message_id") or "")[:80]
    body = _post(
        configured(settings, "zalo"),
        {
            "phone": row.to_phone,
            "template_id": row.template_id,
            "template_data": row.template_data,
            "tracking_id": f"motcua-{row.id}",
        },
        {"access_token": settings.zalo_key},
        timeout,
    )
    if body.get("error") != 0:
        raise NotDelivered(f"error {body.get('error')}: {body.get('message', '')}")
    data = body.get("data")
    return str((data or {}).get("msg_id") or "")[:80] if isinstance(data, dict) else ""


def _due(now: datetime, channels: list[str]) -> tuple[Any, ...]:
    return (
        ChannelMessage.status == "pending",
        ChannelMessage.channel.in_(channels),
        ChannelMessage.next_attempt_at <= now,
        or_(ChannelMessage.claimed_until.is_(None), ChannelMessage.claimed_until < now),
    )


def claim(
    session_factory: sessionmaker[Session],
    token: str,
    batch: int,
    now: datetime,
    channels: list[str],
) -> list[_Claimed]:
    """Take up to ``batch`` due messages and commit the claim before anything is sent."""
    with session_factory() as session, session.begin():
        begin_write(session)
        ids = list(
            session.scalars(
                select(ChannelMessage.id)
                .where(*_due(now, channels))
                .order_by(ChannelMessage.id)
                .limit(batch)
            )
        )
        if not ids:
            return []
        got = list(
            session.scalars(
                update(ChannelMessage)
                .where(ChannelMessage.id.in_(ids), *_due(now, channels))
                .values(claimed_by=token, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
                .returning(ChannelMessage.id)
                .execution_options(synchronize_session=False)
            )
        )
        rows = session.scalars(
            select(ChannelMessage).where(ChannelMessage.id.in_(got)).order_by(ChannelMessage.id)
        ).all()
        return [
            _Claimed(
                id=r.id,
                channel=r.channel,
                kind=r.kind,
                to_phone=r.to_phone,
                body_text=r.body_text,
                template_id=r.template_id,
                template_data=dict(r.template_data or {}),
                attempts=r.attempts,
            )
            for r in rows
        ]


def _finish(
    session_factory: sessionmaker[Session], row: _Claimed, token: str, values: dict[str, Any]
) -> None:
    if row.kind in SECRET_KINDS and values.get("status") in ("sent", "failed"):
        values.update(body_text=SCRUBBED, template_data={})
    with session_factory() as session, session.begin():
        begin_write(session)
        session.execute(
            update(ChannelMessage)
            .where(
                ChannelMessage.id == row.id,
                ChannelMessage.claimed_by == token,
                ChannelMessage.status == "pending",
            )
            .values(claimed_until=None, attempts=row.attempts + 1, **values)
            .execution_options(synchronize_session=False)
        )


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0


def deliver_due(
    session_factory: sessionmaker[Session],
    worker_id: str,
    batch: int = 20,
    now: datetime | None = None,
) -> Outcome:
    """Send the due SMS and Zalo messages of the channels whose gateway is configured."""
    settings = get_settings()
    channels = [c for c in ("sms", "zalo") if configured(settings, c)]
    outcome = Outcome()
    if not channels:
        return outcome
    now = now or utcnow()
    token = f"{worker_id[:60]}/{secrets.token_hex(6)}"
    for row in claim(session_factory, token, batch, now, channels):
        try:
            provider_id = send(settings, row)
        except NotDelivered as exc:
            attempts = row.attempts + 1
            values: dict[str, Any] = {"last_error": str(exc)}
            if exc.permanent or attempts >= settings.channel_max_attempts:
                values["status"] = "failed"
            else:
                values["next_attempt_at"] = now + backoff(attempts)
            _finish(session_factory, row, token, values)
            outcome.failed += 1
            continue
        _finish(
            session_factory,
            row,
            token,
            {"status": "sent", "sent_at": utcnow(), "provider_id": provider_id, "last_error": ""},
        )
        outcome.sent += 1
    if outcome.sent or outcome.failed:
        log.info("sms/zalo: %d sent, %d failed", outcome.sent, outcome.failed)
    return outcome
