"""Every action on a dossier queues what the national portal is to be told, in the action's
transaction (SPEC §11): the dossier (DongBoHoSoMC) when its status changes, and a progress
entry (CapNhatTienDoHoSoMC); a procedure without a national code is reported, not sent."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.catalog.models import Procedure
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn
from app.national.models import NationalMessage
from app.workflow import service as workflow
from tests.admin.helpers import ADMIN, log_in, post_form
from tests.dossiers.helpers import (
    BIRTH,
    CITIZEN,
    LEADER,
    RECEPTION,
    SPECIALIST,
    act,
    attach,
    create_draft,
    headers,
    submit_procedure,
    submitted_dossier,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def messages_of(db: Session, dossier_id: int) -> list[NationalMessage]:
    return list(
        db.scalars(
            select(NationalMessage)
            .where(NationalMessage.dossier_id == dossier_id)
            .order_by(NationalMessage.id)
        )
    )


def local(value: datetime | None) -> str:
    assert value is not None
    return value.astimezone(VN).strftime("%Y%m%d%H%M%S")


def test_submission_and_reception_queue_the_dossier_then_its_progress(
    client: TestClient, db: Session
) -> None:
    drafts_before = db.scalar(select(NationalMessage.id).order_by(NationalMessage.id.desc()))
    h = headers(client, CITIZEN)
    draft = create_draft(client, h)
    # A draft is nobody's business but the citizen's: nothing is queued.
    assert messages_of(db, draft["id"]) == []
    for comp in ("TK", "GCS"):
        assert attach(client, h, draft["id"], comp).status_code == 201
    assert client.post(f"/api/v1/dossiers/{draft['id']}/submit", headers=h).status_code == 200
    dossier = db.get(Dossier, draft["id"])
    assert dossier is not None and dossier.code

    sent = messages_of(db, dossier.id)
    assert [(m.service, m.is_updating, m.national_status, m.status) for m in sent] == [
        ("DongBoHoSoMC", False, 1, "pending"),
        ("CapNhatTienDoHoSoMC", None, 1, "pending"),
    ]
    entry = sent[0].data
    assert entry["MaHoSo"] == dossier.code
    assert entry["MaTTHC"] == BIRTH
    assert entry["TenTTHC"] == dossier.version.name
    assert entry["KenhThucHien"] == "2"  # online
    assert entry["TrangThaiHoSo"] == "1"
    assert entry["ChuHoSo"] == dossier.applicant["full_name"]
    assert entry["MaDoiTuong"] == dossier.applicant["id_number"]
    assert entry["NgayTiepNhan"] == local(dossier.submitted_at)  # yyyyMMddHHmmss, Vietnam time
    assert [f["TenTepDinhKem"] for f in entry["TaiLieuNop"]] == [
        f.filename for f in dossier.files if f.purpose == "component"
    ]
    progress = sent[1].data
    assert progress["MaHoSo"] == dossier.code
    assert progress["NoiDungXuLy"].startswith("Nộp hồ sơ")
    assert progress["ChucDanh"] == "Người nộp hồ sơ"
    assert re.fullmatch(r"[0-9]{14}", progress["ThoiDiemXuLy"])

    officer = headers(client, RECEPTION)
    assert act(client, officer, dossier.id, "receive").status_code == 200
    db.refresh(dossier)
    after = messages_of(db, dossier.id)[2:]
    assert [(m.service, m.is_updating, m.national_status) for m in after] == [
        ("DongBoHoSoMC", True, 2),
        ("CapNhatTienDoHoSoMC", None, 2),
    ]
    assert after[0].data["NgayHenTra"] == local(dossier.due_at)
    assert after[0].data["NgayTiepNhan"] == local(dossier.received_at)
    assert after[1].data["NguoiXuLy"] == dossier.events[-1].actor_name
    assert after[1].data["NoiDungXuLy"].startswith("Tiếp nhận hồ sơ")
    assert drafts_before is None or all(m.id > drafts_before for m in sent)


def test_an_action_that_keeps_the_status_sends_only_its_progress(
    client: TestClient, db: Session
) -> None:
    dossier_id, _h = submitted_dossier(client)
    assert act(client, headers(client, RECEPTION), dossier_id, "receive").status_code == 200
    assert act(client, headers(client, SPECIALIST), dossier_id, "forward").status_code == 200
    before = len(messages_of(db, dossier_id))
    # The leader's approval moves the dossier on to the return step, still "processing".
    approved = act(client, headers(client, LEADER), dossier_id, "approve")
    assert approved.json()["status"] == "processing"
    new = messages_of(db, dossier_id)[before:]
    assert [(m.service, m.national_status) for m in new] == [("CapNhatTienDoHoSoMC", 4)]
    assert new[0].data["NoiDungXuLy"].startswith("Phê duyệt")
    assert new[0].data["ChucDanh"] == "Lãnh đạo cơ quan"


def test_a_procedure_without_a_national_code_is_reported_not_sent(
    client: TestClient, db: Session
) -> None:
    db.execute(update(Procedure).where(Procedure.code == BIRTH).values(code="HY-KS-01"))
    db.flush()
    h = headers(client, CITIZEN)
    draft = create_draft(client, h, procedure_code="HY-KS-01")
    for comp in ("TK", "GCS"):
        assert attach(client, h, draft["id"], comp).status_code == 201
    assert client.post(f"/api/v1/dossiers/{draft['id']}/submit", headers=h).status_code == 200

    sent = messages_of(db, draft["id"])
    assert {m.status for m in sent} == {"unsendable"}
    assert "HY-KS-01" in sent[0].last_error and "mã TTHC quốc gia" in sent[0].last_error
    assert sent[0].data["MaTTHC"] == ""

    # The administrator sees why; retrying changes nothing while the code is still local.
    admin = headers(client, ADMIN)
    listed = client.get("/api/v1/admin/national-sync?status=unsendable", headers=admin).json()
    assert any(i["id"] == sent[0].id and "HY-KS-01" in i["last_error"] for i in listed["items"])
    ids = [m.id for m in sent]
    refused = client.post("/api/v1/admin/national-sync/retry", json={"ids": ids}, headers=admin)
    assert refused.status_code == 409 and "HY-KS-01" in refused.json()["detail"]
    db.expire_all()
    assert {m.status for m in messages_of(db, draft["id"])} == {"unsendable"}
    # Once the procedure carries its national code again, the messages go, with it.
    db.execute(update(Procedure).where(Procedure.code == "HY-KS-01").values(code=BIRTH))
    db.flush()
    retried = client.post("/api/v1/admin/national-sync/retry", json={"ids": ids}, headers=admin)
    assert retried.status_code == 200, retried.text
    db.expire_all()
    again = messages_of(db, draft["id"])
    assert {m.status for m in again} == {"pending"}
    assert again[0].data["MaTTHC"] == BIRTH and again[0].last_error == ""


def test_an_appointment_moved_by_the_calendar_is_sent_again(
    client: TestClient, db: Session
) -> None:
    submitted, _h = submit_procedure(client, "1.014061")  # 7 working days
    dossier = db.get(Dossier, submitted["id"])
    officer = account_service.get_user_by_email(db, RECEPTION)
    assert dossier is not None and officer is not None
    moment = datetime(2026, 8, 27, 9, 0, tzinfo=VN)
    workflow.perform(db, dossier, officer, ActionIn(action="receive"), now=moment)
    db.commit()
    assert local(dossier.due_at) == "20260910090000"
    log_in(client, ADMIN)
    # 1 September 2026 is struck out of the holidays: the appointment comes a day earlier.
    struck = post_form(
        client,
        "/quan-tri/lich/ngay",
        {"day": "2026-09-01", "kind": "struck_out", "year": "2026"},
        page="/quan-tri/lich",
    )
    assert struck.status_code == 303, struck.text
    last = messages_of(db, dossier.id)[-1]
    assert (last.service, last.action, last.is_updating) == ("DongBoHoSoMC", "recompute_due", True)
    assert last.data["NgayHenTra"] == "20260909090000"


def test_the_queue_api_refuses_an_unknown_status_with_json(client: TestClient) -> None:
    admin = headers(client, ADMIN)
    response = client.get("/api/v1/admin/national-sync?status=sent", headers=admin)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert "pending" in response.json()["fields"]["status"]
    assert client.get("/api/v1/admin/national-sync", headers=admin).json()["configured"] is False
