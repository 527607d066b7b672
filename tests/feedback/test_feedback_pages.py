"""Feedback pages without JavaScript: filing with an attachment (a disguised file refused), the
bot checks, the lookup, and the officer's and leader's actions, in Vietnamese and English."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.feedback.models import FeedbackFile, FeedbackItem
from tests.admin.helpers import log_in
from tests.conftest import csrf_from
from tests.dossiers.helpers import LEADER, PHO_HIEN, SPECIALIST, pdf_bytes

FORM = {
    "category": "officer",
    "agency_code": PHO_HIEN,
    "subject": "Thái độ tiếp dân",
    "content": "Cán bộ trả lời thiếu rõ ràng, gọi 0912345678 không ai nghe.",
    "full_name": "Trần Thị Gửi",
    "phone": "0912345678",
    "publish_consent": "on",
}


@pytest.fixture(autouse=True)
def _no_fill_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "feedback_min_fill_seconds", 0)


def _form(client: TestClient) -> dict[str, str]:
    page = client.get("/phan-anh/gui")
    assert page.status_code == 200
    token = page.text.split('name="form_token" value="', 1)[1].split('"', 1)[0]
    return {"csrf_token": csrf_from(page.text), "form_token": token}


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count(FeedbackItem.id))) or 0)


def test_filing_then_handling_through_the_pages(client: TestClient, db: Session) -> None:
    hidden = _form(client)
    filed = client.post(
        "/phan-anh/gui",
        data={**FORM, **hidden},
        files={"files": ("anh.pdf", pdf_bytes("anh chup"), "application/pdf")},
    )
    assert filed.status_code == 201, filed.text
    code = filed.text.split('id="feedback-code">', 1)[1].split("<", 1)[0]
    secret = filed.text.split('id="feedback-secret">', 1)[1].split("<", 1)[0]
    item = db.scalar(select(FeedbackItem).where(FeedbackItem.code == code))
    assert item is not None and len(item.files) == 1

    client.cookies.clear()
    lookup = client.get("/phan-anh/tra-cuu")
    seen = client.post(
        "/phan-anh/tra-cuu",
        data={"code": code, "secret": secret, "csrf_token": csrf_from(lookup.text)},
    )
    assert "Mới tiếp nhận" in seen.text and "Trần Thị Gửi" not in seen.text

    log_in(client, SPECIALIST)
    queue = client.get("/can-bo/phan-anh")
    assert code in queue.text
    page = client.get(f"/can-bo/phan-anh/{item.id}")
    assert "Trần Thị Gửi" in page.text and "anh.pdf" in page.text
    assert client.get(f"/can-bo/phan-anh/{item.id}/tep/{item.files[0].id}").status_code == 200
    empty = client.post(
        f"/can-bo/phan-anh/{item.id}/thao-tac",
        data={"action": "answer", "answer": "", "csrf_token": csrf_from(page.text)},
    )
    assert empty.status_code == 422 and 'aria-describedby="f-answer-error"' in empty.text
    answered = client.post(
        f"/can-bo/phan-anh/{item.id}/thao-tac",
        data={
            "action": "answer",
            "answer": "Đơn vị đã nhắc nhở cán bộ và xin lỗi Ông/Bà.",
            "upheld": "yes",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert answered.status_code == 303
    xlsx = client.get("/can-bo/phan-anh/so-theo-doi/xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    client.post("/dang-xuat", data={"csrf_token": csrf_from(page.text)})
    client.cookies.clear()
    log_in(client, LEADER)
    page = client.get(f"/can-bo/phan-anh/{item.id}")
    assert "[số điện thoại]" in page.text
    approved = client.post(
        f"/can-bo/phan-anh/{item.id}/thao-tac",
        data={"action": "approve", "csrf_token": csrf_from(page.text)},
    )
    assert approved.status_code == 200 and "Đã trả lời" in approved.text
    dashboard = client.get("/can-bo/bang-dieu-khien")
    assert dashboard.status_code == 200
    assert "Phản ánh, kiến nghị được trả lời đúng hạn" in dashboard.text
    public = client.get("/phan-anh", params={"q": "nhắc nhở"})
    assert "Thái độ tiếp dân" in public.text
    assert "0912345678" not in public.text and "Trần Thị Gửi" not in public.text
    english = client.get("/phan-anh", headers={"Accept-Language": "en"}, cookies={"lang": "en"})
    assert english.status_code == 200


def test_disguised_oversize_and_bot_submissions_store_nothing(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    disguised = client.post(
        "/phan-anh/gui",
        data={**FORM, **_form(client)},
        files={"files": ("anh.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")},
    )
    assert disguised.status_code == 415
    assert "Định dạng tệp không được chấp nhận" in disguised.text
    assert 'aria-describedby="f-files-hint f-files-error"' in disguised.text
    # The visitor's typing is kept.
    assert "Thái độ tiếp dân" in disguised.text
    oversize = client.post(
        "/phan-anh/gui",
        data={**FORM, **_form(client)},
        files={"files": ("lon.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "application/pdf")},
    )
    assert oversize.status_code == 413
    assert "Tệp vượt quá dung lượng cho phép" in oversize.text
    trapped = client.post("/phan-anh/gui", data={**FORM, **_form(client), "website": "spam"})
    assert trapped.status_code == 422
    monkeypatch.setattr(get_settings(), "feedback_min_fill_seconds", 60)
    too_fast = client.post("/phan-anh/gui", data={**FORM, "subject": "Khác", **_form(client)})
    assert too_fast.status_code == 422 and "quá nhanh" in too_fast.text
    empty = client.post("/phan-anh/gui", data={**FORM, "content": "", **_form(client)})
    assert empty.status_code == 422
    assert _count(db) == 0
    assert int(db.scalar(select(func.count(FeedbackFile.id))) or 0) == 0
