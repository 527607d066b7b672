"""Supplement, rejection, withdrawal, extension, stop and the time-outs (§3–§5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.calendar.service import get_calendar
from app.documents.models import Document
from app.dossiers.models import Dossier
from app.workflow import service as workflow
from tests.dossiers.helpers import (
    RECEPTION,
    SPECIALIST,
    act,
    attach,
    headers,
    pdf_bytes,
    submitted_dossier,
)


def _kinds(db: Session, dossier_id: int) -> list[str]:
    return [
        d.kind for d in db.query(Document).filter_by(dossier_id=dossier_id).order_by(Document.id)
    ]


def _received(client: TestClient) -> tuple[int, dict[str, str], dict[str, str]]:
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    assert act(client, reception, dossier_id, "receive").status_code == 200
    return dossier_id, citizen, reception


def test_supplement_during_appraisal_restarts_the_clock(client: TestClient, db: Session) -> None:
    dossier_id, citizen, _ = _received(client)
    specialist = headers(client, SPECIALIST)
    asked = act(
        client,
        specialist,
        dossier_id,
        "request_supplement",
        missing_components=["GCS", "TK"],
        comment="Giấy chứng sinh bị mờ",
    )
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert body["status"] == "supplement_requested"
    assert [i["code"] for i in body["supplement_request"]["items"]] == ["GCS", "TK"]
    assert body["supplement_due_at"]
    assert "form_02" in _kinds(db, dossier_id)
    # The officer cannot act while the citizen has the dossier.
    assert act(client, specialist, dossier_id, "forward").status_code == 409

    # The supplement: a new scan of the birth certificate.
    scan = pdf_bytes("giay chung sinh ban moi")
    assert attach(client, citizen, dossier_id, "GCS", scan).status_code == 201
    again = client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen)
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["status"] == "processing" and body["current_step"] == "XL"
    resubmitted_at = datetime.fromisoformat(body["history"][-1]["at"])
    # Art. 19: the full legal time (1 working day) starts again from the resubmission.
    expected = get_calendar(db).due_after_working_days(resubmitted_at, 1)
    assert datetime.fromisoformat(body["due_at"]) == expected
    assert db.get(Dossier, dossier_id).supplement_count == 1


def test_supplement_window_closes_after_three_working_days(client: TestClient, db: Session) -> None:
    dossier_id, _, _ = _received(client)
    dossier = db.get(Dossier, dossier_id)
    from app.accounts.service import get_user_by_email

    specialist = get_user_by_email(db, SPECIALIST)
    cal = get_calendar(db)
    assert dossier.received_at is not None
    inside = cal.add_working_days(dossier.received_at, 2)
    outside = cal.add_working_days(dossier.received_at, 3.5)
    assert "request_supplement" in workflow.available_actions(db, dossier, specialist, inside)
    assert "request_supplement" not in workflow.available_actions(db, dossier, specialist, outside)


def test_supplement_time_out_stops_the_dossier(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    asked = act(
        client,
        reception,
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="Thiếu giấy chứng sinh bản chính",
    )
    assert asked.json()["status"] == "supplement_requested"
    dossier = db.get(Dossier, dossier_id)
    assert dossier.supplement_due_at is not None
    # Nothing happens before the limit ...
    assert (
        workflow.run_periodic_checks(db, dossier.supplement_due_at - timedelta(minutes=1))[
            "stopped"
        ]
        == 0
    )
    assert dossier.status == "supplement_requested"
    # ... and the dossier is stopped with form 05 after it.
    result = workflow.run_periodic_checks(db, dossier.supplement_due_at + timedelta(minutes=1))
    assert result["stopped"] == 1
    db.refresh(dossier)
    assert dossier.status == "stopped"
    assert "form_05" in _kinds(db, dossier_id)
    body = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()
    assert body["history"][-1]["action"] == "supplement_timeout"
    assert body["available_actions"] == []


def test_rejection_needs_reasons_and_issues_form_03(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    empty = act(client, reception, dossier_id, "reject")
    assert empty.status_code == 422
    assert empty.json()["fields"] == {"reasons": "required"}
    assert db.get(Dossier, dossier_id).status == "submitted"
    done = act(
        client,
        reception,
        dossier_id,
        "reject",
        reasons=["Thủ tục không thuộc thẩm quyền", "Hồ sơ giả mạo"],
    )
    assert done.json()["status"] == "rejected"
    assert _kinds(db, dossier_id) == ["form_03"]
    assert (
        client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["available_actions"]
        == []
    )


def test_withdrawal_before_decision_only(client: TestClient, db: Session) -> None:
    dossier_id, citizen, reception = _received(client)
    # Received: the agency accepts the withdrawal (Decree 118/2025 Art. 21).
    asked = act(client, citizen, dossier_id, "withdraw", comment="Tôi nộp nhầm thủ tục")
    assert asked.status_code == 200 and asked.json()["status"] == "withdrawal_requested"
    gone = act(client, reception, dossier_id, "accept_withdrawal")
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
    assert _kinds(db, dossier_id) == ["form_01", "form_05", "form_06"]

    other_id, citizen2, _ = _received(client)
    specialist = headers(client, SPECIALIST)
    act(client, specialist, other_id, "forward")
    from tests.dossiers.helpers import LEADER

    act(client, headers(client, LEADER), other_id, "approve")
    late = act(client, citizen2, other_id, "withdraw")
    assert late.status_code == 409


def test_extension_only_once_with_apology(client: TestClient, db: Session) -> None:
    # A 7-working-day procedure (identity card, no fee) leaves room for an apology.
    from tests.dossiers.helpers import submit_procedure

    submitted, _ = submit_procedure(client, "1.014061")
    dossier_id = submitted["id"]
    reception = headers(client, RECEPTION)
    received = act(client, reception, dossier_id, "receive").json()
    step_officer = received["current_step"]
    assert step_officer
    dossier = db.get(Dossier, dossier_id)
    old_due = dossier.due_at
    assert old_due is not None
    new_due = (old_due + timedelta(days=3)).isoformat()
    from app.accounts.service import get_user_by_email

    officer = next(
        u
        for u in (get_user_by_email(db, e) for e in (SPECIALIST, "lanhdao.phohien@motcua.local"))
        if u is not None and "extend" in workflow.available_actions(db, dossier, u)
    )
    h_officer = headers(client, officer.email)
    no_reason = act(client, h_officer, dossier_id, "extend", new_due_at=new_due)
    assert no_reason.status_code == 422 and "comment" in no_reason.json()["fields"]
    earlier = act(
        client,
        h_officer,
        dossier_id,
        "extend",
        comment="Cần xác minh",
        new_due_at=(old_due - timedelta(hours=1)).isoformat(),
    )
    assert earlier.status_code == 422
    ok = act(
        client,
        h_officer,
        dossier_id,
        "extend",
        comment="Cần xác minh thêm với Công an",
        new_due_at=new_due,
    )
    assert ok.status_code == 200, ok.text
    assert datetime.fromisoformat(ok.json()["due_at"]) == datetime.fromisoformat(new_due)
    assert ok.json()["extension_count"] == 1
    assert "form_04" in _kinds(db, dossier_id)
    twice = act(
        client,
        h_officer,
        dossier_id,
        "extend",
        comment="Lần nữa",
        new_due_at=(old_due + timedelta(days=5)).isoformat(),
    )
    assert twice.status_code == 409


def test_wrong_assignee_is_refused_before_anything_changes(client: TestClient, db: Session) -> None:
    dossier_id, _ = submitted_dossier(client)
    from app.accounts.service import get_user_by_email

    leader = get_user_by_email(db, "lanhdao.phohien@motcua.local")
    assert leader is not None
    response = act(client, headers(client, RECEPTION), dossier_id, "receive", assignee_id=leader.id)
    assert response.status_code == 422 and response.json()["fields"] == {"assignee_id": "invalid"}
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.status == "submitted" and dossier.received_at is None
    assert not dossier.step_runs[0].finished_at  # the reception step is still open
    specialist = get_user_by_email(db, SPECIALIST)
    assert specialist is not None
    ok = act(client, headers(client, RECEPTION), dossier_id, "receive", assignee_id=specialist.id)
    assert ok.status_code == 200 and ok.json()["assignee"] == specialist.full_name


def test_staff_cannot_open_a_citizens_unsubmitted_draft(client: TestClient) -> None:
    from tests.dossiers.helpers import CITIZEN, create_draft

    draft = create_draft(client, headers(client, CITIZEN))
    response = client.get(f"/api/v1/dossiers/{draft['id']}", headers=headers(client, RECEPTION))
    assert response.status_code == 404
