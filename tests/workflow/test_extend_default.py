"""Finding m15: the extend form (form 04) proposes a date the rule accepts."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from tests.dossiers.helpers import SPECIALIST
from tests.workflow.test_staff_pages import VN, done, log_in, page_action, received_passport_check


def test_the_proposed_new_date_is_accepted_as_it_is(client: TestClient, db: Session) -> None:
    dossier_id = received_passport_check(client)
    log_in(client, SPECIALIST)
    page = client.get(f"/can-bo/ho-so/{dossier_id}").text
    day = re.search(r'name="new_due_date"[^>]* value="([^"]*)"', page)
    clock = re.search(r'name="new_due_time" value="([^"]*)"', page)
    assert day and clock
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.due_at is not None
    old_due = dossier.due_at.astimezone(VN)
    proposed = datetime.strptime(day.group(1), "%d/%m/%Y").date()  # written dd/mm/yyyy
    assert proposed > old_due.date()  # not the current date any more
    extended = page_action(
        client,
        dossier_id,
        "extend",
        {
            "new_due_date": day.group(1),
            "new_due_time": clock.group(1),
            "comment": "Chờ kết quả xác minh",
        },
    )
    assert "Ngày hẹn mới phải sau ngày hẹn cũ" not in extended.text
    client.get(done(extended, dossier_id, "extend"))
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.due_at is not None
    assert dossier.due_at.astimezone(VN).strftime("%d/%m/%Y %H:%M") == (
        f"{day.group(1)} {clock.group(1)}"
    )
    assert clock.group(1) == "17:00"  # the close of that working day
