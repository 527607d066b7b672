"""Parallel receptions get unique, gapless codes; two officers on one dossier: one wins.

These tests commit for real (each thread has its own connection), on SQLite and PostgreSQL.
They use the commune Liên Phương, which other tests leave alone.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service as account_service
from app.db import begin_write
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn, DossierCreate
from app.errors import Conflict, DomainError
from app.workflow import service as workflow
from tests.conftest import in_parallel
from tests.dossiers.helpers import BIRTH_FORM, pdf_bytes

AGENCY = "000.00.54.H31"
RECEPTION = "tiepnhan.lienphuong@motcua.local"


def _submitted(factory: sessionmaker[Session], count: int) -> list[int]:
    ids = []
    with factory.begin() as session:
        citizen = account_service.get_user_by_email(session, "congdan2@motcua.local")
        assert citizen is not None
        for _ in range(count):
            dossier = dossier_service.create_draft(
                session,
                citizen,
                DossierCreate(procedure_code="1.001193", agency_code=AGENCY, form_data=BIRTH_FORM),
            )
            for comp in ("TK", "GCS"):
                dossier_service.add_file(session, citizen, dossier, comp, "a.pdf", pdf_bytes())
            workflow.perform(session, dossier, citizen, ActionIn(action="submit"))
            ids.append(dossier.id)
    return ids


def _receive(
    factory: sessionmaker[Session], dossier_id: int, email: str = RECEPTION, fail: bool = False
) -> str:
    with factory() as session, session.begin():
        begin_write(session)
        officer = account_service.get_user_by_email(session, email)
        assert officer is not None
        dossier = session.get(Dossier, dossier_id)
        assert dossier is not None
        workflow.perform(session, dossier, officer, ActionIn(action="receive"))
        if fail:
            raise RuntimeError("simulated failure after the code was drawn")
        return str(dossier.code)


def test_parallel_receptions_get_consecutive_unique_codes(engine: Engine) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    ids = _submitted(factory, 12)
    # Two of the receptions fail after drawing a number: their numbers must come back.
    jobs = [(lambda d=d, f=(i in (3, 7)): _receive(factory, d, fail=f)) for i, d in enumerate(ids)]
    results = in_parallel(jobs)
    codes = [r for r in results if isinstance(r, str)]
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 2 and all(isinstance(f, RuntimeError) for f in failures), results
    assert len(codes) == 10 and len(set(codes)) == 10
    prefixes = {c.rsplit("-", 1)[0] for c in codes}
    assert len(prefixes) == 1 and prefixes.pop().startswith(AGENCY + "-")
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert numbers == list(range(numbers[0], numbers[0] + 10)), numbers
    with factory() as session:
        highest = session.scalar(
            select(Dossier.code)
            .where(Dossier.code.like(f"{AGENCY}-%"))
            .order_by(Dossier.code.desc())
            .limit(1)
        )
        assert highest is not None and int(highest.rsplit("-", 1)[1]) == numbers[-1]


def test_two_officers_on_one_dossier_one_wins(engine: Engine) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory.begin() as session:
        if account_service.get_user_by_email(session, "tiepnhan2.lienphuong@motcua.local") is None:
            account_service.create_user(
                session,
                email="tiepnhan2.lienphuong@motcua.local",
                password="MotCua@2026",
                full_name="Cán bộ thứ hai",
                agency_code=AGENCY,
                roles=["reception"],
            )
    for _ in range(3):  # repeated: the race is real, not a lucky ordering
        (dossier_id,) = _submitted(factory, 1)
        results = in_parallel(
            [
                lambda d=dossier_id: _receive(factory, d),
                lambda d=dossier_id: _receive(factory, d, "tiepnhan2.lienphuong@motcua.local"),
            ]
        )
        wins = [r for r in results if isinstance(r, str)]
        losses = [r for r in results if isinstance(r, DomainError)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert isinstance(losses[0], Conflict) and losses[0].status_code == 409
        with factory() as session:
            dossier = session.get(Dossier, dossier_id)
            assert dossier is not None and dossier.code == wins[0]
            assert [e.action for e in dossier.events].count("receive") == 1
