"""N+1 guards: the number of SQL statements of list pages does not grow with the list."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.accounts import token_cache
from app.calendar import service as calendar_service
from tests.dossiers.helpers import RECEPTION, SPECIALIST, act, headers, submitted_dossier


@contextmanager
def counting(db: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = db.get_bind().engine  # type: ignore[union-attr]

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _count(client: TestClient, db: Session, path: str, h: dict[str, str] | None = None) -> int:
    # Each request of a real server has a fresh session: nothing loaded, no calendar built;
    # and the process's shared calendar is counted as read (it is after a few seconds, which
    # a slow machine may or may not reach between two requests of a test).
    db.expunge_all()
    db.info.pop(calendar_service._CACHE_KEY, None)
    calendar_service.forget_shared()
    token_cache.forget_all()  # and the caller's token is read, as on a first request
    with counting(db) as statements:
        response = client.get(path, headers=h or {})
    assert response.status_code == 200, response.text
    return len(statements)


def test_queue_statement_count_does_not_grow_with_its_length(
    client: TestClient, db: Session
) -> None:
    reception = headers(client, RECEPTION)
    submitted_dossier(client)
    few = _count(client, db, "/api/v1/queue", reception)
    for _ in range(6):
        submitted_dossier(client)
    many = _count(client, db, "/api/v1/queue", reception)
    assert many <= few, (few, many)
    # The caller with their roles, the dossiers with their versions and current steps, the
    # calendar's rules and overrides (docs/PERFORMANCE.md: the queue's throughput target);
    # a fourth the first time a process's step order is needed.
    assert many <= 3, many


def test_queue_of_dossiers_being_processed_stays_at_three_statements(
    client: TestClient, db: Session
) -> None:
    """Received dossiers at a specialist's step: the actions need the steps and the calendar."""
    reception, specialist = headers(client, RECEPTION), headers(client, SPECIALIST)
    for _ in range(3):
        dossier_id, _ = submitted_dossier(client)
        act(client, reception, dossier_id, "receive")
        act(client, reception, dossier_id, "forward")
    response = client.get("/api/v1/queue", headers=specialist)
    items = response.json()["items"]
    assert len(items) >= 3
    for item in items:  # the same actions as the dossier's own page offers
        detail = client.get(f"/api/v1/dossiers/{item['id']}", headers=specialist).json()
        assert item["available_actions"] == detail["available_actions"]
        assert "forward" in item["available_actions"]
    # The caller, the dossiers (with versions, current steps and fees owed), the calendar;
    # the order of a published process's steps is known after the first request.
    assert _count(client, db, "/api/v1/queue", specialist) <= 3


def test_catalogue_statement_count_is_bounded(client: TestClient, db: Session) -> None:
    one = _count(client, db, "/api/v1/procedures?limit=1")
    all_ = _count(client, db, "/api/v1/procedures?limit=100")
    assert all_ <= one + 1, (one, all_)
    page = _count(client, db, "/thu-tuc")
    assert page <= 12, page


def test_queue_of_dossiers_with_fees_reads_what_they_owe_with_them(
    client: TestClient, db: Session
) -> None:
    """A step offering "request_payment" needs what each dossier still owes: read in the
    queue's own statement (it was two more statements per dossier), with the same answer as
    the dossier's own page."""
    from sqlalchemy import select

    from app.catalog.models import ProcessStep
    from app.dossiers.models import Dossier
    from app.payments.models import Payment
    from app.workflow import actions as action_rules
    from tests.dossiers.helpers import submit_procedure

    reception, cashier = headers(client, RECEPTION), headers(client, "thuphi.phohien@motcua.local")
    specialist = headers(client, SPECIALIST)
    ids = []
    for _ in range(3):  # fees due at reception: received, paid at the counter, then reviewed
        dossier, _ = submit_procedure(client, "2.000884")
        received = act(client, reception, dossier["id"], "receive").json()
        assert received["status"] == "awaiting_payment"
        paid = client.post(
            f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "cash"}, headers=cashier
        )
        assert paid.status_code == 201, paid.text
        ids.append(dossier["id"])
    # The review step may ask for fees (as a process configured with fees before the result
    # does at its last step), and the bank reverses one payment: that dossier owes again.
    step = db.get(ProcessStep, db.get(Dossier, ids[0]).current_step_id)
    assert step is not None and step.role == "specialist"
    step.actions = [*step.actions, "request_payment"]
    db.scalars(select(Payment).where(Payment.dossier_id == ids[0])).one().status = "cancelled"
    db.commit()
    # A published process is never edited through the portal, so its steps are kept in memory;
    # this test edits one behind its back.
    action_rules.forget_processes()

    items = client.get("/api/v1/queue?limit=200", headers=specialist).json()["items"]
    queued = {i["id"]: i["available_actions"] for i in items if i["id"] in ids}
    assert set(queued) == set(ids)
    for dossier_id in ids:
        detail = client.get(f"/api/v1/dossiers/{dossier_id}", headers=specialist).json()
        assert queued[dossier_id] == detail["available_actions"]
    assert "request_payment" in queued[ids[0]]
    assert "request_payment" not in queued[ids[1]] and "request_payment" not in queued[ids[2]]
    assert _count(client, db, "/api/v1/queue?limit=200", specialist) <= 3


def test_queue_of_an_officer_with_several_roles_stays_at_three_statements(
    client: TestClient, db: Session
) -> None:
    """A commune officer at reception, the specialist's step and the cash desk (as the demo's
    tiepnhan.lienphuong) gets every range of their queue in the same statements as an officer
    with one role, however many dossiers wait in each."""
    from sqlalchemy import select

    from app.accounts.models import User, UserRole
    from tests.dossiers.helpers import submit_procedure

    officer = db.scalars(select(User).where(User.email == RECEPTION)).one()
    officer.role_rows += [UserRole(role="specialist"), UserRole(role="cashier")]
    db.commit()
    reception = headers(client, RECEPTION)
    submitted_dossier(client)
    few = _count(client, db, "/api/v1/queue", reception)
    waiting = []
    for _ in range(2):
        dossier_id, _ = submitted_dossier(client)  # received: at the next step
        act(client, reception, dossier_id, "receive")
        submitted_dossier(client)  # at reception
        dossier, _ = submit_procedure(client, "2.000884")  # fees due at reception
        assert act(client, reception, dossier["id"], "receive").json()["status"] == (
            "awaiting_payment"
        )
        waiting.append(dossier["id"])
    items = client.get("/api/v1/queue?limit=200", headers=reception).json()["items"]
    statuses = {i["status"] for i in items}
    assert {"submitted", "received", "awaiting_payment"} <= statuses, statuses
    assert set(waiting) <= {i["id"] for i in items}
    many = _count(client, db, "/api/v1/queue", reception)
    assert many <= few, (few, many)
    assert many <= 3, many
