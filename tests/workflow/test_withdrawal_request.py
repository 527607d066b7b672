"""Withdrawal on request (Decree 118/2025 Art. 21; SPEC §3): a dossier not yet received is
withdrawn at once; a received one waits in ``withdrawal_requested`` for its reception to
accept (``accept_withdrawal`` → ``withdrawn``, form 05). A withdrawn dossier is neither on
time nor late."""

from __future__ import annotations

import io
from datetime import timedelta

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.service import get_user_by_email
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.notifications.models import Notice, OutboxMessage
from app.stats import counts
from app.stats.dates import local_today
from app.workflow import service as workflow
from tests.conftest import assert_counters_agree, csrf_from
from tests.dossiers.helpers import (
    CITIZEN,
    OTHER_CITIZEN,
    RECEPTION,
    SPECIALIST,
    act,
    headers,
    submit_procedure,
    submitted_dossier,
)
from tests.payments.refund_steps import COPY, pay_by_sandbox
from tests.workflow.test_staff_pages import log_in, page_action

OTHER_COMMUNE_RECEPTION = "tiepnhan.lienphuong@motcua.local"
REASON = "Gia đình đã đăng ký khai sinh ở nơi khác"


def _kinds(db: Session, dossier_id: int) -> list[str]:
    return list(
        db.scalars(
            select(Document.kind).where(Document.dossier_id == dossier_id).order_by(Document.id)
        )
    )


def _mail_kinds(db: Session, dossier_id: int) -> list[str]:
    return list(
        db.scalars(
            select(OutboxMessage.kind)
            .where(OutboxMessage.dossier_id == dossier_id)
            .order_by(OutboxMessage.id)
        )
    )


def _pdf_text(client: TestClient, citizen: dict[str, str], dossier_id: int, kind: str) -> str:
    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=citizen).json()
    (doc,) = [d for d in docs["items"] if d["kind"] == kind]
    pdf = client.get(doc["pdf_url"], headers=citizen).content
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def _received(client: TestClient) -> tuple[int, dict[str, str], dict[str, str]]:
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    assert act(client, reception, dossier_id, "receive").status_code == 200
    return dossier_id, citizen, reception


