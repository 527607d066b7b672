"""Issue 17, findings M4, L3 and L4 (security probe): declared data and applicant data are
written one way (ASCII digits, NFC text without invisible or bidi characters) and hold sane
values (counts whole and at least 1, dates not in the future and within 1900–2100, numbers
finite), whatever the channel."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalog.models import ProcedureVersion
from app.dossiers import checks as dossier_checks
from app.dossiers.models import Dossier
from tests.conftest import csrf_from
from tests.dossiers.helpers import (
    CITIZEN,
    PHO_HIEN,
    RECEPTION,
    SPECIALIST,
    act,
    attach,
    filled_form,
    headers,
    submitted_dossier,
)
from tests.dossiers.test_citizen_pages import log_in, value_of
from tests.workflow.test_staff_pages import BIRTH_COUNTER

DEATH = "1.000656"
MARRIAGE_STATUS = "1.004873"


def _draft(client: TestClient, h: dict[str, str], code: str, **form: Any) -> dict[str, Any]:
    created = client.post(
        "/api/v1/dossiers",
        headers=h,
        json={
            "procedure_code": code,
            "agency_code": PHO_HIEN,
            "form_data": {**filled_form(client, code), **form},
        },
    )
    assert created.status_code == 201, created.text
    dossier = created.json()
    for comp in client.get(f"/api/v1/procedures/{code}").json()["components"]:
        if comp["required"]:
            assert attach(client, h, dossier["id"], comp["code"]).status_code == 201
    return dossier


def _submit(client: TestClient, h: dict[str, str], dossier_id: int) -> Any:
    return client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=h)


def _stored(db: Session, dossier_id: int) -> Dossier:
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None
    return dossier


def test_digits_of_other_scripts_are_stored_as_ascii(client: TestClient, db: Session) -> None:
    """M4: fullwidth, Arabic-Indic and mathematical digits in a CCCD, a phone number and a
    date are written as ASCII digits, so that one number has one spelling."""
    h = headers(client, CITIZEN)
    dossier = _draft(
        client,
        h,
        DEATH,
        deceased_id_number="０３４１９００００１２３",
        applicant_phone="0９１２３４５６７８",
        death_date="１９９０-01-01",
        applicant_id_number="٠٣٤١٩٠٠٠٠١٢٣",
    )
    patched = client.patch(
        f"/api/v1/dossiers/{dossier['id']}",
        headers=h,
        json={"applicant": {"full_name": "Nguyễn Thị Lan", "phone": "𝟎𝟗𝟏𝟐 𝟑𝟒𝟓 𝟔𝟕𝟗"}},
    )
    assert patched.status_code == 200, patched.text
    assert _submit(client, h, dossier["id"]).status_code == 200
    stored = _stored(db, dossier["id"])
    assert stored.form_data["deceased_id_number"] == "034190000123"
    assert stored.form_data["applicant_phone"] == "0912345678"
    assert stored.form_data["death_date"] == "1990-01-01"
    assert stored.form_data["applicant_id_number"] == "034190000123"
    assert stored.applicant_phone == "0912345679"
    assert stored.applicant["phone"].isascii()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2099-12-31", "Ngày này không được sau ngày hôm nay."),
        ("31/12/2099", "Ngày này không được sau ngày hôm nay."),
        ("2999-12-31", "Ngày phải trong khoảng từ 01/01/1900 đến 31/12/2100."),
        ("31/12/2999", "Ngày phải trong khoảng từ 01/01/1900 đến 31/12/2100."),
        ("9999-12-31", "Ngày phải trong khoảng từ 01/01/1900 đến 31/12/2100."),
        ("0001-01-01", "Ngày phải trong khoảng từ 01/01/1900 đến 31/12/2100."),
    ],
)
def test_a_death_in_the_future_or_out_of_range_is_refused(
    client: TestClient, db: Session, value: str, message: str
) -> None:
    """L3: a death date after today, or outside 1900–2100, is refused at submission."""
    h = headers(client, CITIZEN)
    dossier = _draft(client, h, DEATH, death_date=value)
    refused = _submit(client, h, dossier["id"])
    assert refused.status_code == 422, refused.text
    assert refused.json()["fields"] == {"death_date": message}
    stored = _stored(db, dossier["id"])
    assert stored.status == "draft" and stored.code is None


POSITIVE = "Số lượng dùng để tính phí, lệ phí phải lớn hơn 0."
WHOLE = "Số lượng dùng để tính phí, lệ phí phải là số nguyên."


@pytest.mark.parametrize(
    ("value", "message"),
    [("-5", POSITIVE), ("0", POSITIVE), ("-0", POSITIVE), ("1,5", WHOLE), ("9" * 400, "")],
)
def test_a_count_must_be_a_whole_number_from_one(
    client: TestClient, db: Session, value: str, message: str
) -> None:
    """L3: "Số bản yêu cầu" of 1.004873 is a whole number ≥ 1 (the fee counts it: the fee's
    own message names what it is for)."""
    h = headers(client, CITIZEN)
    dossier = _draft(client, h, MARRIAGE_STATUS)
    patched = client.patch(
        f"/api/v1/dossiers/{dossier['id']}", headers=h, json={"form_data": {"copies": value}}
    )
    if value == "9" * 400:  # no such count is even kept as a draft
        assert patched.status_code == 422, patched.text
        assert patched.json()["fields"] == {"copies": "Số không hợp lệ hoặc quá lớn."}
        assert _stored(db, dossier["id"]).form_data["copies"] == "1"
        return
    assert patched.status_code == 200, patched.text
    refused = _submit(client, h, dossier["id"])
    assert refused.status_code == 422, refused.text
    assert refused.json()["fields"] == {"copies": message}
    assert _stored(db, dossier["id"]).status == "draft"


def test_arabic_indic_digits_make_a_count(client: TestClient, db: Session) -> None:
    """M4: "١٢" is read as 12 and stored as "12"."""
    h = headers(client, CITIZEN)
    dossier = _draft(client, h, MARRIAGE_STATUS, copies="١٢")
    assert _submit(client, h, dossier["id"]).status_code == 200
    assert _stored(db, dossier["id"]).form_data["copies"] == "12"


@pytest.mark.parametrize("raw", ["1e400", "NaN", "Infinity", "-Infinity", "1" + "0" * 400])
def test_numbers_that_are_no_numbers_are_refused_at_draft(
    client: TestClient, db: Session, raw: str
) -> None:
    """L3: JSON numbers NaN, Infinity, 1e400 or 400 digits are refused when the draft is
    created or patched (they used to be stored as "inf" and "nan")."""
    h = headers(client, CITIZEN)
    before = db.scalar(select(func.count()).select_from(Dossier))
    head = json.dumps({"procedure_code": MARRIAGE_STATUS, "agency_code": PHO_HIEN})
    body = head[:-1] + ', "form_data": {"copies": ' + raw + "}}"
    created = client.post(
        "/api/v1/dossiers", headers={**h, "Content-Type": "application/json"}, content=body
    )
    assert created.status_code == 422, created.text
    assert created.json()["fields"] == {"copies": "Số không hợp lệ hoặc quá lớn."}
    assert db.scalar(select(func.count()).select_from(Dossier)) == before
    dossier = _draft(client, h, MARRIAGE_STATUS)
    patched = client.patch(
        f"/api/v1/dossiers/{dossier['id']}",
        headers={**h, "Content-Type": "application/json"},
        content='{"form_data": {"copies": ' + raw + "}}",
    )
    assert patched.status_code == 422, patched.text
    assert _stored(db, dossier["id"]).form_data["copies"] == "1"


def test_invisible_and_bidi_characters_are_dropped(client: TestClient, db: Session) -> None:
    """L4: a required name made only of a bidi override and a zero-width space is empty;
    "\\u202eAdmin\\u202c" is stored as "Admin"; NFD spellings are stored NFC."""
    h = headers(client, CITIZEN)
    dossier = _draft(client, h, DEATH, deceased_name="\u202e\u200b")
    refused = _submit(client, h, dossier["id"])
    assert refused.status_code == 422
    assert refused.json()["fields"] == {"deceased_name": "Vui lòng nhập thông tin này."}
    assert _stored(db, dossier["id"]).status == "draft"

    patched = client.patch(
        f"/api/v1/dossiers/{dossier['id']}",
        headers=h,
        json={
            "form_data": {
                "deceased_name": "\u202eNguye\u0302\u0303n Va\u0306n A\u202c",
                "death_place": "\u200bBệnh viện\u200b",
            },
            "applicant": {
                "full_name": "  Le\u0302   Thi\u0323  \u200bLan ",
                "address": "\u202ex",
                "phone": "0912345678",
            },
        },
    )
    assert patched.status_code == 200, patched.text
    submitted = _submit(client, h, dossier["id"])
    assert submitted.status_code == 200, submitted.text
    stored = _stored(db, dossier["id"])
    assert stored.form_data["deceased_name"] == "Nguyễn Văn A"
    assert stored.form_data["death_place"] == "Bệnh viện"
    assert stored.applicant["full_name"] == "Lê Thị Lan"
    assert stored.applicant["address"] == "x"


def test_an_applicant_name_needs_two_letters(client: TestClient, db: Session) -> None:
    """L4: the applicant's name of a counter or online dossier needs two visible letters."""
    h = headers(client, CITIZEN)
    dossier = _draft(client, h, DEATH)
    patched = client.patch(
        f"/api/v1/dossiers/{dossier['id']}",
        headers=h,
        json={"applicant": {"full_name": "\u200b\u200bA\u200b", "phone": "0912345678"}},
    )
    assert patched.status_code == 200
    refused = _submit(client, h, dossier["id"])
    assert refused.status_code == 422
    assert refused.json()["fields"] == {
        "applicant.full_name": "Họ tên người nộp phải có ít nhất hai chữ cái."
    }
    assert _stored(db, dossier["id"]).status == "draft"


