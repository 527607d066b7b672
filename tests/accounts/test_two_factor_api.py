"""Two-factor login in the JSON API (SPEC §15): enrol, confirm, the token endpoint's ``otp``
(each code once, recovery codes once), the agency requirement and an admin's reset."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import twofactor
from app.accounts.models import RecoveryCode, TwoFactor, User
from app.agencies.models import Agency
from app.audit.models import AuditEntry
from app.demo.agencies import CENTER_CODE
from app.errors import TooManyRequests
from tests.accounts.twofactor_helpers import step_codes, wrong_code
from tests.conftest import DEMO_PASSWORD, api_token

STAFF = "tiepnhan.tinh@motcua.local"  # reception, at the centre
PROVINCE_ADMIN = "quantri.tinh@motcua.local"  # agency admin of the province (the centre's parent)
OTHER_ADMIN = "quantri.phohien@motcua.local"  # agency admin of a commune elsewhere


def _login(client: TestClient, email: str = STAFF, otp: str | None = None):  # type: ignore[no-untyped-def]
    data = {"username": email, "password": DEMO_PASSWORD}
    if otp is not None:
        data["otp"] = otp
    return client.post("/api/v1/auth/token", data=data)


def _enrol(client: TestClient, headers: dict[str, str]) -> str:
    started = client.post("/api/v1/auth/totp/enrol", headers=headers)
    assert started.status_code == 200, started.text
    return str(started.json()["secret"])


def _turn_on(client: TestClient, email: str = STAFF) -> tuple[str, list[str]]:
    """Enrol and confirm with the previous step's code; the secret and the recovery codes."""
    headers = api_token(client, email)
    secret = _enrol(client, headers)
    previous, _current, _next = step_codes(secret)
    confirmed = client.post("/api/v1/auth/totp/confirm", json={"otp": previous}, headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


def _user(db: Session, email: str = STAFF) -> User:
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def _actions(db: Session, action: str, object_id: int | str) -> list[AuditEntry]:
    return list(
        db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.object_id == str(object_id)
            )
        )
    )


def test_enrol_confirm_then_every_token_needs_a_fresh_code(client: TestClient, db: Session) -> None:
    headers = api_token(client, STAFF)
    started = client.post("/api/v1/auth/totp/enrol", headers=headers)
    assert started.status_code == 200
    secret = started.json()["secret"]
    uri = started.json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/")
    assert "issuer=M%E1%BB%99t%20c%E1%BB%ADa" in uri and "tiepnhan.tinh%40motcua.local" in uri
    assert f"secret={secret}" in uri
    # Enrolling alone changes nothing at login, and a wrong code does not turn it on.
    assert _login(client).status_code == 200
    previous, current, following = step_codes(secret)
    bad = client.post(
        "/api/v1/auth/totp/confirm",
        json={"otp": wrong_code(previous, current, following)},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_input"
    assert "Mã xác thực không đúng" in bad.json()["detail"]
    assert client.get("/api/v1/auth/totp", headers=headers).json()["enabled"] is False

    confirmed = client.post("/api/v1/auth/totp/confirm", json={"otp": previous}, headers=headers)
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    status = client.get("/api/v1/auth/totp", headers=headers).json()
    assert status == {"enabled": True, "required": False, "recovery_codes_left": 10}

    missing = _login(client)
    assert missing.status_code == 401
    assert missing.json()["error"] == "otp_required"
    assert "mã 6 chữ số" in missing.json()["detail"]

    assert _login(client, otp=current).status_code == 200
    again = _login(client, otp=current)
    assert again.status_code == 401 and again.json()["error"] == "otp_used"
    assert "đã được dùng" in again.json()["detail"]
    # An earlier step than the last one accepted is refused too (the confirmation's).
    assert _login(client, otp=previous).json()["error"] == "otp_used"
    wrong = _login(client, otp=wrong_code(previous, current, following))
    assert wrong.status_code == 401 and wrong.json()["error"] == "otp_invalid"
    # the secret and the recovery codes are not stored in clear
    user = _user(db)
    row = db.get(TwoFactor, user.id)
    assert row is not None and row.enabled and secret not in row.secret_encrypted
    stored = db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id))
    assert not {c.replace("-", "") for c in codes} & set(stored)
    assert _actions(db, "user.two_factor_enabled", user.id)
    failed = _actions(db, "login.otp_failed", user.id)
    assert [e.details["reason"] for e in failed] == ["reused", "reused", "wrong"]


