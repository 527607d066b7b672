"""The designer's fee editor: a fee per page with tiers, a cap per copy and the copies as
multiplier, its worked example computed by the server, the checks against the form, and the
same rule through the JSON export and import."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.models import Procedure, ProcedureVersion
from tests.admin.helpers import ADMIN, log_in, post_form
from tests.dossiers.helpers import headers

CODE = "2.000635"
DRAFT = f"/quan-tri/thu-tuc/{CODE}/ban-nhap"
PER_PAGE: dict[str, Any] = {
    "key": "Phí cấp bản sao trích lục hộ tịch",
    "name": "Phí cấp bản sao trích lục hộ tịch",
    "amount": "2.000",
    "kind": "fee",
    "unit": "trang",
    "channel": "",
    "note": "",
    "quantity_field": "so_trang",
    "tiers": "1: 2.000\n3: 1.000",
    "cap": "200.000",
    "multiplier_field": "copies",
    "multiplier_unit": "bản",
}


def _draft(db: Session) -> ProcedureVersion:
    version = db.scalar(
        select(ProcedureVersion)
        .join(Procedure)
        .where(Procedure.code == CODE, ProcedureVersion.status == "draft")
    )
    assert version is not None
    db.refresh(version)
    return version


def _open_draft_with_pages_field(client: TestClient) -> None:
    log_in(client, ADMIN)
    opened = post_form(client, f"/quan-tri/thu-tuc/{CODE}/sua", page=f"/quan-tri/thu-tuc/{CODE}")
    assert opened.status_code == 303, opened.text
    added = post_form(
        client,
        f"{DRAFT}/truong/them",
        {"label": "Số trang", "name": "so_trang", "type": "number", "required": "on"},
        page=f"{DRAFT}/truong",
    )
    assert added.status_code == 303, added.text


def test_tiers_cap_and_multiplier_are_saved_with_a_worked_example(
    client: TestClient, db: Session
) -> None:
    _open_draft_with_pages_field(client)
    editor = client.get(f"{DRAFT}/phi")
    # The quantity fields are chosen among the form's number fields.
    assert '<option value="copies">Số bản sao yêu cầu</option>' in editor.text
    assert '<option value="so_trang">Số trang</option>' in editor.text
    assert (
        "applicant_name" not in editor.text.split('name="quantity_field"')[1].split("</select>")[0]
    )

    saved = post_form(client, f"{DRAFT}/phi/0/luu", PER_PAGE, page=f"{DRAFT}/phi")
    assert saved.status_code == 303, saved.text
    page = client.get(saved.headers["location"])
    assert "Ví dụ: 5 trang × 2 bản = <strong>14.000 ₫</strong>" in page.text
    assert "(2 trang × 2.000 ₫ + 3 trang × 1.000 ₫ = 7.000 ₫) × 2 bản = 14.000 ₫" in page.text
    assert "1: 2000\n3: 1000</textarea>" in page.text
    (fee,) = _draft(db).fees
    assert (fee.quantity_field, fee.cap, fee.multiplier_field) == ("so_trang", 200_000, "copies")
    assert fee.tiers == [{"from": 1, "amount": 2_000}, {"from": 3, "amount": 1_000}]

    # "Tính thử" (a GET form, no script): other quantities, computed by the server.
    tried = client.get(f"{DRAFT}/phi", params={"muc": "0", "so_luong": "250", "nhan": "3"})
    assert "Ví dụ: 250 trang × 3 bản = <strong>600.000 ₫</strong>" in tried.text
    assert "252.000 ₫, tối đa 200.000 ₫" in tried.text
    bad = client.get(f"{DRAFT}/phi", params={"muc": "0", "so_luong": "0", "nhan": "3"})
    assert 'id="f-t0-so_luong-error">Số lượng dùng để tính phí, lệ phí phải lớn hơn 0.' in bad.text
    assert 'value="0"' in bad.text and "Ví dụ: 5 trang × 2 bản" in bad.text

    # The preview tells the citizen the tiers and the cap.
    preview = client.get(f"{DRAFT}/xem-truoc")
    assert "2.000 ₫ / trang; từ trang thứ 3: 1.000 ₫; tối đa 200.000 ₫ / bản" in preview.text

    # Removing the pages field leaves the fee without its quantity: publishing is blocked.
    fields = _draft(db).form_schema["fields"]
    index = [f["name"] for f in fields].index("so_trang")
    removed = post_form(
        client, f"{DRAFT}/truong/{index}/xoa", {"key": "so_trang"}, page=f"{DRAFT}/truong"
    )
    assert removed.status_code == 303, removed.text
    assert "Trường số lượng phải là một trường kiểu Số của biểu mẫu." in client.get(DRAFT).text
    blocked = post_form(client, f"{DRAFT}/cong-bo", page=DRAFT)
    assert blocked.status_code == 422
    assert _draft(db).status == "draft"


def test_bad_fee_rules_are_refused_next_to_their_field(client: TestClient, db: Session) -> None:
    _open_draft_with_pages_field(client)
    cases = [
        ({"quantity_field": "applicant_name"}, "quantity_field", "kiểu Số"),
        ({"tiers": "3: 1000"}, "tiers", "bắt đầu từ 1 và tăng dần"),
        ({"tiers": "từ trang 3 một nghìn"}, "tiers", "bắt đầu từ 1 và tăng dần"),
        ({"tiers": "1: 2000\n3: 1000\n2: 500"}, "tiers", "bắt đầu từ 1 và tăng dần"),
        ({"amount": "5.000"}, "amount", "bằng đơn giá của bậc đầu tiên"),
        ({"multiplier_field": "so_trang"}, "multiplier_field", "khác trường số lượng"),
        ({"cap": "-1"}, "cap", "không âm"),
    ]
    for change, field, message in cases:
        refused = post_form(
            client, f"{DRAFT}/phi/0/luu", {**PER_PAGE, **change}, page=f"{DRAFT}/phi"
        )
        assert refused.status_code == 422, change
        error = refused.text.split(f'id="f-i0-{field}-error">')
        assert len(error) == 2 and message in error[1].split("</p>")[0], change
        # What was typed stays in the form; nothing was saved.
        assert 'value="bản"' in refused.text
        (fee,) = _draft(db).fees
        assert (fee.quantity_field, fee.tiers, fee.amount) == ("copies", [], 8_000)


def test_export_and_import_carry_the_rule_and_check_it(client: TestClient) -> None:
    admin = headers(client, ADMIN)
    exported = client.get("/api/v1/admin/procedures/2.000815/export", headers=admin)
    assert exported.status_code == 200
    document = exported.json()
    (fee,) = document["fees"]
    assert fee["tiers"] == [{"from": 1, "amount": 2_000}, {"from": 3, "amount": 1_000}]
    assert (fee["quantity_field"], fee["cap"], fee["multiplier_field"]) == (
        "page_count",
        200_000,
        "copies",
    )
    imported = client.post(
        "/api/v1/admin/procedures/import", params={"code": "9.815001"}, json=document, headers=admin
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["problems"] == []

    broken = {**document, "fees": [{**fee, "quantity_field": "document_title"}]}
    refused = client.post(
        "/api/v1/admin/procedures/import", params={"code": "9.815002"}, json=broken, headers=admin
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "error": "invalid_input",
        "detail": "Trường số lượng phải là một trường kiểu Số của biểu mẫu.",
        "fields": {"fees.0.quantity_field": "invalid"},
    }
    assert client.get("/api/v1/admin/procedures", headers=admin).status_code == 200
    listed = client.get("/api/v1/admin/procedures", headers=admin).json()["items"]
    assert "9.815002" not in {p["code"] for p in listed}
