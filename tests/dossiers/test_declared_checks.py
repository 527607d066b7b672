"""Finding m2: declared data is checked at submission (a future birth date, an e-mail that is
not one, a CCCD or phone number of the wrong shape, a count that is not a whole number ≥ 1),
each message tied to its field, nothing typed lost; "Lưu nháp" saves and warns."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from tests.conftest import csrf_from
from tests.dossiers.helpers import (
    CITIZEN,
    PHO_HIEN,
    attach,
    create_draft,
    filled_form,
    headers,
    pdf_bytes,
)
from tests.dossiers.test_citizen_pages import (
    draft_data,
    log_in,
    start_draft,
    upload,
    value_of,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _tomorrow() -> str:
    return (datetime.now(VN).date() + timedelta(days=1)).isoformat()


def test_submission_refuses_bad_declared_data_naming_each_field(
    client: TestClient, db: Session
) -> None:
    log_in(client)
    dossier_id = start_draft(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}/khai").text)
    for code in ("TK", "GCS"):
        assert upload(client, dossier_id, code, f"{code}.pdf", pdf_bytes(code), token).status_code
    data = draft_data(token, child_birth_date=_tomorrow(), applicant_id_number="03419000123")
    data["applicant.email"] = "not-an-email"
    # Full-width digits are read as ASCII ones (finding M4), but 11 of them are not a CCCD.
    data["applicant.id_number"] = "０３４１９０００１２３"
    response = client.post(f"/ho-so/{dossier_id}/nop", data=data)
    assert response.status_code == 422
    html = response.text
    assert (
        '<a href="#f-child_birth_date">Ngày sinh của trẻ: Ngày này không được sau ngày hôm nay.</a>'
        in html
    )
    assert 'id="f-child_birth_date-error"' in html
    assert "Email: Email không hợp lệ (ví dụ ten@example.com)." in html
    assert 'id="f-applicant-email-error"' in html
    assert 'id="f-applicant-id_number-error"' in html
    assert 'id="f-applicant_id_number-error"' in html
    assert html.count("Số định danh cá nhân phải gồm đúng 12 chữ số.") >= 2
    # Nothing typed is lost, nothing was submitted.
    assert value_of(html, "applicant.email") == "not-an-email"
    tomorrow = datetime.now(VN).date() + timedelta(days=1)
    assert value_of(html, "form.child_birth_date") == f"{tomorrow:%d/%m/%Y}"  # as people write it
    assert value_of(html, "form.applicant_id_number") == "03419000123"
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.status == "draft"
    assert dossier.applicant["email"] == "not-an-email"

    # Corrected, and with the phone written +84…, it goes through.
    fixed = draft_data(token)
    fixed["applicant.phone"] = "+84 912 345 678"
    done = client.post(f"/ho-so/{dossier_id}/nop", data=fixed, follow_redirects=False)
    assert done.status_code == 303, done.text
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.status == "submitted"
    assert dossier.applicant_phone == "0912345678"


def test_save_draft_keeps_invalid_values_and_warns(client: TestClient, db: Session) -> None:
    log_in(client)
    dossier_id = start_draft(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}/khai").text)
    data = draft_data(token, child_birth_date="2030-01-01", child_name="")
    data["applicant.email"] = "not-an-email"
    saved = client.post(f"/ho-so/{dossier_id}/khai", data=data, follow_redirects=False)
    assert saved.status_code == 200
    html = saved.text
    assert "Đã lưu nháp. Các thông tin sau chưa hợp lệ, cần sửa trước khi nộp" in html
    assert "Ngày sinh của trẻ: Ngày này không được sau ngày hôm nay." in html
    assert "Email: Email không hợp lệ" in html
    # An empty field is no problem for a draft.
    assert "Vui lòng nhập thông tin này." not in html
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.status == "draft"
    assert dossier.form_data["child_birth_date"] == "2030-01-01"
    assert dossier.applicant["email"] == "not-an-email"
    # A clean save just says it was saved.
    clean = client.post(f"/ho-so/{dossier_id}/khai", data=draft_data(token), follow_redirects=False)
    assert clean.status_code == 303
    assert "Đã lưu nháp." in client.get(clean.headers["location"]).text


def test_api_submission_names_the_fields(client: TestClient) -> None:
    h = headers(client, CITIZEN)
    form = {**filled_form(client, "2.000635")}
    form["copies"] = "1,5"
    dossier = create_draft(client, h, procedure_code="2.000635", form_data=form)
    detail = client.get("/api/v1/procedures/2.000635").json()
    for comp in detail["components"]:
        if comp["required"]:
            assert attach(client, h, dossier["id"], comp["code"]).status_code == 201
    refused = client.post(f"/api/v1/dossiers/{dossier['id']}/submit", headers=h)
    assert refused.status_code == 422
    # "copies" is what the fee counts: its own message says more than the field's bounds.
    assert (
        refused.json()["fields"]["copies"] == "Số lượng dùng để tính phí, lệ phí phải là số nguyên."
    )
    for bad, message in (
        ("0", "Số lượng dùng để tính phí, lệ phí phải lớn hơn 0."),
        ("hai", "Số lượng dùng để tính phí, lệ phí phải là số nguyên."),
    ):
        patched = client.patch(
            f"/api/v1/dossiers/{dossier['id']}", json={"form_data": {"copies": bad}}, headers=h
        )
        assert patched.status_code == 200, patched.text
        refused = client.post(f"/api/v1/dossiers/{dossier['id']}/submit", headers=h)
        assert refused.json()["fields"]["copies"] == message
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=h).json()["status"] == "draft"


def test_the_number_bounds_are_shown_under_the_field(client: TestClient) -> None:
    log_in(client)
    page = client.get("/thu-tuc/2.000635/nop-ho-so")
    response = client.post(
        "/thu-tuc/2.000635/nop-ho-so",
        data={"csrf_token": csrf_from(page.text), "agency_code": PHO_HIEN},
        follow_redirects=True,
    )
    assert "Số nguyên, ít nhất 1." in response.text
