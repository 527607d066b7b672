"""The tracking book (form 07) at scale: JSON pages that return every row exactly once, in the
book's order; PDF and XLSX limits with a message that says what to do; the staff page's
preview of a long book; and a number of SQL statements that does not grow with the book."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import token_cache
from app.catalog.models import ProcessStep
from app.dossiers.models import Dossier, StepRun
from app.reports import service
from tests.dossiers.helpers import CITIZEN, PHO_HIEN, RECEPTION, headers
from tests.stats.dataset import BIRTH, COMMUNE_B, MARRIAGE, Builder, at
from tests.test_query_counts import counting
from tests.workflow.test_staff_pages import log_in

BOOK = "/api/v1/reports/tracking-book"
TU_PHAP = "000.00.15.H31"  # Sở Tư pháp
WEEK = {"agency": PHO_HIEN, "from": "2024-05-06", "to": "2024-05-10"}
MONDAY_AFTER = {"agency": PHO_HIEN, "from": "2024-05-13", "to": "2024-05-13"}
# Dossiers of the week, by key: (day, hour, minute, procedure). D05 and D06 are received at
# the same minute, so that a page of 5 ends between two equal reception times.
WEEK_DOSSIERS = [
    ("D01", 6, 8, 0, BIRTH),
    ("D02", 6, 9, 30, MARRIAGE),
    ("D03", 7, 8, 15, BIRTH),
    ("D04", 7, 14, 0, MARRIAGE),
    ("D05", 8, 10, 0, BIRTH),
    ("D06", 8, 10, 0, MARRIAGE),
    ("D07", 8, 16, 45, BIRTH),
    ("D08", 9, 7, 30, BIRTH),
    ("D09", 9, 13, 30, MARRIAGE),
    ("D10", 10, 9, 0, BIRTH),
    ("D11", 10, 15, 0, MARRIAGE),
]


def _add_runs(db: Session, dossier: Dossier, second_agency_id: int | None) -> None:
    """Step runs of reception and, unless ``second_agency_id`` is None, of the next step."""
    steps = list(
        db.scalars(
            select(ProcessStep)
            .where(ProcessStep.version_id == dossier.version_id)
            .order_by(ProcessStep.position)
        )
    )
    received = dossier.received_at
    assert received is not None
    agencies = [dossier.agency_id] + ([second_agency_id] if second_agency_id else [])
    for step, agency_id in zip(steps, agencies, strict=False):
        db.add(
            StepRun(
                dossier_id=dossier.id,
                step_id=step.id,
                step_code=step.code,
                step_name=step.name,
                agency_id=agency_id,
                started_at=received,
                due_at=received + timedelta(days=1),
            )
        )


@pytest.fixture
def book(db: Session) -> dict[str, Any]:
    """Eleven dossiers of Phố Hiến in a week (plus one of another commune the same week, and
    two the Monday after); returns their codes in the book's order and a few by key."""
    build = Builder(db)
    tu_phap = build.agency_id(TU_PHAP)
    made: dict[str, Dossier] = {}
    for key, day, hour, minute, procedure in WEEK_DOSSIERS:
        received = at(5, day, hour, minute)
        made[key] = build.dossier(
            key, PHO_HIEN, procedure, "online", "processing", received, received + timedelta(5)
        )
    late = made["D03"]  # returned late, after an extension and two supplement requests
    late.status, late.extension_count, late.supplement_count = "completed", 1, 2
    late.result_ready_at = late.finished_at = at(5, 20, 10, 0)
    late.due_at = at(5, 14, 17, 0)
    refused = made["D04"]
    refused.status, refused.finished_at = "rejected", at(5, 8, 9, 0)
    for key, dossier in made.items():
        # D02 went on to the Department of Justice; D07 never left reception.
        second = None if key == "D07" else (tu_phap if key == "D02" else dossier.agency_id)
        _add_runs(db, dossier, second)
    build.dossier("X01", COMMUNE_B, BIRTH, "online", "processing", at(5, 7, 9, 0))
    for key, hour in (("M01", 8), ("M02", 9)):
        dossier = build.dossier(key, PHO_HIEN, BIRTH, "online", "processing", at(5, 13, hour, 0))
        _add_runs(db, dossier, dossier.agency_id)
    db.flush()
    ordered = sorted(made.values(), key=lambda d: (d.received_at or at(1, 1), d.id))
    return {"codes": [d.code for d in ordered], "made": made}


