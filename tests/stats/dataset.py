"""Dossiers built directly with the models, at fixed moments, so that every indicator can be
worked out by hand (tests/stats/test_indicators.py has the arithmetic in its comments)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.agencies.models import Agency
from app.catalog.models import Procedure, ProcedureVersion
from app.documents.models import Document
from app.dossiers.models import Dossier, DossierFile
from app.payments.models import Payment
from app.ratings.models import Rating

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PROVINCE = "000.00.00.H31"
COMMUNE_A = "000.00.51.H31"  # UBND phường Phố Hiến
COMMUNE_B = "000.00.52.H31"  # UBND phường Sơn Nam
DEPARTMENT = "000.00.20.H31"
BIRTH = "1.001193"  # commune, full online
MARRIAGE = "1.000894"  # commune, partial online
DEPT_FULL = "3.000333"  # department, full online
DEPT_PARTIAL = "1.001456"  # department, partial online
CITIZEN = "congdan@motcua.local"
PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}
FAR_FUTURE = datetime(2099, 1, 1, 17, 0, tzinfo=VN)


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2024) -> datetime:
    """A local (Asia/Ho_Chi_Minh) moment."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@dataclass
class Builder:
    db: Session

    def agency_id(self, code: str) -> int:
        agency_id = self.db.scalar(select(Agency.id).where(Agency.code == code))
        assert agency_id is not None, code
        return agency_id

    def version_id(self, code: str) -> int:
        version_id = self.db.scalar(
            select(ProcedureVersion.id)
            .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(Procedure.code == code, ProcedureVersion.status == "published")
        )
        assert version_id is not None, code
        return version_id

    def citizen_id(self, email: str = CITIZEN) -> int:
        user_id = self.db.scalar(select(User.id).where(User.email == email))
        assert user_id is not None
        return user_id

    def dossier(
        self,
        key: str,
        agency: str,
        procedure: str,
        channel: str,
        status: str,
        received: datetime | None,
        due: datetime | None = None,
        *,
        original_due: datetime | None = None,
        result_ready: datetime | None = None,
        finished: datetime | None = None,
        supplements: int = 0,
        extensions: int = 0,
        files: tuple[Any, ...] = (),
        result_doc: bool = False,
        payments: tuple[tuple[str, str], ...] = (),
        rating: tuple[int, bool] | None = None,
    ) -> Dossier:
        """``files``: one ``digitised`` flag per component file, or ``(flag, removed)``."""
        dossier = Dossier(
            code=f"TEST-{key}" if received else None,
            version_id=self.version_id(procedure),
            agency_id=self.agency_id(agency),
            applicant_id=self.citizen_id(),
            channel=channel,
            status=status,
            applicant={"full_name": f"Người nộp {key}"},
            submitted_at=received,
            received_at=received,
            due_at=due,
            original_due_at=original_due or due,
            result_ready_at=result_ready,
            finished_at=finished,
            supplement_count=supplements,
            extension_count=extensions,
        )
        self.db.add(dossier)
        self.db.flush()
        for i, spec in enumerate(files):
            digitised, removed = spec if isinstance(spec, tuple) else (spec, False)
            self.db.add(
                DossierFile(
                    dossier_id=dossier.id,
                    component_code=f"C{i}",
                    purpose="component",
                    filename=f"{key}-{i}.pdf",
                    content_type="application/pdf",
                    size=100,
                    sha256=hashlib.sha256(f"{key}-{i}".encode()).hexdigest(),
                    digitised=digitised,
                    removed_at=at(3, 1) if removed else None,
                )
            )
        if result_doc:
            self.db.add(
                Document(
                    dossier_id=dossier.id,
                    agency_id=dossier.agency_id,
                    kind="result",
                    title=f"Kết quả {key}",
                    verify_token=secrets.token_urlsafe(32),
                )
            )
        for i, (method, pay_status) in enumerate(payments):
            self.db.add(
                Payment(
                    dossier_id=dossier.id,
                    method=method,
                    amount=10_000,
                    status=pay_status,
                    txn_ref=f"T{secrets.token_hex(6)}{i}",
                )
            )
        if rating is not None:
            score, complaint = rating
            self.db.add(
                Rating(
                    dossier_id=dossier.id,
                    user_id=self.citizen_id(),
                    score=score,
                    complaint=complaint,
                )
            )
        self.db.flush()
        return dossier


