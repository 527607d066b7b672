"""Register, log in and log out in the HTML pages (CSRF, session renewal, redirects)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, User
from tests.conftest import csrf_from

FORM = {
    "full_name": "Đỗ Thị Hoa",
    "email": "hoa@example.vn",
    "phone": "0901234567",
    "id_number": "",
    "password": "mat-khau-123",
    "password_confirm": "mat-khau-123",
}


def _token(client: TestClient, path: str = "/dang-ky") -> str:
    return csrf_from(client.get(path).text)


def test_register_page_creates_account_and_logs_in(client: TestClient, db: Session) -> None:
    response = client.post(
        "/dang-ky", data={**FORM, "csrf_token": _token(client)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/tai-khoan")
    cookie = response.headers["set-cookie"]
    assert "portal_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Đỗ Thị Hoa" in page.text
    assert "Đăng ký tài khoản thành công" in page.text


def test_register_errors_keep_typed_values_and_name_fields(client: TestClient, db: Session) -> None:
    before = db.scalar(select(func.count()).select_from(User))
    bad = {**FORM, "phone": "123", "id_number": "12", "password_confirm": "khac"}
    response = client.post("/dang-ky", data={**bad, "csrf_token": _token(client)})
    assert response.status_code == 422
    html = response.text
    assert 'value="Đỗ Thị Hoa"' in html and 'value="hoa@example.vn"' in html
    assert 'id="f-phone-error"' in html and "Số điện thoại không hợp lệ" in html
    assert 'id="f-id_number-error"' in html and "12 chữ số" in html
    assert "Mật khẩu nhập lại không khớp" in html
    assert 'aria-invalid="true"' in html
    assert "mat-khau-123" not in html  # passwords are never echoed back
    assert db.scalar(select(func.count()).select_from(User)) == before


def test_form_without_csrf_token_is_refused(client: TestClient, db: Session) -> None:
    client.get("/dang-ky")
    response = client.post("/dang-ky", data=FORM)
    assert response.status_code == 403
    assert "Phiên biểu mẫu đã hết hạn" in response.text
    assert db.scalar(select(User).where(User.email == "hoa@example.vn")) is None


def test_login_renews_session_and_logout_ends_it(client: TestClient, db: Session) -> None:
    first = client.post(
        "/dang-nhap",
        data={
            "email": "congdan@motcua.local",
            "password": "MotCua@2026",
            "csrf_token": _token(client, "/dang-nhap"),
        },
        follow_redirects=False,
    )
    assert first.status_code == 303 and first.headers["location"] == "/tai-khoan"
    old = client.cookies.get("portal_session")
    second = client.post(
        "/dang-nhap",
        data={
            "email": "congdan@motcua.local",
            "password": "MotCua@2026",
            "csrf_token": _token(client, "/dang-nhap"),
        },
        follow_redirects=False,
    )
    assert second.status_code == 303
    new = client.cookies.get("portal_session")
    assert new and new != old
    # The previous session was dropped at the new login.
    user = db.scalar(select(User).where(User.email == "congdan@motcua.local"))
    assert (
        db.scalar(
            select(func.count()).where(AuthSession.user_id == user.id, AuthSession.kind == "web")
        )
        == 1
    )
    out = client.post(
        "/dang-xuat", data={"csrf_token": _token(client, "/tai-khoan")}, follow_redirects=False
    )
    assert out.status_code == 303
    client.cookies.set("portal_session", new)
    assert client.get("/tai-khoan", follow_redirects=False).status_code == 303


def test_login_failure_message_and_next_redirect(client: TestClient) -> None:
    bad = client.post(
        "/dang-nhap",
        data={
            "email": "congdan@motcua.local",
            "password": "sai",
            "csrf_token": _token(client, "/dang-nhap"),
        },
    )
    assert bad.status_code == 401
    assert "Email hoặc mật khẩu không đúng." in bad.text
    assert 'value="congdan@motcua.local"' in bad.text
    ok = client.post(
        "/dang-nhap",
        data={
            "email": "tiepnhan.tinh@motcua.local",
            "password": "MotCua@2026",
            "next": "//evil.example/x",
            "csrf_token": _token(client, "/dang-nhap"),
        },
        follow_redirects=False,
    )
    assert ok.headers["location"] == "/can-bo"


def test_protected_pages_redirect_to_login_and_check_roles(client: TestClient) -> None:
    response = client.get("/can-bo", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dang-nhap?next=/can-bo"
    client.post(
        "/dang-nhap",
        data={
            "email": "congdan@motcua.local",
            "password": "MotCua@2026",
            "csrf_token": _token(client, "/dang-nhap"),
        },
    )
    assert client.get("/can-bo").status_code == 403
    assert client.get("/quan-tri").status_code == 403


def test_staff_and_admin_land_on_their_homes(client: TestClient) -> None:
    for email, home, text in (
        ("tiepnhan.phohien@motcua.local", "/can-bo", "Ủy ban nhân dân phường Phố Hiến"),
        ("admin@motcua.local", "/quan-tri", "Sở Tư pháp tỉnh Hưng Yên"),
    ):
        client.cookies.clear()
        response = client.post(
            "/dang-nhap",
            data={
                "email": email,
                "password": "MotCua@2026",
                "csrf_token": _token(client, "/dang-nhap"),
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == home
        assert text in client.get(home).text


def test_agency_admin_sees_only_its_subtree(client: TestClient) -> None:
    client.post(
        "/dang-nhap",
        data={
            "email": "quantri.phohien@motcua.local",
            "password": "MotCua@2026",
            "csrf_token": _token(client, "/dang-nhap"),
        },
    )
    page = client.get("/quan-tri").text
    assert "Ủy ban nhân dân phường Phố Hiến" in page
    assert "Sở Tư pháp" not in page


def test_error_pages_for_logged_in_users_render(client: TestClient) -> None:
    """Error pages are rendered after the rollback; they still show who is logged in."""
    client.post(
        "/dang-nhap",
        data={
            "email": "congdan@motcua.local",
            "password": "MotCua@2026",
            "csrf_token": _token(client, "/dang-nhap"),
        },
    )
    forbidden = client.get("/can-bo")
    assert forbidden.status_code == 403
    assert "Không có quyền truy cập" in forbidden.text
    missing = client.get("/thu-tuc/0.000000")
    assert missing.status_code == 404 and "Không tìm thấy" in missing.text