def _pages(client: TestClient, h: dict[str, str], limit: int) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**WEEK, "format": "json", "limit": str(limit)}
        if cursor:
            params["cursor"] = cursor
        response = client.get(BOOK, params=params, headers=h)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "pagination does not end"


def test_json_pages_return_every_row_once_in_the_books_order(
    client: TestClient, book: dict[str, Any]
) -> None:
    h = headers(client, RECEPTION)
    pages = _pages(client, h, limit=5)
    assert [len(p["items"]) for p in pages] == [5, 5, 1]
    assert {p["total"] for p in pages} == {11}
    rows = [row for page in pages for row in page["items"]]
    assert [r["code"] for r in rows] == book["codes"]  # the other commune's dossier is not here
    assert [r["index"] for r in rows] == list(range(1, 12))  # numbering runs on across pages
    # The same book in one page, and in pages of one row.
    whole = _pages(client, h, limit=500)
    assert len(whole) == 1 and whole[0]["items"] == rows
    single = _pages(client, h, limit=1)
    assert [p["items"][0] for p in single] == rows
    first = pages[0]
    assert first["agency_code"] == PHO_HIEN
    assert first["agency_name"] == "Ủy ban nhân dân phường Phố Hiến"
    assert (first["period_from"], first["period_to"]) == ("2024-05-06", "2024-05-10")


def test_json_rows_hold_the_columns_of_the_book(client: TestClient, book: dict[str, Any]) -> None:
    h = headers(client, RECEPTION)
    rows = {r["code"]: r for r in _pages(client, h, limit=100)[0]["items"]}
    late = rows["TEST-D03"]
    assert late["procedure_name"] == "Đăng ký khai sinh"
    assert late["applicant_name"] == "Người nộp D03"
    assert late["status_label"] == "Đã trả kết quả"
    assert late["note"] == "Quá hạn; Đã gia hạn; Yêu cầu bổ sung 2 lần"
    assert late["returned_at"] is not None and late["finished_at"] is not None
    assert datetime.fromisoformat(late["received_at"]) == at(5, 7, 8, 15)
    assert late["handed_to"] == "Công chức Tư pháp - Hộ tịch"
    assert rows["TEST-D02"]["handed_to"] == "Sở Tư pháp tỉnh Hưng Yên (Công chức Tư pháp - Hộ tịch)"
    assert rows["TEST-D07"]["handed_to"] == ""
    refused = rows["TEST-D04"]
    assert refused["status_label"] == "Từ chối"
    assert refused["finished_at"] is not None and refused["returned_at"] is None


def test_json_rows_match_the_xlsx(
    client: TestClient, book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "BATCH_ROWS", 4)  # three batches: 4 + 4 + 3
    h = headers(client, RECEPTION)
    rows = _pages(client, h, limit=100)[0]["items"]
    response = client.get(BOOK, params={**WEEK, "format": "xlsx"}, headers=h)
    assert response.status_code == 200, response.text
    assert int(response.headers["content-length"]) == len(response.content)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    lines = [[c.value for c in line] for line in sheet.iter_rows(min_row=7)]
    assert [line[0] for line in lines] == list(range(1, 12))
    assert [line[1] for line in lines] == book["codes"]
    assert [line[8] or "" for line in lines] == [r["handed_to"] for r in rows]
    assert [line[11] for line in lines] == [None] * len(rows)  # "Ký nhận", signed on paper
    assert [line[12] for line in lines] == [r["status_label"] for r in rows]
    assert [line[13] or "" for line in lines] == [r["note"] for r in rows]


def test_bad_cursor_or_page_size_is_422_json(client: TestClient, book: dict[str, Any]) -> None:
    h = headers(client, RECEPTION)
    for cursor in ("nonsense", "MjAyNC0wNS0wNlQwMTowMDowMCswMDowMF8x", "%%%", "x" * 120):
        response = client.get(BOOK, params={**WEEK, "format": "json", "cursor": cursor}, headers=h)
        assert response.status_code == 422, (cursor, response.text)
        body = response.json()
        assert body["error"] == "invalid_input"
        assert "cursor" in body["fields"]
    assert "Con trỏ trang" in body["detail"]
    english = client.get(
        BOOK,
        params={**WEEK, "format": "json", "cursor": "nonsense"},
        headers={**h, "Accept-Language": "en"},
    )
    assert english.json()["detail"].startswith("Invalid page cursor")
    for limit in ("0", "501", "many"):
        response = client.get(BOOK, params={**WEEK, "format": "json", "limit": limit}, headers=h)
        assert response.status_code == 422, (limit, response.text)
        assert response.json()["error"] == "invalid_input"
    # Dates are checked as for the downloads.
    response = client.get(BOOK, params={**WEEK, "format": "json", "to": "2024-05-01"}, headers=h)
    assert response.status_code == 422
    assert response.json()["fields"] == {"to": "before from"}