# --- the pages: counter intake and the citizen's draft form ---------------------------------


def _counter_post(client: TestClient, **over: str) -> Any:
    log_in(client, RECEPTION)
    page = client.get("/can-bo/tiep-nhan", params={"thu_tuc": "1.001193"})
    data = {
        "csrf_token": csrf_from(page.text),
        "procedure_code": "1.001193",
        **BIRTH_COUNTER,
        **over,
    }
    return client.post("/can-bo/tiep-nhan", data=data, follow_redirects=False)


def test_counter_intake_writes_one_spelling(client: TestClient, db: Session) -> None:
    """M4, L4 at the counter: other digits become ASCII, invisible characters go."""
    before = db.scalar(select(func.count()).select_from(Dossier))
    refused = _counter_post(client, applicant_full_name="\u200b\u200b\u200b")
    assert refused.status_code == 422
    assert "Họ và tên: Vui lòng nhập họ tên người nộp." in refused.text
    assert db.scalar(select(func.count()).select_from(Dossier)) == before

    made = _counter_post(
        client,
        applicant_full_name="\u202ePhạm Thị  Hạnh\u202c",
        applicant_id_number="０３４１９０００９８７６",
        applicant_phone="０９７７ １２３ ４５６",
        **{
            "fd-child_name": "Pha\u0323m Gia Ba\u0309o\u200b",
            "fd-child_birth_date": "０２/１１/２０２６",
        },
    )
    assert made.status_code == 303, made.text[:500]
    dossier_id = int(made.headers["location"].split("/")[-1].split("?")[0])
    stored = _stored(db, dossier_id)
    assert stored.applicant["full_name"] == "Phạm Thị Hạnh"
    assert stored.applicant["id_number"] == "034190009876"
    assert stored.applicant_phone == "0977123456"
    assert stored.form_data["child_name"] == "Phạm Gia Bảo"
    assert stored.form_data["child_birth_date"] == "2026-11-02"


