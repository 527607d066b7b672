"""Extreme values in cursors and in day, number and id parameters of the API and the pages
(probe finding L1): never a 500; the API answers 422 with a message naming the problem, a
page shows a form message (or starts its list again from the top)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.admin.helpers import log_in
from tests.conftest import api_token

ADMIN = "admin@motcua.local"
RECEPTION = "tiepnhan.phohien@motcua.local"
CASHIER = "thuphi.phohien@motcua.local"
BIG = str(2**66)

# Moments whose offset pushes them out of year 1–9999 once in UTC, ids no row can have, a
# year before the portal's records.
EXTREME_CURSORS = [
    "0001-01-01T00:00:00+14:00_1",
    "9999-12-31T23:59:59-14:00_1",
    "2026-01-01T00:00:00+07:00_-1",
    f"2026-01-01T00:00:00+07:00_{BIG}",
    "1999-12-31T00:00:00+00:00_1",
    "x_y",
]
EXTREME_DAYS = ["0001-01-01", "9999-12-31", "01/01/0001", "31/12/9999", "1999-12-31", "2101-01-01"]
ISO_EXTREME_DAYS = [day for day in EXTREME_DAYS if "/" not in day]  # the receipts API: ISO
MALFORMED_DAYS = ["0000-01-01", "00/00/0000", "2026-13-01", "-1"]
BAD_CURSOR = "cursor không hợp lệ."
DAY_OUT_OF_RANGE = "Ngày nằm ngoài khoảng cho phép (2000–2100)."
BAD_DAY = "Ngày không hợp lệ (dd/mm/yyyy)."
WEEK = {"from": "2026-12-01", "to": "2026-12-07"}
BOOK = {"agency": "000.00.51.H31", "format": "json"}


@pytest.fixture
def quiet_client(app: Any) -> Iterator[TestClient]:
    """A client that reports a 500 as a response (to be asserted) rather than raising."""
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        yield c


# (who, path, fixed params, varied param, values, expected status, expected detail)
API_CASES: list[tuple[str, str, dict[str, str], str, list[str], int, str]] = [
    (RECEPTION, "/api/v1/queue", {}, "cursor", EXTREME_CURSORS, 422, BAD_CURSOR),
    (
        RECEPTION,
        "/api/v1/reports/tracking-book",
        {**WEEK, **BOOK},
        "cursor",
        EXTREME_CURSORS,
        422,
        "Con trỏ trang (cursor) không hợp lệ",
    ),
    (CASHIER, "/api/v1/receipts", {}, "from", ISO_EXTREME_DAYS, 422, DAY_OUT_OF_RANGE),
    (CASHIER, "/api/v1/receipts", {}, "to", ISO_EXTREME_DAYS, 422, DAY_OUT_OF_RANGE),
    (CASHIER, "/api/v1/receipts/usage-report", {}, "to", ISO_EXTREME_DAYS, 422, DAY_OUT_OF_RANGE),
    (ADMIN, "/api/v1/audit", {}, "from", EXTREME_DAYS, 422, DAY_OUT_OF_RANGE),
    (ADMIN, "/api/v1/audit", {}, "to", EXTREME_DAYS, 422, DAY_OUT_OF_RANGE),
    (ADMIN, "/api/v1/audit", {}, "to", MALFORMED_DAYS, 422, BAD_DAY),
    (RECEPTION, "/api/v1/reports/tracking-book", {**BOOK, "to": "2026-12-07"}, "from",
     EXTREME_DAYS, 422, DAY_OUT_OF_RANGE),
    (ADMIN, "/api/v1/stats/indicators", {}, "from", EXTREME_DAYS, 422, DAY_OUT_OF_RANGE),
    (ADMIN, "/api/v1/stats/ranking", {}, "to", EXTREME_DAYS, 422, DAY_OUT_OF_RANGE),
    (ADMIN, "/api/v1/calendar/due-date", {"days": "1"}, "from",
     ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"], 422,
     "from phải trong các năm 2000–2099."),
    (ADMIN, "/api/v1/calendar/holidays", {}, "year", [BIG, "-1", "0", "10000"], 422, ""),
    (ADMIN, "/api/v1/admin/users", {}, "offset", [BIG, "-1"], 422, ""),
    (ADMIN, "/api/v1/procedures", {}, "limit", [BIG, "-1", "0"], 422, ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "path", "fixed", "name", "values", "status", "detail"),
    API_CASES,
    ids=[f"{case[1]}?{case[3]}" for case in API_CASES],
)
def test_api_answers_422_with_a_message(
    quiet_client: TestClient,
    who: str,
    path: str,
    fixed: dict[str, str],
    name: str,
    values: list[str],
    status: int,
    detail: str,
) -> None:
    h = api_token(quiet_client, who)
    for value in values:
        response = quiet_client.get(path, params={**fixed, name: value}, headers=h)
        assert response.status_code == status, (value, response.text)
        body = response.json()
        assert body["error"] == "invalid_input", (value, body)
        assert detail in body["detail"], (value, body)
        assert name in body.get("fields", {}), (value, body)


@pytest.mark.parametrize(
    "path", ["/api/v1/dossiers/{}", "/api/v1/receipts/{}", "/api/v1/documents/{}/pdf"]
)
def test_api_ids_out_of_range_are_422(quiet_client: TestClient, path: str) -> None:
    h = api_token(quiet_client, ADMIN)
    for value in (BIG, "-1", "0"):
        response = quiet_client.get(path.format(value), headers=h)
        assert response.status_code == 422, (value, response.text)
        assert response.json()["error"] == "invalid_input"


def test_the_desk_starts_again_from_the_top_on_an_extreme_cursor(
    quiet_client: TestClient,
) -> None:
    log_in(quiet_client, RECEPTION)
    first = quiet_client.get("/can-bo")
    assert first.status_code == 200
    for cursor in EXTREME_CURSORS:
        response = quiet_client.get("/can-bo", params={"cursor": cursor})
        assert response.status_code == 200, (cursor, response.text[:300])
        assert "Bàn làm việc của cán bộ" in response.text


@pytest.mark.parametrize(
    ("who", "path", "fixed", "name", "status", "message"),
    [
        (ADMIN, "/quan-tri/nhat-ky", {}, "from", 422, DAY_OUT_OF_RANGE),
        (ADMIN, "/thong-ke", {}, "to", 422, DAY_OUT_OF_RANGE),
        (ADMIN, "/thong-ke/xlsx", {}, "from", 422, DAY_OUT_OF_RANGE),
        (RECEPTION, "/can-bo/so-theo-doi", {"to": "2026-12-07"}, "from", 422, DAY_OUT_OF_RANGE),
        (CASHIER, "/can-bo/bien-lai", {}, "date_to", 200, DAY_OUT_OF_RANGE),
        (CASHIER, "/can-bo/bien-lai", {}, "date_from", 200, DAY_OUT_OF_RANGE),
    ],
)
def test_pages_show_a_message_for_a_day_out_of_range(
    quiet_client: TestClient,
    who: str,
    path: str,
    fixed: dict[str, str],
    name: str,
    status: int,
    message: str,
) -> None:
    log_in(quiet_client, who)
    for value in EXTREME_DAYS:
        response = quiet_client.get(path, params={**fixed, name: value})
        assert response.status_code == status, (value, response.text[:300])
        assert message in response.text, value


def test_the_register_page_refuses_an_extreme_cursor(quiet_client: TestClient) -> None:
    log_in(quiet_client, RECEPTION)
    for cursor in EXTREME_CURSORS:
        response = quiet_client.get(
            "/can-bo/so-theo-doi", params={**WEEK, "agency": "000.00.51.H31", "cursor": cursor}
        )
        assert response.status_code == 422, (cursor, response.text[:300])
        assert "Liên kết trang của sổ không hợp lệ" in response.text
