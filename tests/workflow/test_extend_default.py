"""Finding m15: the extend form (form 04) proposes a date the rule accepts."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from tests.conftest import csrf_from
from tests.dossiers.helpers import RECEPTION, SPECIALIST, pdf_bytes
from tests.workflow.test_staff_pages import VN, done, log_in, page_action


def _received_passport_check(client: TestClient) -> int:
    log_in(client, RECEPTION)
    html = client.get("/can-bo/tiep-nhan", params={"thu_tuc": "1.014061"}).text
    created = client.post(
        "/can-bo/tiep-nhan",
        data={
            "csrf_token": csrf_from(html),
            "procedure_code": "1.014061",
            "applicant_full_name": "Đỗ Văn Nam",
            "applicant_id_number": "034095001122",
            "applicant_phone": "0912000111",
            "applicant_address": "Phường Phố Hiến, tỉnh Hưng Yên",
            "fd-birth_date": "1995-04-02",
            "fd-delivery": "Nhận tại nơi làm thủ tục",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    dossier_id = int(created.headers["location"].split("/")[3].split("?")[0])
    token = csrf_from(client.get(created.headers["location"]).text)
    client.post(
        f"/can-bo/tiep-nhan/{dossier_id}/tep",
        data={"csrf_token": token, "component": "DC02"},
        files={"file": ("dc02.pdf", pdf_bytes("DC02"), "application/pdf")},
    )
    received = client.post(
        f"/can-bo/tiep-nhan/{dossier_id}/tiep-nhan",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert received.status_code == 303, received.text
    return dossier_id


def test_the_proposed_new_date_is_accepted_as_it_is(client: TestClient, db: Session) -> None:
    dossier_id = _received_passport_check(client)
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
