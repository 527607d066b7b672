"""Two staff members of the commune press "Hoàn phí" for the same dossier at the same moment,
each in their own transaction: the money goes back once, one receipt is cancelled, the other
is told it was already refunded — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from app.accounts import service as account_service
from app.catalog.models import Procedure, ProcedureVersion
from app.db import begin_write
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn, DossierCreate
from app.errors import Conflict
from app.payments import refunds
from app.payments import service as payment_service
from app.payments.models import Refund
from app.receipts.models import Receipt
from app.workflow import service as workflow
from tests.conftest import in_parallel
from tests.dossiers.helpers import pdf_bytes
from tests.payments.refund_steps import AGENCY_ADMIN, CASHIER, COPY, REASON

AGENCY = "000.00.51.H31"
RECEPTION = "tiepnhan.phohien@motcua.local"
VALUES = {"date": "2026-01-15", "id_number": "034190001234", "phone": "0912345678"}


def _form(version: ProcedureVersion) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for field in (version.form_schema or {}).get("fields", []):
        kind = field["type"]
        if kind == "select":
            form[field["name"]] = (field.get("options") or [""])[0]
        elif kind == "checkbox":
            form[field["name"]] = True
        elif kind == "email":
            form[field["name"]] = "lan@example.vn"
        else:
            form[field["name"]] = VALUES.get(kind, "2" if kind == "number" else "Nội dung khai")
    return form


def _paid_then_rejected(factory: sessionmaker) -> int:  # type: ignore[type-arg]
    with factory.begin() as session:
        citizen = account_service.get_user_by_email(session, "congdan2@motcua.local")
        cashier = account_service.get_user_by_email(session, CASHIER)
        reception = account_service.get_user_by_email(session, RECEPTION)
        assert citizen is not None and cashier is not None and reception is not None
        version = session.scalar(
            select(ProcedureVersion)
            .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(Procedure.code == COPY, ProcedureVersion.status == "published")
            .limit(1)
        )
        assert version is not None
        dossier = dossier_service.create_draft(
            session,
            citizen,
            DossierCreate(procedure_code=COPY, agency_code=AGENCY, form_data=_form(version)),
        )
        for comp in dossier.version.components:
            if comp.required:
                dossier_service.add_file(session, citizen, dossier, comp.code, "a.pdf", pdf_bytes())
        workflow.perform(session, dossier, citizen, ActionIn(action="submit"))
        assert dossier.status == "awaiting_payment"
        payment_service.start_payment(session, dossier, cashier, "cash")
        workflow.perform(session, dossier, reception, ActionIn(action="reject", reasons=["Sai"]))
        assert dossier.status == "rejected"
        return dossier.id


def _refund(factory: sessionmaker, email: str, dossier_id: int) -> str:  # type: ignore[type-arg]
    with factory() as session, session.begin():
        begin_write(session)
        user = account_service.get_user_by_email(session, email)
        dossier = session.get(Dossier, dossier_id)
        assert user is not None and dossier is not None
        return refunds.record_refund(session, dossier, user, "cash", REASON).status


def test_two_refunds_at_once_pay_back_once(fresh_database: Engine) -> None:
    factory = sessionmaker(bind=fresh_database, expire_on_commit=False)
    dossier_id = _paid_then_rejected(factory)
    results = in_parallel(
        [(lambda e=e: _refund(factory, e, dossier_id)) for e in (CASHIER, AGENCY_ADMIN)]
    )
    done = [r for r in results if r == "refunded"]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(done) == 1 and len(refused) == 1, results
    assert refused[0].detail == "Phí, lệ phí của hồ sơ này đã được hoàn trả."
    with factory() as session:
        assert session.scalar(select(func.count(Refund.id))) == 1
        statuses = list(
            session.scalars(select(Receipt.status).where(Receipt.dossier_id == dossier_id))
        )
        assert statuses == ["cancelled"]
