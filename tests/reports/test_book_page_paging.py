"""The staff page of the tracking book (form 07) a page at a time: "Trang sau" links carry a
cursor through the whole book, every dossier shows up once in order with its row number
(STT) running on across pages, "Về trang đầu" leads back, a bad or altered link gives a
message next to the form (422), and another agency's book stays closed."""

from __future__ import annotations

import base64
import html
import itertools
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from app.reports import service
from tests.dossiers.helpers import PHO_HIEN, RECEPTION
from tests.stats.dataset import BIRTH, COMMUNE_B, MARRIAGE, Builder, at
from tests.workflow.test_staff_pages import log_in

PAGE = "/can-bo/so-theo-doi"
PER_PAGE = 4
WEEK = {"agency": PHO_HIEN, "from": "2024-05-06", "to": "2024-05-10"}
LIEN_PHUONG = "000.00.54.H31"
LIEN_PHUONG_RECEPTION = "tiepnhan.lienphuong@motcua.local"
# (key, day of May 2024, hour, minute): 11 dossiers of Phố Hiến in the week; P04-P06 share
# a reception time, so the first page ends between equal times (the id breaks the tie).
RECEIVED = [
    ("P01", 6, 8, 0),
    ("P02", 6, 9, 30),
    ("P03", 7, 8, 15),
    ("P04", 7, 10, 0),
    ("P05", 7, 10, 0),
    ("P06", 7, 10, 0),
    ("P07", 8, 16, 45),
    ("P08", 9, 7, 30),
    ("P09", 9, 13, 30),
    ("P10", 10, 9, 0),
    ("P11", 10, 23, 59),
]
ROW = re.compile(r'<tr>\s*<td>(\d+)</td>\s*<td class="num">([^<]*)</td>')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
FIRST = re.compile(r'<a href="([^"]+)">Về trang đầu</a>')


