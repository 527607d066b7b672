"""A supplement deadline at midnight reads "hết ngày" of the day before (finding m11)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from tests.dossiers.helpers import RECEPTION, act, headers, submitted_dossier


def test_supplement_deadline_on_the_applicants_page(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    asked = act(
        client,
        headers(client, RECEPTION),
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="Giấy chứng sinh bị mờ",
    )
    assert asked.status_code == 200, asked.text
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.supplement_due_at is not None
    due = dossier.supplement_due_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))

    page = client.get(f"/ho-so/{dossier_id}", headers=citizen).text

    # 15 calendar days by default: the period ends at 24:00 of its last day (Civil Code Art. 148).
    assert (due.hour, due.minute) == (0, 0)
    day = (due - timedelta(days=1)).strftime("%d/%m/%Y")
    assert f"hết ngày {day}" in page
    assert f"00:00 {due.strftime('%d/%m/%Y')}" not in page
