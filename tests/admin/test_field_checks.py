"""Finding m2, designer side: the field editor sets a date's "not in the future" and a
number's bounds, which the citizen's form then enforces."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.service import get_user_by_email
from app.catalog import designer
from app.dossiers import checks as dossier_checks
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


def test_the_field_editor_sets_date_bounds(client: TestClient, db: Session) -> None:
    """Finding L3: a date field gets its earliest and latest day (typed dd/mm/yyyy); bounds the
    wrong way round, outside 1900–2100 or a number bound of 10^12 and more are refused at their
    field; the declared dates are then checked against them."""
    log_in(client, ADMIN)
    assert post_form(client, f"/quan-tri/thu-tuc/{CODE}/sua").status_code == 303
    base = {"label": "Ngày nhập viện", "name": "admitted_on", "type": "date"}
    for bounds, field in (
        ({"min_date": "01/01/2000", "max_date": "31/12/1999"}, "min_date"),
        ({"min_date": "01/01/1800"}, "min_date"),
        ({"max_date": "hôm qua"}, "max_date"),
    ):
        refused = post_form(client, f"{FIELDS}/them", {**base, **bounds}, page=FIELDS)
        assert refused.status_code == 422, (bounds, refused.text[:300])
        assert f'id="f-new-{field}-error"' in refused.text, bounds
    huge = post_form(
        client,
        f"{FIELDS}/them",
        {"label": "Số con", "name": "children", "type": "number", "min": "1e300"},
        page=FIELDS,
    )
    assert huge.status_code == 422 and 'id="f-new-min-error"' in huge.text
    admin = get_user_by_email(db, ADMIN)
    assert admin is not None
    before = designer.get_draft(db, admin, CODE).form_schema["fields"]
    assert "admitted_on" not in {f["name"] for f in before}

    ok = post_form(
        client,
        f"{FIELDS}/them",
        {**base, "min_date": "01/01/2000", "max_date": "2030-12-31", "not_future": "on"},
        page=FIELDS,
    )
    assert ok.status_code == 303, ok.text[:300]
    db.expire_all()
    draft = designer.get_draft(db, admin, CODE)
    field = next(f for f in draft.form_schema["fields"] if f["name"] == "admitted_on")
    assert (field["min_date"], field["max_date"]) == ("2000-01-01", "2030-12-31")
    page = client.get(FIELDS).text  # each field's form, as people write days
    assert "Ngày sớm nhất" in page
    assert 'value="01/01/2000"' in page and 'value="31/12/2030"' in page

    def problem(value: str) -> str | None:
        return dossier_checks.validate_form(draft, {"admitted_on": value}).get("admitted_on")

    assert problem("31/12/1999") == "Ngày nằm ngoài khoảng cho phép."
    assert problem("01/01/2000") is None
    assert problem("01/01/3000") == "Ngày phải trong khoảng từ 01/01/1900 đến 31/12/2100."
    assert dossier_checks.range_hint(field) == (
        "Từ ngày %(min)s đến ngày %(max)s.",
        {"min": "01/01/2000", "max": "31/12/2030"},
    )
