"""GET requests that write (the first download of a form stores its PDF; a staff download of a
citizen's file is audited) succeed when another connection commits while they run.

On SQLite a GET runs in a read transaction; before, turning it into a write after another
connection had committed failed at once with "database is locked" (SQLITE_BUSY_SNAPSHOT),
whatever the busy timeout. These tests commit for real, on a fresh database (SQLite file or
PostgreSQL), through the real request session of ``app.db``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service as account_service
from app.audit import service as audit_service
from app.audit.models import AuditEntry
from app.db import begin_write, request_session
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.schemas import ActionIn, DossierCreate
from app.main import create_app
from app.web.session import get_session
from app.workflow import service as workflow
from tests.conftest import api_token, in_parallel
from tests.dossiers.helpers import BIRTH_FORM, pdf_bytes

AGENCY = "000.00.54.H31"
RECEPTION = "tiepnhan.lienphuong@motcua.local"
CITIZEN = "congdan2@motcua.local"


@pytest.fixture
def factory(fresh_database: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=fresh_database, expire_on_commit=False)


@pytest.fixture
def client(factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The application with its own request sessions, on the fresh database."""
    app = create_app()

    def session_of_request(request: Request) -> Iterator[Session]:
        yield from request_session(request.method, factory)

    app.dependency_overrides[get_session] = session_of_request
    with TestClient(
        app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False
    ) as test_client:
        yield test_client


def _received_dossier(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    """A dossier received by Liên Phương's one-stop shop: (dossier, form 01, a citizen's file)."""
    with factory() as session, session.begin():
        begin_write(session)
        citizen = account_service.get_user_by_email(session, CITIZEN)
        officer = account_service.get_user_by_email(session, RECEPTION)
        assert citizen is not None and officer is not None
        dossier = dossier_service.create_draft(
            session,
            citizen,
            DossierCreate(procedure_code="1.001193", agency_code=AGENCY, form_data=BIRTH_FORM),
        )
        files = [
            dossier_service.add_file(session, citizen, dossier, comp, "to-khai.pdf", pdf_bytes())
            for comp in ("TK", "GCS")
        ]
        workflow.perform(session, dossier, citizen, ActionIn(action="submit"))
        workflow.perform(session, dossier, officer, ActionIn(action="receive"))
        form = session.scalar(
            select(Document).where(Document.dossier_id == dossier.id, Document.kind == "form_01")
        )
        assert form is not None and form.sha256 is None  # rendered on first download
        return dossier.id, form.id, files[0].id


@contextmanager
def another_officer_commits_before(
    engine: Engine, factory: sessionmaker[Session], statement: str
) -> Iterator[list[Any]]:
    """While a request runs, just before its first statement starting with ``statement``
    (after its reads), another connection writes and commits: another officer's action."""
    happened: list[Any] = []

    def other_officer() -> None:
        try:
            with factory() as session, session.begin():
                begin_write(session)
                audit_service.record(session, "test.other_officer")
            happened.append("committed")
        except Exception as exc:  # asserted by the test
            happened.append(exc)

    def before(conn: Any, clause: Any, *args: Any) -> None:
        if happened or not str(clause).lstrip().upper().startswith(statement):
            return
        happened.append("request about to write")
        thread = threading.Thread(target=other_officer)
        thread.start()
        thread.join(timeout=30)
        if thread.is_alive():
            happened.append(TimeoutError("the other officer's write did not finish"))

    # "before_execute" comes before the statement reaches the database (and the engine's own
    # "before_cursor_execute" listeners).
    event.listen(engine, "before_execute", before)
    try:
        yield happened
    finally:
        event.remove(engine, "before_execute", before)


def test_first_download_of_a_form_while_another_officer_saves(
    client: TestClient, factory: sessionmaker[Session], fresh_database: Engine
) -> None:
    _, form_id, _ = _received_dossier(factory)
    staff = api_token(client, RECEPTION)
    with another_officer_commits_before(fresh_database, factory, "UPDATE DOCUMENTS") as happened:
        response = client.get(f"/api/v1/documents/{form_id}/pdf", headers=staff)
    assert happened == ["request about to write", "committed"]
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"%PDF")
    # Stored once: the next download serves the same file.
    again = client.get(f"/api/v1/documents/{form_id}/pdf", headers=staff)
    assert again.status_code == 200 and again.content == response.content
    with factory() as session:
        form = session.get(Document, form_id)
        assert form is not None and form.sha256 is not None and form.size == len(response.content)
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "test.other_officer" in actions


def test_audited_staff_download_while_another_officer_saves(
    client: TestClient, factory: sessionmaker[Session], fresh_database: Engine
) -> None:
    dossier_id, _, file_id = _received_dossier(factory)
    staff = api_token(client, RECEPTION)
    with another_officer_commits_before(fresh_database, factory, "UPDATE AUDIT_HEAD") as happened:
        response = client.get(f"/api/v1/dossiers/{dossier_id}/files/{file_id}", headers=staff)
    assert happened == ["request about to write", "committed"]
    assert response.status_code == 200, response.text
    assert response.content == pdf_bytes()
    with factory() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [e.action for e in entries][-2:] == ["test.other_officer", "file.download"]
        assert entries[-1].actor == RECEPTION and entries[-1].object_id == str(file_id)
        ok, _, message = audit_service.verify(session)
        assert ok, message


def test_two_first_downloads_at_once_get_the_same_stored_pdf(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    _, form_id, _ = _received_dossier(factory)
    staff = api_token(client, RECEPTION)
    url = f"/api/v1/documents/{form_id}/pdf"
    first, second = in_parallel([lambda: client.get(url, headers=staff)] * 2)
    assert first.status_code == 200 and second.status_code == 200, (first.text, second.text)
    assert first.content == second.content
    assert client.get(url, headers=staff).content == first.content
