"""A calendar change recomputes the due times of open dossiers (issue 19 item 5, SPEC §5):
the old and new times in the dossier's history, the applicant told when the appointment
moved, an apology's date kept; across National Day 2026 and Tết Đinh Mùi 2027."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.audit.models import AuditEntry
from app.calendar import service as calendar_service
from app.dossiers.models import Dossier, DossierEvent
from app.dossiers.schemas import ActionIn
from app.notifications.models import Notice, OutboxMessage
from app.workflow import service as workflow
from tests.admin.helpers import ADMIN, log_in, post_form
from tests.dossiers.helpers import RECEPTION, SPECIALIST, submit_procedure

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SEVEN_DAYS = "1.014061"  # 7 working days, no fee at submission


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def _received(client: TestClient, db: Session, moment: str) -> Dossier:
    """A 7-day dossier submitted online and received at ``moment`` (Vietnam time)."""
    submitted, _h = submit_procedure(client, SEVEN_DAYS)
    dossier = db.get(Dossier, submitted["id"])
    officer = account_service.get_user_by_email(db, RECEPTION)
    assert dossier is not None and officer is not None
    workflow.perform(db, dossier, officer, ActionIn(action="receive"), now=at(moment))
    db.commit()
    return dossier


def _history(db: Session, dossier: Dossier) -> list[DossierEvent]:
    return list(
        db.scalars(
            select(DossierEvent)
            .where(DossierEvent.dossier_id == dossier.id, DossierEvent.action == "recompute_due")
            .order_by(DossierEvent.id)
        )
    )


def _mails(db: Session, dossier: Dossier) -> list[OutboxMessage]:
    return list(
        db.scalars(
            select(OutboxMessage).where(
                OutboxMessage.dossier_id == dossier.id, OutboxMessage.kind == "rescheduled"
            )
        )
    )


def _local(value: datetime | None) -> str:
    assert value is not None
    return value.astimezone(VN).strftime("%Y-%m-%d %H:%M")


def _post_day(client: TestClient, **data: Any) -> Any:
    return post_form(client, "/quan-tri/lich/ngay", data, page="/quan-tri/lich")


def test_striking_out_the_day_next_to_national_day_2026_brings_the_appointment_forward(
    client: TestClient, db: Session
) -> None:
    # Thu 27 Aug 2026: the library gives 31 Aug (for the worked Saturday 22 Aug), 1 and 2 Sep.
    dossier = _received(client, db, "2026-08-27 09:00")
    assert _local(dossier.due_at) == "2026-09-10 09:00"
    before_step = dossier.step_due_at
    early = _received(client, db, "2026-08-17 09:00")  # due before the changed day
    assert _local(early.due_at) == "2026-08-25 09:00"
    log_in(client, ADMIN)

    struck = _post_day(client, day="2026-09-01", kind="struck_out", year="2026")
    assert struck.status_code == 303, struck.text
    db.expire_all()
    assert _local(dossier.due_at) == "2026-09-09 09:00"
    assert _local(dossier.original_due_at) == "2026-09-09 09:00"
    assert dossier.step_due_at != before_step  # the open step keeps its working time
    [line] = _history(db, dossier)
    assert line.actor_name == "Hệ thống" and line.to_status == dossier.status
    assert line.data["due_at"]["from"] == "2026-09-10T09:00:00+07:00"
    assert line.data["due_at"]["to"] == "2026-09-09T09:00:00+07:00"
    assert "01/09/2026" in line.comment and "10/09/2026" in line.comment
    [mail] = _mails(db, dossier)
    assert "09/09/2026" in mail.body_text and "10/09/2026" in mail.body_text
    notice = db.scalar(
        select(Notice).where(Notice.dossier_id == dossier.id).order_by(Notice.id.desc())
    )
    assert notice is not None and notice.kind == "rescheduled"
    # The dossier due before 1 September is left alone.
    assert _local(early.due_at) == "2026-08-25 09:00" and not _history(db, early)
    audit = db.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "calendar.due_recomputed")
        .order_by(AuditEntry.id.desc())
    )
    assert audit is not None and audit.details["appointments"] >= 1

    # The page lists the day as the library's, struck out; the explanation no longer skips it.
    page = client.get("/quan-tri/lich", params={"year": 2026}).text
    assert "<s>Quốc khánh</s>" in page and "quản trị viên đã gạch bỏ" in page
    desk = client.get(f"/can-bo/ho-so/{dossier.id}")
    assert desk.status_code == 200
    explanation = desk.text.split('id="due-explanation"')[1].split("</details>")[0]
    assert "02/09/2026: nghỉ lễ, Tết — Quốc khánh" in explanation
    assert "31/08/2026: nghỉ lễ, Tết" in explanation
    assert "01/09/2026: nghỉ" not in explanation and "gạch bỏ ngày thư viện đề xuất" in explanation

    # Taking the strike back: the library's day off again, and a second line in the history.
    restored = post_form(
        client, "/quan-tri/lich/ngay/xoa", {"day": "2026-09-01"}, page="/quan-tri/lich"
    )
    assert restored.status_code == 303
    db.expire_all()
    assert _local(dossier.due_at) == "2026-09-10 09:00"
    assert len(_history(db, dossier)) == 2 and len(_mails(db, dossier)) == 2


def test_a_make_up_saturday_after_tet_2027_moves_the_appointment_but_not_an_apologys_date(
    client: TestClient, db: Session
) -> None:
    # Mon 1 Feb 2027: Tết Đinh Mùi off from Thu 4 to Wed 10 Feb (Mùng 1 is Sat 6 Feb).
    dossier = _received(client, db, "2027-02-01 09:00")
    assert _local(dossier.due_at) == "2027-02-17 09:00"
    extended = _received(client, db, "2027-02-01 10:00")
    specialist = account_service.get_user_by_email(db, SPECIALIST)
    assert specialist is not None
    promised = at("2027-02-26 17:00")
    workflow.perform(
        db,
        extended,
        specialist,
        ActionIn(action="extend", comment="Cần xác minh thêm", new_due_at=promised),
        now=at("2027-02-02 09:00"),
    )
    db.commit()
    log_in(client, ADMIN)

    added = _post_day(client, day="13/02/2027", kind="working_day", note="Làm bù Tết", year="2027")
    assert added.status_code == 303, added.text
    db.expire_all()
    # 2, 3, 11, 12, (Sat) 13, 15, 16 February.
    assert _local(dossier.due_at) == "2027-02-16 09:00"
    assert _history(db, dossier) and _mails(db, dossier)
    # The apology's date stays (a signed promise); only the legal date follows the calendar.
    assert extended.due_at == promised
    assert _local(extended.original_due_at) == "2027-02-16 10:00"
    [line] = _history(db, extended)
    assert "due_at" not in line.data and "original_due_at" in line.data
    assert not _mails(db, extended)

    desk = client.get(f"/can-bo/ho-so/{dossier.id}").text
    explanation = desk.split('id="due-explanation"')[1].split("</details>")[0]
    for day in ("04/02/2027", "05/02/2027", "08/02/2027", "09/02/2027", "10/02/2027"):
        assert f"{day}: nghỉ lễ, Tết" in explanation
    assert "06/02/2027: nghỉ lễ, Tết — Tết Nguyên Đán" in explanation
    assert "14/02/2027: ngày nghỉ cuối tuần" in explanation
    assert "13/02/2027" in explanation.split("Các ngày làm việc được tính")[1].split("</dd>")[0]


def test_the_due_time_rule_moves_open_appointments_both_ways(
    client: TestClient, db: Session
) -> None:
    dossier = _received(client, db, "2026-08-27 09:00")
    log_in(client, ADMIN)
    rules = {
        "cutoff_hour": "15:00",
        "answer_window_hours": "8",
        "supplement_window_days": "3",
        "supplement_limit_days": "15",
        "supplement_limit_unit": "calendar_days",
        "max_extensions": "1",
        "apology_lead_days": "1",
    }
    saved = post_form(
        client,
        "/quan-tri/lich/quy-tac",
        {**rules, "due_time_rule": "end_of_day"},
        page="/quan-tri/lich",
    )
    assert saved.status_code == 303, saved.text
    db.expire_all()
    assert _local(dossier.due_at) == "2026-09-10 17:00"
    post_form(
        client,
        "/quan-tri/lich/quy-tac",
        {**rules, "due_time_rule": "same_time"},
        page="/quan-tri/lich",
    )
    db.expire_all()
    assert _local(dossier.due_at) == "2026-09-10 09:00"
    assert [len(_history(db, dossier)), len(_mails(db, dossier))] == [2, 2]


def test_a_supplement_deadline_and_an_answer_window_follow_the_calendar(
    client: TestClient, db: Session
) -> None:
    # A supplement asked on Mon 17 Aug 2026: 15 days end on Tue 1 Sep, a holiday, so at the end
    # of the next working day, Thu 3 Sep (Civil Code Art. 148).
    submitted, _h = submit_procedure(client, SEVEN_DAYS)
    waiting = db.get(Dossier, submitted["id"])
    officer = account_service.get_user_by_email(db, RECEPTION)
    assert waiting is not None and officer is not None
    workflow.perform(
        db,
        waiting,
        officer,
        ActionIn(action="request_supplement", comment="Thiếu bản sao giấy khai sinh"),
        now=at("2026-08-17 10:00"),
    )
    db.commit()
    assert _local(waiting.supplement_due_at) == "2026-09-04 00:00"
    # A dossier just submitted online: its answer window (8 working hours) runs now.
    fresh, _h = submit_procedure(client, SEVEN_DAYS)
    answering = db.get(Dossier, fresh["id"])
    assert answering is not None and answering.answer_due_at is not None
    old_answer = answering.answer_due_at
    cal = calendar_service.get_calendar(db)
    assert answering.submitted_at is not None
    first_day = cal.next_working_start(answering.submitted_at).date()
    log_in(client, ADMIN)

    assert _post_day(client, day="2026-09-01", kind="struck_out").status_code == 303
    assert _post_day(client, day=first_day.isoformat(), kind="day_off").status_code == 303
    db.expire_all()
    assert _local(waiting.supplement_due_at) == "2026-09-02 00:00"
    [line] = _history(db, waiting)
    assert set(line.data) == {"supplement_due_at"} and not _mails(db, waiting)
    assert answering.answer_due_at > old_answer
    assert answering.answer_due_at == calendar_service.get_calendar(db).answer_due_at(
        answering.submitted_at
    )
    assert answering.step_due_at == answering.answer_due_at