def test_pdf_and_xlsx_refuse_a_book_beyond_their_limit(
    client: TestClient, book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_PDF_ROWS", 10)
    monkeypatch.setattr(service, "MAX_XLSX_ROWS", 10)
    h = headers(client, RECEPTION)
    for kind, words in (("pdf", "tệp PDF"), ("xlsx", "tệp Excel")):
        response = client.get(BOOK, params={**WEEK, "format": kind}, headers=h)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert body["error"] == "invalid_input"
        assert words in body["detail"] and "chọn kỳ ngắn hơn" in body["detail"]
        assert body["fields"]["to"].startswith("more than 10 dossiers")
        english = client.get(
            BOOK, params={**WEEK, "format": kind}, headers={**h, "Accept-Language": "en"}
        )
        assert "shorter period" in english.json()["detail"]
    # The JSON pages have no such limit.
    page = client.get(BOOK, params={**WEEK, "format": "json"}, headers=h)
    assert page.status_code == 200 and page.json()["total"] == 11


def test_staff_page_pages_a_long_book_and_says_what_to_download(
    client: TestClient, book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "PREVIEW_ROWS", 4)
    log_in(client, RECEPTION)
    page = client.get("/can-bo/so-theo-doi", params=WEEK)
    assert page.status_code == 200
    assert "Số hồ sơ đã tiếp nhận trong kỳ: 11." in page.text
    assert (
        "hiển thị hồ sơ thứ 1–4 trong tổng số 11 hồ sơ của sổ; tệp tải về có đủ cả sổ" in page.text
    )
    shown = [code for code in book["codes"] if code in page.text]
    assert shown == book["codes"][:4]
    assert "format=pdf" in page.text and "format=xlsx" in page.text

    monkeypatch.setattr(service, "MAX_PDF_ROWS", 10)
    page = client.get("/can-bo/so-theo-doi", params=WEEK)
    assert "format=pdf" not in page.text and "format=xlsx" in page.text
    assert "không in được thành một tệp PDF" in page.text

    monkeypatch.setattr(service, "MAX_XLSX_ROWS", 10)
    page = client.get("/can-bo/so-theo-doi", params=WEEK)
    assert "format=pdf" not in page.text and "format=xlsx" not in page.text
    assert "Vui lòng chọn kỳ ngắn hơn" in page.text
    assert "hiển thị hồ sơ thứ 1–4 trong tổng số 11 hồ sơ của sổ." in page.text
    assert "tệp tải về có đủ cả sổ" not in page.text


def _statements(client: TestClient, db: Session, params: dict[str, str], h: Any) -> int:
    token_cache.forget_all()  # each counted request reads its token, as the first one does
    with counting(db) as statements:
        response = client.get(BOOK, params=params, headers=h)
    assert response.status_code == 200, response.text
    return len(statements)


@pytest.mark.parametrize("kind", ["json", "xlsx", "pdf"])
def test_statement_count_does_not_grow_with_the_book(
    client: TestClient, db: Session, book: dict[str, Any], kind: str
) -> None:
    """Two dossiers of one procedure and eleven of two procedures, handed to two agencies:
    the same number of statements (no query per row, version or agency)."""
    h = headers(client, RECEPTION)
    few = _statements(client, db, {**MONDAY_AFTER, "format": kind}, h)
    many = _statements(client, db, {**WEEK, "format": kind}, h)
    assert many == few, (few, many)
    assert many <= 15, many


def test_statements_grow_by_batch_not_by_row(
    client: TestClient, db: Session, book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    h = headers(client, RECEPTION)
    one_batch = _statements(client, db, {**WEEK, "format": "xlsx"}, h)
    monkeypatch.setattr(service, "BATCH_ROWS", 4)
    three_batches = _statements(client, db, {**WEEK, "format": "xlsx"}, h)
    # One hand-over query per extra batch, and at most one for the procedure versions it
    # brings that were not seen before.
    assert one_batch < three_batches <= one_batch + 2 * 2, (one_batch, three_batches)


def test_citizens_get_no_pages(client: TestClient, book: dict[str, Any]) -> None:
    response = client.get(BOOK, params={**WEEK, "format": "json"}, headers=headers(client, CITIZEN))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
