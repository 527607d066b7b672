"""Parallel submissions and counter intakes get unique, gapless codes; two officers on one
dossier: one wins.

These tests commit for real (each thread has its own connection), on SQLite and PostgreSQL.
They use the commune Liên Phương, which other tests leave alone.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service as account_service
from app.config import get_settings
from app.db import begin_write, utcnow
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn, ApplicantIn, DossierCreate
from app.errors import Conflict, DomainError
from app.workflow import service as workflow
from tests.conftest import in_parallel
from tests.dossiers.helpers import BIRTH_FORM, pdf_bytes

AGENCY = "000.00.54.H31"
RECEPTION = "tiepnhan.lienphuong@motcua.local"
CITIZEN = "congdan2@motcua.local"


def _drafts(factory: sessionmaker[Session], count: int, channel: str = "online") -> list[int]:
    """Complete drafts: a citizen's online ones, or counter ones entered by reception."""
    ids = []
    with factory.begin() as session:
        author = account_service.get_user_by_email(
            session, CITIZEN if channel == "online" else RECEPTION
        )
        assert author is not None
        applicant = (
            None
            if channel == "online"
            else ApplicantIn(
                full_name="Nguyễn Văn Quầy", id_number="034190001234", phone="0912345678"
            )
        )
        for _ in range(count):
            dossier = dossier_service.create_draft(
                session,
                author,
                DossierCreate(
                    procedure_code="1.001193",
                    agency_code=AGENCY,
                    channel=channel,  # type: ignore[arg-type]
                    applicant=applicant,
                    form_data=BIRTH_FORM,
                ),
            )
            for comp in ("TK", "GCS"):
                dossier_service.add_file(session, author, dossier, comp, "a.pdf", pdf_bytes())
            ids.append(dossier.id)
    return ids


def _submitted(factory: sessionmaker[Session], count: int) -> list[int]:
    ids = _drafts(factory, count)
    with factory.begin() as session:
        citizen = account_service.get_user_by_email(session, CITIZEN)
        assert citizen is not None
        for dossier_id in ids:
            dossier = session.get(Dossier, dossier_id)
            assert dossier is not None
            workflow.perform(session, dossier, citizen, ActionIn(action="submit"))
    return ids


def _act(
    factory: sessionmaker[Session], dossier_id: int, email: str, action: str, fail: bool = False
) -> str:
    """One request's transaction: the action, then (if ``fail``) an error before the commit."""
    with factory() as session, session.begin():
        begin_write(session)
        actor = account_service.get_user_by_email(session, email)
        assert actor is not None
        dossier = session.get(Dossier, dossier_id)
        assert dossier is not None
        workflow.perform(session, dossier, actor, ActionIn(action=action))
        if fail:
            raise RuntimeError("simulated failure after the code was drawn")
        return str(dossier.code)


def _receive(
    factory: sessionmaker[Session], dossier_id: int, email: str = RECEPTION, fail: bool = False
) -> str:
    return _act(factory, dossier_id, email, "receive", fail)


def test_parallel_submissions_and_intakes_get_consecutive_unique_codes(engine: Engine) -> None:
    """Online submissions and counter intakes of one unit share its daily sequence."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    online = _drafts(factory, 8)
    counter = _drafts(factory, 4, channel="counter")
    jobs = [
        (lambda d=d, f=(i in (2, 5)): _act(factory, d, CITIZEN, "submit", f))
        for i, d in enumerate(online)
    ]
    jobs += [
        (lambda d=d, f=(i == 1): _act(factory, d, RECEPTION, "receive", f))
        for i, d in enumerate(counter)
    ]
    started = utcnow()
    results = in_parallel(jobs)
    codes = [r for r in results if isinstance(r, str)]
    failures = [r for r in results if isinstance(r, Exception)]
    # Three failed after drawing a number: their numbers must come back.
    assert len(failures) == 3 and all(isinstance(f, RuntimeError) for f in failures), results
    assert len(codes) == 9 and len(set(codes)) == 9
    zone = ZoneInfo(get_settings().timezone)
    days = {f"{t.astimezone(zone):%y%m%d}" for t in (started, utcnow())}  # midnight-proof
    prefixes = {c.rsplit("-", 1)[0] for c in codes}
    assert len(prefixes) == 1 and prefixes.pop() in {f"{AGENCY}-{day}" for day in days}
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert numbers == list(range(numbers[0], numbers[0] + 9)), numbers
    with factory() as session:
        highest = session.scalar(
            select(Dossier.code)
            .where(Dossier.code.like(f"{AGENCY}-%"))
            .order_by(Dossier.code.desc())
            .limit(1)
        )
        assert highest is not None and int(highest.rsplit("-", 1)[1]) == numbers[-1]
        # The failed ones are as they were: drafts without a code.
        failed = [d for i, d in enumerate(online) if i in (2, 5)] + [counter[1]]
        for dossier_id in failed:
            dossier = session.get(Dossier, dossier_id)
            assert dossier is not None and dossier.status == "draft" and dossier.code is None
    # Reception keeps the code of the submission; it draws no number.
    submitted = [d for i, d in enumerate(online) if i not in (2, 5)]
    kept = in_parallel([(lambda d=d: _receive(factory, d)) for d in submitted[:3]])
    assert all(isinstance(k, str) and k in codes for k in kept), kept
    with factory() as session:
        still = session.scalar(
            select(Dossier.code)
            .where(Dossier.code.like(f"{AGENCY}-%"))
            .order_by(Dossier.code.desc())
            .limit(1)
        )
        assert still == highest


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
