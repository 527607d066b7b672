"""E-mail through the outbox, against a real SMTP server on loopback (aiosmtpd).

These tests commit for real, as the web process and the worker do: the journey goes through
the HTTP API with the application's own sessions, and delivery opens its own. They use the
commune Liên Phương, which other tests leave alone, and look only at their own messages
(the ``X-Motcua-Dossier-Id`` / ``X-Motcua-Outbox-Id`` headers). The password-reset mail
goes to an account the test registers under a fresh address.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.db import utcnow
from app.main import create_app
from app.notifications import service as notification_service
from app.notifications.models import OutboxMessage
from app.ratelimit import RateEvent
from tests.conftest import api_token, csrf_from, in_parallel
from tests.dossiers.helpers import act, attach, create_draft, headers, pdf_bytes
from tests.dossiers.test_concurrency import _receive, _submitted

LIEN_PHUONG = "000.00.54.H31"
CITIZEN = "congdan2@motcua.local"
OFFICER = "tiepnhan.lienphuong@motcua.local"  # reception, specialist and cashier
LEADER = "lanhdao.lienphuong@motcua.local"


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    delay: float = 0.0
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def about(self, dossier_id: int) -> list[EmailMessage]:
        with self.lock:
            return [m for _, _, m in self.messages if m["X-Motcua-Dossier-Id"] == str(dossier_id)]

    def outbox_ids(self) -> list[int]:
        with self.lock:
            return [int(m["X-Motcua-Outbox-Id"]) for _, _, m in self.messages]


class MailServer:
    """A loopback SMTP server that can be stopped and started again on the same port."""

    def __init__(self, port: int, **options: Any) -> None:
        self.port = port
        self.inbox = Inbox()
        self.options = options
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailServer]:
    server = MailServer(_free_port())
    server.start()
    monkeypatch.setattr(get_settings(), "smtp_url", f"smtp://127.0.0.1:{server.port}")
    try:
        yield server
    finally:
        server.stop()


def deliver_all(
    factory: sessionmaker[Session], worker: str = "test", now: datetime | None = None
) -> int:
    """Run delivery passes until nothing more is sent (rows left by other tests included)."""
    total = 0
    while (sent := notification_service.deliver_due(factory, worker, 100, now)) > 0:
        total += sent
    return total


def _rows(factory: sessionmaker[Session], **where: Any) -> list[OutboxMessage]:
    with factory() as session:
        stmt = select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)
        return list(session.scalars(stmt))


def _parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None, "both a text and an HTML part"
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    return text.get_content(), html.get_content()


def test_whole_journey_mails_arrive(factory: sessionmaker[Session], smtp: MailServer) -> None:
    with TestClient(create_app(), base_url="http://127.0.0.1:8000") as client:
        citizen = headers(client, CITIZEN)
        officer = headers(client, OFFICER)
        dossier_id = create_draft(client, citizen, agency_code=LIEN_PHUONG)["id"]
        for comp in ("TK", "GCS"):
            assert attach(client, citizen, dossier_id, comp).status_code == 201
        assert client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen).is_success
        received = act(client, officer, dossier_id, "receive")
        assert received.status_code == 200, received.text
        code = received.json()["code"]
        asked = act(
            client,
            officer,
            dossier_id,
            "request_supplement",
            missing_components=["GCS"],
            comment="Giấy chứng sinh bị mờ",
        )
        assert asked.status_code == 200, asked.text
        scan = pdf_bytes("giay chung sinh ban moi")  # the supplement: a new scan
        assert attach(client, citizen, dossier_id, "GCS", scan).status_code == 201
        assert client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen).is_success
        assert act(client, officer, dossier_id, "forward").status_code == 200
        assert act(client, headers(client, LEADER), dossier_id, "approve").status_code == 200
        attached = client.post(
            f"/api/v1/dossiers/{dossier_id}/actions",
            data={"action": "attach_result", "comment": "Giấy khai sinh đã ký số"},
            files={"file": ("gks.pdf", pdf_bytes("GKS"), "application/pdf")},
            headers=officer,
        )
        assert attached.status_code == 200, attached.text
        done = act(client, officer, dossier_id, "return_result")
        assert done.json()["status"] == "completed"

        # Nothing is sent before a sender runs: the mails wait in the outbox.
        assert smtp.inbox.about(dossier_id) == []
        assert deliver_all(factory) >= 5
        mails = smtp.inbox.about(dossier_id)
        assert [m["X-Motcua-Event"] for m in mails] == [
            "submitted",
            "received",
            "supplement_requested",
            "submitted",
            "result_ready",
        ]
        envelopes = [(f, r) for f, r, m in smtp.inbox.messages if m in mails]
        assert all(rcpt == [CITIZEN] and "no-reply@" in sender for sender, rcpt in envelopes)
        for mail in mails:
            assert mail["Subject"].startswith("[Một cửa] ") and mail["To"] == CITIZEN
            assert mail["Message-ID"].startswith("<motcua.")
            text, html = _parts(mail)
            assert "Kính gửi Trần Văn Bình" in text and f"/ho-so/{dossier_id}" in text
            assert html.lstrip().startswith("<!doctype html>") and f"/ho-so/{dossier_id}" in html
        receipt_text, _ = _parts(mails[1])
        assert code in mails[1]["Subject"]
        assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in receipt_text
        assert (
            f"/ho-so/{dossier_id}/van-ban/" in receipt_text
            and "Ngày hẹn trả kết quả" in receipt_text
        )
        supplement_text, _ = _parts(mails[2])
        assert "Giấy chứng sinh" in supplement_text and "Giấy chứng sinh bị mờ" in supplement_text
        assert "bổ sung" in mails[3]["Subject"]
        assert "đã có kết quả" in mails[4]["Subject"]

        # Each row is marked sent once; another pass sends nothing again.
        rows = _rows(factory, dossier_id=dossier_id)
        assert [(r.status, r.attempts) for r in rows] == [("sent", 1)] * 5
        assert all(r.sent_at is not None and r.claimed_until is None for r in rows)
        deliver_all(factory, now=utcnow() + timedelta(days=1))
        assert len(smtp.inbox.about(dossier_id)) == 5

        # The same five notices are in the citizen's in-app list.
        listing = client.get("/api/v1/notifications?limit=100", headers=citizen).json()
        mine = [n for n in listing["items"] if n["dossier_id"] == dossier_id]
        assert [n["kind"] for n in mine] == [
            "result_ready",
            "submitted",
            "supplement_requested",
            "received",
            "submitted",
        ]
        assert all(n["read_at"] is None for n in mine) and listing["unread"] >= 5
        read = client.post(f"/api/v1/notifications/{mine[0]['id']}/read", headers=citizen)
        assert read.status_code == 200 and read.json()["read_at"]
        after = client.get("/api/v1/notifications", headers=citizen).json()
        assert after["unread"] == listing["unread"] - 1


def test_mail_server_down_nothing_lost(factory: sessionmaker[Session], smtp: MailServer) -> None:
    (dossier_id,) = _submitted(factory, 1)
    _receive(factory, dossier_id)
    smtp.stop()
    start = utcnow()
    assert notification_service.deliver_due(factory, "test", 500, now=start) == 0
    rows = _rows(factory, dossier_id=dossier_id)
    assert [r.kind for r in rows] == ["submitted", "received"]
    for row in rows:
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at == start + timedelta(minutes=1)
        assert row.claimed_until is None and row.last_error
    # Not due yet: a pass half a minute later neither sends nor counts an attempt.
    assert (
        notification_service.deliver_due(factory, "test", 500, now=start + timedelta(seconds=30))
        == 0
    )
    assert [r.attempts for r in _rows(factory, dossier_id=dossier_id)] == [1, 1]

    smtp.start()
    deliver_all(factory, now=start + timedelta(minutes=1, seconds=1))
    mails = smtp.inbox.about(dossier_id)
    assert [m["X-Motcua-Event"] for m in mails] == ["submitted", "received"]
    assert [(r.status, r.attempts) for r in _rows(factory, dossier_id=dossier_id)] == [
        ("sent", 2),
        ("sent", 2),
    ]
    deliver_all(factory, now=start + timedelta(days=1))
    assert len(smtp.inbox.about(dossier_id)) == 2


def test_two_workers_never_send_one_message_twice(
    factory: sessionmaker[Session], smtp: MailServer
) -> None:
    deliver_all(factory)  # whatever other tests left behind
    smtp.inbox.delay = 0.01  # both workers are busy at the same time
    for round_ in range(3):  # repeated: the race is real, not a lucky ordering
        with factory.begin() as session:
            rows = [
                OutboxMessage(
                    kind="test",
                    to_address=f"nguoinhan{i}@example.vn",
                    subject=f"Thư thử {round_}.{i}",
                    body_text=f"Nội dung {i}",
                    body_html=f"<p>Nội dung {i}</p>",
                )
                for i in range(12)
            ]
            session.add_all(rows)
            session.flush()
            ids = {r.id for r in rows}
        results = in_parallel(
            [lambda: deliver_all(factory, "worker-a"), lambda: deliver_all(factory, "worker-b")]
        )
        assert all(isinstance(r, int) for r in results), results
        received = sorted(i for i in smtp.inbox.outbox_ids() if i in ids)
        assert received == sorted(ids)
        done = [r for r in _rows(factory, kind="test") if r.id in ids]
        assert all(r.status == "sent" and r.attempts == 1 for r in done)
        assert {r.claimed_by.split("/")[0] for r in done} <= {"worker-a", "worker-b"}


def test_login_and_failures_never_reveal_the_password(
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"motcua",
            b"mat-khau-bi-mat",
        )
        return AuthResult(success=ok, handled=False)

    server = MailServer(_free_port(), authenticator=authenticator, auth_require_tls=False)
    server.start()
    try:
        with factory.begin() as session:
            row = OutboxMessage(
                kind="test", to_address="a@example.vn", subject="Đăng nhập", body_text="x"
            )
            session.add(row)
        base = f"127.0.0.1:{server.port}"
        monkeypatch.setattr(get_settings(), "smtp_url", f"smtp://motcua:sai-mat-khau@{base}")
        caplog.set_level("INFO")
        assert notification_service.deliver_due(factory, "test", 500) == 0
        (failed,) = _rows(factory, id=row.id)
        assert failed.status == "pending" and "Authentication" in failed.last_error
        assert "sai-mat-khau" not in failed.last_error and "sai-mat-khau" not in caplog.text

        monkeypatch.setattr(get_settings(), "smtp_url", f"smtp://motcua:mat-khau-bi-mat@{base}")
        deliver_all(factory, now=utcnow() + timedelta(minutes=2))
        assert row.id in server.inbox.outbox_ids()
        assert "mat-khau-bi-mat" not in caplog.text
    finally:
        server.stop()


def test_without_smtp_url_mail_waits(factory: sessionmaker[Session]) -> None:
    assert get_settings().smtp_url == ""
    with factory.begin() as session:
        row = OutboxMessage(kind="test", to_address="b@example.vn", subject="Chờ", body_text="x")
        session.add(row)
    assert notification_service.deliver_due(factory, "test") == 0
    (waiting,) = _rows(factory, id=row.id)
    assert (waiting.status, waiting.attempts, waiting.claimed_by) == ("pending", 0, "")


def test_password_reset_mail_arrives_and_its_link_works_once(
    factory: sessionmaker[Session], smtp: MailServer
) -> None:
    """The reset e-mail goes through the outbox to a real SMTP server; the link in it opens the
    reset page, sets the password once, and the outbox keeps no copy of it."""
    address = f"quen.{uuid.uuid4().hex[:10]}@example.vn"
    new_password = "Dong-song-Hong-24"
    try:
        with TestClient(create_app(), base_url="http://127.0.0.1:8000") as client:
            registered = client.post(
                "/api/v1/auth/register",
                json={
                    "email": address,
                    "password": "Cay-tre-lang-01",
                    "full_name": "Đặng Thu Hà",
                    "phone": "0912000111",
                },
            )
            assert registered.status_code == 201, registered.text
            asked = client.post("/api/v1/auth/password-reset", json={"email": address})
            assert asked.status_code == 202
            # Nothing leaves before a sender runs: the mail waits in the outbox.
            assert not [m for _, rcpt, m in smtp.inbox.messages if address in rcpt]
            deliver_all(factory)
            mails = [m for _, rcpt, m in smtp.inbox.messages if rcpt == [address]]
            assert [m["X-Motcua-Event"] for m in mails] == ["password_reset"]
            mail = mails[0]
            assert mail["Subject"] == "[Một cửa] Đặt lại mật khẩu tài khoản"
            assert mail["X-Motcua-Dossier-Id"] is None
            text, html = _parts(mail)
            assert "Kính gửi Đặng Thu Hà" in text and "30 phút" in text
            match = re.search(
                r"http://127\.0\.0\.1:8000(/tai-khoan/dat-lai-mat-khau\?token=(\S+))", text
            )
            assert match, text
            path, token = match.group(1), match.group(2)
            assert path in html and "Đặt mật khẩu mới" in html
            (row,) = _rows(factory, kind="password_reset", to_address=address)
            assert row.status == "sent" and token not in row.body_text + row.body_html

            page = client.get(path)
            assert page.status_code == 200 and 'name="new_password"' in page.text
            form = {
                "csrf_token": csrf_from(page.text),
                "token": token,
                "new_password": new_password,
                "new_password_confirm": new_password,
            }
            done = client.post("/tai-khoan/dat-lai-mat-khau", data=form, follow_redirects=False)
            assert done.status_code == 303, done.text
            assert done.headers["location"] == "/dang-nhap?msg=password_reset"
            assert api_token(client, address, new_password)

            again = client.get(path)
            assert again.status_code == 422 and "đã được sử dụng" in again.text
            reused = client.post(
                "/api/v1/auth/password-reset/confirm",
                json={"token": token, "new_password": "Mot-lan-nua-25"},
            )
            assert reused.status_code == 422 and reused.json()["fields"] == {"token": "used"}
            assert api_token(client, address, new_password)
    finally:
        # Committed for real: the reset requests' rate-limit counters must not reach the
        # tests that count them.
        with factory.begin() as session:
            session.execute(delete(RateEvent).where(RateEvent.key.like("pwreset:%")))
