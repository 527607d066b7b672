"""Readiness, metrics and the request id (SPEC §14): `/readyz` names what is down, `/metrics`
is served to loopback or with its token and shows latency by route template and the outboxes,
each request's id is echoed and reaches the worker's log line about its e-mail, and the JSON
log lines carry no personal data."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.logs import JsonFormatter
from app.notifications import service as notification_service
from app.notifications.models import OutboxMessage
from app.storage import service as storage
from tests.conftest import DEMO_PASSWORD
from tests.dossiers.helpers import CITIZEN
from tests.notifications.test_mail import MailServer, _free_port


def test_readyz_when_all_is_up(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "down": [],
        "checks": {"database": "ok", "storage": "ok"},
    }


def test_readyz_names_storage_when_its_folder_cannot_be_written(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setattr(get_settings(), "data_dir", blocker)
    with pytest.raises(storage.StorageUnavailable, match="not writable"):
        storage.ready()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["down"] == ["storage"]
    assert answer.json()["checks"]["database"] == "ok"


def test_readyz_names_redis_when_it_does_not_answer(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import redis_store

    port = _free_port()  # nothing listens there
    monkeypatch.setattr(get_settings(), "redis_url", f"redis://:geheim@127.0.0.1:{port}/0")
    redis_store.forget()
    try:
        answer = client.get("/readyz")
    finally:
        redis_store.forget()
    assert answer.status_code == 503
    assert answer.json()["down"] == ["redis"]
    assert "geheim" not in answer.text


def test_healthz_stays_plain(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.json() == {"status": "ok"}
    assert "x-request-id" not in answer.headers  # untouched by the telemetry middleware


def test_metrics_only_for_loopback_or_the_token(
    app: object, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = client.get("/metrics")  # the test client's address is "testclient"
    assert refused.status_code == 403
    with TestClient(app, client=("127.0.0.1", 50000)) as local:  # type: ignore[arg-type]
        assert local.get("/metrics").status_code == 200
        forwarded = local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert forwarded.status_code == 403  # a proxy on this machine passed it on
    monkeypatch.setattr(get_settings(), "metrics_token", "bi-mat-do-thi")
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", headers={"Authorization": "Bearer sai"})
    assert wrong.status_code == 403
    good = client.get("/metrics", headers={"Authorization": "Bearer bi-mat-do-thi"})
    assert good.status_code == 200
    assert good.headers["content-type"].startswith("text/plain")


def test_metrics_show_routes_outboxes_and_jobs(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "metrics_token", "t0k3n-metrics")
    client.get("/api/v1/procedures/1.001193")
    body = client.get("/metrics", headers={"Authorization": "Bearer t0k3n-metrics"}).text
    assert (
        'portal_http_request_duration_seconds_count{method="GET",route="/api/v1/procedures/{code}"}'
        in body
    )
    assert "1.001193" not in body  # the template, never the path
    assert 'portal_outbox_messages{outbox="mail",status="pending"}' in body
    assert 'portal_outbox_oldest_pending_age_seconds{outbox="national"}' in body
    assert "portal_national_sync_lag_seconds" in body
    assert "portal_receipt_pdfs_pending" in body


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    given = client.get("/api/v1/procedures", headers={"X-Request-ID": "proxy-4f2a-77b1"})
    assert given.headers["x-request-id"] == "proxy-4f2a-77b1"
    made = client.get("/api/v1/procedures", headers={"X-Request-ID": "bad id\twith <html>"})
    assert made.headers["x-request-id"] != "bad id\twith <html>"
    assert len(made.headers["x-request-id"]) == 32
    assert client.get("/api/v1/procedures").headers["x-request-id"] != made.headers["x-request-id"]


def test_outbox_rows_carry_the_request_id(client: TestClient, db: Session) -> None:
    answer = client.post(
        "/api/v1/auth/password-reset",
        json={"email": CITIZEN},
        headers={"X-Request-ID": "reset-req-000123"},
    )
    assert answer.status_code in (200, 202), answer.text
    row = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == CITIZEN)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert row is not None and row.request_id == "reset-req-000123"


def test_worker_log_line_has_the_request_id_and_no_address(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    server = MailServer(_free_port())
    server.start()
    monkeypatch.setattr(get_settings(), "smtp_url", f"smtp://127.0.0.1:{server.port}")
    try:
        with factory.begin() as session:
            row = OutboxMessage(
                kind="test",
                to_address="nguyen.thi.lan@example.vn",
                subject="Hồ sơ của Nguyễn Thị Lan",
                body_text="Kính gửi bà Nguyễn Thị Lan",
                request_id="web-req-42abcdef",
            )
            session.add(row)
        caplog.set_level(logging.INFO)
        while notification_service.deliver_due(factory, "test-worker", 100) > 0:
            pass
    finally:
        server.stop()
    assert row.id in server.inbox.outbox_ids()
    # The portal's own lines (the test's SMTP server logs the envelope itself).
    ours = [r for r in caplog.records if r.name.startswith("app")]
    lines = [json.loads(JsonFormatter().format(r)) for r in ours]
    mine = [line for line in lines if line["message"] == f"outbox message {row.id} (test) sent"]
    assert len(mine) == 1 and mine[0]["request_id"] == "web-req-42abcdef"
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert "nguyen.thi.lan" not in text and "Nguyễn Thị Lan" not in text


def test_json_access_lines_name_the_route_not_the_secret(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, db: Session
) -> None:
    from app.main import create_app
    from app.web.session import get_session

    monkeypatch.setattr(get_settings(), "log_format", "json")
    application = create_app()

    def _session() -> Iterator[Session]:
        yield db

    application.dependency_overrides[get_session] = _session
    caplog.set_level(logging.INFO)
    with TestClient(application) as local:
        local.get("/api/v1/lookup", params={"code": "H31-261206-0001", "secret": "MATKHAU9"})
        local.post(
            "/api/v1/auth/token", data={"username": CITIZEN, "password": DEMO_PASSWORD + "x"}
        )
    logging.getLogger().handlers[:] = [
        h for h in logging.getLogger().handlers if not getattr(h, "portal_handler", False)
    ]
    access = [r for r in caplog.records if r.name == "app.access"]
    assert {r.getMessage() for r in access} >= {
        "GET /api/v1/lookup 404",
        "POST /api/v1/auth/token 401",
    }
    ours = [r for r in caplog.records if r.name.startswith(("app", "uvicorn"))]
    text = "\n".join(JsonFormatter().format(r) for r in ours)
    for secret in ("MATKHAU9", "H31-261206-0001", CITIZEN, DEMO_PASSWORD):
        assert secret not in text
    assert all(json.loads(JsonFormatter().format(r))["request_id"] for r in access)
