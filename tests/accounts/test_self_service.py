"""The account's own password and profile through the JSON API and the pages under /tai-khoan
(SPEC §9 "account"): change the password (the other sessions end, the current one stays),
reset a forgotten one with a single-use e-mailed link, edit phone, address and ID number (used
to prefill new dossiers). Bad input names its field and changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import events
from app.accounts import selfservice
from app.accounts import service as account_service
from app.accounts.events import PasswordResetRequested
from app.accounts.models import AuthSession, LoginAttempt, PasswordResetToken, User
from app.audit.models import AuditEntry
from app.catalog import service as catalog_service
from app.db import utcnow
from app.dossiers.models import Dossier
from app.notifications import subscribers as notification_subscribers
from app.notifications.models import OutboxMessage
from tests.conftest import DEMO_PASSWORD, api_token, csrf_from

CITIZEN = "congdan@motcua.local"
OTHER = "congdan2@motcua.local"
STAFF = "tiepnhan.phohien@motcua.local"
NEW_PASSWORD = "Hoa-sen-no-som-7"
BIRTH = "1.001193"
PHO_HIEN = "000.00.51.H31"


def _user(db: Session, email: str = CITIZEN) -> User:
    return db.scalars(select(User).where(User.email == email)).one()


def _sessions(db: Session, user: User) -> int:
    return db.scalar(select(func.count()).where(AuthSession.user_id == user.id)) or 0


def _log_in(client: TestClient, email: str = CITIZEN, password: str = DEMO_PASSWORD) -> Any:
    client.cookies.clear()
    page = client.get("/dang-nhap")
    return client.post(
        "/dang-nhap",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )


def _can_log_in(client: TestClient, email: str, password: str) -> bool:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    return response.status_code == 200


def _audit_actions(db: Session, user: User) -> list[str]:
    return list(
        db.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "user", AuditEntry.object_id == str(user.id)
            )
        )
    )


# --- password change: API -----------------------------------------------------------------


def test_change_password_keeps_the_caller_and_ends_the_other_sessions(
    client: TestClient, db: Session
) -> None:
    user = _user(db)
    other_web, _ = account_service.open_session(db, user, "web")
    other_api = api_token(client, CITIZEN)
    mine = api_token(client, CITIZEN)
    selfservice.request_password_reset(db, CITIZEN, "203.0.113.7")  # an open reset link

    response = client.post(
        "/api/v1/auth/password",
        headers=mine,
        json={"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["other_sessions_ended"] >= 2
    assert "Đã đổi mật khẩu" in body["detail"]

    assert client.get("/api/v1/auth/me", headers=mine).status_code == 200
    assert client.get("/api/v1/auth/me", headers=other_api).status_code == 401
    assert account_service.user_for_token(db, other_web, "web") is None
    assert _sessions(db, user) == 1
    assert not _can_log_in(client, CITIZEN, DEMO_PASSWORD)
    assert _can_log_in(client, CITIZEN, NEW_PASSWORD)
    open_links = db.scalar(
        select(func.count()).where(
            PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)
        )
    )
    assert open_links == 0
    assert "user.password_change" in _audit_actions(db, user)


def test_change_password_refusals_name_the_field_and_change_nothing(
    client: TestClient, db: Session
) -> None:
    user = _user(db)
    old_hash = user.password_hash
    h = api_token(client, CITIZEN)
    failures_before = db.scalar(
        select(func.count()).where(LoginAttempt.email == CITIZEN, LoginAttempt.succeeded.is_(False))
    )
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"current_password": "sai-mat-khau", "new_password": NEW_PASSWORD},
            "current_password",
            "Mật khẩu hiện tại không đúng.",
        ),
        (
            {"current_password": DEMO_PASSWORD, "new_password": "12345678"},
            "new_password",
            "phổ biến",
        ),
        (
            {"current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD},
            "new_password",
            "khác mật khẩu hiện tại",
        ),
        ({"current_password": DEMO_PASSWORD, "new_password": "ngan"}, "new_password", ""),
        ({"new_password": NEW_PASSWORD}, "current_password", ""),
    ]
    for payload, field, message in cases:
        response = client.post("/api/v1/auth/password", headers=h, json=payload)
        assert response.status_code == 422, (payload, response.text)
        body = response.json()
        assert body["error"] == "invalid_input" and field in body["fields"], body
        assert message in body["detail"]
    db.refresh(user)
    assert user.password_hash == old_hash
    assert client.get("/api/v1/auth/me", headers=h).status_code == 200
    # The wrong current password counted as a failed attempt (throttling).
    failures = db.scalar(
        select(func.count()).where(LoginAttempt.email == CITIZEN, LoginAttempt.succeeded.is_(False))
    )
    assert failures == (failures_before or 0) + 1
    assert client.post("/api/v1/auth/password", json=cases[0][0]).status_code == 401


def test_guessing_the_current_password_is_throttled(client: TestClient, db: Session) -> None:
    h = api_token(client, CITIZEN)
    wrong = {"current_password": "doan-mo-1", "new_password": NEW_PASSWORD}
    statuses = [
        client.post("/api/v1/auth/password", headers=h, json=wrong).status_code for _ in range(6)
    ]
    assert statuses == [422] * 5 + [429]
    right = {"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password", headers=h, json=right).status_code == 429


# --- password change: page ----------------------------------------------------------------


def test_change_password_page(client: TestClient, db: Session) -> None:
    user = _user(db)
    other_web, _ = account_service.open_session(db, user, "web")
    assert _log_in(client).status_code == 303
    home = client.get("/tai-khoan")
    assert 'href="/tai-khoan/mat-khau"' in home.text
    page = client.get("/tai-khoan/mat-khau")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.text
    assert 'autocomplete="new-password"' in page.text
    token = csrf_from(page.text)

    def post(current: str, new: str, confirm: str | None = None) -> Any:
        return client.post(
            "/tai-khoan/mat-khau",
            data={
                "csrf_token": token,
                "current_password": current,
                "new_password": new,
                "new_password_confirm": new if confirm is None else confirm,
            },
            follow_redirects=False,
        )

    wrong = post("sai-mat-khau", NEW_PASSWORD)
    assert wrong.status_code == 422
    assert 'id="f-current_password-error"' in wrong.text
    assert "Mật khẩu hiện tại không đúng." in wrong.text
    assert 'id="f-new_password-error"' not in wrong.text
    assert NEW_PASSWORD not in wrong.text
    both = post("sai-mat-khau", "12345678")
    assert 'id="f-current_password-error"' in both.text
    assert 'id="f-new_password-error"' in both.text and "phổ biến" in both.text
    weak = post(DEMO_PASSWORD, "password")
    assert weak.status_code == 422 and 'id="f-new_password-error"' in weak.text
    assert "phổ biến" in weak.text
    mismatch = post(DEMO_PASSWORD, NEW_PASSWORD, "khac-han-1234")
    assert mismatch.status_code == 422 and 'id="f-new_password_confirm-error"' in mismatch.text
    empty = post("", "")
    assert empty.status_code == 422
    assert "Vui lòng nhập mật khẩu hiện tại." in empty.text
    db.refresh(user)
    assert account_service.user_for_token(db, other_web, "web") is not None

    done = post(DEMO_PASSWORD, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/tai-khoan?msg=password_changed"
    after = client.get(done.headers["location"])
    assert after.status_code == 200 and "Đã đổi mật khẩu" in after.text
    assert account_service.user_for_token(db, other_web, "web") is None
    assert _can_log_in(client, CITIZEN, NEW_PASSWORD)


def test_account_pages_need_a_login(client: TestClient) -> None:
    for path in ("/tai-khoan/mat-khau", "/tai-khoan/thong-tin"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/dang-nhap?next=")


# --- password reset: API ------------------------------------------------------------------


def _last_reset_mail(db: Session, address: str) -> OutboxMessage | None:
    return db.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "password_reset", OutboxMessage.to_address == address)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )


def _link_token(mail: OutboxMessage) -> str:
    match = re.search(r"/tai-khoan/dat-lai-mat-khau\?token=([A-Za-z0-9_\-]+)", mail.body_text)
    assert match, mail.body_text
    return match.group(1)


def test_reset_request_answers_the_same_whether_or_not_the_address_exists(
    client: TestClient, db: Session
) -> None:
    known = client.post("/api/v1/auth/password-reset", json={"email": "CongDan@MotCua.Local"})
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "ai.do@example.vn"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert known.headers["content-type"] == unknown.headers["content-type"]
    assert "30 phút" in known.json()["detail"]
    mail = _last_reset_mail(db, CITIZEN)
    assert mail is not None and mail.status == "pending" and mail.dossier_id is None
    assert _last_reset_mail(db, "ai.do@example.vn") is None
    # Only the digest of the link's secret is stored.
    token = _link_token(mail)
    row = db.scalars(select(PasswordResetToken).order_by(PasswordResetToken.id.desc())).first()
    assert row is not None and row.token_hash == account_service.digest(token)
    assert token not in row.token_hash
    assert (row.expires_at - utcnow()) <= timedelta(minutes=30)
    assert (row.expires_at - utcnow()) > timedelta(minutes=29)
    invalid = client.post("/api/v1/auth/password-reset", json={"email": "khong-phai-email"})
    assert invalid.status_code == 422 and "email" in invalid.json()["fields"]


def test_the_reset_mail_is_written_by_the_notifications_subscriber_in_the_user_language(
    client: TestClient, db: Session
) -> None:
    assert events.handlers_for(PasswordResetRequested) == [
        notification_subscribers.on_password_reset_requested
    ]
    _user(db, OTHER).locale = "en"
    db.flush()
    assert client.post("/api/v1/auth/password-reset", json={"email": OTHER}).status_code == 202
    mail = _last_reset_mail(db, OTHER)
    assert mail is not None and mail.subject == "[Một cửa] Reset your account password"
    assert "expires after 30 minutes" in mail.body_text and "<!doctype html>" in mail.body_html
    assert f"/tai-khoan/dat-lai-mat-khau?token={_link_token(mail)}" in mail.body_html


def test_reset_link_works_once_and_ends_every_session(client: TestClient, db: Session) -> None:
    user = _user(db)
    h = api_token(client, CITIZEN)
    client.post("/api/v1/auth/password-reset", json={"email": CITIZEN})
    token = _link_token(_last_reset_mail(db, CITIZEN) or OutboxMessage())
    old_hash = user.password_hash

    weak = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "123456789"}
    )
    assert weak.status_code == 422 and "new_password" in weak.json()["fields"]
    db.refresh(user)
    assert user.password_hash == old_hash  # and the link is still good:

    done = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 200, done.text
    assert "Đã đặt lại mật khẩu" in done.json()["detail"]
    assert client.get("/api/v1/auth/me", headers=h).status_code == 401
    assert _sessions(db, user) == 0
    assert _can_log_in(client, CITIZEN, NEW_PASSWORD)
    assert "user.password_reset_by_email" in _audit_actions(db, user)

    again = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "Khac-nua-99"}
    )
    assert again.status_code == 422
    assert again.json()["fields"] == {"token": "used"}
    assert "đã được sử dụng" in again.json()["detail"]
    assert _can_log_in(client, CITIZEN, NEW_PASSWORD)


def test_expired_and_unknown_links_are_refused(client: TestClient, db: Session) -> None:
    user = _user(db)
    client.post("/api/v1/auth/password-reset", json={"email": CITIZEN})
    token = _link_token(_last_reset_mail(db, CITIZEN) or OutboxMessage())
    db.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.token_hash == account_service.digest(token))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    old_hash = user.password_hash
    expired = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert expired.status_code == 422 and expired.json()["fields"] == {"token": "expired"}
    assert "hết hạn" in expired.json()["detail"]
    unknown = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": "khong-co-that", "new_password": NEW_PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert unknown.status_code == 422 and unknown.json()["fields"] == {"token": "unknown"}
    assert "not valid" in unknown.json()["detail"]
    db.refresh(user)
    assert user.password_hash == old_hash


def test_a_new_password_kills_older_links_and_locked_accounts_get_none(
    client: TestClient, db: Session
) -> None:
    client.post("/api/v1/auth/password-reset", json={"email": CITIZEN})
    first = _link_token(_last_reset_mail(db, CITIZEN) or OutboxMessage())
    client.post("/api/v1/auth/password-reset", json={"email": CITIZEN})
    second = _link_token(_last_reset_mail(db, CITIZEN) or OutboxMessage())
    assert first != second
    ok = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": second, "new_password": NEW_PASSWORD}
    )
    assert ok.status_code == 200
    older = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": first, "new_password": "Khac-nua-99"}
    )
    assert older.status_code == 422 and older.json()["fields"] == {"token": "used"}

    other = _user(db, OTHER)
    other.is_active = False
    db.flush()
    before = db.scalar(select(func.count()).select_from(OutboxMessage))
    locked = client.post("/api/v1/auth/password-reset", json={"email": OTHER})
    assert locked.status_code == 202
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_reset_requests_are_rate_limited_per_address_and_per_client(
    client: TestClient, db: Session
) -> None:
    for email in (CITIZEN, "khong.co@example.vn"):  # the same for an unknown address
        statuses = [
            client.post("/api/v1/auth/password-reset", json={"email": email}).status_code
            for _ in range(selfservice.RESET_PER_ADDRESS + 1)
        ]
        assert statuses == [202] * selfservice.RESET_PER_ADDRESS + [429], (email, statuses)
    mails = db.scalar(
        select(func.count()).where(
            OutboxMessage.kind == "password_reset", OutboxMessage.to_address == CITIZEN
        )
    )
    assert mails == selfservice.RESET_PER_ADDRESS
    used = 2 * (selfservice.RESET_PER_ADDRESS + 1)  # refused requests count too
    for i in range(selfservice.RESET_PER_CLIENT - used):
        answer = client.post("/api/v1/auth/password-reset", json={"email": f"x{i}@example.vn"})
        assert answer.status_code == 202
    limited = client.post("/api/v1/auth/password-reset", json={"email": "cuoi@example.vn"})
    assert limited.status_code == 429 and limited.json()["error"] == "too_many_requests"


# --- password reset: pages ----------------------------------------------------------------


def test_forgotten_password_pages(client: TestClient, db: Session) -> None:
    login = client.get("/dang-nhap")
    assert 'href="/tai-khoan/quen-mat-khau"' in login.text and "Quên mật khẩu?" in login.text
    page = client.get("/tai-khoan/quen-mat-khau?email=congdan%40motcua.local")
    assert page.status_code == 200 and 'value="congdan@motcua.local"' in page.text
    token = csrf_from(page.text)

    bad = client.post("/tai-khoan/quen-mat-khau", data={"csrf_token": token, "email": "abc"})
    assert bad.status_code == 422 and 'id="f-email-error"' in bad.text
    sent = client.post("/tai-khoan/quen-mat-khau", data={"csrf_token": token, "email": CITIZEN})
    ghost = client.post(
        "/tai-khoan/quen-mat-khau", data={"csrf_token": token, "email": "ma@example.vn"}
    )
    assert sent.status_code == ghost.status_code == 200
    assert 'id="reset-sent"' in sent.text and 'id="reset-sent"' in ghost.text
    assert "Nếu email này thuộc một tài khoản" in sent.text

    link = _link_token(_last_reset_mail(db, CITIZEN) or OutboxMessage())
    opened = client.get(f"/tai-khoan/dat-lai-mat-khau?token={link}")
    assert opened.status_code == 200
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert f'name="token" value="{link}"' in opened.text
    form_token = csrf_from(opened.text)

    def confirm(new: str, again: str | None = None) -> Any:
        return client.post(
            "/tai-khoan/dat-lai-mat-khau",
            data={
                "csrf_token": form_token,
                "token": link,
                "new_password": new,
                "new_password_confirm": new if again is None else again,
            },
            follow_redirects=False,
        )

    weak = confirm("12345678")
    assert weak.status_code == 422 and 'id="f-new_password-error"' in weak.text
    mismatch = confirm(NEW_PASSWORD, "khac-nhau-2")
    assert mismatch.status_code == 422 and 'id="f-new_password_confirm-error"' in mismatch.text
    done = confirm(NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/dang-nhap?msg=password_reset"
    back = client.get(done.headers["location"])
    assert "Đã đặt lại mật khẩu. Vui lòng đăng nhập bằng mật khẩu mới." in back.text
    assert _log_in(client, CITIZEN, NEW_PASSWORD).status_code == 303

    used = client.get(f"/tai-khoan/dat-lai-mat-khau?token={link}")
    assert used.status_code == 422 and 'id="link-error"' in used.text
    assert "đã được sử dụng" in used.text and 'href="/tai-khoan/quen-mat-khau"' in used.text
    assert 'name="new_password"' not in used.text
    # Logging in started a new browser session, with a new form token.
    form_token = csrf_from(client.get("/tai-khoan/quen-mat-khau").text)
    reused = confirm("Khac-nua-99")
    assert reused.status_code == 422 and "đã được sử dụng" in reused.text
    nothing = client.get("/tai-khoan/dat-lai-mat-khau")
    assert nothing.status_code == 422 and "không hợp lệ" in nothing.text


def test_forgotten_password_page_is_rate_limited(client: TestClient) -> None:
    token = csrf_from(client.get("/tai-khoan/quen-mat-khau").text)
    answers = [
        client.post("/tai-khoan/quen-mat-khau", data={"csrf_token": token, "email": CITIZEN})
        for _ in range(selfservice.RESET_PER_ADDRESS + 1)
    ]
    assert [a.status_code for a in answers] == [200] * selfservice.RESET_PER_ADDRESS + [429]
    assert 'id="f-email-error"' in answers[-1].text and "thử lại sau một giờ" in answers[-1].text


# --- profile ------------------------------------------------------------------------------


def test_profile_api_updates_and_validates(client: TestClient, db: Session) -> None:
    user = _user(db)
    h = api_token(client, CITIZEN)
    before = (user.phone, user.address, user.id_number)
    for payload, field in (
        ({"phone": "12ab"}, "phone"),
        ({"id_number": "12345"}, "id_number"),
        ({"address": "x" * 300}, "address"),
        ({"email": "khac@example.vn"}, "email"),
        ({"phone": "", "address": "Thôn Đông"}, "phone"),  # citizens keep a phone
    ):
        response = client.patch("/api/v1/auth/me", headers=h, json=payload)
        assert response.status_code == 422, (payload, response.text)
        assert field in response.json()["fields"], response.json()
    taken = "034095000001"
    _user(db, OTHER).id_number = taken
    db.flush()
    conflict = client.patch(
        "/api/v1/auth/me", headers=h, json={"id_number": taken, "address": "Thôn Đông"}
    )
    assert conflict.status_code == 409 and conflict.json()["fields"] == {
        "id_number": "already registered"
    }
    db.refresh(user)
    assert (user.phone, user.address, user.id_number) == before

    ok = client.patch(
        "/api/v1/auth/me",
        headers=h,
        json={"phone": "0987 654 321", "address": "  Số 5,  đường Bạch Đằng, phường Phố Hiến "},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["phone"] == "0987654321"
    assert ok.json()["address"] == "Số 5, đường Bạch Đằng, phường Phố Hiến"
    assert ok.json()["id_number"] == before[2]  # left out: unchanged
    me = client.get("/api/v1/auth/me", headers=h).json()
    assert me["address"] == "Số 5, đường Bạch Đằng, phường Phố Hiến"
    assert "user.profile_update" in _audit_actions(db, user)
    cleared = client.patch("/api/v1/auth/me", headers=h, json={"id_number": ""})
    assert cleared.status_code == 200 and cleared.json()["id_number"] is None
    staff = client.patch("/api/v1/auth/me", headers=api_token(client, STAFF), json={"phone": ""})
    assert staff.status_code == 200 and staff.json()["phone"] == ""


def test_profile_page_and_prefill_of_new_dossiers(client: TestClient, db: Session) -> None:
    user = _user(db)
    assert _log_in(client).status_code == 303
    page = client.get("/tai-khoan/thong-tin")
    assert page.status_code == 200 and 'autocomplete="street-address"' in page.text
    token = csrf_from(page.text)
    bad = client.post(
        "/tai-khoan/thong-tin",
        data={"csrf_token": token, "phone": "123", "id_number": "12", "address": "Thôn Đông"},
    )
    assert bad.status_code == 422
    assert 'id="f-phone-error"' in bad.text and "Số điện thoại không hợp lệ" in bad.text
    assert 'id="f-id_number-error"' in bad.text and "12 chữ số" in bad.text
    assert 'value="Thôn Đông"' in bad.text  # what was typed comes back
    db.refresh(user)
    assert user.address == ""

    address = "Số 12, phố Nguyễn Văn Linh, phường Phố Hiến, tỉnh Hưng Yên"
    saved = client.post(
        "/tai-khoan/thong-tin",
        data={
            "csrf_token": token,
            "phone": user.phone,
            "id_number": user.id_number or "",
            "address": address,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/tai-khoan?msg=profile_saved"
    home = client.get(saved.headers["location"])
    assert address in home.text and "Đã lưu thông tin cá nhân" in home.text

    # A declared field with ``prefill: address`` and the applicant block take the address.
    version = catalog_service.get_published(db, BIRTH)
    fields = list(version.form_schema["fields"])
    fields.append({"name": "contact_address", "label": "Địa chỉ", "type": "text"})
    fields[-1]["prefill"] = "address"
    version.form_schema = {**version.form_schema, "fields": fields}
    db.flush()
    start = client.get(f"/thu-tuc/{BIRTH}/nop-ho-so")
    created = client.post(
        f"/thu-tuc/{BIRTH}/nop-ho-so",
        data={"csrf_token": csrf_from(start.text), "agency_code": PHO_HIEN},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    match = re.search(r"/ho-so/(\d+)/khai", created.headers["location"])
    assert match
    dossier = db.get(Dossier, int(match.group(1)))
    assert dossier is not None
    assert dossier.form_data["contact_address"] == address
    assert dossier.applicant["address"] == address
