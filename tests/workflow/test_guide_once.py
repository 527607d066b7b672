"""Guide once (Decree 118/2025): one supplement request lists every missing component and every
declared-data problem; a further request is refused. No early stop: while the applicant has the
dossier for a supplement, the agency cannot stop it before the limit; the worker does after."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.service import get_user_by_email
from app.calendar import service as calendar_service
from app.documents.models import Document
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn
from app.errors import Conflict
from app.notifications.models import OutboxMessage
from app.workflow import service as workflow
from tests.conftest import csrf_from
from tests.dossiers.helpers import (
    RECEPTION,
    SPECIALIST,
    act,
    attach,
    headers,
    pdf_bytes,
    submitted_dossier,
)
from tests.workflow.test_staff_pages import log_in, page_action

PROBLEM = "Tên của trẻ viết sai chính tả so với giấy chứng sinh"


def _kinds(db: Session, dossier_id: int) -> list[str]:
    return list(
        db.scalars(
            select(Document.kind).where(Document.dossier_id == dossier_id).order_by(Document.id)
        )
    )


def _pdf_text(client: TestClient, citizen: dict[str, str], dossier_id: int, kind: str) -> str:
    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=citizen).json()
    (doc,) = [d for d in docs["items"] if d["kind"] == kind]
    pdf = client.get(doc["pdf_url"], headers=citizen)
    assert pdf.status_code == 200
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)


def _received(client: TestClient) -> tuple[int, dict[str, str]]:
    dossier_id, citizen = submitted_dossier(client)
    assert act(client, headers(client, RECEPTION), dossier_id, "receive").status_code == 200
    return dossier_id, citizen


def test_form_02_lists_missing_components_and_data_problems(
    client: TestClient, db: Session
) -> None:
    dossier_id, citizen = _received(client)
    asked = act(
        client,
        headers(client, SPECIALIST),
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        data_problems=[
            {"field": "child_name", "problem": PROBLEM},
            {"field": "birth_place", "problem": "Ghi rõ tên cơ sở y tế"},
        ],
        comment="Hồ sơ chưa đầy đủ",
    )
    assert asked.status_code == 200, asked.text
    request = asked.json()["supplement_request"]
    assert [i["code"] for i in request["items"]] == ["GCS"]
    assert request["data_problems"] == [
        {"field": "child_name", "label": "Họ, chữ đệm, tên của trẻ", "problem": PROBLEM},
        {"field": "birth_place", "label": "Nơi sinh", "problem": "Ghi rõ tên cơ sở y tế"},
    ]
    # Form 02: the component and both fields, numbered in one list.
    text = " ".join(_pdf_text(client, citizen, dossier_id, "form_02").split())
    assert "Giấy chứng sinh" in text
    assert "Thông tin kê khai: Họ, chữ đệm, tên của trẻ" in text and PROBLEM in text
    assert "Thông tin kê khai: Nơi sinh" in text and "Ghi rõ tên cơ sở y tế" in text
    # The notice tells the applicant what to fix ...
    mail = db.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dossier_id == dossier_id, OutboxMessage.kind == "supplement_requested"
        )
    )
    assert mail is not None
    assert "Thông tin kê khai cần sửa, bổ sung:" in mail.body_text
    assert f"- Họ, chữ đệm, tên của trẻ: {PROBLEM}" in mail.body_text
    # ... and so does their dossier page.
    log_in(client, "congdan@motcua.local")
    page = client.get(f"/ho-so/{dossier_id}").text
    assert "Thông tin kê khai cần sửa, bổ sung" in page
    assert f"<strong>Họ, chữ đệm, tên của trẻ</strong>: {PROBLEM}" in page
    # The supplement form links each problem to its field.
    form = client.get(f"/ho-so/{dossier_id}/khai").text
    assert f'<a href="#f-child_name">Họ, chữ đệm, tên của trẻ</a>: {PROBLEM}' in form
    assert 'id="f-child_name"' in form


def test_a_problem_in_an_unknown_field_is_refused_by_name(client: TestClient, db: Session) -> None:
    dossier_id, _citizen = _received(client)
    specialist = headers(client, SPECIALIST)
    bad = act(
        client,
        specialist,
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        data_problems=[{"field": "shoe_size", "problem": "Không rõ"}],
        comment="Thiếu",
    )
    assert bad.status_code == 422
    assert bad.json()["fields"] == {"data_problems": "unknown field: shoe_size"}
    blank = act(
        client,
        specialist,
        dossier_id,
        "request_supplement",
        data_problems=[{"field": "child_name", "problem": "  "}],
        comment="Thiếu",
    )
    assert blank.status_code == 422
    assert blank.json()["fields"] == {"data_problems": "problem required: child_name"}
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.status == "received"
    assert dossier.supplement_count == 0 and "form_02" not in _kinds(db, dossier_id)


def test_a_second_supplement_request_is_refused(client: TestClient, db: Session) -> None:
    dossier_id, citizen = _received(client)
    specialist = headers(client, SPECIALIST)
    first = act(
        client,
        specialist,
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="Giấy chứng sinh bị mờ",
    )
    assert first.status_code == 200, first.text
    assert attach(client, citizen, dossier_id, "GCS", pdf_bytes("ban moi")).status_code == 201
    again = client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen)
    assert again.status_code == 200 and again.json()["status"] == "processing"
    # Still within the 3 working days, but the one request has been made.
    detail = client.get(f"/api/v1/dossiers/{dossier_id}", headers=specialist).json()
    assert "request_supplement" not in detail["available_actions"]
    assert "forward" in detail["available_actions"]

    second = act(
        client,
        specialist,
        dossier_id,
        "request_supplement",
        missing_components=["TK"],
        comment="Tờ khai thiếu chữ ký",
    )
    assert second.status_code == 409
    body = second.json()
    assert body["error"] == "conflict"
    assert "đã được yêu cầu bổ sung đủ số lần cho phép" in body["detail"]
    assert body["fields"] == {"supplement_count": "1", "max_supplement_requests": "1"}
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.status == "processing"
    assert dossier.supplement_count == 1
    assert _kinds(db, dossier_id).count("form_02") == 1
    english = client.post(
        f"/api/v1/dossiers/{dossier_id}/actions",
        json={"action": "request_supplement", "comment": "x"},
        headers={**specialist, "Accept-Language": "en"},
    )
    assert english.status_code == 409
    assert "maximum number of supplement requests" in english.json()["detail"]

    # The staff page says why instead of offering the form, and a stale form gets the reason.
    log_in(client, SPECIALIST)
    page = client.get(f"/can-bo/ho-so/{dossier_id}")
    assert 'name="action" value="request_supplement"' not in page.text
    assert 'id="held-request_supplement"' in page.text
    stale = client.post(
        f"/can-bo/ho-so/{dossier_id}/thao-tac",
        data={
            "csrf_token": csrf_from(page.text),
            "action": "request_supplement",
            "missing_components": "TK",
            "comment": "Tờ khai thiếu chữ ký",
        },
    )
    assert stale.status_code == 409
    assert "đã được yêu cầu bổ sung đủ số lần cho phép" in stale.text
    assert _kinds(db, dossier_id).count("form_02") == 1

    # The number is a rule setting: with two allowed, the second request goes through.
    calendar_service.set_rule(db, "max_supplement_requests", 2)
    allowed = act(
        client,
        specialist,
        dossier_id,
        "request_supplement",
        missing_components=["TK"],
        comment="Tờ khai thiếu chữ ký",
    )
    assert allowed.status_code == 200, allowed.text
    assert _kinds(db, dossier_id).count("form_02") == 2


def test_the_limit_holds_at_reception_too(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    asked = act(client, reception, dossier_id, "request_supplement", missing_components=["GCS"])
    assert asked.status_code == 200, asked.text
    assert client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen).status_code == 200
    detail = client.get(f"/api/v1/dossiers/{dossier_id}", headers=reception).json()
    assert detail["status"] == "submitted"
    assert detail["available_actions"] == ["receive", "reject"]
    refused = act(client, reception, dossier_id, "request_supplement", comment="Lần nữa")
    assert refused.status_code == 409 and refused.json()["fields"]["max_supplement_requests"]


def test_the_rule_setting_is_edited_on_the_rules_page(client: TestClient, db: Session) -> None:
    assert calendar_service.default_rules().max_supplement_requests == 1
    log_in(client, "admin@motcua.local")
    page = client.get("/quan-tri/lich")
    assert page.status_code == 200 and 'id="f-max_supplement_requests"' in page.text
    token = csrf_from(page.text)
    bad = client.post(
        "/quan-tri/lich/quy-tac", data={"csrf_token": token, "max_supplement_requests": "0"}
    )
    assert bad.status_code == 422 and 'id="f-max_supplement_requests-error"' in bad.text
    saved = client.post(
        "/quan-tri/lich/quy-tac",
        data={"csrf_token": token, "max_supplement_requests": "2"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    db.expire_all()
    assert calendar_service.get_rules(db).max_supplement_requests == 2


def test_the_staff_form_sends_data_problems(client: TestClient, db: Session) -> None:
    dossier_id, _citizen = _received(client)
    log_in(client, SPECIALIST)
    page = client.get(f"/can-bo/ho-so/{dossier_id}").text
    assert 'name="problem.child_name"' in page and "Họ, chữ đệm, tên của trẻ" in page
    unknown = page_action(
        client,
        dossier_id,
        "request_supplement",
        {"comment": "Cần sửa", "problem.nope": "x", "problem.child_name": PROBLEM},
    )
    assert unknown.status_code == 422
    assert 'id="f-request_supplement-data_problems-error"' in unknown.text
    assert f'value="{PROBLEM}"' in unknown.text  # what was typed is kept
    done = page_action(
        client,
        dossier_id,
        "request_supplement",
        {"comment": "Cần sửa tờ khai", "problem.child_name": PROBLEM, "problem.birth_place": ""},
    )
    assert done.status_code == 303, done.text
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.supplement_request["data_problems"] == [
        {"field": "child_name", "label": "Họ, chữ đệm, tên của trẻ", "problem": PROBLEM}
    ]


def test_no_stop_before_the_supplement_limit(client: TestClient, db: Session) -> None:
    dossier_id, _citizen = _received(client)
    asked = act(
        client,
        headers(client, SPECIALIST),
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="Giấy chứng sinh bị mờ",
    )
    assert asked.status_code == 200, asked.text
    reception = headers(client, RECEPTION)
    early = act(client, reception, dossier_id, "stop", comment="Công dân không liên lạc được")
    assert early.status_code == 409
    assert "chưa được dừng xử lý trước khi hết thời hạn bổ sung" in early.json()["detail"]
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.supplement_due_at is not None
    told = datetime.fromisoformat(early.json()["fields"]["supplement_due_at"])
    assert told == dossier.supplement_due_at
    db.expire_all()
    assert dossier.status == "supplement_requested"
    assert "form_05" not in _kinds(db, dossier_id)
    officer = get_user_by_email(db, RECEPTION)
    assert officer is not None
    due = dossier.supplement_due_at
    assert "stop" not in workflow.available_actions(db, dossier, officer, due)
    # The staff page says so.
    log_in(client, RECEPTION)
    page = client.get(f"/can-bo/ho-so/{dossier_id}").text
    assert 'name="action" value="stop"' not in page and 'id="held-stop"' in page

    # At the limit still refused; past it the agency may stop it ...
    try:
        workflow.perform(db, dossier, officer, ActionIn(action="stop", comment="x"), now=due)
    except Conflict as exc:
        assert datetime.fromisoformat(exc.fields["supplement_due_at"]) == due
    else:
        raise AssertionError("stopped at the limit")
    after = due + timedelta(minutes=1)
    assert "stop" in workflow.available_actions(db, dossier, officer, after)
    workflow.perform(
        db, dossier, officer, ActionIn(action="stop", comment="Quá hạn bổ sung"), now=after
    )
    assert dossier.status == "stopped" and "form_05" in _kinds(db, dossier_id)


def test_the_worker_stops_it_after_the_limit(client: TestClient, db: Session) -> None:
    dossier_id, _citizen = _received(client)
    act(
        client,
        headers(client, SPECIALIST),
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="Giấy chứng sinh bị mờ",
    )
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.supplement_due_at is not None
    due = dossier.supplement_due_at
    assert workflow.run_periodic_checks(db, due)["stopped"] == 0
    assert dossier.status == "supplement_requested"
    assert workflow.run_periodic_checks(db, due + timedelta(minutes=1))["stopped"] == 1
    assert dossier.status == "stopped"
    assert _kinds(db, dossier_id)[-2:] == ["form_05", "form_06"]
    assert dossier.events[-1].action == "supplement_timeout"
