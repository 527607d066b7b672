"""In Chromium against the real server: this year's PAR round from two units' self-assessment
to publication — the leaders of Sở Tư pháp and of phường Phố Hiến score and submit (one on a
phone), the council adjusts a score with its reason, the Department of Home Affairs imports
the survey after its preview, closes, approves and publishes; the public ranking shows the
totals the test computes from what was entered. axe-core checks the pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_desk import DEMO_PASSWORD, PHONE, no_horizontal_scroll

pytestmark = pytest.mark.e2e

YEAR = date.today().year
ADMIN = "cchc.noivu@motcua.local"
COUNCIL = "hoidong.cchc@motcua.local"
UNITS = {
    "000.00.15.H31": "lanhdao.tuphap@motcua.local",
    "000.00.51.H31": "lanhdao.phohien@motcua.local",
}
SURVEY = {"000.00.15.H31": (8.5, 6.0), "000.00.51.H31": (9.0, 7.5)}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _points(maximum: float) -> float:
    return int(maximum * 0.75 * 4) / 4


def _self_assess(page: Any, assert_accessible: Callable[[Any], None]) -> float:
    """Score every manual criterion at three quarters, attach evidence, submit; returns the
    sum entered."""
    page.goto("/chi-so-cchc")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(f"Tự đánh giá năm {YEAR}")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tự đánh giá năm")
    assert_accessible(page)
    page.locator("#f-criterion").select_option(index=0)
    page.locator("#f-file").set_input_files(
        {"name": "bao-cao.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Đính kèm", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Đã đính kèm tài liệu kiểm chứng")
    total = 0.0
    for field in page.locator("input[name^='score_']").all():
        legend = field.locator("xpath=ancestor::fieldset/legend").inner_text()
        maximum = float(re.search(r"tối đa ([\d.]+)", legend).group(1))  # type: ignore[union-attr]
        points = _points(maximum)
        field.fill(str(points).replace(".", ","))
        total += points
        name = field.get_attribute("name") or ""
        page.locator(f"textarea[name='note_{name[6:]}']").fill("Báo cáo kết quả năm")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu và nộp kết quả tự đánh giá").click()
    expect(page.get_by_role("status")).to_contain_text("Đã nộp kết quả tự đánh giá")
    expect(page.locator("#unit-status")).to_have_text("Đã nộp")
    return total


def _auto_points(base_url: str, code: str) -> float:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        token = http.post("/api/v1/auth/token", data={"username": ADMIN, "password": DEMO_PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = http.get(f"/api/v1/par/rounds/{YEAR}/units/{code}", headers=auth).json()
    autos = [c for c in body["criteria"] if c["method"] == "auto"]
    assert len(autos) == 5 and all(c["snapshot"] and c["formula"] for c in autos)
    return float(sum(c["score"] for c in autos))


def test_the_par_round_runs_from_self_assessment_to_publication(
    live_server: str,
    new_web_context: Callable[..., Any],
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
) -> None:
    expected: dict[str, float] = {}
    for i, (code, leader) in enumerate(UNITS.items()):
        page = new_web_context(viewport=PHONE if i else None).new_page()
        log_in(page, leader)
        expected[code] = _self_assess(page, assert_accessible)
        if i:
            no_horizontal_scroll(page)
        expected[code] += _auto_points(live_server, code)

    # The council lowers criterion 1.2 of Sở Tư pháp to 0, with a reason.
    council = new_web_context().new_page()
    log_in(council, COUNCIL)
    council.goto(f"/chi-so-cchc?nam={YEAR}")
    with council.expect_navigation():
        council.get_by_role("link", name="Sở Tư pháp tỉnh Hưng Yên").first.click()
    assert_accessible(council)
    card = council.locator("li.dossier-card", has_text="1.2. Báo cáo cải cách hành chính")
    card.get_by_label(re.compile("Điểm thẩm định")).fill("0")
    card.get_by_label("Lý do điều chỉnh").fill("Báo cáo quý III nộp chậm")
    with council.expect_navigation():
        card.get_by_role("button", name=re.compile("Lưu điểm thẩm định")).click()
    expect(council.get_by_role("status")).to_contain_text("Đã lưu điểm thẩm định")
    expect(council.locator("li.dossier-card", has_text="1.2. Báo cáo")).to_contain_text(
        "Báo cáo quý III nộp chậm"
    )
    expected["000.00.15.H31"] -= _points(1)

    # The Department: survey with preview, close, approve, publish.
    dept = new_web_context().new_page()
    log_in(dept, ADMIN)
    dept.goto("/chi-so-cchc/quan-ly")
    with dept.expect_navigation():
        dept.get_by_role("link", name=f"Năm {YEAR}", exact=True).click()
    assert_accessible(dept)
    csv = "agency_code,criterion_code,score\n" + "".join(
        f"{code},8.1,{a}\n{code},8.2,{b}\n" for code, (a, b) in SURVEY.items()
    )
    dept.locator("#f-file").set_input_files(
        {"name": "dieu-tra.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    )
    with dept.expect_navigation():
        dept.get_by_role("button", name="Xem trước").click()
    expect(dept.locator("#survey-preview")).to_contain_text("Sở Tư pháp tỉnh Hưng Yên")
    with dept.expect_navigation():
        dept.get_by_role("button", name=re.compile("Xác nhận nhập 4")).click()
    expect(dept.get_by_role("status")).to_contain_text("Đã nhập điểm điều tra")
    for code, (a, b) in SURVEY.items():
        expected[code] += a + b
    with dept.expect_navigation():
        dept.get_by_role("button", name="Kết thúc tự đánh giá, chuyển thẩm định").click()
    dept.get_by_label("Quyết định phê duyệt").fill(f"Quyết định số 98/QĐ-UBND năm {YEAR + 1}")
    with dept.expect_navigation():
        dept.get_by_role("button", name="Phê duyệt").click()
    expect(dept.locator("#round-status")).to_have_text("Đã phê duyệt")
    with dept.expect_navigation():
        dept.get_by_role("button", name="Công bố").click()
    expect(dept.locator("#round-status")).to_have_text("Đã công bố")

    # Anyone now sees the ranking with the totals computed above, the chart and the trend.
    public = new_web_context(viewport=PHONE).new_page()
    public.goto(f"/chi-so-cchc?nam={YEAR}")
    assert_accessible(public)
    no_horizontal_scroll(public)
    expect(public.locator("svg.chart-svg").first).to_be_visible()
    for code, total in expected.items():
        table = "#ranking-department" if code == "000.00.15.H31" else "#ranking-commune"
        row = public.locator(f"{table} tbody tr", has=public.locator(f"a[href$='{code}']"))
        expect(row.locator("td.total")).to_have_count(1)
        assert float(row.locator("td.total").inner_text()) == round(total, 2), code
    with public.expect_navigation():
        public.locator("a[href$='000.00.51.H31']").first.click()
    expect(public.get_by_role("heading", name="Kết quả qua các năm")).to_be_visible()
    expect(public.locator("#trend-table tbody tr")).to_have_count(2)
    assert_accessible(public)