def test_a_dossier_not_yet_received_is_withdrawn_at_once(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    gone = act(client, citizen, dossier_id, "withdraw", comment="Nộp nhầm thủ tục")
    assert gone.status_code == 200, gone.text
    assert gone.json()["status"] == "withdrawn" and gone.json()["national_status"] == 8
    assert _kinds(db, dossier_id) == []  # nothing was received: no form 05
    # So is one sent back for a supplement at reception.
    other_id, _ = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    asked = act(client, reception, other_id, "request_supplement", comment="Thiếu")
    assert asked.status_code == 200
    gone = act(client, citizen, other_id, "withdraw", comment="Không bổ sung được")
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"


def test_a_received_dossier_waits_for_the_agency_to_accept(client: TestClient, db: Session) -> None:
    dossier_id, citizen, reception = _received(client)
    specialist = headers(client, SPECIALIST)
    assert act(client, specialist, dossier_id, "forward").status_code == 200  # at the leader

    asked = act(client, citizen, dossier_id, "withdraw", comment=REASON)
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert body["status"] == "withdrawal_requested"
    assert body["status_label"] == "Chờ chấp nhận rút hồ sơ" and body["national_status"] == 7
    assert body["available_actions"] == []
    assert body["history"][-1]["action"] == "request_withdrawal"
    assert body["history"][-1]["to_status"] == "withdrawal_requested"
    assert "form_05" not in _kinds(db, dossier_id)
    # The citizen is told the request is recorded.
    assert _mail_kinds(db, dossier_id)[-1] == "withdrawal_requested"
    notice = db.scalar(
        select(Notice).where(Notice.dossier_id == dossier_id).order_by(Notice.id.desc()).limit(1)
    )
    assert notice is not None and notice.kind == "withdrawal_requested"

    # The citizen cannot ask twice; nobody processes it meanwhile.
    twice = act(client, citizen, dossier_id, "withdraw", comment="Lần nữa")
    assert twice.status_code == 409
    assert twice.json()["detail"] == (
        "Đề nghị rút hồ sơ đã được ghi nhận, đang chờ cơ quan chấp nhận."
    )
    leader = headers(client, "lanhdao.phohien@motcua.local")
    assert act(client, leader, dossier_id, "approve").status_code == 409
    assert act(client, specialist, dossier_id, "accept_withdrawal").status_code == 409
    stranger = act(client, headers(client, OTHER_CITIZEN), dossier_id, "withdraw")
    assert stranger.status_code == 404
    # Reception of another commune does not even see it.
    other = act(client, headers(client, OTHER_COMMUNE_RECEPTION), dossier_id, "accept_withdrawal")
    assert other.status_code == 404
    db.expire_all()
    assert db.get(Dossier, dossier_id).status == "withdrawal_requested"  # type: ignore[union-attr]

    # It is in the receiving reception's queue, with the action to take.
    queue = client.get("/api/v1/queue", headers=reception).json()["items"]
    item = next(i for i in queue if i["id"] == dossier_id)
    assert item["status"] == "withdrawal_requested"
    assert item["available_actions"] == ["accept_withdrawal"]
    leader_queue = client.get("/api/v1/queue", headers=leader).json()["items"]
    assert dossier_id not in [i["id"] for i in leader_queue]

    accepted = act(client, reception, dossier_id, "accept_withdrawal", comment="Đồng ý")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "withdrawn" and accepted.json()["available_actions"] == []
    assert _kinds(db, dossier_id) == ["form_01", "form_05", "form_06"]
    text = _pdf_text(client, citizen, dossier_id, "form_05")
    assert "đã đề nghị rút hồ sơ" in text and REASON in text
    mail = db.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.dossier_id == dossier_id)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    assert mail is not None and mail.kind == "stopped"
    assert "đã được rút theo yêu cầu" in mail.subject
    # Accepting again, or on a dossier nobody asked to withdraw, is a clear conflict.
    again = act(client, reception, dossier_id, "accept_withdrawal")
    assert again.status_code == 409
    fresh_id, _ = submitted_dossier(client)
    assert act(client, reception, fresh_id, "receive").status_code == 200
    wrong = act(client, reception, fresh_id, "accept_withdrawal")
    assert wrong.status_code == 409
    assert "người nộp đã đề nghị rút hồ sơ" in wrong.json()["detail"]
    assert wrong.json()["fields"] == {"status": "received"}
    assert db.get(Dossier, fresh_id).status == "received"  # type: ignore[union-attr]


def test_a_withdrawal_after_the_decision_is_refused(client: TestClient, db: Session) -> None:
    dossier_id, citizen, _ = _received(client)
    assert act(client, headers(client, SPECIALIST), dossier_id, "forward").status_code == 200
    leader = headers(client, "lanhdao.phohien@motcua.local")
    assert act(client, leader, dossier_id, "approve").status_code == 200
    late = act(client, citizen, dossier_id, "withdraw", comment=REASON)
    assert late.status_code == 409
    assert db.get(Dossier, dossier_id).status == "processing"  # type: ignore[union-attr]


def test_a_paid_dossier_withdrawn_on_request_is_owed_its_fees(
    client: TestClient, db: Session
) -> None:
    body, citizen = submit_procedure(client, COPY)
    dossier_id = body["id"]
    assert body["status"] == "awaiting_payment"
    pay_by_sandbox(client, dossier_id, citizen)
    reception = headers(client, RECEPTION)
    assert act(client, reception, dossier_id, "receive").status_code == 200
    asked = act(client, citizen, dossier_id, "withdraw", comment=REASON)
    assert asked.json()["status"] == "withdrawal_requested"
    # Nothing is owed back before the agency accepts.
    before = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=citizen).json()
    assert before["refund_due"] == 0
    assert act(client, reception, dossier_id, "accept_withdrawal").status_code == 200
    after = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=citizen).json()
    assert after["refund_due"] == 8_000
    mail = db.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.dossier_id == dossier_id, OutboxMessage.kind == "stopped")
        .limit(1)
    )
    assert mail is not None and "(8.000 ₫) sẽ được hoàn trả" in mail.body_text


