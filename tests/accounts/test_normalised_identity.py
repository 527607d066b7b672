"""Issue 17, findings M4 and L4 (security probe): a citizen ID or phone number has one
spelling (ASCII digits), so one CCCD makes one account; a name is NFC text without invisible
or bidi characters and holds at least two letters."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from tests.accounts.test_self_service import CITIZEN, OTHER, _log_in, _user
from tests.admin.helpers import ADMIN, JUSTICE
from tests.conftest import api_token, csrf_from

CCCD = "034190000123"
NEW: dict[str, Any] = {
    "email": "dinh.danh@example.vn",
    "password": "mat-khau-dai-7",
    "full_name": "Phạm Thị Hoa",
    "phone": "0912345670",
    "id_number": CCCD,
}
SPELLINGS = {
    "fullwidth": "０３４１９００００１２３",
    "arabic-indic": "٠٣٤١٩٠٠٠٠١٢٣",
    "mathematical bold": "𝟎𝟑𝟒𝟏𝟗𝟎𝟎𝟎𝟎𝟏𝟐𝟑",
}


def _users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


@pytest.mark.parametrize("script", list(SPELLINGS))
def test_one_cccd_in_other_digits_is_the_same_cccd(
    client: TestClient, db: Session, script: str
) -> None:
    """M4: a CCCD registered once cannot be registered again in other scripts' digits."""
    assert client.post("/api/v1/auth/register", json=NEW).status_code == 201
    before = _users(db)
    again = client.post(
        "/api/v1/auth/register",
        json={**NEW, "email": "khac@example.vn", "id_number": SPELLINGS[script]},
    )
    assert again.status_code == 409, again.text
    assert again.json()["detail"] == "Số định danh cá nhân này đã được đăng ký."
    assert again.json()["fields"] == {"id_number": "already registered"}
    assert _users(db) == before


def test_digits_of_other_scripts_are_stored_as_ascii(client: TestClient, db: Session) -> None:
    """M4: a new account typed in fullwidth digits is stored in ASCII digits."""
    made = client.post(
        "/api/v1/auth/register",
        json={**NEW, "id_number": SPELLINGS["fullwidth"], "phone": "0９１２ ３４５ ６７０"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["id_number"] == CCCD and made.json()["phone"] == "0912345670"
    stored = db.scalars(select(User).where(User.email == NEW["email"])).one()
    assert (stored.id_number, stored.phone) == (CCCD, "0912345670")


@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\u202e\u200b", "A\u200b", "  1 2 "])
def test_a_name_without_two_letters_is_refused(client: TestClient, db: Session, name: str) -> None:
    """L4: a name of zero-width spaces (or of one letter) is no name."""
    before = _users(db)
    refused = client.post("/api/v1/auth/register", json={**NEW, "full_name": name})
    assert refused.status_code == 422, refused.text
    assert "full_name" in refused.json()["fields"]
    assert "two letters" in refused.json()["fields"]["full_name"]
    assert _users(db) == before


def test_names_are_stored_nfc_without_bidi_or_invisible_characters(
    client: TestClient, db: Session
) -> None:
    """L4: "\\u202eAdmin\\u202c \\u200b\\u200b" is stored as "Admin"; an NFD name as NFC."""
    made = client.post(
        "/api/v1/auth/register", json={**NEW, "full_name": "\u202eAdmin\u202c \u200b\u200b"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["full_name"] == "Admin"
    nfd = client.post(
        "/api/v1/auth/register",
        json={
            **NEW,
            "email": "nfd@example.vn",
            "id_number": None,
            "full_name": "Nguye\u0302\u0303n Va\u0306n A",
        },
    )
    assert nfd.status_code == 201, nfd.text
    stored = db.scalars(select(User).where(User.email == "nfd@example.vn")).one()
    assert stored.full_name == "Nguyễn Văn A" and len(stored.full_name) == 12


def test_registration_page_refuses_an_invisible_name(client: TestClient, db: Session) -> None:
    before = _users(db)
    page = client.get("/dang-ky")
    data = {
        **{k: v for k, v in NEW.items() if k != "password"},
        "full_name": "\u200b\u200b\u200b",
        "password": NEW["password"],
        "password_confirm": NEW["password"],
        "csrf_token": csrf_from(page.text),
    }
    response = client.post("/dang-ky", data=data)
    assert response.status_code == 422, response.text[:500]
    assert 'id="f-full_name-error"' in response.text
    assert "Vui lòng nhập họ và tên (ít nhất hai chữ cái)." in response.text
    assert _users(db) == before


def test_profile_takes_other_digits_as_the_same_cccd(client: TestClient, db: Session) -> None:
    """M4: PATCH /api/v1/auth/me and the profile page compare the normalised CCCD."""
    _user(db, OTHER).id_number = CCCD
    db.flush()
    h = api_token(client, CITIZEN)
    conflict = client.patch(
        "/api/v1/auth/me", headers=h, json={"id_number": SPELLINGS["arabic-indic"]}
    )
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["fields"] == {"id_number": "already registered"}
    db.refresh(_user(db))
    assert _user(db).id_number != CCCD

    saved = client.patch(
        "/api/v1/auth/me",
        headers=h,
        json={"id_number": "０３４１９００００９９９", "phone": "𝟎𝟗𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖"},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["id_number"] == "034190000999" and saved.json()["phone"] == "0912345678"

    assert _log_in(client).status_code == 303
    page = client.get("/tai-khoan/thong-tin")
    taken = client.post(
        "/tai-khoan/thong-tin",
        data={
            "csrf_token": csrf_from(page.text),
            "phone": "0912345678",
            "id_number": SPELLINGS["mathematical bold"],
            "address": "\u202eThôn Đông\u202c",
        },
    )
    assert taken.status_code == 422, taken.text[:300]
    assert 'id="f-id_number-error"' in taken.text
    assert "Số định danh cá nhân này đã được đăng ký." in taken.text
    db.refresh(_user(db))
    assert _user(db).id_number == "034190000999"


def test_admin_user_names_are_cleaned_and_need_two_letters(client: TestClient, db: Session) -> None:
    """L4: the administration of staff accounts cleans names the same way."""
    h = api_token(client, ADMIN)
    body = {
        "email": "canbo.moi@example.vn",
        "full_name": "\u200b\u200b\u200b",
        "password": "mat-khau-123",
        "agency_code": JUSTICE,
        "roles": ["specialist"],
        "phone": "０９１２３４５６７８",
    }
    before = _users(db)
    refused = client.post("/api/v1/admin/users", headers=h, json=body)
    assert refused.status_code == 422, refused.text
    assert "full_name" in refused.json()["fields"]
    assert _users(db) == before
    made = client.post(
        "/api/v1/admin/users", headers=h, json={**body, "full_name": "\u202eTrần\u202c  Bình"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["user"]["full_name"] == "Trần Bình"
    assert made.json()["user"]["phone"] == "0912345678"
    user_id = made.json()["user"]["id"]
    edit = client.patch(f"/api/v1/admin/users/{user_id}", headers=h, json={"full_name": "\u200bX"})
    assert edit.status_code == 422
    assert db.get(User, user_id).full_name == "Trần Bình"  # type: ignore[union-attr]
