"""Applicant data vouched for by the national e-ID (SPEC §11, issue 20): prefilled in the
dossier and held there — a different value is refused and nothing of the request is saved."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.dossiers.models import Dossier
from tests.conftest import csrf_from
from tests.dossiers.helpers import BIRTH, BIRTH_FORM, OTHER_CITIZEN, PHO_HIEN, headers
from tests.dossiers.test_citizen_pages import draft_data, log_in, start_draft, value_of

VERIFIED = {
    "full_name": "Trần Thị Bích",
    "id_number": "079190001234",
    "birth_date": "1990-04-15",
    "phone": "0912345678",
    "address": "12 Lê Lợi, TP. Hồ Chí Minh",
}


OWN_FIELDS = {
    k: v for k, v in BIRTH_FORM.items() if k not in ("applicant_name", "applicant_id_number")
}


def _verified_citizen(db: Session) -> User:
    user = db.scalar(select(User).where(User.email == OTHER_CITIZEN))
    assert user is not None
    user.verified_claims = dict(VERIFIED)
    db.commit()
    return user


def test_verified_values_fill_the_applicant_and_the_prefilled_fields(
    client: TestClient, db: Session
) -> None:
    _verified_citizen(db)
    h = headers(client, OTHER_CITIZEN)
    body = {"procedure_code": BIRTH, "agency_code": PHO_HIEN, "form_data": {}}
    response = client.post("/api/v1/dossiers", json=body, headers=h)
    assert response.status_code == 201, response.text
    data = response.json()
    for key in ("full_name", "id_number", "phone", "address"):
        assert data["applicant"][key] == VERIFIED[key]
    # The birth form's declarant name and ID number are prefilled from the same attributes.
    assert "Trần Thị Bích" in data["form_data"].values()
    assert "079190001234" in data["form_data"].values()


def test_a_changed_verified_value_is_refused_and_nothing_saved(
    client: TestClient, db: Session
) -> None:
    _verified_citizen(db)
    h = headers(client, OTHER_CITIZEN)
    count = db.scalar(select(func.count()).select_from(Dossier))
    body = {
        "procedure_code": BIRTH,
        "agency_code": PHO_HIEN,
        "form_data": BIRTH_FORM,
        "applicant": {"full_name": "Người Khác"},
    }
    refused = client.post("/api/v1/dossiers", json=body, headers=h)
    assert refused.status_code == 422
    assert refused.json()["error"] == "invalid_input"
    assert "VNeID" in refused.json()["detail"]
    assert refused.json()["fields"]["applicant.full_name"]
    # The declarant's name and ID number on the form are the verified ones too.
    assert {"applicant_name", "applicant_id_number"} <= set(refused.json()["fields"])
    assert db.scalar(select(func.count()).select_from(Dossier)) == count

    created = client.post(
        "/api/v1/dossiers",
        json={**body, "form_data": OWN_FIELDS, "applicant": {"email": "bich@example.com"}},
        headers=h,
    )
    assert created.status_code == 201, created.text
    dossier_id = created.json()["id"]
    patch = {"applicant": {"phone": "0987654321", "email": "other@example.com"}}
    refused = client.patch(f"/api/v1/dossiers/{dossier_id}", json=patch, headers=h)
    assert refused.status_code == 422
    assert "applicant.phone" in refused.json()["fields"]
    stored = client.get(f"/api/v1/dossiers/{dossier_id}", headers=h).json()["applicant"]
    assert (stored["phone"], stored["email"]) == ("0912345678", "bich@example.com")
    # The same value again, or an unverified field, is fine.
    ok = {"applicant": {"phone": "0912345678", "email": "other@example.com"}}
    assert client.patch(f"/api/v1/dossiers/{dossier_id}", json=ok, headers=h).status_code == 200


def test_an_older_draft_shows_and_keeps_the_verified_values(
    client: TestClient, db: Session
) -> None:
    """A draft started before the e-ID login holds the profile's values; its page shows the
    verified ones read-only, and saving them is accepted."""
    log_in(client, OTHER_CITIZEN)
    dossier_id = start_draft(client)
    _verified_citizen(db)
    page = client.get(f"/ho-so/{dossier_id}/khai")
    assert value_of(page.text, "applicant.full_name") == "Trần Thị Bích"
    assert value_of(page.text, "form.applicant_id_number") == "079190001234"
    tag = re.search(r'<input[^>]*name="applicant.full_name"[^>]*>', page.text)
    assert tag is not None and " readonly" in tag.group(0)
    assert "đã xác thực qua VNeID" in page.text
    data = draft_data(
        csrf_from(page.text),
        applicant_name="Trần Thị Bích",
        applicant_id_number="079190001234",
        applicant_phone="0912345678",
    )
    data.update(
        {
            "applicant.full_name": "Trần Thị Bích",
            "applicant.phone": "0912345678",
            "applicant.id_number": "079190001234",
            "applicant.address": VERIFIED["address"],
        }
    )
    saved = client.post(f"/ho-so/{dossier_id}/khai", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None
    db.refresh(dossier)
    assert dossier.applicant["full_name"] == "Trần Thị Bích"

    # A changed value posted from the page is refused, shown next to its field, not saved.
    data["applicant.full_name"] = "Người Khác"
    refused = client.post(f"/ho-so/{dossier_id}/khai", data=data, follow_redirects=False)
    assert refused.status_code == 422
    assert 'id="f-applicant-full_name-error"' in refused.text
    db.refresh(dossier)
    assert dossier.applicant["full_name"] == "Trần Thị Bích"


def test_a_copy_takes_the_verified_values_afresh(client: TestClient, db: Session) -> None:
    h = headers(client, OTHER_CITIZEN)
    body = {"procedure_code": BIRTH, "agency_code": PHO_HIEN, "form_data": BIRTH_FORM}
    source = client.post("/api/v1/dossiers", json=body, headers=h)
    assert source.status_code == 201
    _verified_citizen(db)
    copy = client.post(f"/api/v1/dossiers/{source.json()['id']}/copy", headers=h)
    assert copy.status_code == 201, copy.text
    assert copy.json()["applicant"]["full_name"] == "Trần Thị Bích"
    assert copy.json()["form_data"]["applicant_name"] == "Trần Thị Bích"
    assert copy.json()["form_data"]["child_name"] == BIRTH_FORM["child_name"]
