"""Delivery to the national portal through the real stand-in (``app/national/sandbox.py``, an
HTTP server on 127.0.0.1) on a database of its own: with the stand-in refusing deliveries
(HTTP 500, error_code ≠ 0, an expired session), every dossier's messages still arrive in order
and none twice, across a worker restart and with two workers at once; a message refused too
often is parked, shown to administrators with the partner's answer, and retried or discarded.
No password or session token reaches the logs, the database or the pages."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service as account_service
from app.config import get_settings
from app.db import begin_write, request_session
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn, DossierCreate
from app.main import create_app
from app.national import client as national_client
from app.national import delivery, sandbox
from app.national.models import NationalMessage
from app.stats.models import DailyTally
from app.web.session import get_session
from app.workflow import service as workflow
from tests.admin.helpers import log_in
from tests.conftest import api_token, csrf_from, in_parallel
from tests.dossiers.helpers import (
    BIRTH,
    BIRTH_FORM,
    CITIZEN,
    LEADER,
    PHO_HIEN,
    RECEPTION,
    SPECIALIST,
    pdf_bytes,
)

ADMIN = "admin@motcua.local"
PASSWORD = "mat-khau-quoc-gia-bi-mat"


@pytest.fixture
def factory(fresh_database: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=fresh_database, expire_on_commit=False)


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[sandbox.SandboxState]:
    """The national side on a free loopback port, and the portal configured to use it."""
    state = sandbox.SandboxState(username="hungyen", password=PASSWORD, dstcode="H31")
    server = sandbox.make_server(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = get_settings()
    monkeypatch.setattr(settings, "national_url", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.setattr(settings, "national_username", "hungyen")
    monkeypatch.setattr(settings, "national_password", PASSWORD)
    monkeypatch.setattr(settings, "national_dstcode", "H31")
    monkeypatch.setattr(settings, "national_timeout_seconds", 5.0)
    # A refused message may go again at once (the back-off doubles from zero).
    monkeypatch.setattr(settings, "national_retry_seconds", 0.0)
    national_client.forget_all()
    try:
        yield state
    finally:
        national_client.forget_all()
        server.shutdown()
        server.server_close()


def _act(session: Session, dossier_id: int, email: str, action: str) -> None:
    user = account_service.get_user_by_email(session, email)
    assert user is not None
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    workflow.perform(session, dossier, user, ActionIn(action=action))


def new_dossier(factory: sessionmaker[Session]) -> int:
    """A birth registration submitted online by the demo citizen (in its own transaction)."""
    with factory() as session, session.begin():
        begin_write(session)
        citizen = account_service.get_user_by_email(session, CITIZEN)
        assert citizen is not None
        dossier = dossier_service.create_draft(
            session,
            citizen,
            DossierCreate(procedure_code=BIRTH, agency_code=PHO_HIEN, form_data=BIRTH_FORM),
        )
        for comp in ("TK", "GCS"):
            dossier_service.add_file(session, citizen, dossier, comp, "to-khai.pdf", pdf_bytes())
        workflow.perform(session, dossier, citizen, ActionIn(action="submit"))
        return dossier.id


def take(factory: sessionmaker[Session], dossier_id: int, email: str, action: str) -> None:
    with factory() as session, session.begin():
        begin_write(session)
        _act(session, dossier_id, email, action)


def messages(factory: sessionmaker[Session]) -> list[NationalMessage]:
    with factory() as session:
        return list(session.scalars(select(NationalMessage).order_by(NationalMessage.id)))


def run_worker(factory: sessionmaker[Session], name: str, passes: int = 200) -> int:
    """A worker's delivery loop until nothing is left to send; returns its acknowledgements."""
    acknowledged = idle = 0
    for _ in range(passes):
        outcome = delivery.deliver_due(factory, name, batch=4)
        acknowledged += outcome.acknowledged
        idle = 0 if outcome else idle + 1
        if idle >= 3:
            break
    return acknowledged


