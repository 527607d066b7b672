"""A receipt's PDF is laid out, signed and stored after the payment's transaction commits
(docs/decisions/0014-receipt-pdf-after-commit.md): the series lock is not held meanwhile, a
receipt left without its PDF gets it on first download, and a rollback renders nothing."""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service as account_service
from app.db import begin_write, drain_background, request_session
from app.documents.models import Document
from app.dossiers.models import Dossier
from app.payments import service as payment_service
from app.payments.models import Payment
from app.receipts import pdf as receipt_pdf
from app.receipts import service
from app.receipts import stored as receipt_stored
from app.receipts.models import Receipt, ReceiptSeries
from app.signing import service as signing_service
from app.storage import service as storage
from tests.conftest import api_token
from tests.payments.test_parallel_cash import CASHIER, _received_dossiers

OTHER_CASHIER = "thuphi.phohien@motcua.local"


def _pay(factory: sessionmaker[Session], dossier_id: int) -> tuple[int, int]:
    """A cashier's cash payment in its own transaction, committed (the receipt's number and
    its document's id)."""
    with factory() as session, session.begin():
        begin_write(session)
        cashier = account_service.get_user_by_email(session, CASHIER)
        dossier = session.get(Dossier, dossier_id)
        assert cashier is not None and dossier is not None
        payment = payment_service.start_payment(session, dossier, cashier, "cash")
        receipt = session.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
        assert receipt is not None and receipt.document_id is not None
        number, document_id = receipt.number, receipt.document_id
    return number, document_id


def _document(factory: sessionmaker[Session], document_id: int) -> Document:
    with factory() as session:
        doc = session.get(Document, document_id)
        assert doc is not None
        return doc


def _assert_signed_receipt(data: bytes, roots: list[str]) -> None:
    """Signed by the agency's certificate, in the collector's box, and valid."""
    report = signing_service.validate_pdf(data, roots)
    assert report["ok"], report
    assert [s["field"] for s in report["signatures"]] == [receipt_stored.FIELD_NAME]
    [widget] = [
        annot.get_object()
        for annot in PdfReader(io.BytesIO(data)).pages[0]["/Annots"]
        if annot.get_object().get("/T") == receipt_stored.FIELD_NAME
    ]
    rect = [float(v) for v in widget["/Rect"]]
    assert rect == pytest.approx(list(receipt_pdf.SIGNATURE_BOX), abs=1.0)


