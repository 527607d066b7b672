"""The request id goes with the outbox rows a request writes, so that the worker's log lines
about delivering them carry the same id as the web request's (SPEC §14)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from app.logs import request_id
from app.national.models import NationalMessage
from app.notifications.models import OutboxMessage

_installed = False


def _stamp(_mapper: Any, _connection: Any, row: Any) -> None:
    if not row.request_id:
        row.request_id = request_id.get()


def install() -> None:
    """Once per process (``app.wiring.wire``)."""
    global _installed
    if _installed:
        return
    for model in (OutboxMessage, NationalMessage):
        event.listen(model, "before_insert", _stamp)
    _installed = True
