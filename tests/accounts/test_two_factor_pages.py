"""Two-factor login in the pages: /tai-khoan/xac-thuc-hai-buoc (QR code, confirm, recovery
codes once, turn off), the second step of /dang-nhap, enrolment forced by the agency, and the
admins' reset and agency setting."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import PendingLogin, TwoFactor, User
from app.agencies.models import Agency
from app.audit.models import AuditEntry
from app.demo.agencies import CENTER_CODE
from tests.accounts.twofactor_helpers import step_codes, wrong_code
from tests.conftest import DEMO_PASSWORD, csrf_from

STAFF = "tiepnhan.tinh@motcua.local"
PROVINCE_ADMIN = "quantri.tinh@motcua.local"
OTHER_ADMIN = "quantri.phohien@motcua.local"
PAGE = "/tai-khoan/xac-thuc-hai-buoc"


def _password(client: TestClient, email: str = STAFF, next_path: str = "") -> Response:
    data = {
        "email": email,
        "password": DEMO_PASSWORD,
        "csrf_token": csrf_from(client.get("/dang-nhap").text),
    }
    if next_path:
        data["next"] = next_path
    return client.post("/dang-nhap", data=data, follow_redirects=False)


def _post(client: TestClient, path: str, page: str, **data: str) -> Response:
    token = csrf_from(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _log_out(client: TestClient) -> None:
    _post(client, "/dang-xuat", "/dang-nhap")
    client.cookies.clear()


def _secret(page_text: str) -> str:
    match = re.search(r'<code class="secret" id="secret">([A-Z2-7]+)</code>', page_text)
    assert match, "the page shows no secret"
    return match.group(1)


def _turn_on_in_pages(client: TestClient) -> tuple[str, list[str]]:
    """Enrol on the account page (already logged in); the secret and the recovery codes."""
    started = _post(client, PAGE + "/bat-dau", PAGE)
    assert started.status_code == 303
    page = client.get(PAGE)
    secret = _secret(page.text)
    confirmed = _post(client, PAGE + "/xac-nhan", PAGE, otp=step_codes(secret)[0])
    assert confirmed.status_code == 200, confirmed.text
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", confirmed.text)
    return secret, codes


def _user(db: Session, email: str = STAFF) -> User:
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def test_account_page_enrols_with_a_qr_code_and_shows_codes_once(
    client: TestClient, db: Session
) -> None:
    assert _password(client).status_code == 303
    assert f'href="{PAGE}"' in client.get("/tai-khoan").text
    first = client.get(PAGE)
    assert first.status_code == 200 and "Bắt đầu bật xác thực hai bước" in first.text
    assert first.headers["cache-control"] == "no-store"
    _post(client, PAGE + "/bat-dau", PAGE)
    page = client.get(PAGE)
    assert '<img src="data:image/svg+xml' in page.text
    secret = _secret(page.text)
    assert "script" not in page.text.split("<main", 1)[-1].split("</main>", 1)[0].lower()

    bad = _post(client, PAGE + "/xac-nhan", PAGE, otp=wrong_code(*step_codes(secret)))
    assert bad.status_code == 422
    assert 'id="f-otp-error"' in bad.text and "Mã xác thực không đúng" in bad.text
    assert 'aria-describedby=" f-otp-error"' in bad.text or "f-otp-error" in bad.text
    assert not db.get(TwoFactor, _user(db).id).enabled  # type: ignore[union-attr]

    confirmed = _post(client, PAGE + "/xac-nhan", PAGE, otp=step_codes(secret)[0])
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", confirmed.text)
    assert len(codes) == 10
    assert "Hãy lưu các mã dưới đây ở nơi an toàn" in confirmed.text
    after = client.get(PAGE)
    assert "Đang bật" in after.text and codes[0] not in after.text and secret not in after.text


def test_web_login_asks_for_the_code_before_any_session(client: TestClient, db: Session) -> None:
    _password(client)
    secret, codes = _turn_on_in_pages(client)
    _log_out(client)

    first = _password(client, next_path="/thong-bao")
    assert first.status_code == 303 and first.headers["location"] == "/dang-nhap/ma-xac-thuc"
    assert "portal_session" not in client.cookies
    # half logged in is not logged in
    assert client.get("/tai-khoan", follow_redirects=False).status_code in (302, 303)
    form = client.get("/dang-nhap/ma-xac-thuc")
    assert form.status_code == 200 and 'autocomplete="one-time-code"' in form.text

    _previous, current, following = step_codes(secret)
    wrong = _post(
        client,
        "/dang-nhap/ma-xac-thuc",
        "/dang-nhap/ma-xac-thuc",
        otp=wrong_code(_previous, current, following),
    )
    assert wrong.status_code == 401 and "Mã xác thực không đúng hoặc đã hết hạn." in wrong.text
    assert "portal_session" not in client.cookies

    right = _post(client, "/dang-nhap/ma-xac-thuc", "/dang-nhap/ma-xac-thuc", otp=current)
    assert right.status_code == 303 and right.headers["location"] == "/thong-bao"
    assert client.get("/tai-khoan").status_code == 200
    assert db.scalar(select(PendingLogin).where(PendingLogin.user_id == _user(db).id)) is None

    # the same code a second time: refused
    _log_out(client)
    _password(client)
    reused = _post(client, "/dang-nhap/ma-xac-thuc", "/dang-nhap/ma-xac-thuc", otp=current)
    assert reused.status_code == 401 and "đã được dùng" in reused.text
    # a recovery code works, once
    recovered = _post(client, "/dang-nhap/ma-xac-thuc", "/dang-nhap/ma-xac-thuc", otp=codes[0])
    assert recovered.status_code == 303 and recovered.headers["location"] == "/can-bo"
    _log_out(client)
    _password(client)
    spent = _post(client, "/dang-nhap/ma-xac-thuc", "/dang-nhap/ma-xac-thuc", otp=codes[0])
    assert spent.status_code == 401


def test_five_wrong_codes_end_the_half_done_login(client: TestClient, db: Session) -> None:
    _password(client)
    secret, _codes = _turn_on_in_pages(client)
    _log_out(client)
    _password(client)
    for attempt in range(5):
        answer = _post(
            client,
            "/dang-nhap/ma-xac-thuc",
            "/dang-nhap/ma-xac-thuc",
            otp=wrong_code(*step_codes(secret)),
        )
        assert answer.status_code == (429 if attempt == 4 else 401)
    assert "Nhập sai mã quá nhiều lần" in answer.text
    # the right code no longer helps: the password must be typed again (and is locked out now)
    late = _post(
        client, "/dang-nhap/ma-xac-thuc", "/dang-nhap/ma-xac-thuc", otp=step_codes(secret)[2]
    )
    assert late.status_code == 401 and "Phiên đăng nhập đã hết hạn" in late.text
    assert _password(client).status_code == 429


def test_agency_requirement_forces_enrolment_before_anything_else(
    client: TestClient, db: Session
) -> None:
    assert _password(client, PROVINCE_ADMIN).status_code == 303
    agency_page = f"/quan-tri/co-quan/{CENTER_CODE}"
    assert "Bắt buộc mọi cán bộ" in client.get(agency_page).text
    saved = _post(
        client, agency_page + "/xac-thuc-hai-buoc/yeu-cau", agency_page, require_two_factor="on"
    )
    assert saved.status_code == 303 and "msg=two_factor_required" in saved.headers["location"]
    assert db.scalar(select(Agency.require_two_factor).where(Agency.code == CENTER_CODE)) is True
    _log_out(client)

    forced = _password(client, next_path="/thong-bao")
    assert forced.status_code == 303 and forced.headers["location"] == PAGE
    assert "portal_session" not in client.cookies
    for elsewhere in ("/tai-khoan", "/can-bo", "/thong-bao"):
        assert client.get(elsewhere, follow_redirects=False).status_code in (302, 303), elsewhere
    page = client.get(PAGE)
    assert "Cơ quan của bạn yêu cầu xác thực hai bước" in page.text
    _post(client, PAGE + "/bat-dau", PAGE)
    secret = _secret(client.get(PAGE).text)
    done = _post(client, PAGE + "/xac-nhan", PAGE, otp=step_codes(secret)[1])
    assert done.status_code == 200 and 'href="/thong-bao"' in done.text
    assert client.get("/can-bo").status_code == 200  # logged in now
    turn_off = client.get(PAGE)
    assert (
        "không thể tắt" in turn_off.text
        and 'action="/tai-khoan/xac-thuc-hai-buoc/tat"' not in turn_off.text
    )


def test_other_agency_admin_cannot_change_the_requirement(client: TestClient, db: Session) -> None:
    _password(client, OTHER_ADMIN)
    token = csrf_from(client.get("/quan-tri").text)
    refused = client.post(
        f"/quan-tri/co-quan/{CENTER_CODE}/xac-thuc-hai-buoc/yeu-cau",
        data={"require_two_factor": "on", "csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert db.scalar(select(Agency.require_two_factor).where(Agency.code == CENTER_CODE)) is False


def test_turning_off_in_the_page(client: TestClient, db: Session) -> None:
    _password(client)
    _turn_on_in_pages(client)
    wrong = _post(client, PAGE + "/tat", PAGE, password="khong-dung-123")
    assert wrong.status_code == 422 and "Mật khẩu không đúng." in wrong.text
    assert 'id="f-password-error"' in wrong.text
    assert db.get(TwoFactor, _user(db).id) is not None
    off = _post(client, PAGE + "/tat", PAGE, password=DEMO_PASSWORD)
    assert off.status_code == 303
    assert "Đã tắt xác thực hai bước." in client.get(off.headers["location"]).text
    assert db.get(TwoFactor, _user(db).id) is None


def test_admin_resets_a_lost_phone_from_the_user_page(client: TestClient, db: Session) -> None:
    _password(client)
    _turn_on_in_pages(client)
    _log_out(client)
    staff_id = _user(db).id
    target = f"/quan-tri/nguoi-dung/{staff_id}"
    action = f"{target}/xac-thuc-hai-buoc/dat-lai"

    _password(client, OTHER_ADMIN)
    token = csrf_from(client.get("/quan-tri").text)
    refused = client.post(action, data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403
    assert db.get(TwoFactor, staff_id) is not None
    _log_out(client)

    _password(client, PROVINCE_ADMIN)
    page = client.get(target)
    assert "Đặt lại xác thực hai bước" in page.text and html.escape(action) in page.text
    done = _post(client, action, target)
    assert done.status_code == 303 and "msg=two_factor_reset" in done.headers["location"]
    assert "Đã đặt lại xác thực hai bước" in client.get(done.headers["location"]).text
    assert db.get(TwoFactor, staff_id) is None
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "user.two_factor_reset", AuditEntry.object_id == str(staff_id)
        )
    )
    assert entry is not None and entry.actor == PROVINCE_ADMIN
    _log_out(client)
    back = _password(client)
    assert back.status_code == 303 and back.headers["location"] == "/can-bo"


def test_pending_pages_without_a_pending_login(client: TestClient) -> None:
    assert (
        client.get("/dang-nhap/ma-xac-thuc", follow_redirects=False).headers["location"]
        == "/dang-nhap"
    )
    assert client.get(PAGE, follow_redirects=False).status_code in (302, 303)
    expired = _post(client, "/dang-nhap/ma-xac-thuc", "/dang-nhap", otp="123456")
    assert expired.status_code == 401 and "Phiên đăng nhập đã hết hạn" in expired.text


def test_audit_says_succeeded_only_after_the_code(client: TestClient, db: Session) -> None:
    """The right password alone is not a login: the log says so until the code is given."""
    _password(client)
    secret, _codes = _turn_on_in_pages(client)
    _log_out(client)
    user_id = str(_user(db).id)

    def actions() -> list[str]:
        db.expire_all()
        rows = db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_id == user_id, AuditEntry.action.like("login.%"))
            .order_by(AuditEntry.seq)
        )
        return list(rows)

    before = actions()
    _password(client)
    assert actions()[len(before) :] == ["login.password_accepted"]
    _previous, current, _following = step_codes(secret)
    _post(client, "/dang-nhap/ma-xac-thuc", "/dang-nhap/ma-xac-thuc", otp=current)
    assert actions()[len(before) :] == ["login.password_accepted", "login.succeeded"]
