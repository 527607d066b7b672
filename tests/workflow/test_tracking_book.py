"""The tracking book (form 07): the API as PDF and XLSX, who may read which agency's book,
input errors as JSON, and the staff page with its download links."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.documents.models import Document
from tests.dossiers.helpers import (
    CITIZEN,
    PHO_HIEN,
    RECEPTION,
    SPECIALIST,
    act,
    headers,
    submitted_dossier,
)
from tests.workflow.test_staff_pages import log_in

BOOK = "/api/v1/reports/tracking-book"
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> date:
    return utcnow().astimezone(VN).date()


def received_code(client: TestClient) -> str:
    dossier_id, _citizen = submitted_dossier(client)
    response = act(client, headers(client, RECEPTION), dossier_id, "receive")
    assert response.status_code == 200, response.text
    return str(response.json()["code"])


def period(**extra: str) -> dict[str, str]:
    day = today().isoformat()
    return {"agency": PHO_HIEN, "from": day, "to": day, **extra}


def test_pdf_lists_the_received_dossier(client: TestClient, db: Session) -> None:
    code = received_code(client)
    response = client.get(BOOK, params=period(format="pdf"), headers=headers(client, SPECIALIST))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".pdf" in disposition
    assert PHO_HIEN in disposition
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    assert "SỔ THEO DÕI HỒ SƠ" in text.upper()
    # The code column wraps after the unit code: compare without white space.
    assert code in re.sub(r"\s+", "", text)
    # The exported book is recorded, so the QR code on it can be verified.
    assert db.scalar(select(Document).where(Document.kind == "form_07")) is not None


def test_xlsx_has_a_row_for_the_dossier(client: TestClient) -> None:
    code = received_code(client)
    response = client.get(BOOK, params=period(format="xlsx"), headers=headers(client, RECEPTION))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert ".xlsx" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    row = next(r for r in rows if r[1] == code)
    assert row[0] == 1
    assert row[2] == "Đăng ký khai sinh"
    assert row[3] == "Nguyễn Thị Lan"
    assert row[12] == "Đã tiếp nhận"


def test_a_day_without_receptions_is_an_empty_book(client: TestClient) -> None:
    received_code(client)
    day = (today() - timedelta(days=40)).isoformat()
    response = client.get(
        BOOK,
        params={"agency": PHO_HIEN, "from": day, "to": day, "format": "xlsx"},
        headers=headers(client, RECEPTION),
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.max_row == 6  # heading and column titles only


def test_other_agency_and_citizens_are_forbidden(client: TestClient) -> None:
    received_code(client)
    other = headers(client, "tiepnhan.lienphuong@motcua.local")
    response = client.get(BOOK, params=period(), headers=other)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    # Their own agency is fine.
    own = client.get(BOOK, params=period(agency="000.00.54.H31"), headers=other)
    assert own.status_code == 200
    assert client.get(BOOK, params=period(), headers=headers(client, CITIZEN)).status_code == 403
    assert client.get(BOOK, params=period()).status_code == 401


def test_agency_admin_reads_the_subtree_and_system_admin_all(client: TestClient) -> None:
    province_admin = headers(client, "quantri.tinh@motcua.local")
    assert client.get(BOOK, params=period(), headers=province_admin).status_code == 200
    commune_admin = headers(client, "quantri.phohien@motcua.local")
    assert client.get(BOOK, params=period(), headers=commune_admin).status_code == 200
    assert (
        client.get(BOOK, params=period(agency="000.00.54.H31"), headers=commune_admin).status_code
        == 403
    )
    admin = headers(client, "admin@motcua.local")
    assert client.get(BOOK, params=period(agency="000.00.54.H31"), headers=admin).status_code == 200


def test_bad_input_is_422_json(client: TestClient) -> None:
    h = headers(client, RECEPTION)
    for params in (
        period(**{"from": "31/11/2026"}),
        period(**{"from": "2026-02-30"}),
        period(**{"to": "tomorrow"}),
        {"agency": PHO_HIEN, "from": "2026-12-01", "to": "2026-11-01"},
        {"agency": PHO_HIEN, "from": "2025-01-01", "to": "2026-01-02"},
        period(format="docx"),
        {"agency": PHO_HIEN, "from": "2026-01-01"},
    ):
        response = client.get(BOOK, params=params, headers=h)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error"] == "invalid_input"
    # 366 days (a leap year) is the longest period.
    ok = client.get(
        BOOK, params={"agency": PHO_HIEN, "from": "2028-01-01", "to": "2028-12-31"}, headers=h
    )
    assert ok.status_code == 200, ok.text
    unknown = client.get(BOOK, params=period(agency="000.00.99.H99"), headers=h)
    assert unknown.status_code == 404


def test_staff_page_previews_and_links_the_downloads(client: TestClient) -> None:
    code = received_code(client)
    log_in(client, RECEPTION)
    day = today().isoformat()
    page = client.get("/can-bo/so-theo-doi", params={"from": day, "to": day})
    assert page.status_code == 200
    assert code in page.text
    links = re.findall(r'href="(/api/v1/reports/tracking-book\?[^"]+)"', page.text)
    assert len(links) == 2
    for link in links:
        # Cookie authentication: the links work from the browser session.
        download = client.get(link.replace("&amp;", "&"))
        assert download.status_code == 200, download.text
        assert "attachment" in download.headers["content-disposition"]

    bad = client.get("/can-bo/so-theo-doi", params={"from": day, "to": "2000-01-01"})
    assert bad.status_code == 422
    assert 'id="f-to-error"' in bad.text

    other = client.get("/can-bo/so-theo-doi", params={"agency": "000.00.54.H31"})
    assert other.status_code == 403