def build_march_2024(db: Session) -> dict[str, Dossier]:
    """The dataset of test_indicators: two communes and a department of the demo province."""
    b = Builder(db)
    online2 = (False, False)  # citizen uploads: digital, not "digitised" at a counter
    d: dict[str, Dossier] = {}
    # --- commune A (Phố Hiến) -----------------------------------------------------------
    d["A1"] = b.dossier(
        "A1", COMMUNE_A, BIRTH, "online", "completed", at(3, 4), at(3, 6, 17),
        result_ready=at(3, 5, 10), finished=at(3, 5, 15), files=online2, result_doc=True,
        payments=(("sandbox", "paid"),), rating=(5, False),
    )  # fmt: skip
    d["A2"] = b.dossier(
        "A2", COMMUNE_A, BIRTH, "counter", "completed", at(3, 5), at(3, 7, 17),
        result_ready=at(3, 8, 9), finished=at(3, 8, 10), files=(True, True, (False, True)),
        result_doc=True, payments=(("cash", "paid"),), rating=(3, False),
    )  # fmt: skip
    d["A3"] = b.dossier(
        "A3", COMMUNE_A, MARRIAGE, "online", "completed", at(3, 6), at(3, 20, 17),
        result_ready=at(3, 15), finished=at(3, 15, 14), supplements=2, files=online2,
        result_doc=False, payments=(("vnpay", "paid"),), rating=(4, True),
    )  # fmt: skip
    d["A4"] = b.dossier(
        "A4", COMMUNE_A, MARRIAGE, "counter", "result_ready", at(3, 7), at(3, 14, 17),
        original_due=at(3, 11, 17), result_ready=at(3, 13, 10), extensions=1,
        files=(True, False), result_doc=True,
        payments=(("transfer", "paid"), ("sandbox", "failed")),
    )  # fmt: skip
    d["A5"] = b.dossier(
        "A5", COMMUNE_A, BIRTH, "online", "processing", at(3, 8), at(3, 12, 17), files=online2
    )
    d["A6"] = b.dossier("A6", COMMUNE_A, BIRTH, "counter", "processing", at(3, 10), FAR_FUTURE)
    d["A9"] = b.dossier(
        "A9", COMMUNE_A, MARRIAGE, "counter", "withdrawn", at(3, 12), at(3, 18, 17),
        finished=at(3, 13), files=(True,),
    )  # fmt: skip
    d["A10"] = b.dossier(
        "A10", COMMUNE_A, BIRTH, "online", "rejected", at(3, 31, 23, 30), at(4, 3, 17),
        finished=at(4, 1, 10), files=online2,
    )  # fmt: skip
    d["A12"] = b.dossier(
        "A12", COMMUNE_A, BIRTH, "counter", "supplement_requested", at(3, 20), at(3, 22, 17),
        supplements=1, files=(False,),
    )  # fmt: skip
    # Outside the period (or never received): they change nothing.
    d["A7"] = b.dossier(
        "A7", COMMUNE_A, BIRTH, "online", "completed", at(2, 28), at(3, 1, 17),
        result_ready=at(2, 29), finished=at(2, 29, 15), files=online2, result_doc=True,
        rating=(1, True),
    )  # fmt: skip
    d["A8"] = b.dossier("A8", COMMUNE_A, BIRTH, "online", "submitted", None, files=online2)
    d["A11"] = b.dossier(
        "A11", COMMUNE_A, BIRTH, "online", "processing", at(4, 1, 0, 10), at(4, 3, 17),
        files=online2,
    )  # fmt: skip
    # --- commune B (Sơn Nam) -------------------------------------------------------------
    d["B1"] = b.dossier(
        "B1", COMMUNE_B, BIRTH, "online", "completed", at(3, 11), at(3, 13, 17),
        result_ready=at(3, 12), finished=at(3, 12, 15), files=online2, result_doc=True,
        payments=(("sandbox", "paid"),), rating=(1, False),
    )  # fmt: skip
    d["B2"] = b.dossier(
        "B2", COMMUNE_B, MARRIAGE, "counter", "completed", at(3, 12), at(3, 25, 17),
        result_ready=at(3, 22), finished=at(3, 22, 15), supplements=1, files=(True, True),
        result_doc=True, payments=(("cash", "paid"),), rating=(5, False),
    )  # fmt: skip
    d["B3"] = b.dossier(
        "B3", COMMUNE_B, BIRTH, "postal", "stopped", at(3, 13), at(3, 15, 17),
        finished=at(3, 30), supplements=1, files=(False,),
    )  # fmt: skip
    # --- department ---------------------------------------------------------------------
    d["D1"] = b.dossier(
        "D1", DEPARTMENT, DEPT_FULL, "online", "completed", at(3, 14), at(3, 20, 17),
        result_ready=at(3, 18), finished=at(3, 18, 15), files=online2, result_doc=True,
        payments=(("vnpay", "paid"),), rating=(4, False),
    )  # fmt: skip
    d["D2"] = b.dossier(
        "D2", DEPARTMENT, DEPT_PARTIAL, "counter", "completed", at(3, 15), at(3, 19, 17),
        result_ready=at(3, 21), finished=at(3, 21, 15), files=(True,), result_doc=True,
        payments=(("cash", "paid"),),
    )  # fmt: skip
    return d
