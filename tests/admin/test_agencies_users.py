"""Agencies and staff accounts through the /quan-tri pages and the admin API, within scope:
a system admin everywhere, an agency admin only in their agency subtree."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, User
from app.agencies.models import Agency
from app.audit.models import AuditEntry
from tests.admin.helpers import (
    ADMIN,
    JUSTICE,
    PHO_HIEN,
    PHO_HIEN_ADMIN,
    PROVINCE,
    log_in,
    post_form,
)
from tests.conftest import api_token

NEW_AGENCY = {
    "parent_code": PHO_HIEN,
    "code": "001.00.51.H31",
    "name": "Tổ một cửa thôn Hồng Châu",
    "short_name": "Tổ Hồng Châu",
    "level": "commune",
    "tax_code": "0900100999",
    "address": "Thôn Hồng Châu, phường Phố Hiến",
    "phone": "0221 3999 111",
    "email": "hongchau@example.vn",
}


def _actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_agency_admin_creates_edits_and_deactivates_an_agency_in_their_subtree(
    client: TestClient, db: Session
) -> None:
    log_in(client, PHO_HIEN_ADMIN)
    created = post_form(client, "/quan-tri/co-quan/them", NEW_AGENCY, page="/quan-tri/co-quan/them")
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/quan-tri/co-quan/001.00.51.H31?msg=agency_created"
    agency = db.scalar(select(Agency).where(Agency.code == "001.00.51.H31"))
    assert agency is not None and agency.parent is not None
    assert agency.parent.code == PHO_HIEN and agency.email == "hongchau@example.vn"

    page = client.get("/quan-tri/co-quan")
    assert page.status_code == 200
    assert "Tổ một cửa thôn Hồng Châu" in page.text
    assert "Sở Tư pháp" not in page.text  # outside the subtree: not listed

    edited = post_form(
        client,
        "/quan-tri/co-quan/001.00.51.H31",
        {**NEW_AGENCY, "name": "Tổ một cửa Hồng Châu", "phone": "0221 3999 222"},
    )
    assert edited.status_code == 303
    db.refresh(agency)
    assert agency.name == "Tổ một cửa Hồng Châu" and agency.phone == "0221 3999 222"

    stopped = post_form(client, "/quan-tri/co-quan/001.00.51.H31/ngung")
    assert stopped.status_code == 303
    db.refresh(agency)
    assert agency.is_active is False
    assert {"agency.create", "agency.update", "agency.deactivate"} <= set(_actions(db))


def test_agency_form_refuses_a_bad_or_taken_code_and_keeps_values(
    client: TestClient, db: Session
) -> None:
    log_in(client, ADMIN)
    before = db.scalar(select(func.count()).select_from(Agency))
    bad = post_form(client, "/quan-tri/co-quan/them", {**NEW_AGENCY, "code": "51.H31"})
    assert bad.status_code == 422
    assert "QCVN 102:2016" in bad.text and 'id="f-code-error"' in bad.text
    assert 'value="Tổ một cửa thôn Hồng Châu"' in bad.text
    taken = post_form(client, "/quan-tri/co-quan/them", {**NEW_AGENCY, "code": JUSTICE})
    assert taken.status_code == 422
    assert "đã được dùng" in taken.text
    assert db.scalar(select(func.count()).select_from(Agency)) == before


def test_agency_admin_cannot_touch_another_agency(client: TestClient, db: Session) -> None:
    log_in(client, PHO_HIEN_ADMIN)
    assert client.get(f"/quan-tri/co-quan/{JUSTICE}").status_code == 403
    assert client.get(f"/quan-tri/co-quan/{PROVINCE}").status_code == 403
    assert client.get(f"/quan-tri/nguoi-dung?agency={JUSTICE}").status_code == 403
    justice_specialist = db.scalar(
        select(User).where(User.email == "chuyenvien.tuphap@motcua.local")
    )
    assert justice_specialist is not None
    assert client.get(f"/quan-tri/nguoi-dung/{justice_specialist.id}").status_code == 403

    agencies = db.scalar(select(func.count()).select_from(Agency))
    users = db.scalar(select(func.count()).select_from(User))
    under_province = post_form(
        client, "/quan-tri/co-quan/them", {**NEW_AGENCY, "parent_code": PROVINCE}
    )
    assert under_province.status_code == 403
    edit_justice = post_form(
        client, f"/quan-tri/co-quan/{JUSTICE}", {**NEW_AGENCY, "name": "Bị đổi tên"}
    )
    assert edit_justice.status_code == 403
    stop_justice = post_form(client, f"/quan-tri/co-quan/{JUSTICE}/ngung")
    assert stop_justice.status_code == 403
    new_user = post_form(
        client,
        "/quan-tri/nguoi-dung/them",
        {
            "email": "lechuyen@example.vn",
            "full_name": "Lê Văn Chuyển",
            "agency_code": JUSTICE,
            "roles": "specialist",
        },
    )
    assert new_user.status_code == 403
    edit_user = post_form(
        client,
        f"/quan-tri/nguoi-dung/{justice_specialist.id}",
        {"full_name": "Bị đổi tên", "agency_code": PHO_HIEN, "roles": "specialist"},
    )
    assert edit_user.status_code == 403
    lock_user = post_form(client, f"/quan-tri/nguoi-dung/{justice_specialist.id}/khoa")
    assert lock_user.status_code == 403
    reset = post_form(client, f"/quan-tri/nguoi-dung/{justice_specialist.id}/mat-khau")
    assert reset.status_code == 403

    # Nothing was written.
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Agency)) == agencies
    assert db.scalar(select(func.count()).select_from(User)) == users
    justice = db.scalar(select(Agency).where(Agency.code == JUSTICE))
    assert justice is not None and justice.name == "Sở Tư pháp tỉnh Hưng Yên" and justice.is_active
    db.refresh(justice_specialist)
    assert justice_specialist.full_name == "Phạm Văn Chuyên" and justice_specialist.is_active
    assert db.scalar(select(User).where(User.email == "lechuyen@example.vn")) is None

    # The same through the API.
    h = api_token(client, PHO_HIEN_ADMIN)
    assert client.get(f"/api/v1/admin/agencies/{JUSTICE}", headers=h).status_code == 403
    api_user = client.post(
        "/api/v1/admin/users",
        headers=h,
        json={
            "email": "lechuyen@example.vn",
            "full_name": "Lê Văn Chuyển",
            "agency_code": JUSTICE,
            "roles": ["specialist"],
        },
    )
    assert api_user.status_code == 403 and api_user.json()["error"] == "forbidden"
    api_agency = client.post(
        "/api/v1/admin/agencies", headers=h, json={**NEW_AGENCY, "parent_code": PROVINCE}
    )
    assert api_agency.status_code == 403
    patch = client.patch(
        f"/api/v1/admin/users/{justice_specialist.id}", headers=h, json={"full_name": "X Y"}
    )
    assert patch.status_code == 403
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Agency)) == agencies
    assert db.scalar(select(func.count()).select_from(User)) == users


def test_citizens_and_other_staff_are_refused(client: TestClient) -> None:
    for email in ("congdan@motcua.local", "tiepnhan.phohien@motcua.local"):
        client.cookies.clear()
        log_in(client, email)
        for path in ("/quan-tri", "/quan-tri/co-quan", "/quan-tri/nguoi-dung", "/quan-tri/thu-tuc"):
            assert client.get(path).status_code == 403, (email, path)
        h = api_token(client, email)
        assert client.get("/api/v1/admin/agencies", headers=h).status_code == 403


def test_anonymous_visitor_is_sent_to_login(client: TestClient) -> None:
    response = client.get("/quan-tri/co-quan", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/dang-nhap?next=")
    assert client.get("/api/v1/admin/agencies").status_code == 401


def test_staff_account_with_generated_password_roles_lock_and_reset(
    client: TestClient, db: Session
) -> None:
    log_in(client, PHO_HIEN_ADMIN)
    created = post_form(
        client,
        "/quan-tri/nguoi-dung/them",
        [
            ("email", "Hoa.TiepNhan@Example.vn"),
            ("full_name", "Đỗ Thị Hoa"),
            ("phone", "0901 234 567"),
            ("agency_code", PHO_HIEN),
            ("roles", "reception"),
            ("roles", "cashier"),
            ("password", ""),
        ],
        page="/quan-tri/nguoi-dung/them",
    )
    assert created.status_code == 200, created.text
    assert "chỉ hiển thị một lần" in created.text
    user = db.scalar(select(User).where(User.email == "hoa.tiepnhan@example.vn"))
    assert user is not None and user.roles == {"reception", "cashier"}
    assert user.agency is not None and user.agency.code == PHO_HIEN and user.phone == "0901234567"
    import re

    match = re.search(r'class="password-once">([^<]+)<', created.text)
    assert match
    password = match.group(1)
    assert api_token(client, "hoa.tiepnhan@example.vn", password)

    listing = client.get("/quan-tri/nguoi-dung", params={"role": "cashier", "q": "hoa"})
    assert listing.status_code == 200 and "Đỗ Thị Hoa" in listing.text
    assert "Phạm Văn Chuyên" not in client.get("/quan-tri/nguoi-dung").text

    roles = post_form(
        client,
        f"/quan-tri/nguoi-dung/{user.id}",
        [
            ("full_name", "Đỗ Thị Hoa"),
            ("phone", ""),
            ("agency_code", PHO_HIEN),
            ("roles", "specialist"),
        ],
    )
    assert roles.status_code == 303
    db.refresh(user)
    assert user.roles == {"specialist"}

    no_role = post_form(
        client,
        f"/quan-tri/nguoi-dung/{user.id}",
        [("full_name", "Đỗ Thị Hoa"), ("agency_code", PHO_HIEN)],
    )
    assert no_role.status_code == 422 and "ít nhất một vai trò" in no_role.text

    locked = post_form(client, f"/quan-tri/nguoi-dung/{user.id}/khoa")
    assert locked.status_code == 303
    db.refresh(user)
    assert user.is_active is False
    assert db.scalar(select(func.count()).where(AuthSession.user_id == user.id)) == 0
    refused = client.post(
        "/api/v1/auth/token", data={"username": "hoa.tiepnhan@example.vn", "password": password}
    )
    assert refused.status_code == 401

    unlocked = post_form(client, f"/quan-tri/nguoi-dung/{user.id}/mo-khoa")
    assert unlocked.status_code == 303
    reset = post_form(
        client, f"/quan-tri/nguoi-dung/{user.id}/mat-khau", {"password": "mat-khau-moi-1"}
    )
    assert reset.status_code == 303
    assert api_token(client, "hoa.tiepnhan@example.vn", "mat-khau-moi-1")
    actions = _actions(db)
    for action in (
        "user.create",
        "user.roles_change",
        "user.deactivate",
        "user.reactivate",
        "user.password_reset",
    ):
        assert action in actions


def test_only_system_admins_create_system_admins(client: TestClient, db: Session) -> None:
    h = api_token(client, PHO_HIEN_ADMIN)
    body = {"email": "root2@example.vn", "full_name": "Quản Trị Hai", "is_admin": True}
    assert client.post("/api/v1/admin/users", headers=h, json=body).status_code == 403
    admin_h = api_token(client, ADMIN)
    made = client.post("/api/v1/admin/users", headers=admin_h, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["user"]["is_admin"] is True and len(made.json()["password"]) >= 12
    # An agency admin cannot see or change a system admin account.
    assert (
        client.get(f"/api/v1/admin/users/{made.json()['user']['id']}", headers=h).status_code == 403
    )


def test_admin_api_agency_and_user_crud(client: TestClient, db: Session) -> None:
    h = api_token(client, ADMIN)
    created = client.post("/api/v1/admin/agencies", headers=h, json=NEW_AGENCY)
    assert created.status_code == 201, created.text
    assert created.json()["parent_code"] == PHO_HIEN and created.json()["is_active"] is True
    bad = client.post("/api/v1/admin/agencies", headers=h, json={**NEW_AGENCY, "code": "H31"})
    assert bad.status_code == 422
    duplicate = client.post("/api/v1/admin/agencies", headers=h, json=NEW_AGENCY)
    assert duplicate.status_code == 409
    patched = client.patch(
        "/api/v1/admin/agencies/001.00.51.H31", headers=h, json={"name": "Tổ Hồng Châu mới"}
    )
    assert patched.status_code == 200 and patched.json()["name"] == "Tổ Hồng Châu mới"
    # A parent with an active child cannot be deactivated.
    blocked = client.patch(
        f"/api/v1/admin/agencies/{PHO_HIEN}", headers=h, json={"is_active": False}
    )
    assert blocked.status_code == 409
    off = client.patch("/api/v1/admin/agencies/001.00.51.H31", headers=h, json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    listed = client.get("/api/v1/admin/agencies", headers=h).json()
    assert listed["total"] == len(listed["items"]) and listed["total"] >= 9

    user = client.post(
        "/api/v1/admin/users",
        headers=h,
        json={
            "email": "binh.lanhdao@example.vn",
            "full_name": "Trần Văn Bình",
            "password": "mat-khau-123",
            "agency_code": JUSTICE,
            "roles": ["leader"],
        },
    )
    assert user.status_code == 201 and user.json()["password"] is None
    user_id = user.json()["user"]["id"]
    changed = client.patch(
        f"/api/v1/admin/users/{user_id}",
        headers=h,
        json={"roles": ["leader", "specialist"], "is_active": False},
    )
    assert changed.status_code == 200
    assert changed.json()["roles"] == ["leader", "specialist"] and not changed.json()["is_active"]
    page = client.get("/api/v1/admin/users", headers=h, params={"agency": JUSTICE, "status": "all"})
    assert any(u["email"] == "binh.lanhdao@example.vn" for u in page.json()["items"])
    reset = client.post(f"/api/v1/admin/users/{user_id}/reset-password", headers=h, json={})
    assert reset.status_code == 200 and len(reset.json()["password"]) >= 12
