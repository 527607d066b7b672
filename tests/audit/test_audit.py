"""The audit log: what is recorded (logins, dossier actions, payments, staff downloads), who may
read it, and that the hash chain exposes any changed or deleted row."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from app.audit import service as audit_service
from app.audit.models import AuditEntry, AuditHead
from app.cli import upgrade_database
from app.db import begin_write, make_engine
from app.notifications.models import Notice, OutboxMessage
from tests.conftest import api_token, csrf_from, in_parallel
from tests.dossiers.helpers import (
    CITIZEN,
    RECEPTION,
    act,
    headers,
    submit_procedure,
    submitted_dossier,
)

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "admin@motcua.local"
PHO_HIEN_ADMIN = "quantri.phohien@motcua.local"
CASHIER = "thuphi.phohien@motcua.local"


def _last(db: Session, action: str) -> AuditEntry:
    entry = db.scalar(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq.desc())
    )
    assert entry is not None, action
    return entry


def _for_object(db: Session, object_type: str, object_id: object) -> list[AuditEntry]:
    return list(
        db.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.seq)
        )
    )


def test_logins_succeeded_and_failed_are_recorded_with_ip(client: TestClient, db: Session) -> None:
    bad = client.post("/api/v1/auth/token", data={"username": CITIZEN, "password": "sai-mat-khau"})
    assert bad.status_code == 401
    failed = _last(db, "login.failed")
    assert failed.actor_id is None and failed.ip == "testclient"
    assert failed.details == {"email": CITIZEN, "channel": "api"}

    api_token(client, CITIZEN)
    ok = _last(db, "login.succeeded")
    assert ok.actor == CITIZEN and ok.actor_id is not None and ok.ip == "testclient"
    assert ok.seq > failed.seq and ok.prev_hash == db.scalar(
        select(AuditEntry.hash).where(AuditEntry.seq == ok.seq - 1)
    )

    page = client.get("/dang-nhap")
    wrong = client.post(
        "/dang-nhap",
        data={"email": CITIZEN, "password": "sai", "csrf_token": csrf_from(page.text)},
    )
    assert wrong.status_code == 401
    assert _last(db, "login.failed").details["channel"] == "web"


def test_dossier_actions_and_staff_downloads_are_recorded(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    assert act(client, reception, dossier_id, "receive").status_code == 200
    entries = _for_object(db, "dossier", dossier_id)
    assert [(e.action, e.actor) for e in entries] == [
        ("dossier.submit", CITIZEN),
        ("dossier.receive", RECEPTION),
    ]
    assert entries[1].details["from"] == "submitted" and entries[1].details["to"] == "received"
    assert entries[1].details["code"]

    file = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["files"][0]
    # The owner reading their own file is not an audit event; an officer reading it is.
    assert client.get(file["url"], headers=citizen).status_code == 200
    assert _for_object(db, "dossier_file", file["id"]) == []
    assert client.get(file["url"], headers=reception).status_code == 200
    (download,) = _for_object(db, "dossier_file", file["id"])
    assert download.action == "file.download" and download.actor == RECEPTION
    assert download.details["dossier_id"] == dossier_id and download.ip == "testclient"


def test_payment_is_recorded_and_the_applicant_told(client: TestClient, db: Session) -> None:
    dossier, _ = submit_procedure(client, "2.000884")
    assert act(client, headers(client, RECEPTION), dossier["id"], "receive").status_code == 200
    paid = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments",
        json={"method": "cash"},
        headers=headers(client, CASHIER),
    )
    assert paid.status_code == 201, paid.text
    (entry,) = _for_object(db, "payment", paid.json()["payment_id"])
    assert entry.action == "payment.settled" and entry.actor == CASHIER
    assert entry.details["amount"] == 10_000 and entry.details["method"] == "cash"
    assert entry.details["dossier_id"] == dossier["id"]
    kinds = db.scalars(select(Notice.kind).where(Notice.dossier_id == dossier["id"])).all()
    assert "paid" in kinds
    mail = db.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dossier_id == dossier["id"], OutboxMessage.kind == "paid"
        )
    )
    assert mail is not None and "10.000 ₫" in mail.body_text


def test_admins_read_filter_and_export(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    assert act(client, headers(client, RECEPTION), dossier_id, "receive").status_code == 200
    query = {"object_type": "dossier", "object_id": str(dossier_id)}

    admin = api_token(client, ADMIN)
    listed = client.get("/api/v1/audit", params=query, headers=admin).json()
    assert [i["action"] for i in listed["items"]] == ["dossier.receive", "dossier.submit"]
    assert listed["total"] == 2
    # An agency admin sees what their agency's staff did, not the citizen's own actions.
    local = client.get("/api/v1/audit", params=query, headers=api_token(client, PHO_HIEN_ADMIN))
    assert [i["action"] for i in local.json()["items"]] == ["dossier.receive"]
    assert client.get("/api/v1/audit", headers=citizen).status_code == 403
    assert client.get("/api/v1/audit/verify", headers=citizen).status_code == 403
    assert client.get("/api/v1/audit", params={"from": "hôm qua"}, headers=admin).status_code == 422

    csv = client.get("/api/v1/audit", params={**query, "format": "csv"}, headers=admin)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    # Vietnamese headers, local dd/mm/yyyy times, the action named, details readable (m23).
    assert lines[0].startswith("STT,Thời điểm,Người thực hiện,Mã tài khoản,Địa chỉ IP,Thao tác")
    assert len(lines) == 3
    receive_line = lines[1]
    assert re.search(r",\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2},", receive_line)
    assert RECEPTION in receive_line and "Tiếp nhận" in receive_line
    assert "from: submitted; to: received" in receive_line and "{" not in receive_line
    xlsx = client.get("/api/v1/audit", params={**query, "format": "xlsx"}, headers=admin)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 3
    assert [c.value for c in sheet[1]][:3] == ["STT", "Thời điểm", "Người thực hiện"]
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True

    page = client.get("/dang-nhap")
    client.post(
        "/dang-nhap",
        data={"email": ADMIN, "password": "MotCua@2026", "csrf_token": csrf_from(page.text)},
    )
    html = client.get("/quan-tri/nhat-ky", params={**query, "verify": "1"})
    assert html.status_code == 200
    assert "Nhật ký hệ thống" in html.text and RECEPTION in html.text
    # the admin navigation, like every other admin page, with this page marked
    assert 'class="admin-nav"' in html.text
    assert 'href="/quan-tri/nhat-ky" aria-current="page"' in html.text
    assert "Chuỗi nhật ký toàn vẹn" in html.text
    assert client.get("/quan-tri/nhat-ky", params={"to": "31/12/2026"}).status_code == 200
    refused = client.get("/quan-tri/nhat-ky", params={"to": "31/02/2026"})
    assert refused.status_code == 422 and "Ngày không hợp lệ (dd/mm/yyyy)." in refused.text


def test_verify_names_the_altered_or_deleted_entry(db: Session) -> None:
    seqs = [audit_service.record(db, "test.entry", details={"i": i}).seq for i in range(4)]
    assert audit_service.verify(db)[0] is True

    def broken() -> tuple[int | None, str]:
        ok, first_bad, message = audit_service.verify(db)
        assert not ok
        return first_bad, message

    target = seqs[1]
    cases = [
        update(AuditEntry).where(AuditEntry.seq == target).values(details={"i": 99}),
        text("UPDATE audit_entries SET actor = 'someone@else' WHERE seq = :s").bindparams(s=target),
        text("UPDATE audit_entries SET at = at WHERE seq = :s").bindparams(s=-1),  # no-op
        delete(AuditEntry).where(AuditEntry.seq == target),
    ]
    for statement in cases:
        savepoint = db.begin_nested()
        result = db.execute(statement)
        if getattr(result, "rowcount", 1):
            first_bad, message = broken()
            assert first_bad == target and f"entry {target}" in message, message
        else:
            assert audit_service.verify(db)[0] is True
        savepoint.rollback()
        assert audit_service.verify(db)[0] is True

    # The newest entry deleted, or the head changed: the head gives it away.
    savepoint = db.begin_nested()
    db.execute(delete(AuditEntry).where(AuditEntry.seq == seqs[-1]))
    assert broken()[0] == seqs[-1]
    savepoint.rollback()
    savepoint = db.begin_nested()
    db.execute(update(AuditHead).values(last_hash="f" * 64))
    assert broken()[0] == seqs[-1]
    savepoint.rollback()
    # A rewritten entry with a recomputed hash still breaks the next entry's link.
    savepoint = db.begin_nested()
    entry = db.scalar(select(AuditEntry).where(AuditEntry.seq == target))
    assert entry is not None
    entry.details = {"i": 42}
    entry.hash = audit_service.entry_hash(entry)
    db.flush()
    assert broken()[0] == target + 1
    savepoint.rollback()
    assert audit_service.verify(db)[0] is True


def test_concurrent_writers_keep_the_chain_whole(engine: Engine) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def write(i: int) -> int:
        with factory() as session, session.begin():
            begin_write(session)
            return audit_service.record(session, "test.concurrent", details={"thread": i}).seq

    results = in_parallel([lambda i=i: write(i) for i in range(10)])
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 10
    with factory() as session:
        ok, _, message = audit_service.verify(session)
        assert ok, message
        seqs = list(session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
        assert seqs == list(range(1, len(seqs) + 1))


def test_portal_audit_verify_exit_codes(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'audit.db').as_posix()}"
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            begin_write(session)
            for i in range(3):
                audit_service.record(session, "test.cli", details={"i": i})
        env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_DATA_DIR": str(tmp_path)}

        def run() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "app", "audit", "verify"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        intact = run()
        assert intact.returncode == 0, intact.stderr
        assert "3 entries" in intact.stdout
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_entries SET ip = '10.0.0.9' WHERE seq = 2"))
        tampered = run()
        assert tampered.returncode == 1
        assert "entry 2" in tampered.stderr, tampered.stderr
    finally:
        engine.dispose()
