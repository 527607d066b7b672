"""The world the authorisation matrix runs against, built once per test module.

One connection holds an outer transaction for the whole module (rolled back at the end, so
the shared test database is left as it was). Every request of the app gets a session on that
connection inside a savepoint of its own: while the world is built the savepoints are kept;
during the matrix run a request by a principal the matrix allows is rolled back afterwards
(its writes do not change what the next request sees), a request by a refused principal is
kept, so that whatever it changed shows in the world's fingerprint.

Principals (the demo seed's agencies; Phố Hiến is agency A, Liên Phương agency B, which is
not in A's subtree):

* ``owner`` and ``other_citizen``: two citizens made here, with names found nowhere else;
* ``officer_a`` (reception), ``specialist_a``, ``cashier_a`` and ``admin_a`` (agency admin) of
  Phố Hiến;
* ``officer_b`` (reception, specialist and cashier) of Liên Phương, and ``admin_b``, an agency
  admin of Liên Phương made here;
* ``system_admin`` and ``anonymous``.

Resources (all of the owner, in agency A unless said otherwise): a dossier received at the
counter after its fee was paid in cash (with its files, the generated form 01, the payment and
the receipt), an online draft with a file, a dossier waiting for an online payment started in
the sandbox bank (its transaction), a counter draft of officer A, the owner's notices, the
staff account of officer A, the receipt series of A and a procedure of another agency (Công
an tỉnh) with a draft open in the designer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.deps import SESSION_COOKIE
from app.accounts.models import User
from app.calendar import service as calendar_service
from app.catalog import designer
from app.catalog import service as catalog_service
from app.counter import bookings as booking_service
from app.demo.seed import demo_password_hash
from app.docstore.models import PersonalDocument
from app.documents.models import Document
from app.feedback import service as feedback_service
from app.feedback.schemas import FeedbackIn
from app.main import create_app
from app.notifications.models import Notice
from app.payments.models import Payment
from app.receipts.models import Receipt
from app.storage import service as storage
from app.web.session import get_session
from tests.conftest import DEMO_PASSWORD, csrf_from
from tests.dossiers.helpers import filled_form, pdf_bytes, png_bytes

AGENCY_A = "000.00.51.H31"  # UBND phường Phố Hiến
AGENCY_B = "000.00.54.H31"  # UBND xã Liên Phương (a sibling of A, not below it)
FEE_AT_RECEPTION = "2.000884"  # 10,000 ₫ paid at reception: cash gives a receipt
FEE_AT_SUBMISSION = "1.004873"  # 5,000 ₫ paid online at submission (sandbox bank)
BIRTH = "1.001193"  # free: the owner's draft
OTHER_AGENCY_PROCEDURE = "3.000333"  # Công an tỉnh only: outside A's and B's subtrees

# What only the owner's dossiers carry: a response to someone who may not see them must not.
OWNER_NAME = "Phùng Thị Kínđáo"
OWNER_ID_NUMBER = "034199887766"
OWNER_EMAIL = "chuho.matran@example.vn"
OTHER_EMAIL = "nguoikhac.matran@example.vn"
ADMIN_B_EMAIL = "quantri.lienphuong.matran@example.vn"
PERSONAL_MARKERS = (OWNER_NAME, OWNER_ID_NUMBER)

PRINCIPALS: dict[str, str | None] = {
    "anonymous": None,
    "owner": OWNER_EMAIL,
    "other_citizen": OTHER_EMAIL,
    "officer_a": "tiepnhan.phohien@motcua.local",
    "specialist_a": "chuyenvien.phohien@motcua.local",
    "cashier_a": "thuphi.phohien@motcua.local",
    "admin_a": "quantri.phohien@motcua.local",
    "officer_b": "tiepnhan.lienphuong@motcua.local",
    "admin_b": ADMIN_B_EMAIL,
    "system_admin": "admin@motcua.local",
}
# Principals entitled to nothing of the owner's: no response to them may carry the markers.
OUTSIDERS = frozenset({"anonymous", "other_citizen", "officer_b", "admin_b"})

# Tables whose rows a refused request may legitimately add or touch (the audit log of the
# refusal itself, rate counters); every other table is in the fingerprint.
NOT_FINGERPRINTED = frozenset({"audit_entries", "audit_head", "rate_events", "alembic_version"})
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MISSING_ID = 2_000_000_000
MISSING_TEXT = "khong-ton-tai"


@dataclass
class Identity:
    """How one principal calls the app: a bearer token for the API, cookies and the CSRF
    token of a logged-in browser for pages."""

    name: str
    bearer: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""


class Harness:
    """The app wired to one connection, with per-request savepoints (see the module doc)."""

    def __init__(self, engine: Engine) -> None:
        self.connection: Connection = engine.connect()
        self.outer = self.connection.begin()
        self.keep = True
        self._tables: list[str] | None = None
        self.app = create_app()
        self.app.dependency_overrides[get_session] = self._session

    def _session(self) -> Iterator[Session]:
        savepoint = self.connection.begin_nested()
        session = Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if self.keep:
                savepoint.commit()
            else:
                savepoint.rollback()

    def session(self) -> Session:
        return Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    def close(self) -> None:
        self.outer.rollback()
        self.connection.close()

    def fingerprint(self) -> dict[str, str]:
        """A digest of every table's rows (but the log-like ones): equal before and after a
        request means the request changed nothing."""
        if self._tables is None:
            self._tables = self._table_names()
        out = {}
        for name in self._tables:
            query = text(f'SELECT * FROM "{name}" ORDER BY 1')  # noqa: S608 (names from the catalog)
            rows = self.connection.execute(query).all()
            out[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out

    def _table_names(self) -> list[str]:
        names = [
            row[0]
            for row in self.connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    if self.connection.dialect.name == "sqlite"
                    else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            )
        ]
        return [n for n in sorted(set(names) - NOT_FINGERPRINTED) if not n.startswith("sqlite_")]


@dataclass
class World:
    harness: Harness
    client: TestClient
    identities: dict[str, Identity]
    params: dict[str, dict[str, Any]]
    dossier_id: int
    draft_id: int

    def dossier_status(self, dossier_id: int) -> str:
        return str(
            self.connection.scalar(
                text("SELECT status FROM dossiers WHERE id = :i"), {"i": dossier_id}
            )
        )

    @property
    def connection(self) -> Connection:
        return self.harness.connection


def _make_accounts(harness: Harness) -> None:
    with harness.session() as session:
        for email, name, agency, roles, phone in (
            (OWNER_EMAIL, OWNER_NAME, None, [], "0911222333"),
            (OTHER_EMAIL, "Lò Văn Khác", None, [], "0911222444"),
            (ADMIN_B_EMAIL, "Quản Trị Liên Phương", AGENCY_B, ["agency_admin"], ""),
        ):
            account_service.create_user(
                session,
                email=email,
                password=DEMO_PASSWORD,
                full_name=name,
                agency_code=agency,
                roles=roles,
                phone=phone,
                password_hash=demo_password_hash(),
            )
        owner = session.scalar(select(User).where(User.email == OWNER_EMAIL))
        assert owner is not None
        owner.id_number = OWNER_ID_NUMBER
        session.commit()


def _log_in(harness: Harness, client: TestClient, name: str, email: str | None) -> Identity:
    """An API token and a browser session opened by the login service itself (what the
    token endpoint and the login form do after checking the password, which is not what is
    tested here), then the CSRF token of a page seen with that session."""
    identity = Identity(name)
    client.cookies.clear()
    if email is not None:
        with harness.session() as session:
            user = session.scalar(select(User).where(User.email == email))
            assert user is not None, email
            api, _ = account_service.open_session(session, user, "api")
            web, _ = account_service.open_session(session, user, "web")
            session.commit()
        identity.bearer = {"Authorization": f"Bearer {api}"}
        client.cookies.set(SESSION_COOKIE, web)
    page = client.get("/tai-khoan" if email else "/dang-nhap")
    assert page.status_code == 200, page.text
    identity.csrf = csrf_from(page.text)
    identity.cookies = dict(client.cookies.items())
    client.cookies.clear()
    return identity


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _submitted(client: TestClient, h: dict[str, str], code: str) -> int:
    """An online dossier of ``code`` in agency A, every required file attached, submitted."""
    form = filled_form(client, code)
    applicant = {"full_name": OWNER_NAME, "id_number": OWNER_ID_NUMBER, "phone": "0911222333"}
    created = _ok(
        client.post(
            "/api/v1/dossiers",
            headers=h,
            json={
                "procedure_code": code,
                "agency_code": AGENCY_A,
                "applicant": applicant,
                "form_data": form,
            },
        ),
        201,
    )
    _attach_required(client, h, created["id"], code)
    _ok(client.post(f"/api/v1/dossiers/{created['id']}/submit", headers=h))
    return int(created["id"])


def _attach_required(client: TestClient, h: dict[str, str], dossier_id: int, code: str) -> None:
    detail = _ok(client.get(f"/api/v1/procedures/{code}"))
    for comp in detail["components"]:
        if comp["required"]:
            data, name, kind = (
                (
                    pdf_bytes(OWNER_NAME.encode("ascii", "ignore").decode()),
                    "giay-to.pdf",
                    "application/pdf",
                )
                if "pdf" in comp["accepted_types"]
                else (png_bytes(), "anh.png", "image/png")
            )
            _ok(
                client.post(
                    f"/api/v1/dossiers/{dossier_id}/files",
                    data={"component": comp["code"]},
                    files={"file": (name, data, kind)},
                    headers=h,
                ),
                201,
            )


def build_world(engine: Engine) -> World:
    harness = Harness(engine)
    client = TestClient(harness.app, base_url="http://127.0.0.1:8000")
    client.__enter__()
    _make_accounts(harness)
    ids = {name: _log_in(harness, client, name, email) for name, email in PRINCIPALS.items()}
    # One failed login of officer A: something for an admin to clear, nothing to lock them out.
    failed = client.post(
        "/api/v1/auth/token",
        data={"username": PRINCIPALS["officer_a"], "password": "sai-mat-khau"},
    )
    assert failed.status_code == 401, failed.text
    owner, officer, cashier = ids["owner"].bearer, ids["officer_a"].bearer, ids["cashier_a"].bearer

    # The received dossier: submitted, received (form 01), fee paid in cash (receipt).
    dossier_id = _submitted(client, owner, FEE_AT_RECEPTION)
    action = {"action": "receive", "comment": ""}
    _ok(client.post(f"/api/v1/dossiers/{dossier_id}/actions", json=action, headers=officer))
    paid = _ok(
        client.post(
            f"/api/v1/dossiers/{dossier_id}/payments", json={"method": "cash"}, headers=cashier
        ),
        201,
    )
    dossier = _ok(client.get(f"/api/v1/dossiers/{dossier_id}", headers=owner))
    assert dossier["status"] == "received", dossier["status"]
    documents = _ok(client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=owner))
    document = documents["items"][0]
    # Rendered once now (kept), so that the matrix run serves them from storage.
    assert client.get(document["pdf_url"], headers=owner).status_code == 200
    assert (
        client.get(f"/api/v1/receipts/{paid['receipt_id']}/pdf", headers=owner).status_code == 200
    )

    # The owner's online draft with one file.
    draft = _ok(
        client.post(
            "/api/v1/dossiers",
            headers=owner,
            json={
                "procedure_code": BIRTH,
                "agency_code": AGENCY_A,
                "applicant": {"full_name": OWNER_NAME, "id_number": OWNER_ID_NUMBER},
                "form_data": filled_form(client, BIRTH),
            },
        ),
        201,
    )
    draft_file = _ok(
        client.post(
            f"/api/v1/dossiers/{draft['id']}/files",
            data={"component": "TK"},
            files={"file": ("to-khai.pdf", pdf_bytes(), "application/pdf")},
            headers=owner,
        ),
        201,
    )

    # Waiting for an online payment: the owner opened a sandbox payment.
    waiting_id = _submitted(client, owner, FEE_AT_SUBMISSION)
    started = _ok(
        client.post(
            f"/api/v1/dossiers/{waiting_id}/payments", json={"method": "sandbox"}, headers=owner
        ),
        201,
    )
    txn_ref = started["redirect_url"].rstrip("/").rsplit("/", 1)[-1]

    # A counter draft of officer A (walk-in applicant), with a file.
    counter = _ok(
        client.post(
            "/api/v1/dossiers",
            headers=officer,
            json={
                "procedure_code": BIRTH,
                "agency_code": AGENCY_A,
                "channel": "counter",
                "applicant": {"full_name": OWNER_NAME, "id_number": OWNER_ID_NUMBER},
                "form_data": filled_form(client, BIRTH),
            },
        ),
        201,
    )
    counter_file = _ok(
        client.post(
            f"/api/v1/dossiers/{counter['id']}/files",
            data={"component": "TK"},
            files={"file": ("to-khai.pdf", pdf_bytes(), "application/pdf")},
            headers=officer,
        ),
        201,
    )

    exported = client.get(
        f"/api/v1/admin/procedures/{OTHER_AGENCY_PROCEDURE}/export",
        headers=ids["system_admin"].bearer,
    )
    assert exported.status_code == 200, exported.text

    with harness.session() as session:
        admin = session.scalar(select(User).where(User.email == PRINCIPALS["system_admin"]))
        assert admin is not None
        # A designer draft of the other agency's procedure, and a blank form to download.
        procedure_draft = designer.open_draft(session, admin, OTHER_AGENCY_PROCEDURE)
        blank = storage.check_upload(pdf_bytes("mau"), "mau.pdf", ["pdf"], 10)
        published = catalog_service.get_published(session, FEE_AT_RECEPTION)
        published.components[0].blank_form_sha256 = blank.sha256
        published.components[0].blank_form_name = "mau.pdf"
        session.commit()
        receipt = session.get(Receipt, paid["receipt_id"])
        assert receipt is not None
        owner_user = session.scalar(select(User).where(User.email == OWNER_EMAIL))
        officer_user = session.scalar(select(User).where(User.email == PRINCIPALS["officer_a"]))
        assert owner_user is not None and officer_user is not None
        notice_id = session.scalar(
            select(Notice.id).where(Notice.user_id == owner_user.id).order_by(Notice.id)
        )
        doc_row = session.get(Document, document["id"])
        assert doc_row is not None and notice_id is not None
        payment = session.get(Payment, paid["payment_id"])
        assert payment is not None
        # Reception accepted the dossier's components: they are in the owner's store.
        stored_id = session.scalar(
            select(PersonalDocument.id)
            .where(PersonalDocument.owner_id == owner_user.id)
            .order_by(PersonalDocument.id)
        )
        assert stored_id is not None
        # An appointment of the owner at A: the next working day at 08:30 (SPEC §15).
        booking_day = calendar_service.get_calendar(session).next_working_day(date.today())
        booking_code = booking_service.book(
            session, owner_user, BIRTH, AGENCY_A, datetime.combine(booking_day, time(8, 30), TZ)
        ).code
        # The owner's feedback to agency A, with an attachment.
        feedback, feedback_secret = feedback_service.file_feedback(
            session,
            owner_user,
            FeedbackIn(
                subject="Phản ánh của chủ hồ sơ",
                content="Nội dung phản ánh về việc tiếp nhận hồ sơ.",
                agency_code=AGENCY_A,
            ),
            [feedback_service.Upload(pdf_bytes("phan anh"), "anh-chup.pdf")],
        )
        session.commit()
        params = {
            "-": {},
            "dossier": {"dossier_id": dossier_id},
            "draft": {"dossier_id": draft["id"]},
            "waiting": {"dossier_id": waiting_id},
            "counter": {"dossier_id": counter["id"]},
            "file": {"dossier_id": dossier_id, "file_id": dossier["files"][0]["id"]},
            "draft_file": {"dossier_id": draft["id"], "file_id": draft_file["id"]},
            "counter_file": {"dossier_id": counter["id"], "file_id": counter_file["id"]},
            "document": {"dossier_id": dossier_id, "document_id": document["id"]},
            "verify": {"token": doc_row.verify_token},
            "payment": {"payment_id": payment.id},
            "receipt": {"receipt_id": receipt.id},
            "series": {"series_id": receipt.series_id},
            "txn": {"txn_ref": txn_ref},
            "notice": {"notice_id": notice_id},
            "agency": {"code": AGENCY_A, "agency_code": AGENCY_A},
            "staff_user": {"user_id": officer_user.id},
            "procedure": {
                "code": OTHER_AGENCY_PROCEDURE,
                "key": procedure_draft.components[0].code,
            },
            "public_procedure": {
                "code": FEE_AT_RECEPTION,
                "component": published.components[0].code,
            },
            "lookup": {"code": dossier["code"], "secret": dossier["lookup_secret"]},
            # "_json": the request's JSON body (the other agency's procedure, exported).
            "procedure_document": {"_json": exported.json()},
            "stored": {"document_id": stored_id},
            "booking": {"code": booking_code},
            "feedback": {"feedback_id": feedback.id},
            "feedback_file": {"feedback_id": feedback.id, "file_id": feedback.files[0].id},
            "feedback_lookup": {"code": feedback.code, "secret": feedback_secret},
        }
    return World(harness, client, ids, params, dossier_id, draft["id"])