def test_the_confirming_code_does_not_log_in_again(client: TestClient) -> None:
    headers = api_token(client, STAFF)
    secret = _enrol(client, headers)
    _previous, current, _next = step_codes(secret)
    assert (
        client.post("/api/v1/auth/totp/confirm", json={"otp": current}, headers=headers).status_code
        == 200
    )
    assert _login(client, otp=current).json()["error"] == "otp_used"


def test_a_recovery_code_logs_in_once(client: TestClient, db: Session) -> None:
    _secret, codes = _turn_on(client)
    first = _login(client, otp=codes[3])
    assert first.status_code == 200, first.text
    # typed without the dash and in capitals: the same code, already spent
    spent = _login(client, otp=codes[3].replace("-", "").upper())
    assert spent.status_code == 401 and spent.json()["error"] == "otp_invalid"
    assert _login(client, otp=codes[4]).status_code == 200
    headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert client.get("/api/v1/auth/totp", headers=headers).json()["recovery_codes_left"] == 8
    assert len(_actions(db, "user.two_factor_recovery_used", _user(db).id)) == 2


def test_wrong_codes_count_as_failed_logins(client: TestClient, db: Session) -> None:
    secret, _codes = _turn_on(client)
    for _ in range(5):
        assert _login(client, otp=wrong_code(*step_codes(secret))).status_code == 401
    locked = _login(client, otp=step_codes(secret)[1])
    assert locked.status_code == 429 and locked.json()["error"] == "too_many_requests"


def test_turning_off_needs_the_password_or_a_code(client: TestClient, db: Session) -> None:
    secret, _codes = _turn_on(client)
    token = _login(client, otp=step_codes(secret)[1]).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    empty = client.post("/api/v1/auth/totp/disable", json={}, headers=headers)
    assert empty.status_code == 422 and "mật khẩu" in empty.json()["detail"]
    wrong = client.post(
        "/api/v1/auth/totp/disable", json={"password": "sai-mat-khau"}, headers=headers
    )
    assert wrong.status_code == 422 and wrong.json()["detail"] == "Mật khẩu không đúng."
    assert client.get("/api/v1/auth/totp", headers=headers).json()["enabled"] is True
    off = client.post(
        "/api/v1/auth/totp/disable", json={"password": DEMO_PASSWORD}, headers=headers
    )
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert db.get(TwoFactor, _user(db).id) is None
    assert _login(client).status_code == 200
    assert _actions(db, "user.two_factor_disabled", _user(db).id)


def test_agency_requirement_forces_enrolment(client: TestClient, db: Session) -> None:
    staff_token = api_token(client, STAFF)
    other = api_token(client, OTHER_ADMIN)
    refused = client.put(
        f"/api/v1/admin/agencies/{CENTER_CODE}/two-factor", json={"required": True}, headers=other
    )
    assert refused.status_code == 403
    assert db.scalar(select(Agency.require_two_factor).where(Agency.code == CENTER_CODE)) is False
    assert client.get("/api/v1/auth/me", headers=staff_token).status_code == 200

    admin = api_token(client, PROVINCE_ADMIN)
    done = client.put(
        f"/api/v1/admin/agencies/{CENTER_CODE}/two-factor", json={"required": True}, headers=admin
    )
    assert done.status_code == 200 and done.json() == {
        "code": CENTER_CODE,
        "require_two_factor": True,
    }
    # the staff member without two-factor login was logged out, and cannot log in without it
    assert client.get("/api/v1/auth/me", headers=staff_token).status_code == 401
    forced = _login(client)
    assert forced.status_code == 403 and forced.json()["error"] == "otp_enrolment_required"
    assert "bật xác thực hai bước" in forced.json()["detail"]
    # the admin himself is staff of the province, not of the centre: unaffected
    assert _login(client, PROVINCE_ADMIN).status_code == 200
    entry = _actions(db, "agency.two_factor_required", CENTER_CODE)
    assert len(entry) == 1 and entry[0].actor == PROVINCE_ADMIN


def test_required_two_factor_cannot_be_turned_off(client: TestClient, db: Session) -> None:
    secret, _codes = _turn_on(client)
    admin = api_token(client, PROVINCE_ADMIN)
    client.put(
        f"/api/v1/admin/agencies/{CENTER_CODE}/two-factor", json={"required": True}, headers=admin
    )
    token = _login(client, otp=step_codes(secret)[1]).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/totp", headers=headers).json()["required"] is True
    off = client.post(
        "/api/v1/auth/totp/disable", json={"password": DEMO_PASSWORD}, headers=headers
    )
    assert off.status_code == 403 and "không thể tắt" in off.json()["detail"]
    assert db.get(TwoFactor, _user(db).id) is not None


