"""Login throttling (finding M3): strangers cannot lock the owner out, guessing slows down
(per e-mail and address, growing waits; a looser ceiling per e-mail for unknown clients),
the API token endpoint and the /dang-nhap form behave alike, and admins see and lift it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import throttle
from app.accounts.models import LoginAttempt, User
from app.audit.models import AuditEntry
from app.config import get_settings
from tests.admin.helpers import ADMIN, PHO_HIEN_ADMIN, log_in, post_form
from tests.conftest import DEMO_PASSWORD, csrf_from

OWNER = "tiepnhan.phohien@motcua.local"
OTHER_AGENCY_STAFF = "chuyenvien.tuphap@motcua.local"
WRONG = "sai-mat-khau-1"
PAIR_WAIT = "Đăng nhập sai nhiều lần liên tiếp. Vui lòng thử lại từ "
ACCOUNT_WAIT = "Tài khoản này đang bị thử mật khẩu sai quá nhiều lần"


def _from(app: FastAPI, ip: str, cookies: dict[str, str] | None = None) -> TestClient:
    """A client connecting from address ``ip`` (with a browser's cookies, if given)."""
    return TestClient(app, base_url="http://127.0.0.1:8000", client=(ip, 40000), cookies=cookies)


def _token(client: TestClient, email: str, password: str) -> Any:
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def _web_login(client: TestClient, email: str, password: str) -> Any:
    token = csrf_from(client.get("/dang-nhap").text)
    return client.post(
        "/dang-nhap",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def _failures(db: Session, email: str) -> int:
    where = (LoginAttempt.email == email, LoginAttempt.succeeded.is_(False))
    return db.scalar(select(func.count()).where(*where)) or 0


def _age(db: Session, email: str, seconds: float) -> None:
    """Let ``seconds`` pass for the e-mail's recorded attempts."""
    for row in db.scalars(select(LoginAttempt).where(LoginAttempt.email == email)):
        row.at -= timedelta(seconds=seconds)
    db.flush()


def _audit(db: Session, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_strangers_failures_do_not_lock_out_the_owner(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    """The probe's reproduction: five wrong passwords from other addresses, then the owner."""
    owner_api = _from(app, "10.1.0.1")
    assert _token(owner_api, OWNER, DEMO_PASSWORD).status_code == 200
    browser = _from(app, "10.1.0.2")
    assert _web_login(browser, OWNER, DEMO_PASSWORD).status_code == 303
    for n in range(5):
        wrong = _token(_from(app, f"10.66.0.{n}"), OWNER, f"{WRONG}{n}")
        assert wrong.status_code == 401
        assert wrong.json()["detail"] == "Email hoặc mật khẩu không đúng."
    assert _failures(db, OWNER) == 5
    assert _token(owner_api, OWNER, DEMO_PASSWORD).status_code == 200
    assert _web_login(browser, OWNER, DEMO_PASSWORD).status_code == 303
    # A third address that never logged in is not refused either: nobody is locked out by
    # five failures spread over other addresses.
    assert _token(_from(app, "10.1.0.3"), OWNER, DEMO_PASSWORD).status_code == 200


def test_one_strangers_failures_get_growing_waits(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    stranger = _from(app, "10.66.1.1")
    for _ in range(5):
        assert _token(stranger, OWNER, WRONG).status_code == 401
    waits = []
    for expected_minutes in (1, 2, 4, 8):
        refused = _token(stranger, OWNER, DEMO_PASSWORD)  # the right one too: not checked
        assert refused.status_code == 429
        body = refused.json()
        assert body["error"] == "too_many_requests"
        assert body["detail"].startswith(PAIR_WAIT)
        assert re.search(r"\d\d:\d\d \d\d/\d\d/\d{4}\.$", body["detail"]), body["detail"]
        seconds = int(refused.headers["Retry-After"])
        assert expected_minutes * 60 - 5 <= seconds <= expected_minutes * 60
        waits.append(seconds)
        failures = _failures(db, OWNER)
        # The wait passes; the next wrong password makes the next wait twice as long.
        _age(db, OWNER, seconds + 1)
        assert _token(stranger, OWNER, WRONG).status_code == 401
        assert _failures(db, OWNER) == failures + 1  # refusals are not counted as failures
    assert waits == sorted(waits)
    # The same on the login form, which names the time too (429, the e-mail kept).
    page = _web_login(stranger, OWNER, DEMO_PASSWORD)
    assert page.status_code == 429 and PAIR_WAIT in page.text
    assert 'aria-describedby="login-error"' in page.text and OWNER in page.text
    assert "portal_session" not in page.cookies
    # Another address is not held by this stranger's failures.
    assert _token(_from(app, "10.1.1.1"), OWNER, DEMO_PASSWORD).status_code == 200
    # An unknown e-mail waits exactly the same way (nothing tells which accounts exist).
    for _ in range(5):
        assert _token(stranger, "khongco@motcua.local", WRONG).status_code == 401
    unknown = _token(stranger, "khongco@motcua.local", WRONG)
    assert unknown.status_code == 429 and unknown.json()["detail"].startswith(PAIR_WAIT)


def test_the_ceiling_per_email_refuses_unknown_clients_only(
    app: FastAPI, client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "login_email_max_failures", 8)
    owner_api = _from(app, "10.1.2.1")
    assert _token(owner_api, OWNER, DEMO_PASSWORD).status_code == 200
    browser = _from(app, "10.1.2.2")
    assert _web_login(browser, OWNER, DEMO_PASSWORD).status_code == 303
    device = browser.cookies.get(throttle.DEVICE_COOKIE)
    assert device  # the browser is now a known client of the account

    for n in range(8):  # a distributed guesser: one try per address
        assert _token(_from(app, f"10.66.2.{n}"), OWNER, WRONG).status_code == 401
    # Unknown clients are refused before their password is looked at, with the time to
    # come back: on the API and on the form.
    newcomer = _from(app, "10.1.2.9")
    refused = _token(newcomer, OWNER, DEMO_PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(ACCOUNT_WAIT)
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    page = _web_login(newcomer, OWNER, DEMO_PASSWORD)
    assert page.status_code == 429 and ACCOUNT_WAIT in page.text
    assert _failures(db, OWNER) == 8  # refused attempts are not failures

    # Known clients get in with the right password: the address that logged in before …
    assert _token(owner_api, OWNER, DEMO_PASSWORD).status_code == 200
    # … and the browser holding the cookie, even from a new address.
    travelling = _from(app, "10.1.2.77", cookies={throttle.DEVICE_COOKIE: device})
    assert _web_login(travelling, OWNER, DEMO_PASSWORD).status_code == 303
    # A forged cookie makes nobody known.
    forged = _from(app, "10.1.2.78", cookies={throttle.DEVICE_COOKIE: device[:-2] + "xx"})
    assert _web_login(forged, OWNER, DEMO_PASSWORD).status_code == 429

    # The start of the refusal is in the audit log, once.
    started = [e for e in _audit(db, "login.throttled") if e.details["scope"] == "account"]
    assert len(started) == 1
    owner = db.scalar(select(User).where(User.email == OWNER))
    assert owner is not None and started[0].object_id == str(owner.id)
    assert started[0].details["failures"] == 8

    # Once the oldest failures leave the window, unknown clients may try again.
    _age(db, OWNER, 15 * 60 + 1)
    assert _token(newcomer, OWNER, DEMO_PASSWORD).status_code == 200


def test_admin_sees_and_lifts_the_limits(app: FastAPI, client: TestClient, db: Session) -> None:
    stranger = _from(app, "10.66.3.3")
    for _ in range(5):
        assert _token(stranger, OWNER, WRONG).status_code == 401
    owner = db.scalar(select(User).where(User.email == OWNER))
    assert owner is not None
    started = [e for e in _audit(db, "login.throttled") if e.object_id == str(owner.id)]
    assert [e.details["scope"] for e in started] == ["pair"]
    assert started[0].details["ip"] == "10.66.3.3" and started[0].details["failures"] == 5

    log_in(client, PHO_HIEN_ADMIN)
    page = client.get(f"/quan-tri/nguoi-dung/{owner.id}")
    assert page.status_code == 200
    assert "Đăng nhập đang bị hạn chế đến " in page.text
    assert "10.66.3.3" in page.text
    assert "Số lần nhập sai mật khẩu: 5 trong 15 phút qua, 5 trong 24 giờ qua." in page.text

    # Refused to whom the account is not theirs to manage: nothing is cleared.
    other = _from(app, "10.1.3.1")
    log_in(other, PHO_HIEN_ADMIN)
    outsider = db.scalar(select(User).where(User.email == OTHER_AGENCY_STAFF))
    assert outsider is not None
    denied = post_form(other, f"/quan-tri/nguoi-dung/{outsider.id}/dang-nhap/go-han-che")
    assert denied.status_code == 403
    anonymous = _from(app, "10.1.3.2")
    token = csrf_from(anonymous.get("/dang-nhap").text)
    refused = anonymous.post(
        f"/quan-tri/nguoi-dung/{owner.id}/dang-nhap/go-han-che",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 303 and "/dang-nhap" in refused.headers["location"]
    assert _failures(db, OWNER) == 5

    cleared = post_form(client, f"/quan-tri/nguoi-dung/{owner.id}/dang-nhap/go-han-che")
    assert cleared.status_code == 303
    shown = client.get(cleared.headers["location"])
    assert "Đã gỡ hạn chế đăng nhập của tài khoản." in shown.text
    assert "Đăng nhập của tài khoản này không bị hạn chế." in shown.text
    assert _failures(db, OWNER) == 0
    entries = [e for e in _audit(db, "login.limits_cleared") if e.object_id == str(owner.id)]
    assert len(entries) == 1
    assert entries[0].actor == PHO_HIEN_ADMIN and entries[0].details["failures_cleared"] == 5
    # The stranger's address may try again at once.
    assert _token(stranger, OWNER, DEMO_PASSWORD).status_code == 200


def test_system_admin_sees_an_unrestricted_account(client: TestClient, db: Session) -> None:
    owner = db.scalar(select(User).where(User.email == OWNER))
    assert owner is not None
    log_in(client, ADMIN)
    page = client.get(f"/quan-tri/nguoi-dung/{owner.id}")
    assert "Đăng nhập của tài khoản này không bị hạn chế." in page.text
    assert "go-han-che" not in page.text  # nothing to lift
