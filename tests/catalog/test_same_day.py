"""Finding m3: a procedure settled "ngay trong ngày tiếp nhận" (legal time 0 days) is due by
the close of the day of reception — or of the next working day when received after the
15:00 cut-off — and its pages say "Trong ngày", as its time note does."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.calendar.service import get_calendar
from app.catalog import designer
from app.catalog import service as catalog_service
from app.dossiers.models import Dossier
from tests.dossiers.helpers import RECEPTION, act, headers, submitted_dossier

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "1.001193"


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=VN)


def test_a_same_day_procedure_is_due_the_same_day(client: TestClient, db: Session) -> None:
    version = catalog_service.get_published(db, CODE)
    assert version.time_note.startswith("Ngay trong ngày tiếp nhận")
    assert version.processing_days == 0  # what "Ngay trong ngày" is as a legal time
    cal = get_calendar(db)
    # Friday 4 Dec 2026 11:52 (the finding's case): that Friday 17:00, not Monday 11:30.
    assert cal.due_after_working_days(at("2026-12-04 11:52"), 0) == at("2026-12-04 17:00")
    # After the cut-off: the close of the next working day, as the note says.
    assert cal.due_after_working_days(at("2026-12-04 15:30"), 0) == at("2026-12-07 17:00")
    # Its steps fit the one working day it has: nothing blocks publishing it.
    assert not [p for p in designer.check_version(db, version) if p.section == "steps"]

    page = client.get(f"/thu-tuc/{CODE}").text
    row = page[page.index("Thời hạn giải quyết") :]
    row = row[: row.index("</dd>")]
    assert "Trong ngày" in row and "0 ngày làm việc" not in row
    listed = client.get("/thu-tuc", params={"q": "khai sinh"}).text
    assert "Thời hạn: Trong ngày" in listed


def test_a_received_birth_registration_is_due_by_the_close_of_its_first_day(
    client: TestClient, db: Session
) -> None:
    dossier_id, _citizen = submitted_dossier(client)
    body = act(client, headers(client, RECEPTION), dossier_id, "receive").json()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.received_at is not None
    cal = get_calendar(db)
    first_day = cal.next_working_start(cal.reception_start(dossier.received_at)).date()
    due = datetime.fromisoformat(body["due_at"]).astimezone(VN)
    assert (due.date(), due.strftime("%H:%M")) == (first_day, "17:00")
