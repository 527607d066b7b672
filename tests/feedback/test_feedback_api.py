"""Feedback through the API (SPEC §12): the whole cycle, who may see and act, what the public
list and the lookup show (never personal data), and bad input that stores nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.config import get_settings
from app.db import utcnow
from app.feedback import service
from app.feedback.models import FeedbackItem
from app.notifications.models import Notice, OutboxMessage
from tests.docstore.helpers import received_dossier
from tests.dossiers.helpers import (
    CITIZEN,
    LEADER,
    OTHER_CITIZEN,
    PHO_HIEN,
    RECEPTION,
    SPECIALIST,
    headers,
)

OTHER_AGENCY_OFFICER = "tiepnhan.lienphuong@motcua.local"
URL = "/api/v1/feedback"
PHONE = "0912 345 678"
ID_NUMBER = "034199887766"
CONTENT = (
    f"Tôi là Nguyễn Văn Phản, số điện thoại {PHONE}, CCCD {ID_NUMBER}, ở số nhà 12 ngõ 34. "
    "Cán bộ tiếp nhận hẹn trả kết quả nhưng quá hạn chưa trả."
)
ANON = {"full_name": "Nguyễn Văn Phản", "phone": PHONE, "email": "phan.nguyen@example.vn"}


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count(FeedbackItem.id))) or 0)


def _file(client: TestClient, h: dict[str, str] | None = None, **over: Any) -> Any:
    body = {
        "subject": "Trả kết quả chậm",
        "content": CONTENT,
        "category": "dossier",
        "agency_code": PHO_HIEN,
        "publish_consent": True,
        **over,
    }
    if h is None and "sender" not in over:
        body["sender"] = ANON
    return client.post(URL, json=body, headers=h or {})


def _act(client: TestClient, email: str, item_id: int, **body: Any) -> Any:
    return client.post(f"{URL}/{item_id}/actions", json=body, headers=headers(client, email))


def test_the_whole_cycle_for_an_anonymous_sender(client: TestClient, db: Session) -> None:
    filed = _file(client)
    assert filed.status_code == 201, filed.text
    created = filed.json()
    assert created["status"] == "new" and created["code"].startswith("PA-")
    item_id, code, secret = created["id"], created["code"], created["secret"]

    seen = client.get(f"{URL}/lookup", params={"code": code, "secret": secret})
    assert seen.status_code == 200 and seen.json()["status"] == "new"
    assert "Phản" not in seen.text and "0912" not in seen.text and ID_NUMBER not in seen.text

    reception = headers(client, RECEPTION)
    queue = client.get(URL, headers=reception).json()
    assert [i["code"] for i in queue["items"]] == [code]
    specialist = db.scalar(select(User).where(User.email == SPECIALIST))
    assert specialist is not None
    assigned = _act(client, RECEPTION, item_id, action="assign", assignee_id=specialist.id)
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    # An officer may not approve; a leader may not answer.
    assert _act(client, SPECIALIST, item_id, action="approve").status_code == 403
    answer = "Đơn vị đã kiểm tra, xin lỗi Ông/Bà và đã trả kết quả ngày 05/12. Liên hệ 0987654321."
    assert _act(client, LEADER, item_id, action="answer", answer=answer).status_code == 403
    answered = _act(client, SPECIALIST, item_id, action="answer", answer=answer, upheld=True)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["status"] == "answered"
    # The reviewed rule masked the sender's name, phone, ID number and address.
    public = body["public_content"] + body["public_answer"]
    for secret_text in ("Nguyễn Văn Phản", PHONE, ID_NUMBER, "0987654321", "số nhà 12"):
        assert secret_text not in public
    assert "[số điện thoại]" in public and "[số giấy tờ]" in public

    back = _act(client, LEADER, item_id, action="reject", comment="Bổ sung ngày trả cụ thể.")
    assert back.json()["status"] == "assigned" and back.json()["leader_comment"]
    edited = _act(
        client,
        SPECIALIST,
        item_id,
        action="answer",
        answer=answer,
        upheld=True,
        public_answer="Đơn vị xin lỗi và đã trả kết quả ngày 05/12/2026.",
    )
    assert edited.status_code == 200
    approved = _act(client, LEADER, item_id, action="approve")
    assert approved.status_code == 200 and approved.json()["status"] == "published"

    seen = client.get(f"{URL}/lookup", params={"code": code, "secret": secret}).json()
    assert seen["status"] == "published" and seen["answer"] == answer
    listed = client.get(f"{URL}/public", params={"q": "xin lỗi"})
    assert listed.json()["total"] == 1
    assert (
        listed.json()["items"][0]["answer"] == "Đơn vị xin lỗi và đã trả kết quả ngày 05/12/2026."
    )
    for secret_text in ("Nguyễn Văn Phản", "0912", ID_NUMBER, "phan.nguyen@example.vn"):
        assert secret_text not in listed.text
    mails = db.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.to_address == "phan.nguyen@example.vn")
    ).all()
    assert sorted(mails) == ["feedback_answered", "feedback_received"]
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.object_id == code)).all())
    assert {"feedback.filed", "feedback.assign", "feedback.answer", "feedback.sent_back",
            "feedback.approve"} <= actions  # fmt: skip


def test_an_account_holder_gets_a_notice_and_an_upheld_complaint_counts(
    client: TestClient, db: Session
) -> None:
    citizen = headers(client, CITIZEN)
    dossier = received_dossier(client, citizen)
    filed = _file(client, citizen, agency_code=None, dossier_code=dossier["code"])
    assert filed.status_code == 201, filed.text
    item = db.get(FeedbackItem, filed.json()["id"])
    assert item is not None and item.dossier_id == dossier["id"]
    _act(
        client, SPECIALIST, item.id, action="answer", answer="Đã xử lý xong phản ánh.", upheld=True
    )
    _act(client, LEADER, item.id, action="approve")
    kinds = db.scalars(select(Notice.kind).where(Notice.kind.like("feedback_%"))).all()
    assert sorted(kinds) == ["feedback_answered", "feedback_received"]
    start, end = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
    assert sum(service.upheld_dossiers(db, None, start, end).values()) == 1
    rate = service.on_time_rate(db, [item.agency_id], start, end)
    assert (rate.on_time, rate.total, rate.rate) == (1, 1, 100.0)
    # By local days too (the PAR index passes dates, both included).
    today = utcnow().date()
    by_days = service.on_time_rate(
        db, [item.agency_id], today - timedelta(days=1), today + timedelta(days=1)
    )
    assert (by_days.on_time, by_days.total) == (1, 1)
    # Decision 766's satisfaction group shows the upheld complaint among its three ratios,
    # and the public statistics the feedback answered on time.
    read = client.get("/api/v1/stats/indicators", params={"agency": PHO_HIEN}).json()
    parts = {p["key"]: p for p in read["groups"]["satisfaction"]["parts"]}
    assert set(parts) == {"late_rate", "upheld_complaint_rate", "negative_rating_rate"}
    assert parts["upheld_complaint_rate"]["numerator"] == 1
    page = client.get("/thong-ke", params={"agency": PHO_HIEN})
    assert "Phản ánh, kiến nghị được trả lời đúng hạn" in page.text and "100" in page.text
    # The sender sees their own item on the lookup without the secret.
    assert (
        client.get(f"{URL}/lookup", params={"code": item.code}, headers=citizen).status_code == 200
    )


def test_other_agencies_citizens_and_anonymous_see_nothing(client: TestClient) -> None:
    created = _file(client).json()
    item_id = created["id"]
    for email in (OTHER_AGENCY_OFFICER, OTHER_CITIZEN, CITIZEN):
        h = headers(client, email)
        assert client.get(f"{URL}/{item_id}", headers=h).status_code == 404
        if email == OTHER_AGENCY_OFFICER:
            assert client.get(URL, headers=h).json()["items"] == []
        refused = client.post(
            f"{URL}/{item_id}/actions", json={"action": "answer", "answer": "x" * 20}, headers=h
        )
        assert refused.status_code == 404
    assert client.get(f"{URL}/{item_id}").status_code == 404
    assert client.get(URL).status_code == 404
    wrong = client.get(f"{URL}/lookup", params={"code": created["code"], "secret": "SAIMA123"})
    assert wrong.status_code == 404


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"content": ""}, "content"),
        ({"subject": "  "}, "subject"),
        ({"agency_code": "000.00.99.X99"}, "agency_code"),
        ({"agency_code": None}, "agency_code"),
        ({"sender": {"full_name": "Lê Văn A"}}, "sender.phone"),
        ({"sender": {"full_name": "", "phone": "0912345678"}}, "sender.full_name"),
        ({"sender": {"full_name": "Lê Văn A", "phone": "12"}}, "sender.phone"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(
    client: TestClient, db: Session, over: dict[str, Any], field: str
) -> None:
    refused = _file(client, **over)
    assert refused.status_code == 422, refused.text
    assert field in refused.json()["fields"]
    assert _count(db) == 0


def test_a_dossier_code_that_is_not_theirs(client: TestClient, db: Session) -> None:
    owner = headers(client, CITIZEN)
    dossier = received_dossier(client, owner)
    other = headers(client, OTHER_CITIZEN)
    refused = _file(client, other, dossier_code=dossier["code"])
    assert refused.status_code == 422
    assert "dossier_code" in refused.json()["fields"]
    assert "Không tìm thấy hồ sơ" in refused.json()["detail"]
    assert _count(db) == 0
    # With the dossier's lookup secret anyone may cite it.
    allowed = _file(
        client, other, dossier_code=dossier["code"], dossier_secret=dossier["lookup_secret"]
    )
    assert allowed.status_code == 201, allowed.text


def test_duplicates_and_the_anonymous_rate_limit(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _file(client).status_code == 201
    again = _file(client)
    assert again.status_code == 409 and "PA-" in again.json()["detail"]
    english = _file(client, {"Accept-Language": "en"}, sender=ANON)
    assert english.status_code == 409
    assert english.json()["detail"].startswith("This feedback was sent a few minutes ago (code PA-")
    monkeypatch.setattr(get_settings(), "feedback_rate_limit", 2)
    assert _file(client, subject="Việc khác").status_code == 201
    third = _file(client, subject="Việc thứ ba")
    assert third.status_code == 429 and "Retry-After" in third.headers
    assert _count(db) == 2


def test_overdue_items_are_flagged_and_escalated_once(client: TestClient, db: Session) -> None:
    created = _file(client).json()
    item = db.get(FeedbackItem, created["id"])
    assert item is not None
    item.due_at = utcnow() - timedelta(hours=1)
    db.commit()
    row = client.get(URL, headers=headers(client, RECEPTION)).json()["items"][0]
    assert row["overdue"] is True and row["escalated"] is False
    assert service.escalate_overdue(db) == {"feedback_escalated": 1}
    assert service.escalate_overdue(db) == {"feedback_escalated": 0}
    db.refresh(item)
    assert item.escalated_to_id == item.agency.parent_id is not None
    rate = service.on_time_rate(db, None, utcnow() - timedelta(days=1), utcnow())
    assert (rate.on_time, rate.total) == (0, 1)


def test_the_answer_time_is_a_rule_setting(client: TestClient, db: Session) -> None:
    from app.calendar import service as calendar_service

    ten = _file(client).json()
    calendar_service.set_rule(db, "feedback_answer_days", 2)
    db.commit()
    two = _file(client, subject="Một việc khác").json()
    assert two["due_at"] < ten["due_at"]
