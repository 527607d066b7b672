"""Domain events (docs/decisions/0016-domain-events.md): what each action publishes, the order
the subscribers run in, and that a reaction is part of the action's transaction."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import events
from app.audit import subscribers as audit_subscribers
from app.audit.models import AuditEntry
from app.docstore import subscribers as docstore_subscribers
from app.dossiers.events import DossierChanged, DossierReceived, ResultReturned
from app.dossiers.models import Dossier
from app.national import subscribers as national_subscribers
from app.notifications import subscribers as notification_subscribers
from app.notifications.models import Notice
from app.payments.events import PaymentSettled
from app.receipts import subscribers as receipt_subscribers
from app.receipts.events import ReceiptReplaced
from tests.dossiers.helpers import RECEPTION, act, headers, submitted_dossier


@pytest.fixture
def extra_subscribers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[type, Any]]:
    """Subscriptions added by a test, gone after it."""
    added: list[tuple[type, Any]] = list(events._subscriptions)
    monkeypatch.setattr(events, "_subscriptions", added)
    return added


def test_receipt_first_audit_last() -> None:
    assert events.handlers_for(PaymentSettled) == [
        receipt_subscribers.on_payment_settled,
        notification_subscribers.on_payment_settled,
        audit_subscribers.on_payment_settled,
    ]
    assert events.handlers_for(ReceiptReplaced) == [audit_subscribers.on_receipt_replaced]
    assert events.handlers_for(ResultReturned) == [
        docstore_subscribers.on_dossier_changed,
        notification_subscribers.on_dossier_changed,
        national_subscribers.on_dossier_changed,
        audit_subscribers.on_dossier_changed,
    ]


def test_publishing_before_wiring_is_refused(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "_wired", False)
    with pytest.raises(RuntimeError, match=r"wiring\.wire"):
        events.publish(db, PaymentSettled(payment=None, dossier=None, collector=None))  # type: ignore[arg-type]


def test_each_action_publishes_its_event_in_the_transaction(
    client: TestClient, db: Session, extra_subscribers: list[tuple[type, Any]]
) -> None:
    seen: list[tuple[str, str, str, str, bool]] = []

    def spy(session: Session, event: DossierChanged) -> None:
        seen.append(
            (
                type(event).__name__,
                event.action,
                event.before,
                event.dossier.status,
                session.is_active and event.dossier in session,
            )
        )

    extra_subscribers.append((DossierChanged, spy))
    dossier_id, _ = submitted_dossier(client)
    response = act(client, headers(client, RECEPTION), dossier_id, "receive")
    assert response.status_code == 200, response.text

    assert seen == [
        ("DossierSubmitted", "submit", "draft", "submitted", True),
        ("DossierReceived", "receive", "submitted", response.json()["status"], True),
    ]


def test_a_failing_reaction_undoes_the_action(
    client: TestClient, db: Session, extra_subscribers: list[tuple[type, Any]]
) -> None:
    dossier_id, _ = submitted_dossier(client)
    db.expire_all()
    submitted = db.get(Dossier, dossier_id)
    assert submitted is not None and submitted.code is not None
    code, secret = submitted.code, submitted.lookup_secret

    def fail(session: Session, event: DossierReceived) -> None:
        raise RuntimeError("the national portal refused")

    extra_subscribers.append((DossierReceived, fail))
    with pytest.raises(RuntimeError, match="national portal"):
        act(client, headers(client, RECEPTION), dossier_id, "receive")

    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    # Still as submitted: the code and secret of the submission, no reception, no form 01.
    assert dossier is not None and dossier.status == "submitted" and dossier.received_at is None
    assert (dossier.code, dossier.lookup_secret) == (code, secret)
    audit = db.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_type == "dossier", AuditEntry.object_id == str(dossier_id)
        )
    ).all()
    assert audit == ["dossier.submit"]  # no "dossier.receive": the whole action rolled back
    kinds = db.scalars(select(Notice.kind).where(Notice.dossier_id == dossier_id)).all()
    assert "received" not in kinds
