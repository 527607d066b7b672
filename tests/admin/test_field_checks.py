"""Finding m2, designer side: the field editor sets a date's "not in the future" and a
number's bounds, which the citizen's form then enforces."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.service import get_user_by_email
from app.catalog import designer
from tests.admin.helpers import ADMIN, log_in, post_form

CODE = "1.001193"
FIELDS = f"/quan-tri/thu-tuc/{CODE}/ban-nhap/truong"


def test_the_field_editor_sets_value_checks(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    assert post_form(client, f"/quan-tri/thu-tuc/{CODE}/sua").status_code == 303
    page = client.get(FIELDS).text
    assert "Ngày không được sau ngày hôm nay (ngày sinh, ngày mất…)" in page
    base = {"label": "Ngày nhập viện", "name": "admitted_on", "type": "date"}
    added = post_form(client, f"{FIELDS}/them", {**base, "not_future": "on"}, page=FIELDS)
    assert added.status_code == 303, added.text
    numbers = {"label": "Số con", "name": "children", "type": "number"}
    refused = post_form(client, f"{FIELDS}/them", {**numbers, "min": "5", "max": "1"}, page=FIELDS)
    assert refused.status_code == 422
    assert 'id="f-new-min-error"' in refused.text
    assert 'value="5"' in refused.text  # kept as typed
    ok = post_form(
        client,
        f"{FIELDS}/them",
        {**numbers, "min": "1", "max": "20", "integer": "on"},
        page=FIELDS,
    )
    assert ok.status_code == 303, ok.text
    admin = get_user_by_email(db, ADMIN)
    assert admin is not None
    draft = designer.get_draft(db, admin, CODE)
    fields = {f["name"]: f for f in draft.form_schema["fields"]}
    assert fields["admitted_on"]["not_future"] is True
    assert (fields["children"]["min"], fields["children"]["max"]) == (1, 20)
    assert fields["children"]["integer"] is True