def test_draft_page_refuses_a_number_that_is_none(client: TestClient, db: Session) -> None:
    """L3 on the citizen's form: "Lưu nháp" with 1e400 in a count keeps nothing of the post
    and says why at the field."""
    h = headers(client, CITIZEN)
    dossier = _draft(client, h, MARRIAGE_STATUS)
    log_in(client, CITIZEN)
    page = client.get(f"/ho-so/{dossier['id']}/khai")
    data = {
        "csrf_token": csrf_from(page.text),
        **{
            f"form.{k}": v for k, v in filled_form(client, MARRIAGE_STATUS).items() if v is not True
        },
        "form.copies": "1e400",
        "applicant.full_name": "Nguyễn Thị Lan",
        "applicant.phone": "0912345678",
    }
    saved = client.post(f"/ho-so/{dossier['id']}/khai", data=data, follow_redirects=False)
    assert saved.status_code == 422, saved.text[:300]
    assert "Số không hợp lệ hoặc quá lớn." in saved.text
    assert 'id="f-copies-error"' in saved.text
    assert value_of(saved.text, "form.copies") == "1e400"  # shown again to be corrected
    assert _stored(db, dossier["id"]).form_data["copies"] == "1"


def test_officer_comments_drop_bidi_and_invisible_characters(
    client: TestClient, db: Session
) -> None:
    """L4: an officer's comment (here a supplement request) is kept NFC without bidi
    overrides or zero-width characters, line breaks kept."""
    dossier_id, _citizen = submitted_dossier(client)
    assert act(client, headers(client, RECEPTION), dossier_id, "receive").status_code == 200
    asked = act(
        client,
        headers(client, SPECIALIST),
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="\u202eGia\u0302\u0301y chứng sinh mờ\u202c\u200b\nnộp lại",
    )
    assert asked.status_code == 200, asked.text
    db.expire_all()
    event = _stored(db, dossier_id).events[-1]
    assert event.comment == "Giấy chứng sinh mờ\nnộp lại"


def test_a_count_no_fee_counts_has_its_own_message() -> None:
    """L3: a count with "min 1, whole" that no fee counts ("Số tầng") says what it needs."""
    version = ProcedureVersion(
        form_schema={
            "fields": [
                {"name": "floors", "label": "Số tầng", "type": "number", "min": 1, "integer": True},
                {"name": "area", "label": "Diện tích", "type": "number", "min": 0},
            ]
        }
    )
    for floors in ("0", "-0", "1,5", "-3"):
        errors = dossier_checks.validate_form(version, {"floors": floors, "area": "12,5"})
        assert errors == {"floors": "Vui lòng nhập số nguyên từ 1 trở lên."}, floors
    errors = dossier_checks.validate_form(version, {"floors": "２", "area": "1" + "0" * 12})
    assert errors == {"area": "Số không hợp lệ hoặc quá lớn."}
