"""The "nearly late" warning of the periodic checks (finding m13): one working day ahead, half
the time for a procedure of a day or less, and for the staff only."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.calendar import service as calendar_service
from app.dossiers.models import Dossier
from app.workflow import service as workflow
from tests.conftest import csrf_from
from tests.dossiers.helpers import RECEPTION, act, headers, submitted_dossier


def _received(client: TestClient, db: Session) -> Dossier:
    dossier_id, _citizen = submitted_dossier(client)  # 1.001193: within the day
    assert act(client, headers(client, RECEPTION), dossier_id, "receive").status_code == 200
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.received_at is not None and dossier.due_at is not None
    return dossier


def _warnings(dossier: Dossier) -> int:
    return sum(1 for e in dossier.events if e.action == "late_warning")


def test_a_same_day_procedure_is_not_nearly_late_when_it_is_received(
    client: TestClient, db: Session
) -> None:
    dossier = _received(client, db)
    cal = calendar_service.get_calendar(db)
    assert dossier.due_at is not None and dossier.received_at is not None

    workflow.run_periodic_checks(db, now=dossier.received_at + timedelta(minutes=5))
    db.refresh(dossier)
    assert dossier.late_warning_at is None and _warnings(dossier) == 0

    # Past half of the working day it has, it is.
    half_way = cal.add_working_days(dossier.received_at, 0.6)
    assert half_way < dossier.due_at
    assert workflow.run_periodic_checks(db, now=half_way)["warned"] >= 1
    db.refresh(dossier)
    assert dossier.late_warning_at == half_way and _warnings(dossier) == 1
    # Once only.
    workflow.run_periodic_checks(db, now=half_way + timedelta(minutes=30))
    db.refresh(dossier)
    assert _warnings(dossier) == 1


def test_the_warning_stays_off_the_applicants_and_the_public_timelines(
    client: TestClient, db: Session
) -> None:
    dossier = _received(client, db)
    cal = calendar_service.get_calendar(db)
    assert dossier.received_at is not None
    workflow.run_periodic_checks(db, now=cal.add_working_days(dossier.received_at, 0.6))
    db.commit()
    assert _warnings(dossier) == 1

    lookup = client.get(
        "/api/v1/lookup", params={"code": dossier.code, "secret": dossier.lookup_secret}
    )
    assert lookup.status_code == 200
    assert [e["action"] for e in lookup.json()["timeline"]] == ["submit", "receive"]
    form = client.get("/tra-cuu")
    page = client.post(
        "/tra-cuu",
        data={
            "csrf_token": csrf_from(form.text),
            "code": dossier.code,
            "secret": dossier.lookup_secret,
        },
    )
    assert page.status_code == 200 and dossier.code in page.text
    assert "Cảnh báo sắp quá hạn" not in page.text
