"""Notice channels (issue 24 part 3): a citizen who chooses SMS and Zalo gets each dossier
notice through the real stand-in (``app/notifications/sms_sandbox.py`` on 127.0.0.1), retried
when the stand-in refuses, logged for the system administrator; a bad mobile number is refused
and changes nothing; the key never reaches a row, a log or a page."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service as account_service
from app.config import get_settings
from app.db import begin_write, request_session, utcnow
from app.main import create_app
from app.notifications import channels, sms, sms_sandbox
from app.notifications.channel_models import ChannelMessage, NoticePreference
from app.web.session import get_session
from tests.conftest import api_token
from tests.dossiers.helpers import CITIZEN, RECEPTION
from tests.national.test_delivery import new_dossier, take

KEY = "khoa-bi-mat-cua-cong-sms"
ADMIN = "admin@motcua.local"


@pytest.fixture
def factory(fresh_database: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=fresh_database, expire_on_commit=False)


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[sms_sandbox.SandboxState]:
    """The SMS gateway and ZNS stand-in on a free loopback port, the portal pointed at it."""
    state = sms_sandbox.SandboxState(key=KEY)
    server = sms_sandbox.make_server(state)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    settings = get_settings()
    monkeypatch.setattr(settings, "sms_url", f"{base}/sms/send")
    monkeypatch.setattr(settings, "sms_key", KEY)
    monkeypatch.setattr(settings, "zalo_url", f"{base}/zns/message/template")
    monkeypatch.setattr(settings, "zalo_key", KEY)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def app_client(factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app()

    def session_of_request(request: Request) -> Iterator[Session]:
        yield from request_session(request.method, factory)

    app.dependency_overrides[get_session] = session_of_request
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def _rows(factory: sessionmaker[Session]) -> list[ChannelMessage]:
    with factory() as session:
        return list(session.scalars(select(ChannelMessage).order_by(ChannelMessage.id)))


def test_sms_and_zalo_reach_the_stand_in_with_retries_and_the_admin_sees_the_log(
    factory: sessionmaker[Session],
    stand_in: sms_sandbox.SandboxState,
    app_client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    citizen = api_token(app_client, CITIZEN)
    chosen = app_client.put(
        "/api/v1/notifications/channels",
        json={"channels": ["in_app", "sms", "zalo"], "phone": "0912 345 678"},
        headers=citizen,
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["channels"] == ["in_app", "sms", "zalo"]
    assert chosen.json()["phone"] == "84912345678"

    dossier_id = new_dossier(factory)
    take(factory, dossier_id, RECEPTION, "receive")
    rows = _rows(factory)
    assert [(r.channel, r.kind) for r in rows] == [
        ("sms", "submitted"),
        ("zalo", "submitted"),
        ("sms", "received"),
        ("zalo", "received"),
    ]
    # SMS without diacritics; Zalo keeps them.
    assert rows[2].body_text.startswith("Ho so ") and "da duoc tiep nhan" in rows[2].body_text
    assert "đã được tiếp nhận" in rows[3].body_text
    assert rows[3].template_id == "received"

    # The stand-in refuses the first message: it waits, the others go.
    stand_in.plan(fail_next=1)
    now = utcnow()
    outcome = sms.deliver_due(factory, "worker-1", now=now)
    assert (outcome.sent, outcome.failed) == (3, 1)
    first = _rows(factory)[0]
    assert first.status == "pending" and first.attempts == 1 and "HTTP 503" in first.last_error
    assert sms.deliver_due(factory, "worker-1", now=now).sent == 0  # not due yet
    assert sms.deliver_due(factory, "worker-1", now=now + timedelta(minutes=2)).sent == 1
    assert {r.status for r in _rows(factory)} == {"sent"}
    texts = [m["text"] for m in stand_in.received if m["channel"] == "sms"]
    assert len(texts) == 2 and any("da duoc tiep nhan" in t for t in texts)
    assert all(m["to"] == "84912345678" for m in stand_in.received)
    assert any(m.get("template_id") == "received" for m in stand_in.received)

    # The system administrator's delivery log, in the API and on the page.
    admin = api_token(app_client, ADMIN)
    log = app_client.get("/api/v1/admin/notice-deliveries?channel=sms", headers=admin)
    assert log.status_code == 200
    assert log.json()["total"] == 2 and log.json()["counts"]["sent"] == 4
    assert any(i["attempts"] == 2 for i in log.json()["items"])
    assert app_client.get("/api/v1/admin/notice-deliveries", headers=citizen).status_code == 403
    page = app_client.get("/quan-tri/thong-bao-gui", headers=admin)
    assert page.status_code == 200 and "da duoc tiep nhan" in page.text

    # The key is nowhere but in the request headers.
    assert KEY not in caplog.text and KEY not in page.text
    assert all(KEY not in r.last_error and KEY not in r.body_text for r in _rows(factory))


def test_a_message_refused_too_often_is_given_up_and_can_be_sent_again(
    factory: sessionmaker[Session],
    stand_in: sms_sandbox.SandboxState,
    app_client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "channel_max_attempts", 2)
    with factory() as session, session.begin():
        begin_write(session)
        user = account_service.get_user_by_email(session, CITIZEN)
        assert user is not None
        channels.set_preference(session, user, ["sms"], "0987654321")
    new_dossier(factory)
    stand_in.plan(every=1)  # everything refused
    now = utcnow()
    sms.deliver_due(factory, "w", now=now)
    sms.deliver_due(factory, "w", now=now + timedelta(hours=2))
    (row,) = _rows(factory)
    assert row.status == "failed" and row.attempts == 2
    # E-mail was not chosen: only the SMS was written.
    stand_in.plan()
    admin = api_token(app_client, ADMIN)
    again = app_client.post(f"/api/v1/admin/notice-deliveries/{row.id}/retry", headers=admin)
    assert again.status_code == 200 and again.json()["status"] == "pending"
    assert sms.deliver_due(factory, "w").sent == 1
    assert stand_in.received[-1]["text"].startswith("Ho so ")


def test_a_bad_mobile_number_is_refused_and_nothing_changes(
    client: TestClient, db: Session
) -> None:
    citizen = api_token(client, CITIZEN)
    for body, field in (
        ({"channels": ["sms"], "phone": "12345"}, "phone"),
        ({"channels": ["zalo"], "phone": "0212345678"}, "phone"),
        ({"channels": ["fax"]}, "channels"),
        ({"channels": []}, "channels"),
    ):
        refused = client.put("/api/v1/notifications/channels", json=body, headers=citizen)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]
        if field == "phone":
            assert "Số điện thoại di động không đúng định dạng" in refused.json()["detail"]
    now = client.get("/api/v1/notifications/channels", headers=citizen).json()
    assert now["channels"] == ["in_app", "email"] and now["chosen"] is False
    owner = account_service.get_user_by_email(db, CITIZEN)
    assert owner is not None
    assert db.get(NoticePreference, owner.id) is None


def test_the_account_page_chooses_channels_and_shows_errors_by_the_field(
    client: TestClient,
) -> None:
    from tests.admin.helpers import log_in

    log_in(client, CITIZEN)
    page = client.get("/tai-khoan/thong-bao")
    assert page.status_code == 200 and 'name="channels"' in page.text
    from tests.conftest import csrf_from

    token = csrf_from(page.text)
    bad = client.post(
        "/tai-khoan/thong-bao",
        data={"channels": ["sms"], "phone": "0123", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert (
        'id="f-phone-error"' in bad.text
        and 'aria-describedby="f-phone-hint f-phone-error"' in bad.text
    )
    good = client.post(
        "/tai-khoan/thong-bao",
        data={"channels": ["email", "sms"], "phone": "0912345678", "csrf_token": token},
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert client.get("/tai-khoan/thong-bao").text.count("checked") == 2


def test_a_password_reset_link_goes_by_sms_but_the_log_never_shows_it(
    factory: sessionmaker[Session], app_client: TestClient
) -> None:
    with factory() as session, session.begin():
        begin_write(session)
        user = account_service.get_user_by_email(session, CITIZEN)
        assert user is not None
        channels.set_preference(session, user, ["email", "sms"], "0912345678")
    asked = app_client.post("/api/v1/auth/password-reset", json={"email": CITIZEN})
    assert asked.status_code == 202
    (row,) = [r for r in _rows(factory) if r.kind == "password_reset"]
    assert "/dat-lai-mat-khau" in row.body_text or "http" in row.body_text
    admin = api_token(app_client, ADMIN)
    log = app_client.get("/api/v1/admin/notice-deliveries", headers=admin).json()
    shown = next(i for i in log["items"] if i["id"] == row.id)
    assert shown["body_text"] == channels.SCRUBBED
    page = app_client.get("/quan-tri/thong-bao-gui", headers=admin).text
    assert row.body_text not in page
