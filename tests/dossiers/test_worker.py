"""`portal worker` (and the web process's embedded loop) stop dossiers whose supplement never
came; the embedded loop stands down while a dedicated worker is alive."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from app.accounts import service as account_service
from app.db import utcnow
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn
from app.worker import run_worker, worker_alive
from app.workflow import service as workflow
from tests.dossiers.test_concurrency import _submitted


def test_worker_pass_stops_timed_out_supplements(engine: Engine) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    (dossier_id,) = _submitted(factory, 1)
    with factory.begin() as session:
        officer = account_service.get_user_by_email(session, "tiepnhan.lienphuong@motcua.local")
        dossier = session.get(Dossier, dossier_id)
        assert officer is not None and dossier is not None
        workflow.perform(
            session,
            dossier,
            officer,
            ActionIn(
                action="request_supplement", missing_components=["GCS"], comment="Thiếu bản chính"
            ),
        )
        # The 15 days have passed.
        dossier.supplement_due_at = utcnow() - timedelta(minutes=5)
    run_worker(60, threading.Event(), once=True)
    with factory() as session:
        dossier = session.get(Dossier, dossier_id)
        assert dossier is not None and dossier.status == "stopped"
        assert [e.action for e in dossier.events][-1] == "supplement_timeout"
    assert worker_alive(60)
