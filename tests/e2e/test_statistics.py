"""The public statistics page and the leader's dashboard in Chromium against the real server:
the five indicator groups with SVG charts on a phone without JavaScript, the XLSX exports
downloaded and opened with openpyxl, and axe-core finding no serious or critical issue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.dossiers.helpers import BIRTH, BIRTH_FORM, PHO_HIEN, pdf_bytes

pytestmark = pytest.mark.e2e

DEMO_PASSWORD = "MotCua@2026"
CITIZEN = "congdan@motcua.local"
RECEPTION = "tiepnhan.phohien@motcua.local"
LEADER = "lanhdao.phohien@motcua.local"
PHONE = {"width": 360, "height": 740}
GROUPS = (
    "Công khai, minh bạch",
    "Tiến độ, kết quả giải quyết",
    "Cung cấp dịch vụ trực tuyến",
    "Số hóa hồ sơ",
    "Mức độ hài lòng",
)


def _token(http: httpx.Client, email: str) -> dict[str, str]:
    response = http.post("/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def received_dossier(base_url: str) -> None:
    """An online birth registration submitted by the citizen and received at Phố Hiến."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        citizen = _token(http, CITIZEN)
        draft = http.post(
            "/api/v1/dossiers",
            json={"procedure_code": BIRTH, "agency_code": PHO_HIEN, "form_data": BIRTH_FORM},
            headers=citizen,
        )
        assert draft.status_code == 201, draft.text
        dossier_id = draft.json()["id"]
        for component in ("TK", "GCS"):
            uploaded = http.post(
                f"/api/v1/dossiers/{dossier_id}/files",
                data={"component": component},
                files={"file": (f"{component}.pdf", pdf_bytes(component), "application/pdf")},
                headers=citizen,
            )
            assert uploaded.status_code == 201, uploaded.text
        assert http.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen).is_success
        received = http.post(
            f"/api/v1/dossiers/{dossier_id}/actions",
            json={"action": "receive"},
            headers=_token(http, RECEPTION),
        )
        assert received.status_code == 200, received.text


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_statistics_page_on_a_phone_without_javascript(
    live_server: str, new_web_context: Callable[..., Any], assert_accessible: Callable[[Any], None]
) -> None:
    received_dossier(live_server)
    page = new_web_context(viewport=PHONE, java_script_enabled=False).new_page()
    page.goto("/")
    page.get_by_role("link", name="Thống kê").first.click()
    expect(page).to_have_url(f"{live_server}/thong-ke")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thống kê chất lượng phục vụ")
    for group in GROUPS:
        expect(page.get_by_role("heading", name=group, level=2).first).to_be_visible()
    charts = page.locator("svg[role=img]")
    expect(charts).to_have_count(2)
    expect(charts.first).to_be_visible()
    box = charts.first.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    assert "Điểm theo nhóm chỉ số" in (charts.first.locator("title").text_content() or "")
    # The figure with its formula, the province's received dossier counted.
    on_time = page.locator("#fig-on_time_rate")
    expect(on_time).to_contain_text("Công thức")
    expect(page.locator(".stats-counts")).to_contain_text("Hồ sơ tiếp nhận")
    assert _no_horizontal_scroll(page)
    # Choose the commune and submit the form (a plain GET, no script).
    page.get_by_label("Cơ quan", exact=True).select_option(PHO_HIEN)
    with page.expect_navigation():
        page.get_by_role("button", name="Xem thống kê").click()
    assert f"agency={PHO_HIEN}" in page.url
    expect(page.locator("#h-summary")).to_contain_text("Phố Hiến")
    # Other browser tests share this server: the commune has received at least our dossier,
    # and the page shows the same count as the API.
    received = page.locator(".stats-counts dd").first
    api = httpx.get(
        f"{live_server}/api/v1/stats/indicators", params={"agency": PHO_HIEN}, timeout=30
    ).json()
    expected = api["counts"]["received"]
    assert expected >= 1
    expect(received).to_have_text(str(expected))
    # axe-core runs in the page: check the same phone layout with scripts allowed.
    checked = new_web_context(viewport=PHONE).new_page()
    checked.goto(page.url)
    assert_accessible(checked)


def test_statistics_xlsx_downloads_and_opens(
    web: Any, assert_accessible: Callable[[Any], None], tmp_path: Path
) -> None:
    web.goto(f"/thong-ke?agency={PHO_HIEN}")
    assert_accessible(web)
    with web.expect_download() as info:
        web.get_by_role("link", name="Tải bảng chỉ số và xếp hạng (Excel XLSX)").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    book = load_workbook(target)
    assert book.sheetnames == ["Chỉ số", "Xếp hạng"]
    labels = [row[1].value for row in book["Chỉ số"].iter_rows(min_row=4)]
    assert "Hồ sơ giải quyết đúng hạn" in labels
    assert "Hồ sơ nộp trực tuyến" in labels


def test_leader_dashboard_and_its_exports(
    web: Any,
    log_in: Callable[..., None],
    assert_accessible: Callable[[Any], None],
    tmp_path: Path,
) -> None:
    log_in(web, LEADER)
    web.goto("/can-bo/bang-dieu-khien")
    expect(web.get_by_role("heading", level=1)).to_have_text("Bảng điều khiển của lãnh đạo")
    expect(web.locator("svg[role=img]")).to_have_count(web.locator("figure.chart").count())
    assert_accessible(web)
    with web.expect_download() as info:
        web.locator("#h-trend ~ p a").click()
    target = tmp_path / "trend.xlsx"
    info.value.save_as(target)
    sheet = load_workbook(target).worksheets[0]
    assert sheet.max_row == 3 + 12
