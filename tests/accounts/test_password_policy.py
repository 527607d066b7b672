"""The password policy (findings m20) and the demo e-mail domain (m19): common, short and
personal passwords are refused with the reason in Vietnamese, for citizens (register) and for
staff created or reset by an admin or by ``portal user create``; ``…@motcua.local`` addresses
are accepted."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.accounts import passwords
from app.accounts import service as account_service
from app.accounts.models import User
from app.accounts.schemas import valid_email
from app.cli import cli
from app.errors import InvalidInput
from tests.conftest import DEMO_PASSWORD, api_token, csrf_from

ADMIN = "admin@motcua.local"
PHO_HIEN = "000.00.51.H31"
NEW = {
    "email": "le.van.nam@example.vn",
    "password": "Cay-tre-lang-01",
    "full_name": "Lê Văn Nam",
    "phone": "0912345670",
    "id_number": "034095009876",
}


def _users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", passwords.COMMON),
        ("12345678", passwords.COMMON),
        ("iloveyou", passwords.COMMON),
        ("Password1", passwords.COMMON),
        ("anhyeuem123", passwords.COMMON),
        ("qwertyuiop", passwords.COMMON),
        ("aaaaaaaaaa", passwords.PATTERN),
        ("abcdefgh12", passwords.PATTERN),
        ("matkhau123", passwords.PERSONAL),
        ("lenam1990", passwords.PERSONAL),
        ("0912345670", passwords.PERSONAL),
        ("12/05/1990", passwords.DATE),
        ("05121990", passwords.DATE),
        ("short", passwords.TOO_SHORT),
        ("x" * 129, passwords.TOO_LONG),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, reason: str) -> None:
    personal = ("nam@example.vn", "Lê Văn Nam", "0912345670", None)
    assert passwords.weakness(password, personal) == reason


@pytest.mark.parametrize(
    "password",
    [DEMO_PASSWORD, "Cay-tre-lang-01", "mat-khau-moi-1", "ngua-van-chay-tren-doi", "Mk!8xq2z"],
)
def test_ordinary_strong_passwords_pass(password: str) -> None:
    assert passwords.weakness(password, ("nam@example.vn", "Lê Văn Nam", "0912345670")) is None


def test_check_names_the_field_and_the_reason() -> None:
    with pytest.raises(InvalidInput) as caught:
        passwords.check("12345678", field="new_password")
    assert caught.value.fields == {"new_password": "common password"}
    assert "phổ biến" in caught.value.detail


def test_register_refuses_a_common_password(client: TestClient, db: Session) -> None:
    before = _users(db)
    for weak in ("12345678", "password", "lenam123"):
        response = client.post("/api/v1/auth/register", json={**NEW, "password": weak})
        assert response.status_code == 422, (weak, response.text)
        body = response.json()
        assert body["error"] == "invalid_input" and "password" in body["fields"], body
        assert "Mật khẩu" in body["detail"]
    english = client.post(
        "/api/v1/auth/register",
        json={**NEW, "password": "12345678"},
        headers={"Accept-Language": "en"},
    )
    assert "common leaked passwords" in english.json()["detail"]
    assert _users(db) == before


def test_register_page_says_why_next_to_the_field(client: TestClient, db: Session) -> None:
    before = _users(db)
    token = csrf_from(client.get("/dang-ky").text)
    form = {**NEW, "password": "12345678", "password_confirm": "12345678", "csrf_token": token}
    response = client.post("/dang-ky", data=form)
    assert response.status_code == 422
    assert 'id="f-password-error"' in response.text
    assert "danh sách mật khẩu phổ biến" in response.text
    assert 'value="12345678"' not in response.text  # passwords are never echoed back
    assert _users(db) == before


def test_admin_cannot_create_or_reset_staff_with_a_weak_password(
    client: TestClient, db: Session
) -> None:
    h = api_token(client, ADMIN)
    body = {
        "email": "yen.canbo@example.vn",
        "full_name": "Phạm Thị Yến",
        "password": "password",
        "agency_code": PHO_HIEN,
        "roles": ["reception"],
    }
    before = _users(db)
    refused = client.post("/api/v1/admin/users", headers=h, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["fields"] == {"password": "common password"}
    assert _users(db) == before

    made = client.post(
        "/api/v1/admin/users", headers=h, json={**body, "password": "Song-Hong-chay-2"}
    )
    assert made.status_code == 201, made.text
    user_id = made.json()["user"]["id"]
    user = db.get(User, user_id)
    assert user is not None
    old_hash = user.password_hash
    for weak in ("12345678", "phamthiyen", "yen.canbo1"):
        reset = client.post(
            f"/api/v1/admin/users/{user_id}/reset-password", headers=h, json={"password": weak}
        )
        assert reset.status_code == 422, (weak, reset.text)
        assert "password" in reset.json()["fields"]
    db.refresh(user)
    assert user.password_hash == old_hash


def test_admin_page_shows_the_policy_error_on_the_password_field(
    client: TestClient, db: Session
) -> None:
    page = client.get("/dang-nhap")
    client.post(
        "/dang-nhap",
        data={"email": ADMIN, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    form = client.get("/quan-tri/nguoi-dung/them")
    response = client.post(
        "/quan-tri/nguoi-dung/them",
        data={
            "csrf_token": csrf_from(form.text),
            "email": "tuan.canbo@example.vn",
            "full_name": "Vũ Văn Tuấn",
            "agency_code": PHO_HIEN,
            "roles": "reception",
            "password": "12345678",
        },
    )
    assert response.status_code == 422
    assert 'id="f-password-error"' in response.text and "phổ biến" in response.text
    assert db.scalar(select(User).where(User.email == "tuan.canbo@example.vn")) is None


def test_portal_user_create_refuses_a_weak_password(db: Session) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "user",
            "create",
            "--email",
            "cli.weak@example.vn",
            "--password",
            "password",
            "--name",
            "Người Dùng Yếu",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "phổ biến" in result.output
    with pytest.raises(InvalidInput):
        account_service.create_user(
            db, email="cli.weak@example.vn", password="12345678", full_name="Người Dùng"
        )


# --- m19: the demo domain ---------------------------------------------------------------------


def test_demo_domain_addresses_are_valid_and_special_use_ones_are_not() -> None:
    assert valid_email("Lan.Anh@MotCua.Local") == "Lan.Anh@motcua.local"
    assert valid_email(" hoa@Example.VN ") == "hoa@example.vn"
    for bad in ("not-an-email", "a@b", "x@motcua.localhost", "x@printer.local", "@motcua.local"):
        with pytest.raises(ValueError):
            valid_email(bad)


def test_citizens_register_with_a_demo_domain_address(client: TestClient, db: Session) -> None:
    response = client.post("/api/v1/auth/register", json={**NEW, "email": "nam.demo@motcua.local"})
    assert response.status_code == 201, response.text
    assert response.json()["email"] == "nam.demo@motcua.local"
    token = csrf_from(client.get("/dang-ky").text)
    page = client.post(
        "/dang-ky",
        data={
            **NEW,
            "email": "hoa.demo@motcua.local",
            "id_number": "",
            "password_confirm": NEW["password"],
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text
    assert db.scalar(select(User).where(User.email == "hoa.demo@motcua.local")) is not None


def test_admins_create_staff_with_a_demo_domain_address(client: TestClient, db: Session) -> None:
    made = client.post(
        "/api/v1/admin/users",
        headers=api_token(client, ADMIN),
        json={
            "email": "tiepnhan.moi@motcua.local",
            "full_name": "Cán Bộ Mới",
            "agency_code": PHO_HIEN,
            "roles": ["reception"],
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["user"]["email"] == "tiepnhan.moi@motcua.local"
    result = CliRunner().invoke(
        cli,
        [
            "user",
            "create",
            "--email",
            "cli.bad@",
            "--password",
            "Song-Hong-chay-2",
            "--name",
            "Sai Email",
        ],
    )
    assert result.exit_code == 2 and "Email không hợp lệ" in result.output
