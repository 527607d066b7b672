"""`portal bench seed` adds consistent dossiers, and real work carries on after it."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from app.bench.seed import seed_dossiers
from app.dossiers.models import Dossier
from app.receipts.models import Receipt, ReceiptSeries


def test_bench_seed_reaches_the_target_with_consistent_data(fresh_database: Engine) -> None:
    factory = sessionmaker(bind=fresh_database, expire_on_commit=False)
    with factory() as session:
        before = session.scalar(select(func.count()).select_from(Dossier)) or 0
    target = before + 400
    ticks: list[int] = []
    assert seed_dossiers(factory, target, progress=ticks.append) == 400
    assert sum(ticks) == 400
    assert seed_dossiers(factory, target) == 0  # idempotent for the same target
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == target
        statuses = set(session.scalars(select(Dossier.status).distinct()))
        assert {"completed", "processing", "submitted"} <= statuses
        codes = list(session.scalars(select(Dossier.code).where(Dossier.code.is_not(None))))
        assert len(codes) == len(set(codes))
        # Receipt numbers stay unique per series and the series knows the last one.
        for series in session.scalars(select(ReceiptSeries)):
            numbers = list(
                session.scalars(select(Receipt.number).where(Receipt.series_id == series.id))
            )
            assert len(numbers) == len(set(numbers))
            assert max(numbers, default=0) == series.last_number


def test_work_after_bench_seed_gets_fresh_codes(fresh_database: Engine) -> None:
    from app.accounts import service as account_service
    from app.agencies.models import Agency
    from app.db import begin_write
    from app.dossiers import service as dossier_service
    from app.dossiers.schemas import ActionIn, ApplicantIn, DossierCreate
    from app.workflow import service as workflow
    from tests.dossiers.helpers import BIRTH_FORM, pdf_bytes

    factory = sessionmaker(bind=fresh_database, expire_on_commit=False)
    seed_dossiers(factory, 1500)
    with factory.begin() as session:
        begin_write(session)
        agency = session.scalar(select(Agency).where(Agency.code == "000.00.51.H31"))
        assert agency is not None
        dossier = session.scalar(
            select(Dossier)
            .where(Dossier.agency_id == agency.id, Dossier.status == "submitted")
            .limit(1)
        )
        assert dossier is not None, "the seed should leave dossiers waiting for reception"
        seeded = dossier.code
        assert seeded is not None and dossier.lookup_secret, "a submitted dossier has its code"
        officer = account_service.get_user_by_email(session, "tiepnhan.phohien@motcua.local")
        assert officer is not None
        workflow.perform(session, dossier, officer, ActionIn(action="receive"))
        assert dossier.code == seeded  # reception keeps it
        # A counter intake today draws the next number of the unit's day.
        intake = dossier_service.create_draft(
            session,
            officer,
            DossierCreate(
                procedure_code="1.001193",
                channel="counter",
                applicant=ApplicantIn(full_name="Trần Văn Quầy", phone="0912345678"),
                form_data=BIRTH_FORM,
            ),
        )
        for comp in ("TK", "GCS"):
            dossier_service.add_file(session, officer, intake, comp, "a.pdf", pdf_bytes())
        workflow.perform(session, intake, officer, ActionIn(action="receive"))
        code = intake.code
    with factory() as session:
        for each in (seeded, code):
            same = session.scalar(select(func.count()).where(Dossier.code == each))
            assert same == 1, each