@pytest.fixture
def codes(db: Session, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The week's dossiers (and two that are not in its book); their codes in book order."""
    monkeypatch.setattr(service, "PREVIEW_ROWS", PER_PAGE)
    build = Builder(db)
    made = []
    for i, (key, day, hour, minute) in enumerate(RECEIVED):
        received = at(5, day, hour, minute)
        procedure = BIRTH if i % 2 else MARRIAGE
        made.append(
            build.dossier(key, PHO_HIEN, procedure, "online", "processing", received, received)
        )
    build.dossier("B01", COMMUNE_B, BIRTH, "online", "processing", at(5, 7, 10, 0))
    build.dossier("N01", PHO_HIEN, BIRTH, "online", "processing", at(5, 11, 0, 0))
    db.flush()
    made.sort(key=lambda d: (d.received_at, d.id))
    return [d.code or "" for d in made]


def _rows(text: str) -> list[tuple[int, str]]:
    return [(int(n), code) for n, code in ROW.findall(text)]


def _link(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.findall(text)
    assert len(found) <= 1, found
    return html.unescape(found[0]) if found else None


def _cursor(link: str) -> str:
    match = re.search(r"[?&]cursor=([^&]+)", link)
    assert match, link
    return match.group(1)


def _browse(client: TestClient) -> list[str]:
    """Follow "Trang sau" from the first page to the last; the pages' HTML."""
    pages = [client.get(PAGE, params=WEEK)]
    while True:
        assert pages[-1].status_code == 200, pages[-1].text
        link = _link(NEXT, pages[-1].text)
        if link is None:
            return [p.text for p in pages]
        assert link.startswith(PAGE + "?")
        pages.append(client.get(link))
        assert len(pages) < 10, "the next links do not end"


def test_next_links_walk_the_whole_book_in_order(client: TestClient, codes: list[str]) -> None:
    log_in(client, RECEPTION)
    pages = _browse(client)
    assert [len(_rows(p)) for p in pages] == [4, 4, 3]
    rows = [row for page in pages for row in _rows(page)]
    assert [code for _n, code in rows] == codes  # each once, in order; no other book's
    assert [n for n, _code in rows] == list(range(1, 12))  # STT runs on across pages
    first, second, last = pages
    assert "Bảng dưới đây hiển thị hồ sơ thứ 1–4 trong tổng số 11 hồ sơ của sổ" in first
    assert "hồ sơ thứ 5–8 trong tổng số 11" in second
    assert "hồ sơ thứ 9–11 trong tổng số 11" in last
    assert "tệp tải về có đủ cả sổ" in first
    for page in pages:
        assert "Số hồ sơ đã tiếp nhận trong kỳ: 11." in page
        assert 'aria-label="Các trang của sổ theo dõi hồ sơ"' in page
        # The downloads are the whole book's, on every page.
        assert "format=pdf" in page and "format=xlsx" in page
        assert "cursor=" not in "".join(re.findall(r'href="/api/[^"]+"', page))
    # The first page has no link to itself; later ones lead back to it with the same period.
    assert _link(FIRST, first) is None
    back = _link(FIRST, last)
    assert back is not None and "cursor" not in back
    assert "from=2024-05-06" in back and "to=2024-05-10" in back and PHO_HIEN in back
    again = client.get(back)
    assert again.status_code == 200
    assert _rows(again.text) == _rows(first)


def test_the_page_speaks_english(client: TestClient, codes: list[str]) -> None:
    log_in(client, RECEPTION)
    client.cookies.set("lang", "en")
    first = client.get(PAGE, params=WEEK)
    assert "The table below shows dossiers 1–4 of the 11 in the register" in first.text
    assert 'aria-label="Pages of the dossier register"' in first.text
    link = re.findall(r'<a href="([^"]+)" rel="next">Next page</a>', first.text)
    assert len(link) == 1
    second = client.get(html.unescape(link[0]))
    assert "Back to the first page</a>" in second.text
    assert [n for n, _code in _rows(second.text)] == [5, 6, 7, 8]
    bad = client.get(PAGE, params={**WEEK, "cursor": "nonsense"})
    assert bad.status_code == 422
    assert 'id="f-cursor-error">This page link of the register is not valid.' in bad.text


def test_an_altered_number_in_the_cursor_does_not_change_the_numbering(
    client: TestClient, codes: list[str]
) -> None:
    log_in(client, RECEPTION)
    link = _link(NEXT, client.get(PAGE, params=WEEK).text)
    assert link is not None
    raw = base64.urlsafe_b64decode(_cursor(link) + "==").decode()
    moment, ident, _index = raw.split("_")
    forged = base64.urlsafe_b64encode(f"{moment}_{ident}_5000".encode()).decode().rstrip("=")
    page = client.get(PAGE, params={**WEEK, "cursor": forged})
    assert page.status_code == 200
    assert _rows(page.text) == list(zip(range(5, 9), codes[4:8], strict=True))


def _bad(page: Any) -> None:
    assert page.status_code == 422, page.text
    text = page.text
    message = "Liên kết trang của sổ không hợp lệ"
    # In the error summary, linked to the form, and next to the form's button.
    assert re.search(r'<a href="#f-cursor">' + message, text)
    assert re.search(r'id="f-cursor-error">' + message, text)
    assert 'aria-describedby="f-cursor-error"' in text
    assert "<table" not in text


def test_a_bad_cursor_is_a_message_next_to_the_form(client: TestClient, codes: list[str]) -> None:
    log_in(client, RECEPTION)
    link = _link(NEXT, client.get(PAGE, params=WEEK).text)
    assert link is not None
    good = _cursor(link)
    # Out of the period: an old link after the period was changed.
    elsewhere = {**WEEK, "from": "2024-05-08"}
    for params in (
        {**WEEK, "cursor": "nonsense"},
        {**WEEK, "cursor": "%%%"},
        {**WEEK, "cursor": good[:-3]},
        {**WEEK, "cursor": "x" * 500},
        {**WEEK, "cursor": base64.urlsafe_b64encode(b"2024-05-06T01:00:00_1_1").decode()},
        {**elsewhere, "cursor": good},
    ):
        _bad(client.get(PAGE, params=params))
    # The period keeps its own field errors.
    both = client.get(PAGE, params={**WEEK, "to": "2024-05-01", "cursor": good})
    assert both.status_code == 422
    assert 'id="f-to-error"' in both.text and 'id="f-cursor-error"' not in both.text


def test_another_agency_cannot_page_the_book(client: TestClient, codes: list[str]) -> None:
    log_in(client, RECEPTION)
    link = _link(NEXT, client.get(PAGE, params=WEEK).text)
    assert link is not None
    # Phố Hiến's officer asking for Liên Phương's book, with a cursor of their own.
    mine = client.get(PAGE, params={**WEEK, "agency": LIEN_PHUONG, "cursor": _cursor(link)})
    assert mine.status_code == 403
    # Liên Phương's officer following Phố Hiến's link.
    log_in(client, LIEN_PHUONG_RECEPTION)
    theirs = client.get(link)
    assert theirs.status_code == 403
    assert not any(code in theirs.text for code in codes)
    assert "chỉ xem được sổ theo dõi hồ sơ của cơ quan mình" in theirs.text


def test_a_cursor_after_the_last_row_says_so(
    client: TestClient, db: Session, codes: list[str]
) -> None:
    log_in(client, RECEPTION)
    last = db.scalar(select(Dossier).where(Dossier.code == codes[-1]))
    assert last is not None
    cursor = service.encode_cursor({"received_at": last.received_at, "id": last.id, "index": 11})
    page = client.get(PAGE, params={**WEEK, "cursor": cursor})
    assert page.status_code == 200
    assert _rows(page.text) == []
    assert "Sau trang trước không còn hồ sơ nào trong sổ." in page.text
    assert _link(NEXT, page.text) is None and _link(FIRST, page.text) is not None


def test_a_book_on_one_page_has_no_page_links(client: TestClient, codes: list[str]) -> None:
    log_in(client, RECEPTION)
    page = client.get(PAGE, params={**WEEK, "to": "2024-05-06"})
    assert _rows(page.text) == [(1, codes[0]), (2, codes[1])]
    assert "pagination" not in page.text and "Bảng dưới đây" not in page.text


def test_json_pages_number_rows_from_the_database_too(client: TestClient, codes: list[str]) -> None:
    log_in(client, RECEPTION)
    link = _link(NEXT, client.get(PAGE, params=WEEK).text)
    assert link is not None
    raw = base64.urlsafe_b64decode(_cursor(link) + "==").decode()
    moment, ident, _index = raw.split("_")
    forged = base64.urlsafe_b64encode(f"{moment}_{ident}_77".encode()).decode().rstrip("=")
    params = {**WEEK, "format": "json", "cursor": forged, "limit": "2"}
    body = client.get("/api/v1/reports/tracking-book", params=params).json()
    assert [(r["index"], r["code"]) for r in body["items"]] == [(5, codes[4]), (6, codes[5])]


PREVIOUS = re.compile(r'<a href="([^"]+)" rel="prev">')


def test_previous_links_walk_back_to_the_first_page(client: TestClient, codes: list[str]) -> None:
    """From the last page, "Trang trước" shows the same pages as going forward, in reverse,
    across the three dossiers received at the same minute; the first page has none."""
    log_in(client, RECEPTION)
    forward = _browse(client)
    assert _link(PREVIOUS, forward[0]) is None
    back = [forward[-1]]
    while (link := _link(PREVIOUS, back[-1])) is not None:
        assert link.startswith(PAGE + "?") and "from=2024-05-06" in link
        page = client.get(link)
        assert page.status_code == 200, page.text
        back.append(page.text)
        assert len(back) < 10, "the previous links do not end"
    assert [_rows(p) for p in back] == [_rows(p) for p in reversed(forward)]
    # The page before the second is the first, linked without a cursor.
    to_first = _link(PREVIOUS, forward[1])
    assert to_first is not None and "cursor" not in to_first
    client.cookies.set("lang", "en")
    assert 'rel="prev">Previous page</a>' in client.get(_link(NEXT, forward[0]) or "").text


def test_json_pages_carry_the_previous_cursor(client: TestClient, codes: list[str]) -> None:
    log_in(client, RECEPTION)
    params: dict[str, str] = {**WEEK, "format": "json", "limit": "3"}
    pages = [client.get("/api/v1/reports/tracking-book", params=params).json()]
    while pages[-1]["next_cursor"]:
        pages.append(
            client.get(
                "/api/v1/reports/tracking-book",
                params={**params, "cursor": pages[-1]["next_cursor"]},
            ).json()
        )
    assert [len(p["items"]) for p in pages] == [3, 3, 3, 2]
    assert pages[0]["previous_cursor"] is None and pages[1]["previous_cursor"] == ""
    for earlier, later in itertools.pairwise(pages):
        again = client.get(
            "/api/v1/reports/tracking-book", params={**params, "cursor": later["previous_cursor"]}
        ).json()
        assert again["items"] == earlier["items"]
