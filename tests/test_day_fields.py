"""Date fields read dd/mm/yyyy whatever the browser's language: what is accepted, what is
refused (with the Vietnamese message next to the field), and how a date is shown again."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from app.formatting import DAY_PATTERN, day_text, parse_day_text
from tests.conftest import csrf_from
from tests.dossiers.test_citizen_pages import draft_data, log_in, start_draft, value_of


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("20/11/2026", date(2026, 11, 20)),
        ("5/1/2026", date(2026, 1, 5)),
        (" 05/01/2026 ", date(2026, 1, 5)),
        ("05.01.2026", date(2026, 1, 5)),
        ("05-01-2026", date(2026, 1, 5)),
        ("05012026", date(2026, 1, 5)),
        ("2026-01-05", date(2026, 1, 5)),
        ("29/02/2028", date(2028, 2, 29)),
    ],
)
def test_days_typed_the_vietnamese_way_or_iso_are_read(typed: str, day: date) -> None:
    assert parse_day_text(typed) == day
    assert re.fullmatch(DAY_PATTERN, typed.strip())  # the browser lets it through too


@pytest.mark.parametrize(
    "typed",
    [
        "31/02/2026",
        "29/02/2026",
        "00/01/2026",
        "12/13/2026",
        "2026/01/05",
        "20/11/26",
        "",
        "hôm nay",
    ],
)
def test_days_that_do_not_exist_or_are_not_dates_are_refused(typed: str) -> None:
    assert parse_day_text(typed) is None


def test_a_day_is_shown_as_dd_mm_yyyy_and_a_refused_text_as_typed() -> None:
    assert day_text(date(2026, 1, 5)) == "05/01/2026"
    assert day_text("2026-01-05") == "05/01/2026"
    assert day_text("5/1/2026") == "05/01/2026"
    assert day_text("31/02/2026") == "31/02/2026"
    assert day_text(None) == ""


def _field(html: str, field_id: str) -> str:
    tag = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    assert tag, field_id
    return tag.group(0)


def test_statistics_period_is_typed_as_dd_mm_yyyy(client: TestClient) -> None:
    page = client.get("/thong-ke", params={"from": "01/03/2026", "to": "31/03/2026"})
    assert page.status_code == 200
    field = _field(page.text, "f-from")
    assert 'type="text"' in field and 'placeholder="dd/mm/yyyy"' in field
    assert 'value="01/03/2026"' in field and 'inputmode="numeric"' in field
    assert "01/03/2026 – 31/03/2026" in page.text or "01/03/2026" in page.text

    bad = client.get("/thong-ke", params={"from": "31/02/2026", "to": "31/03/2026"})
    field = _field(bad.text, "f-from")
    assert 'aria-invalid="true"' in field and "f-from-error" in field
    assert 'value="31/02/2026"' in field  # what was typed is there to correct
    assert re.search(r'id="f-from-error">Ngày không hợp lệ \(dd/mm/yyyy\)\.<', bad.text)


def test_a_declared_date_is_typed_dd_mm_yyyy_kept_as_a_date_and_shown_again(
    client: TestClient, db: Session
) -> None:
    log_in(client)
    dossier_id = start_draft(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}/khai").text)
    saved = client.post(
        f"/ho-so/{dossier_id}/khai",
        data=draft_data(token, child_birth_date="02/11/2026"),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    dossier = db.scalar(select(Dossier).where(Dossier.id == dossier_id))
    assert dossier is not None
    db.refresh(dossier)
    assert dossier.form_data["child_birth_date"] == "2026-11-02"
    page = client.get(saved.headers["location"])
    assert value_of(page.text, "form.child_birth_date") == "02/11/2026"

    refused = client.post(
        f"/ho-so/{dossier_id}/nop", data=draft_data(token, child_birth_date="31/02/2026")
    )
    assert refused.status_code == 422
    assert value_of(refused.text, "form.child_birth_date") == "31/02/2026"
    field = _field(refused.text, "f-child_birth_date")
    assert 'aria-invalid="true"' in field and "f-child_birth_date-error" in field
    assert re.search(
        r'id="f-child_birth_date-error">Ngày không hợp lệ \(dd/mm/yyyy\)\.<', refused.text
    )
    db.refresh(dossier)
    assert dossier.status == "draft"
