"""In-app notices (list, unread count in the header, mark read) and what the notices say, in
Vietnamese and English, for accounts and for counter applicants."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.dossiers.models import Dossier
from app.notifications import service as notification_service
from app.notifications.models import Notice, OutboxMessage
from tests.conftest import DEMO_PASSWORD, csrf_from
from tests.dossiers.helpers import (
    BIRTH,
    BIRTH_FORM,
    CITIZEN,
    OTHER_CITIZEN,
    PHO_HIEN,
    RECEPTION,
    act,
    attach,
    headers,
    submitted_dossier,
)


def _outbox(db: Session, dossier_id: int) -> list[OutboxMessage]:
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dossier_id == dossier_id)
            .order_by(OutboxMessage.id)
        )
    )


def _login(client: TestClient, email: str) -> None:
    page = client.get("/dang-nhap")
    done = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303


def test_notice_page_unread_count_and_mark_read(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    unread = client.get("/api/v1/notifications", headers=citizen).json()["unread"]
    assert unread >= 1
    _login(client, CITIZEN)
    page = client.get("/thong-bao")
    assert page.status_code == 200
    assert f"Thông báo ({unread})" in page.text  # the header link
    assert (
        "Đã nhận hồ sơ Đăng ký khai sinh" in page.text
        and f'href="/ho-so/{dossier_id}"' in page.text
    )

    notice = db.scalar(select(Notice).where(Notice.dossier_id == dossier_id))
    assert notice is not None
    opened = client.post(
        f"/thong-bao/{notice.id}/da-doc",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert opened.status_code == 303 and opened.headers["location"] == f"/ho-so/{dossier_id}"
    assert client.get("/api/v1/notifications", headers=citizen).json()["unread"] == unread - 1

    refused = client.post("/thong-bao/da-doc", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    cleared = client.post("/thong-bao/da-doc", data={"csrf_token": csrf_from(page.text)})
    assert cleared.status_code == 200 and "Đã đánh dấu tất cả" in cleared.text
    assert "Thông báo (" not in cleared.text
    assert client.get("/api/v1/notifications", headers=citizen).json()["unread"] == 0

    # Someone else's notice does not exist for the caller.
    other = headers(client, OTHER_CITIZEN)
    assert client.post(f"/api/v1/notifications/{notice.id}/read", headers=other).status_code == 404


def test_applicant_language_decides_the_mail(client: TestClient, db: Session) -> None:
    user = account_service.get_user_by_email(db, CITIZEN)
    assert user is not None
    user.locale = "en"
    db.flush()
    dossier_id, _ = submitted_dossier(client)
    (mail,) = _outbox(db, dossier_id)
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.code
    assert mail.kind == "submitted" and mail.to_address == CITIZEN
    assert mail.subject == f"[Một cửa] Dossier received: Đăng ký khai sinh ({dossier.code})"
    assert f"look-up code: {dossier.lookup_secret}" in mail.body_text
    assert mail.body_text.startswith("Dear Nguyễn Thị Lan,")
    assert "within 8 working hours" in mail.body_text and '<html lang="en">' in mail.body_html
    notice = db.scalar(select(Notice).where(Notice.dossier_id == dossier_id))
    assert notice is not None and notice.title.startswith("Dossier received")


def test_counter_applicant_gets_mail_with_the_lookup_link(client: TestClient, db: Session) -> None:
    reception = headers(client, RECEPTION)
    created = client.post(
        "/api/v1/dossiers",
        headers=reception,
        json={
            "procedure_code": BIRTH,
            "channel": "counter",
            "agency_code": PHO_HIEN,
            "form_data": BIRTH_FORM,
            "applicant": {
                "full_name": "Lê Văn Quầy",
                "phone": "0911222333",
                "email": "le.van.quay@example.vn",
            },
        },
    )
    assert created.status_code == 201, created.text
    dossier_id = created.json()["id"]
    for comp in ("TK", "GCS"):
        assert attach(client, reception, dossier_id, comp).status_code == 201
    received = act(client, reception, dossier_id, "receive")
    assert received.status_code == 200, received.text
    code = received.json()["code"]
    (mail,) = _outbox(db, dossier_id)
    assert mail.kind == "received" and mail.to_address == "le.van.quay@example.vn"
    assert "http://127.0.0.1:8000/tra-cuu" in mail.body_text and "/ho-so/" not in mail.body_text
    assert f"Mã hồ sơ: {code}" in mail.body_text
    assert "Kính gửi Lê Văn Quầy" in mail.body_text
    assert db.scalar(select(Notice).where(Notice.dossier_id == dossier_id)) is None


def test_every_notice_renders_in_both_languages(client: TestClient, db: Session) -> None:
    dossier_id, _ = submitted_dossier(client)
    assert act(client, headers(client, RECEPTION), dossier_id, "receive").status_code == 200
    dossier = db.get(Dossier, dossier_id)
    user = account_service.get_user_by_email(db, CITIZEN)
    assert dossier is not None and user is not None
    before = len(_outbox(db, dossier_id))
    extras = {
        "paid": {"amount": 25_000, "method": "vnpay", "receipt_id": 7},
        "refunded": {"amount": 8_000, "method": "cash", "reason": "Từ chối", "refunded_at": None},
        "stopped": {"action": "supplement_timeout"},
        "submitted": {"action": "resubmit"},
    }
    for locale in ("vi", "en"):
        user.locale = locale
        for event in notification_service.EVENTS:
            notification_service.notify(db, dossier, event, extra=extras.get(event))
    mails = _outbox(db, dossier_id)[before:]
    assert len(mails) == 2 * len(notification_service.EVENTS)
    for mail in mails:
        assert mail.subject.startswith("[Một cửa] ") and len(mail.subject) > 20
        assert "{{" not in mail.body_text + mail.body_html and "{%" not in mail.body_html
        assert mail.body_html.lstrip().startswith("<!doctype html>")
        assert dossier.code in mail.subject + mail.body_text
    paid_vi = next(m for m in mails if m.kind == "paid")
    assert "25.000 ₫" in paid_vi.body_text and "/bien-lai/7" in paid_vi.body_text
    timeout_en = [m for m in mails if m.kind == "stopped"][1]
    assert "supplement not received in time" in timeout_en.subject
