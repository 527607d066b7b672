"""axe-core findings of the newcomer walk (m28), with every impact and not only the serious
ones: scrollable tables can be reached with the keyboard and are named (the payment page on
a phone), and no two landmarks of a page share a name (the staff dossier page, /thong-ke)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.dossiers.helpers import pdf_bytes
from tests.e2e.test_payment_sandbox import CITIZEN, PASSWORD, _dossier_waiting_for_fees

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
RECEPTION = "tiepnhan.phohien@motcua.local"
BIRTH = "1.001193"
RULES = ("scrollable-region-focusable", "landmark-unique")


def _violations(axe: Any, page: Any) -> list[str]:
    """The violations of the rules above, of any impact, with the offending nodes."""
    found = axe.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["id"] in RULES
    ]


def _token(http: httpx.Client, email: str) -> dict[str, str]:
    token = http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _complete_draft(http: httpx.Client, citizen: dict[str, str]) -> int:
    """A birth registration (no fee) drafted by the citizen through the API with every field
    filled and every required component attached, not yet submitted; its id."""
    detail = http.get(f"/api/v1/procedures/{BIRTH}").json()
    form = {
        f["name"]: {
            "date": "2026-11-20",
            "id_number": "034190001234",
            "phone": "0912345678",
            "email": "lan@example.vn",
            "number": "1",
            "checkbox": True,
            "select": (f["options"] or [""])[0],
        }.get(f["type"], "Nội dung khai")
        for f in detail["form_schema"]["fields"]
    }
    draft = http.post(
        "/api/v1/dossiers",
        headers=citizen,
        json={"procedure_code": BIRTH, "agency_code": "000.00.51.H31", "form_data": form},
    )
    assert draft.status_code == 201, draft.text
    dossier_id = int(draft.json()["id"])
    for comp in detail["components"]:
        if comp["required"]:
            up = http.post(
                f"/api/v1/dossiers/{dossier_id}/files",
                headers=citizen,
                data={"component": comp["code"]},
                files={"file": (f"{comp['code']}.pdf", pdf_bytes(comp["code"]), "application/pdf")},
            )
            assert up.status_code == 201, up.text
    return dossier_id


def _received_dossier(base_url: str) -> int:
    """A birth registration (no fee) submitted by the citizen and received by reception
    through the API: it has steps, and the staff page their table."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        citizen = _token(http, CITIZEN)
        dossier_id = _complete_draft(http, citizen)
        submitted = http.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen)
        assert submitted.status_code == 200, submitted.text
        acted = http.post(
            f"/api/v1/dossiers/{dossier_id}/actions",
            headers=_token(http, RECEPTION),
            json={"action": "receive"},
        )
        assert acted.status_code == 200, acted.text
    return dossier_id


def test_tables_scroll_with_the_keyboard_and_landmarks_have_unique_names(
    new_web_context: Callable[..., Any],
    live_server: str,
    log_in: Callable[..., None],
    _axe: Any,
) -> None:
    dossier_id = _dossier_waiting_for_fees(live_server)
    phone = new_web_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, CITIZEN)
    phone.goto(f"/ho-so/{dossier_id}/thanh-toan")
    fees = phone.get_by_role("region", name="Bảng: Các khoản phí, lệ phí")
    expect(fees).to_be_visible()
    expect(fees).to_have_attribute("tabindex", "0")
    assert _violations(_axe, phone) == []
    phone.goto("/thong-ke")
    expect(phone.get_by_role("region", name="Bảng: Xếp hạng cơ quan")).to_be_visible()
    assert _violations(_axe, phone) == []

    # The staff dossier page of a received dossier, with its steps' table.
    other = _received_dossier(live_server)
    staff = new_web_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(staff, RECEPTION)
    staff.goto(f"/can-bo/ho-so/{other}")
    expect(staff.get_by_role("heading", name="Quá trình xử lý (Phiếu kiểm soát)")).to_be_visible()
    expect(staff.get_by_role("region", name="Quá trình xử lý (Phiếu kiểm soát)")).to_have_count(1)
    assert _violations(_axe, staff) == []
    staff.goto("/thong-ke")
    assert _violations(_axe, staff) == []
