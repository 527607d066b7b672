"""Steps shared by the PAR index tests: the demo's accounts and this year's open round."""

from __future__ import annotations

import io
import re
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.par.models import Criterion, Round, RoundUnit
from app.stats.dates import local_today
from tests.conftest import csrf_from
from tests.dossiers.test_citizen_pages import log_in

ADMIN = "cchc.noivu@motcua.local"
COUNCIL = "hoidong.cchc@motcua.local"
JUSTICE_LEADER = "lanhdao.tuphap@motcua.local"
PHO_HIEN_LEADER = "lanhdao.phohien@motcua.local"
JUSTICE = "000.00.15.H31"
PHO_HIEN = "000.00.51.H31"
YEAR = local_today().year


def criterion_ids(db: Session, agency_code: str, year: int = YEAR) -> dict[str, Criterion]:
    """The criteria of the unit's set by code."""
    unit = unit_row(db, agency_code, year)
    return {c.code: c for c in unit.criteria_set.criteria}


def unit_row(db: Session, agency_code: str, year: int = YEAR) -> RoundUnit:
    round_ = db.scalar(select(Round).where(Round.year == year))
    assert round_ is not None
    return next(u for u in round_.units if u.agency.code == agency_code)


def manual_points(criterion: Criterion) -> float:
    """The test's self-assessed score of a manual criterion: three quarters, rounded down to
    a quarter point."""
    return int(criterion.max_points * 0.75 * 4) / 4


def self_assess_form(client: TestClient, year: int = YEAR) -> tuple[str, dict[str, str]]:
    page = client.get(f"/chi-so-cchc/{year}/tu-danh-gia")
    assert page.status_code == 200, page.text
    return csrf_from(page.text), {}


def fill_and_submit(client: TestClient, db: Session, email: str, agency_code: str) -> Any:
    log_in(client, email)
    token, _ = self_assess_form(client)
    data = {"csrf_token": token, "then": "submit"}
    for code, c in criterion_ids(db, agency_code).items():
        if c.method == "manual":
            data[f"score_{c.id}"] = str(manual_points(c)).replace(".", ",")
            data[f"note_{c.id}"] = f"Báo cáo số {code}/BC"
    return client.post(f"/chi-so-cchc/{YEAR}/tu-danh-gia", data=data, follow_redirects=False)


def post_form(client: TestClient, path: str, page: str, **data: Any) -> Any:
    token = csrf_from(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def upload(client: TestClient, path: str, page: str, name: str, content: bytes, **data: Any) -> Any:
    token = csrf_from(client.get(page).text)
    return client.post(
        path,
        data={"csrf_token": token, **data},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ids_in(html: str, name: str) -> list[int]:
    return [int(x) for x in re.findall(rf'name="{name}_(\d+)"', html)]