def test_refusals_a_restart_and_two_workers_still_deliver_each_message_once_in_order(
    factory: sessionmaker[Session],
    stand_in: sandbox.SandboxState,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # Every third delivery is refused, in turn with HTTP 500, error_code 99, an expired session.
    stand_in.plan(["http500", "error", "expire"], every=3)
    ids = [new_dossier(factory) for _ in range(4)]
    for dossier_id in ids:
        take(factory, dossier_id, RECEPTION, "receive")

    # A first worker sends part of the queue, then stops (a restart: its token is gone too).
    for _ in range(3):
        delivery.deliver_due(factory, "worker-1", batch=3)
    national_client.forget_all()
    mid = messages(factory)
    assert any(m.status == "acknowledged" for m in mid)
    assert any(m.status == "pending" for m in mid)

    # Meanwhile the dossiers move on: more messages behind the unsent ones.
    for dossier_id in ids:
        take(factory, dossier_id, SPECIALIST, "forward")
        take(factory, dossier_id, LEADER, "approve")

    # Two workers at once until everything is acknowledged.
    counts = in_parallel(
        [
            lambda: run_worker(factory, "worker-2"),
            lambda: run_worker(factory, "worker-3"),
        ]
    )
    assert all(isinstance(n, int) for n in counts), counts
    final = messages(factory)
    assert {m.status for m in final} == {"acknowledged"}
    assert all(m.attempts >= 1 and m.claimed_until is None for m in final)

    # What the national side acknowledged: each message once, in the order written per dossier.
    received = stand_in.received
    assert len(received) == len(final)
    for dossier_id in ids:
        ours = [m for m in final if m.dossier_id == dossier_id]
        code = ours[0].dossier_code
        theirs = [r for r in received if r["data"][0]["MaHoSo"] == code]
        assert [(r["service"], r["data"][0]) for r in theirs] == [(m.service, m.data) for m in ours]
        updating = [r["isUpdating"] for r in theirs if r["service"] == "DongBoHoSoMC"]
        assert updating[0] == "False" and set(updating[1:]) == {"True"}
    # The refusals did happen, of every kind, and the expired session was renewed.
    assert {r["fault"] for r in stand_in.refused} == {"http500", "error", "expire"}
    assert stand_in.logins >= 3
    assert any(m.attempts > 1 for m in final)

    # Decision 766: the four received today were acknowledged today.
    with factory() as session:
        synchronised = session.scalar(select(func.sum(DailyTally.synchronised)))
        assert synchronised == 4
        assert session.scalar(select(func.count()).where(NationalMessage.in_day.is_(True))) == sum(
            1 for m in final if m.national_status != 1
        )

    # No secret in the logs or in what was stored.
    secrets = [PASSWORD, *stand_in.issued]
    assert len(stand_in.issued) >= 3
    for secret in secrets:
        assert secret not in caplog.text
        assert all(secret not in m.last_error for m in final)
    assert "national sync:" in caplog.text  # the worker did log its passes


@pytest.fixture
def admin_client(factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The application on the same database, for the administrator's page and API."""
    app = create_app()

    def session_of_request(request: Request) -> Iterator[Session]:
        yield from request_session(request.method, factory)

    app.dependency_overrides[get_session] = session_of_request
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def test_a_message_refused_too_often_is_parked_shown_retried_and_discarded(
    factory: sessionmaker[Session],
    stand_in: sandbox.SandboxState,
    admin_client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "national_max_attempts", 2)
    stand_in.plan(["error"], every=1)  # every delivery refused with error_code 99
    first, second = new_dossier(factory), new_dossier(factory)
    for _ in range(4):
        delivery.deliver_due(factory, "worker")
    rows = messages(factory)
    heads = [r for r in rows if r.service == "DongBoHoSoMC"]
    assert [r.status for r in heads] == ["parked", "parked"]
    assert all(r.attempts == 2 for r in heads)
    assert "error_code 99" in heads[0].last_error and "bận" in heads[0].last_error
    # A parked message holds back the rest of its dossier: the progress entries were not sent.
    assert {r.status for r in rows if r.service == "CapNhatTienDoHoSoMC"} == {"pending"}
    assert {r.attempts for r in rows if r.service == "CapNhatTienDoHoSoMC"} == {0}

    admin = api_token(admin_client, ADMIN)
    listed = admin_client.get("/api/v1/admin/national-sync?status=parked", headers=admin)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 2 and body["counts"]["parked"] == 2 and body["configured"] is True
    assert {i["dossier_id"] for i in body["items"]} == {first, second}
    assert "error_code 99" in body["items"][0]["last_error"]
    assert "data" not in body["items"][0]  # the applicant's data stays out of the list
    citizen = api_token(admin_client, CITIZEN)
    assert admin_client.get("/api/v1/admin/national-sync", headers=citizen).status_code == 403

    # The administrator's page shows them with the partner's answer.
    log_in(admin_client, ADMIN)
    page = admin_client.get("/quan-tri/dong-bo-quoc-gia?status=parked")
    assert page.status_code == 200
    assert page.text.count('class="national-parked"') == 2
    assert "Hệ thống đang bận (giả lập)" in page.text
    for secret in (PASSWORD, *stand_in.issued):
        assert secret not in page.text
    assert 'href="/quan-tri/dong-bo-quoc-gia"' in admin_client.get("/quan-tri").text

    # The national side works again. Retry the first dossier's, discard the second's.
    stand_in.plan([], every=0)
    retried = admin_client.post(
        "/api/v1/admin/national-sync/retry", json={"ids": [heads[0].id]}, headers=admin
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["items"][0]["status"] == "pending"
    again = admin_client.post(
        "/api/v1/admin/national-sync/retry", json={"ids": [heads[0].id]}, headers=admin
    )
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    unknown = admin_client.post(
        "/api/v1/admin/national-sync/discard", json={"ids": [999999]}, headers=admin
    )
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    token = csrf_from(page.text)
    discarded = admin_client.post(
        "/quan-tri/dong-bo-quoc-gia/bo",
        data={"id": str(heads[1].id), "status": "parked", "csrf_token": token},
        follow_redirects=False,
    )
    assert discarded.status_code == 303

    for _ in range(4):
        delivery.deliver_due(factory, "worker")
    final = {r.id: r for r in messages(factory)}
    assert final[heads[0].id].status == "acknowledged"
    assert final[heads[1].id].status == "discarded" and final[heads[1].id].handled_by
    # Both dossiers' progress entries went after them, in order; the discarded one never did.
    sent = [(r["service"], r["data"][0]["MaHoSo"]) for r in stand_in.received]
    first_code, second_code = heads[0].dossier_code, heads[1].dossier_code
    assert sorted(sent) == sorted(
        [
            ("DongBoHoSoMC", first_code),
            ("CapNhatTienDoHoSoMC", first_code),
            ("CapNhatTienDoHoSoMC", second_code),
        ]
    )
    assert sent.index(("DongBoHoSoMC", first_code)) < sent.index(
        ("CapNhatTienDoHoSoMC", first_code)
    )


def test_without_a_url_messages_wait(factory: sessionmaker[Session]) -> None:
    assert get_settings().national_url == ""
    new_dossier(factory)
    assert not delivery.deliver_due(factory, "worker")
    assert {m.status for m in messages(factory)} == {"pending"}
