"""The demo's year of dossiers (``portal demo seed``): every officer finds work waiting, every
page has something true to show, and the history holds together like real use."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.calendar import service as calendar_service
from app.catalog.models import ProcedureVersion
from app.demo import history
from app.demo.seed import seed_all
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import STATUSES, Dossier, DossierEvent, StepRun
from app.main import create_app
from app.notifications.models import Notice, OutboxMessage
from app.payments import refunds
from app.payments.models import Payment, Refund
from app.ratings.models import Rating
from app.receipts import service as receipt_service
from app.receipts.models import Receipt
from app.reports import service as report_service
from app.stats import dates as stats_dates
from app.stats import indicators as stats_indicators
from app.stats import tallies
from app.web.session import get_session
from app.workflow import queue as work_queue
from app.workflow import service as workflow_service
from tests.conftest import DEMO_PASSWORD, csrf_from

# The end of the seeded year, fixed so that the history is the same on every run.
NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
STAFF_ROLES = ("reception", "specialist", "leader", "cashier")


def _table_counts(session: Session) -> dict[str, int]:
    tables = (Dossier, DossierEvent, StepRun, Document, Payment, Receipt, Rating, User)
    return {
        t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in tables
    }


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> Iterator[tuple[Session, int, dict[str, int]]]:
    """A session holding the demo history (rolled back after the module's tests)."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    notices = session.scalar(select(func.count(Notice.id)))
    mails = session.scalar(select(func.count(OutboxMessage.id)))
    try:
        made = history.seed_history(session, NOW, strict=True)
        session.flush()
        counts = _table_counts(session)
        # Nothing told to the applicants today about a year of past actions.
        assert session.scalar(select(func.count(Notice.id))) == notices
        assert session.scalar(select(func.count(OutboxMessage.id))) == mails
        yield session, made, counts
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(scope="module")
def web(seeded: tuple[Session, int, dict[str, int]]) -> Iterator[TestClient]:
    session = seeded[0]
    application = create_app()

    def _session() -> Iterator[Session]:
        yield session
        session.flush()

    application.dependency_overrides[get_session] = _session
    with TestClient(application, base_url="http://127.0.0.1:8000") as client:
        yield client


def _log_in(client: TestClient, email: str) -> None:
    client.cookies.clear()
    page = client.get("/dang-nhap")
    response = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _dossiers(session: Session) -> list[Dossier]:
    return list(session.scalars(select(Dossier).order_by(Dossier.id)))


def test_a_second_seed_adds_nothing(seeded: tuple[Session, int, dict[str, int]]) -> None:
    session, made, counts = seeded
    assert 250 <= made == counts["dossiers"]
    assert history.seed_history(session, NOW) == 0
    assert history.seed_history(session) == 0  # another day changes nothing either
    assert seed_all(session) == {
        "agencies": 0,
        "certificates": 0,
        "users": 0,
        "procedures": 0,
        "procedures_upgraded": 0,
        "par_sets": 0,
        "par_rounds": 0,
        "booking_settings": 0,
    }
    assert _table_counts(session) == counts


def test_every_status_is_there(seeded: tuple[Session, int, dict[str, int]]) -> None:
    statuses = Counter(d.status for d in _dossiers(seeded[0]))
    assert set(statuses) == set(STATUSES)
    assert statuses["completed"] > len(STATUSES) * 10  # most of a year's dossiers are done


def test_a_year_of_channels_payments_and_ratings(
    seeded: tuple[Session, int, dict[str, int]],
) -> None:
    session = seeded[0]
    dossiers = _dossiers(session)
    received = [d.received_at for d in dossiers if d.received_at]
    assert min(received) < NOW - timedelta(days=330) and max(received) > NOW - timedelta(days=14)
    assert {d.channel for d in dossiers} == {"online", "counter"}
    paid = Counter(session.scalars(select(Payment.method).where(Payment.status == "paid")))
    assert paid["cash"] > 10 and paid["sandbox"] > 10
    scores = Counter(session.scalars(select(Rating.score)))
    assert set(scores) == {1, 2, 3, 4, 5}
    kinds = Counter(session.scalars(select(Document.kind)))
    for kind in ("form_01", "form_02", "form_03", "form_04", "form_05", "form_06", "receipt"):
        assert kinds[kind] > 0, kind
    # Fees paid for dossiers closed without a result are paid back, their receipts cancelled.
    refunded = list(session.scalars(select(Refund).where(Refund.status == "refunded")))
    assert refunded and {r.method for r in refunded} <= {"cash", "gateway"}
    for refund in refunded:
        dossier = session.get(Dossier, refund.dossier_id)
        assert dossier is not None and dossier.status in ("rejected", "stopped", "withdrawn")
        receipt = session.get(Receipt, refund.receipt_id)
        assert receipt is not None and receipt.status == "cancelled" and receipt.cancel_reason
        assert refunds.refund_due(session, dossier) == 0


def test_every_demo_officer_with_a_process_has_work_waiting(
    seeded: tuple[Session, int, dict[str, int]],
) -> None:
    session = seeded[0]
    acting = {
        (step.agency_id or agency.id, step.role)
        for version in session.scalars(
            select(ProcedureVersion).where(ProcedureVersion.status == "published")
        )
        for agency in version.agencies
        for step in version.steps
    }
    officers = session.scalars(
        select(User).where(User.agency_id.is_not(None), User.email.like("%@motcua.local"))
    ).all()
    checked = []
    for officer in officers:
        desks = {(officer.agency_id, r) for r in officer.roles if r in STAFF_ROLES}
        if "cashier" in officer.roles:  # a cashier collects where reception works
            desks.add((officer.agency_id, "reception"))
        if not desks & acting:
            continue  # no demo procedure has a step at this officer's desk (Sở Tư pháp)
        entries = work_queue.queue(session, officer, limit=100)
        assert entries, officer.email
        checked.append(officer.email)
    for email in (
        "tiepnhan.tinh@motcua.local",
        "thuphi.tinh@motcua.local",
        "chuyenvien.congan@motcua.local",
        "lanhdao.xaydung@motcua.local",
        "tiepnhan.phohien@motcua.local",
        "chuyenvien.phohien@motcua.local",
        "lanhdao.phohien@motcua.local",
        "thuphi.phohien@motcua.local",
        "tiepnhan.lienphuong@motcua.local",
        "lanhdao.lienphuong@motcua.local",
    ):
        assert email in checked
    # What waits can be acted on by the officer it waits for.
    reception = account_service.get_user_by_email(session, "tiepnhan.tinh@motcua.local")
    assert reception is not None
    actions = {
        a
        for entry in work_queue.queue(session, reception)
        for a in workflow_service.available_actions(session, entry.dossier, reception, NOW)
    }
    assert {"receive", "return_result"} <= actions


def test_a_queue_row_shows_and_allows_what_the_loaded_dossier_does(
    seeded: tuple[Session, int, dict[str, int]],
) -> None:
    """The queue reads plain rows, not ORM dossiers (issue 18): for every demo officer, each
    row's summary and actions are those of the same dossier loaded whole."""
    session = seeded[0]
    officers = session.scalars(
        select(User).where(User.agency_id.is_not(None), User.email.like("%@motcua.local"))
    ).all()
    compared = 0
    actions_seen: set[str] = set()
    for officer in officers:
        if not officer.is_staff:
            continue
        for entry in work_queue.queue(session, officer, limit=200):
            row = entry.dossier
            loaded = session.get(Dossier, row.id)
            assert loaded is not None
            assert dossier_service.summary_fields(row, NOW) == dossier_service.summary_fields(
                loaded, NOW
            )
            allowed = workflow_service.available_actions(session, row, officer, NOW, entry.owed)
            assert allowed == workflow_service.available_actions(session, loaded, officer, NOW)
            actions_seen.update(allowed)
            compared += 1
    assert compared > 50
    # The rows cover the actions of every kind of step, not only reception's.
    assert {"receive", "forward", "approve", "return_result", "extend"} <= actions_seen


def test_the_statistics_and_the_dashboard_have_figures(
    seeded: tuple[Session, int, dict[str, int]], web: TestClient
) -> None:
    session = seeded[0]
    start, end = stats_dates.default_period()
    read = stats_indicators.indicators(session, None, start - timedelta(days=300), end)
    counts = read.counts
    assert counts.received > 200 and counts.finished > 150
    assert 0 < counts.late < counts.on_time and counts.extended > 0
    assert counts.ratings > 50 and counts.unhappy > 0
    assert 40 < read.points < read.max_points
    assert tallies.differences(session) == []

    _log_in(web, "lanhdao.phohien@motcua.local")
    dashboard = web.get("/can-bo/bang-dieu-khien")
    assert dashboard.status_code == 200
    open_codes = [
        d.code
        for d in _dossiers(session)
        if d.code and d.status in ("received", "processing") and d.agency.code == "000.00.51.H31"
    ]
    assert open_codes and any(code in dashboard.text for code in open_codes)


def test_the_tracking_book_has_rows(seeded: tuple[Session, int, dict[str, int]]) -> None:
    session = seeded[0]
    officer = account_service.get_user_by_email(session, "tiepnhan.phohien@motcua.local")
    assert officer is not None
    end = NOW.date()
    book = report_service.tracking_book(
        session, officer, "000.00.51.H31", end - timedelta(days=365), end, limit=20
    )
    assert book["extra"]["total"] > 60
    rows = book["extra"]["rows"]
    assert len(rows) == 20 and all(row["code"].startswith("000.00.51.H31-") for row in rows)


def test_the_history_holds_together(seeded: tuple[Session, int, dict[str, int]]) -> None:
    session = seeded[0]
    cal = calendar_service.get_calendar(session)
    late = on_time = 0
    for dossier in _dossiers(session):
        events = [e.at for e in dossier.events]
        assert events == sorted(events), dossier.id
        assert events[-1] <= NOW
        for run in dossier.step_runs:
            assert run.finished_at is None or run.finished_at >= run.started_at
        if dossier.received_at is None:
            continue
        # the code is dated by the submission (online) or the counter intake (SPEC §3)
        local_day = cal.local(dossier.submitted_at or dossier.received_at).date()
        assert dossier.code and dossier.code.split("-")[1] == f"{local_day:%y%m%d}"
        assert (
            dossier.original_due_at
            == cal.due_after_working_days(dossier.received_at, dossier.version.processing_days)
            or dossier.supplement_count
        )  # a supplement restarts the time
        form_01 = session.scalar(
            select(Document).where(Document.dossier_id == dossier.id, Document.kind == "form_01")
        )
        assert form_01 is not None and form_01.created_at == dossier.received_at
        if dossier.status == "completed":
            assert dossier.result_ready_at is not None and dossier.finished_at is not None
            assert dossier.received_at < dossier.result_ready_at <= dossier.finished_at
            assert dossier.due_at is not None
            if dossier.result_ready_at > dossier.due_at:
                late += 1
                assert cal.working_hours_between(dossier.due_at, dossier.result_ready_at) > 0
            else:
                on_time += 1
    assert late > 5 and on_time > late * 3
    for receipt in session.scalars(select(Receipt)):
        payment = session.get(Payment, receipt.payment_id)
        assert payment is not None and receipt.issued_at == payment.paid_at
    for rating in session.scalars(select(Rating)):
        dossier = session.get(Dossier, rating.dossier_id)
        assert dossier is not None and dossier.finished_at is not None
        assert rating.created_at > dossier.finished_at


def test_receipt_pdfs_are_made_when_first_read(
    seeded: tuple[Session, int, dict[str, int]],
) -> None:
    session = seeded[0]
    receipts = session.scalars(select(Receipt).order_by(Receipt.id)).all()
    pending = [
        r for r in receipts if (doc := receipt_service.document_of(session, r)) and not doc.sha256
    ]
    assert len(pending) == len(receipts) > 100
    first = receipts[0]
    data = receipt_service.pdf_bytes(session, first)
    assert data.startswith(b"%PDF")
    document = receipt_service.document_of(session, first)
    assert document is not None and document.sha256
