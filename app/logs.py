"""Log lines as JSON (``PORTAL_LOG_FORMAT=json``) carrying the request id of the work they
belong to: the web request's, and in the worker the id of the request that wrote the outbox
row being delivered (SPEC §14, docs/decisions/0031-several-processes.md).

What is logged stays free of personal data and secrets by construction: the access line of
the web process names the route's template (``/api/v1/dossiers/{code}``), never the path or
query with their codes and secrets, and the rest of the application logs ids and exception
class names only."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

# The id of the request (or outbox row's request) whose work is being done here.
request_id: ContextVar[str] = ContextVar("portal_request_id", default="")

# An X-Request-ID a client or proxy sends is kept when it is short and plain; else a new one.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
# Uvicorn's own loggers: in JSON mode they write through the same handler.
_UVICORN = ("uvicorn", "uvicorn.error")
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def new_request_id() -> str:
    return secrets.token_hex(16)


def accept_request_id(given: str | None) -> str:
    """The request id of a request: the caller's ``X-Request-ID`` if sane, else a new one."""
    if given and _SANE_ID.fullmatch(given):
        return given
    return new_request_id()


@contextlib.contextmanager
def bound_request_id(value: str) -> Iterator[None]:
    """Log lines written inside carry ``value`` as their request id."""
    token = request_id.set(value)
    try:
        yield
    finally:
        request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``%(request_id)s`` in text formats)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, the extra fields
    the caller gave, and the exception's class and traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", "") or request_id.get()
        if rid:
            line["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key != "request_id" and not key.startswith("_"):
                line[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_type"] = record.exc_info[0].__name__
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Send the application's (and uvicorn's) log lines to stderr as text or JSON, each with
    its request id; called once per process (web app, worker)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "portal_handler", False)]:
        root.removeHandler(old)
    handler.portal_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    if log_format == "json":
        for name in _UVICORN:
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
        # The access line is written by the telemetry middleware (route template, no path).
        access = logging.getLogger("uvicorn.access")
        access.handlers.clear()
        access.propagate = False
        access.disabled = True
