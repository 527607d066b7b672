"""Domain events: a service says what happened, the handlers registered at start-up react.

A service publishes a small typed event (``DossierReceived``, ``PaymentSettled`` …, defined in
the publishing domain's ``events.py``) with ``publish(session, event)``. The handlers run at
once, in the order they were registered, in the publisher's transaction: an audit entry, a
notice or an outbox row is committed with the change or not at all. Work that must survive a
crash or talk to the outside is an outbox row written by a handler and delivered by the worker.

A handler subscribed to a class also receives its subclasses (``DossierEvent`` receives every
dossier action). ``app.wiring`` registers the handlers; publishing before that is an error,
so a forgotten wiring cannot silently drop audit entries (docs/decisions/0016-domain-events.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

E = TypeVar("E")
Handler = Callable[[Session, Any], None]

# (event class, handler) in registration order: wiring registers the audit log last, so its
# lock on the chain's head is taken last in every transaction (ADR 0006).
_subscriptions: list[tuple[type, Handler]] = []
_wired = False


def subscribe(event_type: type[E], handler: Callable[[Session, E], None]) -> None:
    """Run ``handler(session, event)`` for every published ``event_type`` (or subclass)."""
    if (event_type, handler) not in _subscriptions:
        _subscriptions.append((event_type, handler))


def mark_wired() -> None:
    """Called once every subscriber of the application is registered."""
    global _wired
    _wired = True


def handlers_for(event_type: type) -> list[Handler]:
    """The handlers an event of this type reaches, in registration order."""
    return [handler for klass, handler in _subscriptions if issubclass(event_type, klass)]


def publish(session: Session, event: object) -> None:
    """Let every subscriber react to ``event`` inside the current transaction."""
    if not _wired:
        raise RuntimeError("domain events published before app.wiring.wire() registered handlers")
    for handler in handlers_for(type(event)):
        handler(session, event)
