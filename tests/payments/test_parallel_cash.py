"""Twenty cashiers' cash payments at once, each in its own transaction through the payment
service: one series, twenty consecutive receipt numbers, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from app.accounts import service as account_service
from app.db import begin_write
from app.dossiers.models import Dossier
from app.payments import service as payment_service
from app.receipts.models import Receipt
from tests.conftest import in_parallel

PROCEDURE = "2.000884"  # signature certification, 10.000 ₫ at reception
AGENCY = "000.00.54.H31"
CASHIER = "tiepnhan.lienphuong@motcua.local"  # reception, specialist and cashier


def _received_dossiers(factory: sessionmaker, count: int) -> list[int]:  # type: ignore[type-arg]
    from app.dossiers import service as dossier_service
    from app.dossiers.schemas import ActionIn, DossierCreate
    from app.workflow import service as workflow
    from tests.dossiers.helpers import pdf_bytes
    from tests.payments.declared import FORM

    ids = []
    with factory.begin() as session:
        citizen = account_service.get_user_by_email(session, "congdan2@motcua.local")
        officer = account_service.get_user_by_email(session, CASHIER)
        assert citizen is not None and officer is not None
        for _ in range(count):
            dossier = dossier_service.create_draft(
                session,
                citizen,
                DossierCreate(procedure_code=PROCEDURE, agency_code=AGENCY, form_data=FORM),
            )
            for comp in dossier.version.components:
                if comp.required:
                    dossier_service.add_file(
                        session, citizen, dossier, comp.code, "a.pdf", pdf_bytes()
                    )
            workflow.perform(session, dossier, citizen, ActionIn(action="submit"))
            workflow.perform(session, dossier, officer, ActionIn(action="receive"))
            assert dossier.status == "awaiting_payment"
            ids.append(dossier.id)
    return ids


def _pay(factory: sessionmaker, dossier_id: int) -> int:  # type: ignore[type-arg]
    with factory() as session, session.begin():
        begin_write(session)
        cashier = account_service.get_user_by_email(session, CASHIER)
        dossier = session.get(Dossier, dossier_id)
        assert cashier is not None and dossier is not None
        payment = payment_service.start_payment(session, dossier, cashier, "cash")
        receipt = session.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
        assert receipt is not None
        return receipt.number


def test_twenty_parallel_cash_payments_get_consecutive_numbers(fresh_database: Engine) -> None:
    factory = sessionmaker(bind=fresh_database, expire_on_commit=False)
    ids = _received_dossiers(factory, 20)
    results = in_parallel([(lambda d=d: _pay(factory, d)) for d in ids])
    numbers = sorted(r for r in results if isinstance(r, int))
    assert len(numbers) == 20, results
    assert numbers == list(range(numbers[0], numbers[0] + 20))
    with factory() as session:
        statuses = set(session.scalars(select(Dossier.status).where(Dossier.id.in_(ids))))
        assert statuses == {"received"}
