"""The demo catalogue: what a citizen or an officer relies on when trying the portal."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.models import Procedure, ProcedureVersion
from app.catalog.schemas import FormSchema
from app.demo.agencies import CENTER_CODE, COMMUNE_CODES
from app.demo.procedures import HOURS_PER_DAY, PROCEDURES
from app.demo.seed import seed_all, upgrade_procedures

REFERENCE_CODES = {
    "1.001193", "1.000894", "1.000656", "1.004873", "2.000635", "2.000815", "2.000884",
    "2.001035", "1.004222", "1.004194", "1.014061", "1.001612", "2.000720", "1.013225",
    "1.013978", "3.000333", "1.001456", "2.001610", "1.013236",
}  # fmt: skip
POLICE = "000.00.20.H31"
DEPARTMENT_OF = {"3.000333": POLICE, "1.001456": POLICE, "2.001610": "000.00.11.H31",
                 "1.013236": "000.00.16.H31"}  # fmt: skip
CERTIFICATION = {"2.000815", "2.000884", "2.001035"}
PREFILLS = {"full_name", "phone", "id_number", "email", "address", "birth_date"}


def _published(db: Session) -> list[ProcedureVersion]:
    return list(db.scalars(select(ProcedureVersion).where(ProcedureVersion.status == "published")))


def _detail(client: TestClient, code: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/procedures/{code}")
    assert response.status_code == 200, code
    body: dict[str, Any] = response.json()
    return body


def test_demo_data_covers_the_reference_once() -> None:
    codes = [p["code"] for p in PROCEDURES]
    assert len(codes) == len(set(codes)) >= 18
    assert set(codes) >= REFERENCE_CODES


def test_at_least_18_published_procedures_are_served(client: TestClient) -> None:
    body = client.get("/api/v1/procedures", params={"limit": 100}).json()
    assert body["total"] >= 18 and len(body["items"]) == body["total"]
    assert {i["code"] for i in body["items"]} >= REFERENCE_CODES
    assert {i["online_level"] for i in body["items"]} == {"full", "partial"}


def test_step_hours_fit_the_legal_time(db: Session) -> None:
    versions = _published(db)
    assert versions
    for version in versions:
        total = sum(step.duration_hours for step in version.steps)
        # A procedure settled within the day (0 days) has one working day for its steps.
        assert 0 < total <= max(version.processing_days, 1) * HOURS_PER_DAY, version.code


def test_processes_follow_the_one_stop_shape(db: Session) -> None:
    for version in _published(db):
        steps = version.steps
        assert 3 <= len(steps) <= 5, version.code
        assert len({s.code for s in steps}) == len(steps)
        first, last = steps[0], steps[-1]
        assert first.role == "reception", version.code
        assert {"receive", "request_supplement", "reject", "forward"} <= set(first.actions)
        assert last.role == "reception"
        assert {"attach_result", "return_result"} <= set(last.actions), version.code
        assert any(s.role == "leader" and "approve" in s.actions for s in steps), version.code
        charged = any(f.amount > 0 for f in version.fees)
        asks_payment = any("request_payment" in s.actions for s in steps)
        assert charged == asks_payment == (version.payment_moment != "none"), version.code


def test_steps_run_at_the_right_agencies(db: Session) -> None:
    for version in _published(db):
        codes = {a.code for a in version.agencies}
        if version.level == "commune":
            assert codes == set(COMMUNE_CODES), version.code
            assert all(s.agency is None for s in version.steps), version.code
            continue
        department = DEPARTMENT_OF.get(version.code)
        if department:
            assert codes == {department}, version.code
        steps = version.steps
        assert steps[0].agency is not None and steps[0].agency.code == CENTER_CODE
        assert steps[-1].agency is not None and steps[-1].agency.code == CENTER_CODE
        middle = {s.agency.code for s in steps[1:-1] if s.agency is not None}
        assert middle == codes, version.code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("2.000884", {(10_000, None)}),
        ("1.004222", {(20_000, "counter"), (10_000, "online")}),
        ("1.004194", {(10_000, "counter"), (7_000, "online")}),
        ("1.001193", {(0, None)}),
        ("2.001035", {(50_000, None)}),
        ("2.000635", {(8_000, None)}),
        ("2.001610", {(100_000, None)}),
        ("1.001456", {(200_000, None)}),
    ],
)
def test_reference_fee_amounts(client: TestClient, code: str, expected: set[Any]) -> None:
    fees = _detail(client, code)["fees"]
    assert {(f["amount"], f["channel"]) for f in fees} == expected


def test_per_page_copy_certification_fee(client: TestClient) -> None:
    fees = _detail(client, "2.000815")["fees"]
    assert [(f["amount"], f["unit"]) for f in fees] == [(2_000, "trang")]
    (fee,) = fees
    assert fee["tiers"] == [{"from": 1, "amount": 2_000}, {"from": 3, "amount": 1_000}]
    assert fee["cap"] == 200_000
    assert (fee["quantity_field"], fee["multiplier_field"]) == ("page_count", "copies")
    assert "200.000" in fee["note"]


@pytest.mark.parametrize(
    ("code", "field", "unit"),
    [("2.000635", "copies", "bản"), ("2.000884", "copies", "trường hợp")],
)
def test_fees_per_copy_or_case_read_a_number_field(
    client: TestClient, code: str, field: str, unit: str
) -> None:
    body = _detail(client, code)
    (fee,) = body["fees"]
    assert (fee["quantity_field"], fee["unit"]) == (field, unit)
    declared = {f["name"]: f["type"] for f in body["form_schema"]["fields"]}
    assert declared[field] == "number"


def test_free_procedures_say_so(client: TestClient) -> None:
    for code in ("1.001193", "1.000894", "1.000656"):
        fees = _detail(client, code)["fees"]
        assert fees and all(f["amount"] == 0 and f["note"] for f in fees), code


def test_every_procedure_is_complete_for_a_citizen(client: TestClient) -> None:
    for code in sorted(REFERENCE_CODES):
        body = _detail(client, code)
        assert body["result"] and body["legal_basis"] and body["description"], code
        components = body["components"]
        assert 2 <= len(components) <= 5, code
        assert len({c["code"] for c in components}) == len(components), code
        assert any(c["required"] for c in components), code
        for c in components:
            assert set(c["accepted_types"]) <= {"pdf", "jpg", "png", "docx"}, code
            assert 5 <= c["max_size_mb"] <= 20, code


def test_form_schemas_are_valid_and_prefill_the_applicant(db: Session) -> None:
    for version in _published(db):
        schema = FormSchema.model_validate(version.form_schema)
        assert 4 <= len(schema.fields) <= 10, version.code
        names = [f.name for f in schema.fields]
        assert len(names) == len(set(names)), version.code
        prefilled = {f.prefill for f in schema.fields if f.prefill}
        assert prefilled <= PREFILLS, version.code
        assert {"full_name", "id_number", "phone"} <= prefilled, version.code
        for field in schema.fields:
            assert field.label, version.code
            assert (field.type == "select") == bool(field.options), (version.code, field.name)


def test_accent_insensitive_search_finds_certification(client: TestClient) -> None:
    for q in ("chung thuc", "CHỨNG THỰC"):
        items = client.get("/api/v1/procedures", params={"q": q, "limit": 100}).json()["items"]
        assert {i["code"] for i in items} >= CERTIFICATION, q
        assert all(i["field"] == "Chứng thực" for i in items), q


def test_filter_by_police_agency(client: TestClient) -> None:
    body = client.get("/api/v1/procedures", params={"agency": POLICE, "limit": 100}).json()
    assert {i["code"] for i in body["items"]} == {"3.000333", "1.001456"}
    assert all(i["agency_code"] == POLICE and i["level"] == "province" for i in body["items"])


def test_filter_by_commune_and_field(client: TestClient) -> None:
    commune = client.get(
        "/api/v1/procedures", params={"agency": COMMUNE_CODES[0], "limit": 100}
    ).json()
    assert commune["total"] >= 15
    assert all(i["level"] == "commune" for i in commune["items"])
    residence = client.get("/api/v1/procedures", params={"field": "Cư trú"}).json()
    assert {i["code"] for i in residence["items"]} == {"1.004222", "1.004194"}


def test_channel_dependent_times_are_explained(client: TestClient) -> None:
    permit = _detail(client, "1.013225")
    assert permit["processing_days"] == 20 and "15" in permit["time_note"]
    land = _detail(client, "1.013978")
    assert land["processing_days"] == 27
    assert all(n in land["time_note"] for n in ("17", "20", "27"))


def test_seeding_twice_adds_nothing(db: Session) -> None:
    before = len(_published(db))
    assert seed_all(db) == {
        "agencies": 0,
        "certificates": 0,
        "users": 0,
        "procedures": 0,
        "procedures_upgraded": 0,
        "par_sets": 0,
        "par_rounds": 0,
        "booking_settings": 0,
    }
    assert len(_published(db)) == before


def test_a_catalogue_seeded_with_flat_fees_is_upgraded_once(db: Session) -> None:
    def versions(code: str) -> list[ProcedureVersion]:
        procedure = db.scalar(select(Procedure).where(Procedure.code == code))
        assert procedure is not None
        db.refresh(procedure)
        return list(procedure.versions)

    # As seeded before fees per quantity: one flat 8.000 ₫ item, version 1.
    (seeded,) = versions("2.000635")
    seeded.fees[0].quantity_field = None
    db.flush()
    assert upgrade_procedures(db) == 1
    old, new = versions("2.000635")
    assert (old.version, old.status, old.fees[0].quantity_field) == (1, "retired", None)
    assert (new.version, new.status, new.fees[0].quantity_field) == (2, "published", "copies")
    # Running it again changes nothing; a procedure edited since (two versions) is left alone.
    new.fees[0].amount = 9_000
    db.flush()
    assert upgrade_procedures(db) == 0
    assert [v.status for v in versions("2.000635")] == ["retired", "published"]


def test_a_catalogue_seeded_without_value_checks_gets_them(db: Session) -> None:
    """Finding L3: a demo catalogue seeded before counts and dates had their checks gets a
    version 2 with them (copies: a whole number from 1); its dossiers stay on version 1."""

    def versions(code: str) -> list[ProcedureVersion]:
        procedure = db.scalar(select(Procedure).where(Procedure.code == code))
        assert procedure is not None
        db.refresh(procedure)
        return list(procedure.versions)

    (seeded,) = versions("1.004873")
    fields = [dict(f) for f in seeded.form_schema["fields"]]
    for field in fields:
        for key in ("min", "max", "integer", "not_future"):
            field.pop(key, None)
    seeded.form_schema = {"fields": fields}
    db.flush()
    assert upgrade_procedures(db) == 1
    old, new = versions("1.004873")
    assert (old.version, old.status) == (1, "retired")
    copies = next(f for f in new.form_schema["fields"] if f["name"] == "copies")
    assert (new.version, new.status, copies["min"], copies["integer"]) == (2, "published", 1, True)
    assert upgrade_procedures(db) == 0
