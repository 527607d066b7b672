"""Login with the national e-ID over OpenID Connect (SPEC §11, issue 20): against a real
provider on loopback (`oidc-provider-mock`), and our own small provider for the answers a
provider should never give (wrong audience, expired token, bad signature) and key rotation."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlparse

import oidc_provider_mock
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, OidcLink, User
from app.audit.models import AuditEntry
from tests.accounts.eid_helpers import (
    CITIZEN_CLAIMS,
    CLIENT_SECRET,
    OwnProvider,
    configure,
    eid_off,
    login_with_mock,
    login_with_own,
    mock_provider,
    own_provider,
    start,
)
from tests.conftest import csrf_from

__all__ = ["eid_off"]
pytestmark = pytest.mark.usefixtures("eid_off")

SUB = "citizen-bich"


def _counts(db: Session) -> tuple[int, int, int]:
    return (
        db.scalar(select(func.count()).select_from(User)) or 0,
        db.scalar(select(func.count()).select_from(OidcLink)) or 0,
        db.scalar(select(func.count()).select_from(AuthSession)) or 0,
    )


def test_button_only_when_configured(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    page = client.get("/dang-nhap")
    assert "Đăng nhập bằng VNeID" not in page.text
    assert client.get("/dang-nhap/vneid", follow_redirects=False).status_code == 404
    configure(monkeypatch, "http://127.0.0.1:9")
    page = client.get("/dang-nhap?next=/ho-so")
    assert 'href="/dang-nhap/vneid?next=/ho-so"' in page.text
    assert "Đăng nhập bằng VNeID" in page.text


def test_first_login_creates_a_verified_citizen_and_the_next_finds_it(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_provider(oidc_provider_mock.User(sub=SUB, claims=CITIZEN_CLAIMS)) as issuer:
        configure(monkeypatch, issuer)
        response = login_with_mock(client, SUB)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/tai-khoan"
        user = db.scalar(select(User).where(User.id_number == "079190001234"))
        assert user is not None
        assert (user.full_name, user.phone, user.email) == (
            "Trần Thị Bích",
            "0912345678",
            "bich.eid@example.com",
        )
        assert user.verified_claims == {
            "full_name": "Trần Thị Bích",
            "id_number": "079190001234",
            "birth_date": "1990-04-15",
            "phone": "0912345678",
            "address": "12 Lê Lợi, phường Bến Thành, TP. Hồ Chí Minh",
        }
        link = db.scalar(select(OidcLink).where(OidcLink.user_id == user.id))
        assert link is not None and (link.issuer, link.subject) == (issuer, SUB)
        home = client.get("/tai-khoan").text
        assert "Trần Thị Bích" in home
        assert "Đã xác thực qua VNeID lúc" in home and "15/04/1990" in home
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == user.id)).all()
        assert "account.eid_created" in actions and "login.succeeded" in actions
        entry = db.scalar(
            select(AuditEntry).where(
                AuditEntry.actor_id == user.id, AuditEntry.action == "login.succeeded"
            )
        )
        assert entry is not None and entry.details["channel"] == "vneid"

        # Log out (the provider's logout too), then again: the same account, no new one.
        page = client.get("/tai-khoan")
        out = client.post(
            "/dang-xuat", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
        )
        target = urlparse(out.headers["location"])
        assert f"{target.scheme}://{target.netloc}" == issuer
        assert target.path == "/oauth2/end_session"
        query = parse_qs(target.query)
        assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:8000/?msg=logged_out"]
        assert query["id_token_hint"][0].count(".") == 2
        assert client.get("/tai-khoan", follow_redirects=False).status_code == 303
        before = _counts(db)
        again = login_with_mock(client, SUB, next_path="/ho-so")
        assert again.status_code == 303 and again.headers["location"] == "/ho-so"
        users, links, _sessions = _counts(db)
        assert (users, links) == before[:2]


def test_links_the_account_with_the_same_id_number(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen = db.scalar(select(User).where(User.email == "congdan2@motcua.local"))
    assert citizen is not None
    citizen.id_number = "079190001234"
    db.commit()
    with mock_provider(oidc_provider_mock.User(sub=SUB, claims=CITIZEN_CLAIMS)) as issuer:
        configure(monkeypatch, issuer)
        users_before = _counts(db)[0]
        response = login_with_mock(client, SUB)
        assert response.status_code == 303, response.text
    assert _counts(db)[0] == users_before
    link = db.scalar(select(OidcLink).where(OidcLink.subject == SUB))
    assert link is not None and link.user_id == citizen.id
    db.refresh(citizen)
    assert citizen.verified_claims["birth_date"] == "1990-04-15"
    assert db.scalar(
        select(AuditEntry).where(
            AuditEntry.actor_id == citizen.id, AuditEntry.action == "account.eid_linked"
        )
    )


def test_same_email_without_the_id_number_is_not_linked(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    claims = {**CITIZEN_CLAIMS, "email": "congdan2@motcua.local"}
    with mock_provider(oidc_provider_mock.User(sub=SUB, claims=claims)) as issuer:
        configure(monkeypatch, issuer)
        before = _counts(db)
        response = login_with_mock(client, SUB)
    assert response.status_code == 409
    assert "đăng nhập bằng mật khẩu" in response.text
    assert "Traceback" not in response.text
    assert _counts(db) == before
    assert "portal_session" not in response.cookies


@pytest.mark.parametrize(
    ("mode", "status", "phrase"),
    [
        ("wrong_audience", 401, "không hợp lệ"),
        ("expired", 401, "không hợp lệ"),
        ("bad_signature", 401, "không hợp lệ"),
        ("no_id_number", 401, "số định danh cá nhân"),
        ("token_error", 401, "Không nhận được mã định danh hợp lệ"),
    ],
)
def test_refused_tokens_create_nothing(
    client: TestClient,
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    status: int,
    phrase: str,
) -> None:
    provider = OwnProvider(mode=mode)
    if mode == "no_id_number":
        provider.claims.pop("id_number")
    with own_provider(provider) as running:
        configure(monkeypatch, running.issuer)
        before = _counts(db)
        response = login_with_own(client)
    assert response.status_code == status
    assert phrase in response.text
    assert "Không đăng nhập được bằng VNeID" in response.text
    assert _counts(db) == before
    assert "portal_session" not in response.cookies
    failed = db.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "login.failed")
        .order_by(AuditEntry.seq.desc())
    )
    assert failed is not None and failed.details["channel"] == "vneid"


def test_refusal_page_in_english(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    with own_provider(OwnProvider(mode="expired")) as running:
        configure(monkeypatch, running.issuer)
        client.cookies.set("lang", "en")
        response = login_with_own(client)
    assert response.status_code == 401
    assert "Could not log in with VNeID" in response.text


def test_forged_state_is_refused(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    with own_provider() as running:
        configure(monkeypatch, running.issuer)
        authorize = start(client)
        state = parse_qs(urlparse(authorize).query)["state"][0]
        before = _counts(db)
        forged = client.get("/dang-nhap/vneid/callback", params={"code": "x", "state": state[::-1]})
        assert forged.status_code == 400
        assert "hết hạn hoặc không hợp lệ" in forged.text
        # Without the flow cookie (another browser), even the right state is refused.
        client.cookies.delete("portal_oidc_flow")
        stolen = client.get("/dang-nhap/vneid/callback", params={"code": "x", "state": state})
        assert stolen.status_code == 400
    assert _counts(db) == before


def test_unknown_key_id_reads_the_keys_again_once(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    with own_provider() as running:
        configure(monkeypatch, running.issuer)
        assert login_with_own(client).status_code == 303
        assert running.jwks_reads == 1
        client.cookies.clear()
        running.subject = "own-subject-2"
        running.claims["id_number"] = "079190009999"
        running.claims["email"] = "other.eid@example.com"
        running.rotate()
        assert login_with_own(client).status_code == 303
        assert running.jwks_reads == 2
        # A known kid does not read the keys again.
        client.cookies.clear()
        assert login_with_own(client).status_code == 303
        assert running.jwks_reads == 2


def test_no_secret_in_logs_or_pages(
    client: TestClient,
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # what a production portal logs
    with own_provider() as running:
        configure(monkeypatch, running.issuer)
        pages = [client.get("/dang-nhap").text]
        response = login_with_own(client)
        assert response.status_code == 303
        pages += [client.get("/tai-khoan").text, client.get("/tai-khoan/thong-tin").text]
    assert running.issued  # code, access token, ID token
    # The test's own browser hops (to the portal, to the provider's authorize page) are logged
    # by the test's HTTP client: not the portal's logs.
    browser = (
        "HTTP Request: GET http://127.0.0.1:8000/",
        f"HTTP Request: GET {running.issuer}/authorize",
    )
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.getMessage().startswith(browser)
    )
    for secret in (CLIENT_SECRET, *running.issued):
        assert secret not in logged
        assert all(secret not in page for page in pages)
        assert secret not in response.headers.get("location", "")


def test_staff_only_when_allowed_and_never_past_the_second_factor(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = db.scalar(select(User).where(User.email == "tiepnhan.tinh@motcua.local"))
    assert staff is not None and staff.agency is not None
    staff.id_number = "079190001234"
    staff.agency.require_two_factor = True
    db.commit()
    with own_provider() as running:
        configure(monkeypatch, running.issuer)
        refused = login_with_own(client)
        assert refused.status_code == 403
        assert "email và mật khẩu" in refused.text
        assert db.scalar(select(func.count()).select_from(OidcLink)) == 0

        configure(monkeypatch, running.issuer, oidc_staff_login="true")
        sessions = _counts(db)[2]
        step = login_with_own(client)
        assert step.status_code == 303
        assert step.headers["location"] == "/tai-khoan/xac-thuc-hai-buoc"  # enrol first
        assert "portal_session" not in step.cookies
        assert _counts(db)[2] == sessions
        assert db.scalar(
            select(AuditEntry).where(
                AuditEntry.actor_id == staff.id, AuditEntry.action == "login.eid_accepted"
            )
        )


def test_access_log_hides_the_callback_code_and_state() -> None:
    from app.web.middleware import RedactSecretsFilter

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/dang-nhap/vneid/callback?code=abc123&state=xyz789", "1.1", 303),
        None,
    )
    RedactSecretsFilter().filter(record)
    message = record.getMessage()
    assert "abc123" not in message and "xyz789" not in message
    assert "/dang-nhap/vneid/callback?code=***&state=***" in message


def test_plain_http_issuer_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from app.config import Settings

    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_OIDC_ISSUER", "http://sso.example.vn")
    with pytest.raises(ValidationError, match="must be an https:// address"):
        Settings()
    monkeypatch.setenv("PORTAL_OIDC_ISSUER", "https://sso.example.vn")
    assert Settings().oidc_enabled is False  # no client id yet


def test_provider_down_is_a_clear_page(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    with own_provider() as running:
        issuer = running.issuer  # a port that was just closed: nobody answers
    configure(monkeypatch, issuer)
    response = client.get("/dang-nhap/vneid", follow_redirects=False)
    assert response.status_code == 502
    assert "Không kết nối được với dịch vụ định danh điện tử" in response.text
    assert "portal_oidc_flow" not in response.cookies


def test_staff_with_an_authenticator_types_the_code_then_the_session_is_an_e_id_one(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.accounts import twofactor
    from tests.accounts.twofactor_helpers import step_codes

    staff = db.scalar(select(User).where(User.email == "thuphi.tinh@motcua.local"))
    assert staff is not None
    staff.id_number = "079190001234"
    secret = twofactor.enrol(db, staff).secret
    twofactor.confirm(db, staff, step_codes(secret)[0])
    db.commit()
    with own_provider() as running:
        configure(monkeypatch, running.issuer, oidc_staff_login="true")
        step = login_with_own(client)
        assert step.status_code == 303
        assert step.headers["location"] == "/dang-nhap/ma-xac-thuc"
        assert "portal_session" not in step.cookies
        page = client.get("/dang-nhap/ma-xac-thuc")
        done = client.post(
            "/dang-nhap/ma-xac-thuc",
            data={"otp": step_codes(secret)[2], "csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/can-bo"
        entry = db.scalar(
            select(AuditEntry)
            .where(AuditEntry.actor_id == staff.id, AuditEntry.action == "login.succeeded")
            .order_by(AuditEntry.seq.desc())
        )
        assert entry is not None and entry.details["channel"] == "vneid"
        page = client.get("/can-bo")
        out = client.post(
            "/dang-xuat", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
        )
        assert out.headers["location"].startswith(f"{running.issuer}/logout?id_token_hint=")