def test_admin_reset_of_a_lost_phone(client: TestClient, db: Session) -> None:
    secret, _codes = _turn_on(client)
    staff_id = _user(db).id
    access = _login(client, otp=step_codes(secret)[1]).json()["access_token"]
    staff_token = {"Authorization": f"Bearer {access}"}

    other = api_token(client, OTHER_ADMIN)
    refused = client.post(f"/api/v1/admin/users/{staff_id}/totp/reset", headers=other)
    assert refused.status_code == 403
    assert db.get(TwoFactor, staff_id) is not None
    assert not _actions(db, "user.two_factor_reset", staff_id)
    citizen = api_token(client, "congdan@motcua.local")
    assert (
        client.post(f"/api/v1/admin/users/{staff_id}/totp/reset", headers=citizen).status_code
        == 403
    )

    admin = api_token(client, PROVINCE_ADMIN)
    done = client.post(f"/api/v1/admin/users/{staff_id}/totp/reset", headers=admin)
    assert done.status_code == 200 and done.json() == {"user_id": staff_id, "enabled": False}
    entry = _actions(db, "user.two_factor_reset", staff_id)
    assert len(entry) == 1 and entry[0].actor == PROVINCE_ADMIN
    assert client.get("/api/v1/auth/me", headers=staff_token).status_code == 401  # sessions ended
    assert _login(client).status_code == 200  # the password alone again
    again = client.post(f"/api/v1/admin/users/{staff_id}/totp/reset", headers=admin)
    assert again.status_code == 409


def test_enrolling_twice_while_on_is_refused(client: TestClient) -> None:
    secret, _codes = _turn_on(client)
    token = _login(client, otp=step_codes(secret)[1]).json()["access_token"]
    again = client.post("/api/v1/auth/totp/enrol", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    assert client.post("/api/v1/auth/totp/enrol").status_code == 401


def test_an_agency_admin_requires_it_of_their_own_agency(client: TestClient, db: Session) -> None:
    admin = api_token(client, OTHER_ADMIN)
    colleague = api_token(client, "thuphi.phohien@motcua.local")
    done = client.put(
        "/api/v1/admin/agencies/000.00.51.H31/two-factor", json={"required": True}, headers=admin
    )
    assert done.status_code == 200
    # the colleague is logged out; the admin keeps working, and enrols at the next login
    assert client.get("/api/v1/auth/me", headers=colleague).status_code == 401
    assert client.get("/api/v1/auth/totp", headers=admin).json()["required"] is True
    assert _login(client, OTHER_ADMIN).json()["error"] == "otp_enrolment_required"
    off = client.put(
        "/api/v1/admin/agencies/000.00.51.H31/two-factor", json={"required": False}, headers=admin
    )
    assert off.status_code == 200 and off.json()["require_two_factor"] is False
    assert _login(client, "thuphi.phohien@motcua.local").status_code == 200
    assert len(_actions(db, "agency.two_factor_optional", "000.00.51.H31")) == 1


def test_five_wrong_codes_refuse_even_the_right_one(client: TestClient, db: Session) -> None:
    """The limit of the codes themselves, whatever the password throttling does."""
    secret, _codes = _turn_on(client)
    user = _user(db)
    confirmed_step = db.get(TwoFactor, user.id).last_step  # type: ignore[union-attr]
    for _ in range(5):
        with pytest.raises(twofactor.OtpInvalid):
            twofactor.verify(db, user, wrong_code(*step_codes(secret)), "203.0.113.9")
    with pytest.raises(TooManyRequests) as refused:
        twofactor.verify(db, user, step_codes(secret)[1], "203.0.113.9")
    assert refused.value.detail == twofactor.TOO_MANY_CODES
    db.expire_all()
    assert db.get(TwoFactor, user.id).last_step == confirmed_step  # type: ignore[union-attr]


def test_a_token_refused_for_its_code_is_not_a_login_in_the_audit(
    client: TestClient, db: Session
) -> None:
    secret, _codes = _turn_on(client)
    user = _user(db)
    accepted = len(_actions(db, "login.password_accepted", user.id))
    succeeded = len(_actions(db, "login.succeeded", user.id))

    assert _login(client).json()["error"] == "otp_required"
    db.expire_all()
    assert len(_actions(db, "login.password_accepted", user.id)) == accepted + 1
    assert len(_actions(db, "login.succeeded", user.id)) == succeeded

    _previous, current, _next = step_codes(secret)
    assert _login(client, otp=current).status_code == 200
    db.expire_all()
    assert len(_actions(db, "login.succeeded", user.id)) == succeeded + 1