@pytest.fixture
def factory(fresh_database: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=fresh_database, expire_on_commit=False)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The documents whose receipt was laid out (through the service's test hook)."""
    seen: list[int] = []
    monkeypatch.setattr(receipt_stored, "render_hook", seen.append)
    yield seen


# --- (1) no PDF yet: the first download makes it ---------------------------------------------


def test_receipt_without_pdf_is_made_signed_and_stored_on_first_download(
    client: TestClient, db: Session
) -> None:
    """A service caller whose transaction never really committed: no after-commit step ran."""
    from tests.dossiers.helpers import RECEPTION, act, headers, submit_procedure

    dossier_data, _citizen = submit_procedure(client, "2.000884")
    act(client, headers(client, RECEPTION), dossier_data["id"], "receive")
    dossier = db.get(Dossier, dossier_data["id"])
    cashier = account_service.get_user_by_email(db, OTHER_CASHIER)
    assert dossier is not None and cashier is not None
    payment = payment_service.start_payment(db, dossier, cashier, "cash")
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    assert receipt is not None
    doc = db.get(Document, receipt.document_id)
    assert doc is not None and doc.sha256 is None and doc.size is None
    assert "signed" not in doc.context  # known once the PDF is made

    auth = api_token(client, OTHER_CASHIER)
    first = client.get(f"/api/v1/receipts/{receipt.id}/pdf", headers=auth)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    _assert_signed_receipt(first.content, signing_service.trust_roots_pem(db))
    db.refresh(doc)
    assert doc.sha256 == hashlib.sha256(first.content).hexdigest()
    assert doc.size == len(first.content) and doc.context["signed"] is True
    assert storage.read_bytes(doc.sha256) == first.content

    second = client.get(f"/api/v1/receipts/{receipt.id}/pdf", headers=auth)
    assert second.content == first.content
    # Every other way to the same document serves the stored file.
    page = client.get(f"/bien-lai/{receipt.id}/pdf", headers=auth)
    assert page.status_code == 200 and page.content == first.content
    verify = client.get(f"/xac-minh/{doc.verify_token}")
    assert verify.status_code == 200 and doc.sha256 in verify.text


def test_failed_after_commit_step_keeps_the_payment_and_the_first_reader_stores_the_pdf(
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    [dossier_id] = _received_dossiers(factory, 1)

    def crash(_document_id: int) -> None:
        raise RuntimeError("the renderer stopped")

    monkeypatch.setattr(receipt_stored, "render_hook", crash)
    with caplog.at_level(logging.WARNING, logger="app.receipts.stored"):
        number, document_id = _pay(factory, dossier_id)
        assert drain_background(120)  # the step runs in the background thread
    assert any(
        "not stored after the commit (RuntimeError)" in r.getMessage() for r in caplog.records
    )
    monkeypatch.setattr(receipt_stored, "render_hook", None)

    # Committed: the payment, the receipt and a document waiting for its PDF.
    with factory() as session:
        receipt = session.scalar(select(Receipt).where(Receipt.document_id == document_id))
        assert receipt is not None and receipt.number == number
        payment = session.get(Payment, receipt.payment_id)
        assert payment is not None and payment.status == "paid"
        dossier = session.get(Dossier, dossier_id)
        assert dossier is not None and dossier.status == "received"
    assert _document(factory, document_id).sha256 is None

    # The first download (a GET request's session) makes, signs and stores it ...
    gen = request_session("GET", factory)
    session = next(gen)
    receipt = session.get(Receipt, receipt.id)
    assert receipt is not None
    first = service.pdf_bytes(session, receipt)
    roots = signing_service.trust_roots_pem(session)
    next(gen, None)  # commit and close, as at the end of the request
    _assert_signed_receipt(first, roots)
    stored = _document(factory, document_id)
    assert stored.sha256 == hashlib.sha256(first).hexdigest() and stored.size == len(first)
    # ... and the second one gets the same bytes, without rendering again.
    seen: list[int] = []
    monkeypatch.setattr(receipt_stored, "render_hook", seen.append)
    with factory() as session:
        receipt = session.get(Receipt, receipt.id)
        assert receipt is not None
        assert service.pdf_bytes(session, receipt) == first
    assert seen == []


# --- (2) the series lock is not held during the render --------------------------------------


def test_another_payment_commits_while_a_receipt_is_being_rendered(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    first_id, second_id = _received_dossiers(factory, 2)
    rendering, release = threading.Event(), threading.Event()
    held: list[int] = []

    def hold_first(document_id: int) -> None:
        # Runs in the background thread for the first payment's receipt, between layout and
        # signature; the next receipt's render waits behind it in that thread's queue.
        if not held:
            held.append(document_id)
            rendering.set()
            assert release.wait(120), "never released"

    monkeypatch.setattr(receipt_stored, "render_hook", hold_first)
    try:
        first_number, first_doc = _pay(factory, first_id)
        assert rendering.wait(120), "the first receipt was never rendered"
        assert held == [first_doc]
        # The first payment has committed; its receipt is being rendered right now.
        assert _document(factory, first_doc).sha256 is None
        # Another cashier's payment takes the next number and commits meanwhile.
        second: dict[str, tuple[int, int] | BaseException] = {}

        def pay_second() -> None:
            try:
                second["result"] = _pay(factory, second_id)
            except BaseException as exc:  # asserted below
                second["result"] = exc

        payer = threading.Thread(target=pay_second)
        payer.start()
        payer.join(120)
        assert not payer.is_alive(), "the second payment waited for the first render"
    finally:
        release.set()
    assert isinstance(second["result"], tuple), second
    second_number, second_doc = second["result"]
    assert second_number == first_number + 1
    assert drain_background(120)
    with factory() as session:
        roots = signing_service.trust_roots_pem(session)
    for document_id in (first_doc, second_doc):
        doc = _document(factory, document_id)
        assert doc.sha256 is not None and doc.context["signed"] is True
        _assert_signed_receipt(storage.read_bytes(doc.sha256), roots)


# --- (3) a rollback renders nothing -------------------------------------------------------------


def test_rolled_back_payment_leaves_no_pending_document_and_renders_nothing(
    factory: sessionmaker[Session], renders: list[int]
) -> None:
    first_id, second_id = _received_dossiers(factory, 2)
    with factory() as session:
        numbers_before = {s.id: s.last_number for s in session.scalars(select(ReceiptSeries))}
        documents_before = session.scalar(select(Document.id).order_by(Document.id.desc()))

    # The whole transaction rolls back after the receipt was issued.
    with factory() as session:
        with pytest.raises(RuntimeError), session.begin():
            begin_write(session)
            cashier = account_service.get_user_by_email(session, CASHIER)
            dossier = session.get(Dossier, first_id)
            assert cashier is not None and dossier is not None
            payment = payment_service.start_payment(session, dossier, cashier, "cash")
            assert service.receipt_id(session, payment) is not None
            raise RuntimeError("the payment's transaction fails after the receipt was issued")
        # A later commit of the same session does not render the forgotten receipt either.
        with session.begin():
            begin_write(session)
            session.execute(select(Dossier.id).limit(1))
    assert renders == []

    # A receipt issued in a savepoint that rolls back, inside a transaction that commits.
    with factory() as session, session.begin():
        begin_write(session)
        cashier = account_service.get_user_by_email(session, CASHIER)
        dossier = session.get(Dossier, second_id)
        assert cashier is not None and dossier is not None
        with pytest.raises(RuntimeError), session.begin_nested():
            payment_service.start_payment(session, dossier, cashier, "cash")
            raise RuntimeError("the savepoint rolls back")
    assert renders == []

    with factory() as session:
        newest = session.scalar(select(Document.id).order_by(Document.id.desc()))
        assert newest == documents_before  # no document was left behind
        pending = select(Document).where(Document.kind == "receipt", Document.sha256.is_(None))
        assert session.scalars(pending).all() == []
        assert (
            session.scalars(
                select(Payment).where(Payment.dossier_id.in_([first_id, second_id]))
            ).all()
            == []
        )
        assert {s.id: s.last_number for s in session.scalars(select(ReceiptSeries))} == (
            numbers_before
        )
        statuses = set(
            session.scalars(select(Dossier.status).where(Dossier.id.in_([first_id, second_id])))
        )
        assert statuses == {"awaiting_payment"}