def test_indicators_count_a_withdrawal_neither_on_time_nor_late(
    client: TestClient, db: Session
) -> None:
    dossier_id, citizen, reception = _received(client)
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.due_at is not None
    today = local_today(dossier.received_at)
    agency = dossier.agency_id
    late_moment = dossier.due_at + timedelta(days=3)

    def figures() -> tuple[int, int, int, int]:
        c = counts.raw_counts(db, today, today, [agency], now=late_moment)[agency]
        return c.received, c.finished, c.on_time, c.late

    received, finished, on_time, late = figures()
    # Past its appointment, the received dossier counts late while it is processed ...
    assert late >= 1
    act(client, citizen, dossier_id, "withdraw", comment=REASON)
    # ... not while its withdrawal waits for acceptance, nor once withdrawn.
    assert figures() == (received, finished, on_time, late - 1)
    assert act(client, reception, dossier_id, "accept_withdrawal").status_code == 200
    assert figures() == (received, finished, on_time, late - 1)
    assert counts.recount(db, today, today, [agency], now=late_moment)[agency].late == late - 1
    assert_counters_agree(db)
    overdue, _today = dossier_service.flags(db.get(Dossier, dossier_id), late_moment)  # type: ignore[arg-type]
    assert overdue is False


def test_the_pages_ask_and_accept(client: TestClient, db: Session) -> None:
    dossier_id, _citizen, _reception = _received(client)
    log_in(client, CITIZEN)
    page = client.get(f"/ho-so/{dossier_id}").text
    assert "Đề nghị rút hồ sơ</button>" in page
    asked = client.post(
        f"/ho-so/{dossier_id}/rut",
        data={"csrf_token": csrf_from(page), "reason": REASON, "confirm": "yes"},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    shown = client.get(asked.headers["location"]).text
    assert "Đã gửi đề nghị rút hồ sơ" in shown and "Chờ chấp nhận rút hồ sơ" in shown
    assert f'action="/ho-so/{dossier_id}/rut"' not in shown

    log_in(client, RECEPTION)
    desk = client.get(f"/can-bo/ho-so/{dossier_id}").text
    assert "Người nộp đề nghị rút hồ sơ" in desk and REASON in desk
    done = page_action(client, dossier_id, "accept_withdrawal", {"comment": ""})
    assert done.status_code == 303, done.text
    after = client.get(done.headers["location"]).text
    assert "Đã thực hiện thao tác: Chấp nhận rút hồ sơ." in after
    assert "Đã rút" in after
    officer = get_user_by_email(db, RECEPTION)
    assert officer is not None
    assert workflow.available_actions(db, db.get(Dossier, dossier_id), officer) == []  # type: ignore[arg-type]


def test_no_payment_is_taken_while_the_withdrawal_waits(client: TestClient, db: Session) -> None:
    # 2.001035 is paid before the result: received with its fee still owed.
    body, citizen = submit_procedure(client, "2.001035")
    dossier_id = body["id"]
    reception = headers(client, RECEPTION)
    assert act(client, reception, dossier_id, "receive").status_code == 200
    owed = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=citizen).json()
    assert owed["outstanding"] > 0
    assert act(client, citizen, dossier_id, "withdraw", comment=REASON).status_code == 200
    refused = client.post(
        f"/api/v1/dossiers/{dossier_id}/payments", json={"method": "sandbox"}, headers=citizen
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Hồ sơ đang chờ chấp nhận rút, không nhận thanh toán."
    after = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=citizen).json()
    assert after["items"] == [] and after["outstanding"] == owed["outstanding"]
