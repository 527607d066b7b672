"""Decision 766 indicators on a dataset whose every figure is worked out by hand.

The dataset (tests/stats/dataset.py) has dossiers received in March 2024 (local time) at two
communes and a department of the demo province: mixed channels, late dossiers, a dossier with
two supplement requests, an extended one, online and counter payments, counter scans and
paper, ratings with a complaint and a negative score. Dossiers received outside the period (or
never received) must change nothing. Run on SQLite and on PostgreSQL
(``PORTAL_TEST_DATABASE_URL``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.agencies.models import Agency
from app.catalog.models import (
    Component,
    FeeItem,
    Procedure,
    ProcedureAgency,
    ProcedureVersion,
    ProcessStep,
)
from app.dossiers.models import Dossier
from app.errors import InvalidInput
from app.national import delivery
from app.national.models import NationalMessage
from app.stats import dates, figures
from tests.stats.dataset import (
    COMMUNE_A,
    COMMUNE_B,
    DEPARTMENT,
    PERIOD,
    PROVINCE,
    at,
    build_march_2024,
)

URL = "/api/v1/stats/indicators"


def indicators(client: TestClient, agency: str, **params: str) -> dict[str, Any]:
    response = client.get(URL, params={"agency": agency, **PERIOD, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def fig(body: dict[str, Any], group: str, key: str) -> dict[str, Any]:
    return dict(body["groups"][group]["figures"][key])


def check(
    body: dict[str, Any],
    group: str,
    key: str,
    numerator: int,
    denominator: int,
    rate: float,
    points: float,
    max_points: float,
) -> None:
    f = fig(body, group, key)
    assert (f["numerator"], f["denominator"]) == (numerator, denominator), (key, f)
    assert f["rate"] == pytest.approx(rate, abs=0.005), (key, f)
    assert f["points"] == pytest.approx(points, abs=0.005), (key, f)
    assert f["max_points"] == max_points
    assert f["formula"], key


def catalogue_links(db: Session, code: str) -> int:
    """Procedures the agency implements in the demo catalogue (one per procedure)."""
    return int(
        db.scalar(
            select(func.count(func.distinct(ProcedureVersion.procedure_id)))
            .join(ProcedureAgency, ProcedureAgency.version_id == ProcedureVersion.id)
            .join(Agency, Agency.id == ProcedureAgency.agency_id)
            .where(Agency.code == code, ProcedureVersion.status.in_(("draft", "published")))
        )
        or 0
    )


def _acknowledged(db: Session, dossier: Dossier, moment: datetime) -> None:
    """The national portal acknowledged a message of the dossier written at its reception."""
    db.add(
        NationalMessage(
            dossier_id=dossier.id,
            dossier_code=dossier.code or "",
            service="DongBoHoSoMC",
            status="acknowledged",
            created_at=dossier.received_at,
            acknowledged_at=moment,
            in_day=delivery.acknowledged_in_day(dossier.received_at, dossier.received_at, moment),
        )
    )
    db.flush()


def test_commune_a_figures_worked_out_by_hand(client: TestClient, db: Session) -> None:
    d = build_march_2024(db)
    # A1 (received 04/03) acknowledged by the national portal that evening; A2 (received
    # 05/03) only the next morning; the others never.
    assert d["A1"].received_at is not None and d["A2"].received_at is not None
    _acknowledged(db, d["A1"], d["A1"].received_at + timedelta(hours=3))
    _acknowledged(db, d["A2"], at(3, 6, 8))
    body = indicators(client, COMMUNE_A)
    assert body["agency"]["code"] == COMMUNE_A
    assert (body["from"], body["to"]) == ("2024-03-01", "2024-03-31")
    assert list(body["groups"]) == [
        "transparency",
        "timeliness",
        "online_service",
        "digitisation",
        "satisfaction",
    ]
    assert [g["max_points"] for g in body["groups"].values()] == [18, 20, 22, 22, 18]
    assert body["max_points"] == 100

    # Received in March 2024 (local days): A1 A2 A3 A4 A5 A6 A9 A10 A12 = 9.
    # A10 was received 31/03 23:30 local (16:30 UTC): in; A11 01/04 00:10 local: out;
    # A7 (28/02) is before the period; A8 was never received.
    counts = body["counts"]
    assert counts["received"] == 9

    # Transparency. Acknowledged by the national portal on the day of reception: A1 → 1/9 =
    # 11.11%; threshold 100% → 6 × 1/9 = 0.67 points.
    check(body, "transparency", "synchronised_rate", 1, 9, 11.11, 0.67, 6)
    # Procedures: the demo catalogue was published when the test database was seeded (after
    # March 2024), so none was published by the end of the period: 0 of the commune's.
    check(body, "transparency", "published_rate", 0, catalogue_links(db, COMMUNE_A), 0.0, 0.0, 12)

    # Timeliness. Finished (result ready, or refused): A1 A2 A3 A4 A10 = 5; not finished but
    # past the appointment: A5 = 1 (A6 is due in 2099, A12 waits for a supplement — the
    # clock stops —, A9 was withdrawn) → 6 judged.
    # On time: A1 (ready 05/03 before 06/03), A10 (refused 01/04 before 03/04) = 2.
    # Late: A2 (ready after the appointment), A3 (two supplement requests, although ready
    # before the appointment), A4 (extended: late against its first appointment 11/03),
    # A5 (overdue, no result) = 4.
    # 2/6 = 33.33%; threshold 100% → 20 × 2/6 = 6.67 points.
    check(body, "timeliness", "on_time_rate", 2, 6, 33.33, 6.67, 20)
    assert (counts["finished"], counts["on_time"], counts["late"]) == (5, 2, 4)
    assert counts["overdue_open"] == 1
    assert counts["extended"] == 1
    assert counts["supplemented_more_than_once"] == 1

    # Online service. Online: A1 A3 A5 A10 = 4 of 9 (every procedure offers online service)
    # = 44.44%; full points at 50% → 8 × 44.44/50 = 7.11.
    check(body, "online_service", "online_rate", 4, 9, 44.44, 7.11, 8)
    # Full-online procedure (birth registration): A1 A2 A5 A6 A10 A12 = 6; online among them:
    # A1 A5 A10 = 3 → 50%; full points at 80% → 7 × 50/80 = 4.375.
    check(body, "online_service", "full_online_rate", 3, 6, 50.0, 4.375, 7)
    # Paid payments: A1 sandbox, A2 cash, A3 vnpay, A4 transfer (A4's failed sandbox payment
    # does not count) = 4; online: 2 → 50%, full points at 50% → 7.
    check(body, "online_service", "online_payment_rate", 2, 4, 50.0, 7.0, 7)

    # Digitisation. Every component file digital: A1 A3 A5 A10 (online uploads), A2 (both
    # scanned; its removed paper file is ignored), A9 (scanned) = 6; not: A4 (one paper file),
    # A6 (no file), A12 (paper) → 6/9 = 66.67%; full at 80% → 8 × 66.67/80 = 6.67.
    check(body, "digitisation", "digitised_rate", 6, 9, 66.67, 6.67, 8)
    # Completed (result returned): A1 A2 A3; with an electronic result: A1 A2 → 2/3 = 66.67%
    # → 6.67 (A4 has one but is not returned yet).
    check(body, "digitisation", "electronic_result_rate", 2, 3, 66.67, 6.67, 8)
    # No dossier took a document from its applicant's store (kho dữ liệu) → 0 of 6 points.
    check(body, "digitisation", "reuse_rate", 0, 9, 0.0, 0.0, 6)

    # Satisfaction = 100% − (% late + % complaints or negative ratings), over the 6 judged:
    # late 4; unhappy: A3 (complaint; A2's 3/5 is not negative; A7's 1/5 is outside) = 1
    # → 100% − (4/6 + 1/6) = 1/6 = 16.67% → 18 × 1/6 = 3 points.
    check(body, "satisfaction", "satisfaction_rate", 1, 6, 16.67, 3.0, 18)
    assert counts["unhappy"] == 1
    assert counts["ratings"] == 3
    assert counts["average_score"] == pytest.approx(4.0)  # (5 + 3 + 4) / 3

    groups = {k: g["points"] for k, g in body["groups"].items()}
    assert groups["transparency"] == pytest.approx(0.667, abs=0.005)
    assert groups["timeliness"] == pytest.approx(6.67, abs=0.005)
    assert groups["online_service"] == pytest.approx(7.111 + 4.375 + 7.0, abs=0.006)
    assert groups["digitisation"] == pytest.approx(13.33, abs=0.006)
    assert groups["satisfaction"] == pytest.approx(3.0, abs=0.005)
    # 0.667 + 6.667 + 18.486 + 13.333 + 3 = 42.153
    assert body["points"] == pytest.approx(42.15, abs=0.01)


def test_commune_b_and_department_figures(client: TestClient, db: Session) -> None:
    build_march_2024(db)
    b = indicators(client, COMMUNE_B)
    # B1 online, B2 counter (one supplement: the due date restarted, still on time), B3 postal
    # stopped after a supplement request (not judged for timeliness).
    assert b["counts"]["received"] == 3
    check(b, "timeliness", "on_time_rate", 2, 2, 100.0, 20.0, 20)
    check(b, "online_service", "online_rate", 1, 3, 33.33, 5.33, 8)  # 8 × 33.33/50
    check(b, "online_service", "full_online_rate", 1, 2, 50.0, 4.375, 7)  # B1, B3
    check(b, "online_service", "online_payment_rate", 1, 2, 50.0, 7.0, 7)
    check(b, "digitisation", "digitised_rate", 2, 3, 66.67, 6.67, 8)  # B3's paper file
    check(b, "digitisation", "electronic_result_rate", 2, 2, 100.0, 8.0, 8)
    # 2 judged, 0 late, B1 rated 1/5 (negative) → 100% − (0 + 50%) = 50% → 9 points.
    check(b, "satisfaction", "satisfaction_rate", 1, 2, 50.0, 9.0, 18)

    d = indicators(client, DEPARTMENT)
    # D1 online full-online on time; D2 counter partial, ready two days after the appointment.
    check(d, "timeliness", "on_time_rate", 1, 2, 50.0, 10.0, 20)
    check(d, "online_service", "online_rate", 1, 2, 50.0, 8.0, 8)
    check(d, "online_service", "full_online_rate", 1, 1, 100.0, 7.0, 7)
    check(d, "online_service", "online_payment_rate", 1, 2, 50.0, 7.0, 7)
    check(d, "digitisation", "digitised_rate", 2, 2, 100.0, 8.0, 8)
    check(d, "digitisation", "electronic_result_rate", 2, 2, 100.0, 8.0, 8)
    check(d, "satisfaction", "satisfaction_rate", 1, 2, 50.0, 9.0, 18)  # 100% − 50% − 0%


def test_province_figures_are_the_sums_of_its_children(client: TestClient, db: Session) -> None:
    build_march_2024(db)
    province = indicators(client, PROVINCE)
    province_id = db.scalar(select(Agency.id).where(Agency.code == PROVINCE))
    children = list(
        db.scalars(select(Agency.code).where(Agency.parent_id == province_id).order_by(Agency.code))
    )
    assert {COMMUNE_A, COMMUNE_B, DEPARTMENT} <= set(children)
    bodies = [indicators(client, code) for code in children]
    for group, data in province["groups"].items():
        for key, figure in data["figures"].items():
            numerator = sum(fig(b, group, key)["numerator"] for b in bodies)
            denominator = sum(fig(b, group, key)["denominator"] for b in bodies)
            assert (figure["numerator"], figure["denominator"]) == (numerator, denominator), key
    # By hand: on time 2 + 2 + 1 = 5 of 6 + 2 + 2 = 10 → 50% → 10 points; received 14;
    # online 4 + 1 + 1 = 6 of 14 = 42.86% → 8 × 42.86/50 = 6.86.
    check(province, "timeliness", "on_time_rate", 5, 10, 50.0, 10.0, 20)
    check(province, "online_service", "online_rate", 6, 14, 42.86, 6.86, 8)
    # Satisfaction 100% − (5/10 late + 2/10 unhappy: A3, B1) = 30% → 5.4 points.
    check(province, "satisfaction", "satisfaction_rate", 3, 10, 30.0, 5.4, 18)
    assert province["counts"]["received"] == 14


def test_an_agency_without_dossiers_gives_zeros(client: TestClient, db: Session) -> None:
    build_march_2024(db)
    province = db.scalar(select(Agency).where(Agency.code == PROVINCE))
    assert province is not None
    db.add(Agency(code="000.00.98.H31", name="UBND xã Thử", level="commune", parent=province))
    db.flush()
    body = indicators(client, "000.00.98.H31")
    assert body["points"] == 0
    for group in body["groups"].values():
        assert group["points"] == 0
        for figure in group["figures"].values():
            assert figure == {**figure, "numerator": 0, "denominator": 0, "rate": 0, "points": 0}
    # A commune with procedures but no dossier in the period: dossier figures are zero.
    other = indicators(client, "000.00.53.H31")
    for key in ("on_time_rate", "online_rate", "digitised_rate", "satisfaction_rate"):
        group = figures.FIGURE_BY_KEY[key].group
        assert fig(other, group, key)["denominator"] == 0
        assert fig(other, group, key)["points"] == 0


def test_settings_change_the_rules(client: TestClient, db: Session) -> None:
    build_march_2024(db)
    # Measured against the new date, the extended A4 (ready 13/03, new date 14/03) is on time.
    figures.set_indicator_setting(db, "indicator_extension_counts_on_time", True)
    # Full points for online submission from 40%: commune A's 44.44% earns all 8.
    figures.set_indicator_setting(db, "indicator_threshold_online_rate", 40)
    body = indicators(client, COMMUNE_A)
    check(body, "timeliness", "on_time_rate", 3, 6, 50.0, 10.0, 20)
    check(body, "online_service", "online_rate", 4, 9, 44.44, 8.0, 8)
    assert fig(body, "online_service", "online_rate")["threshold"] == 40
    assert "gia hạn" in fig(body, "timeliness", "on_time_rate")["formula"]
    with pytest.raises(InvalidInput):
        figures.set_indicator_setting(db, "indicator_threshold_online_rate", 0)
    with pytest.raises(InvalidInput):
        figures.set_indicator_setting(db, "indicator_unknown", 1)


def _procedure(
    db: Session,
    code: str,
    agency_id: int,
    *,
    status: str = "published",
    published: datetime | None = None,
    legal_basis: str = "Luật Hộ tịch 2014",
    fields: int = 1,
    fees: bool = True,
    fee_note: str = "",
    version: int = 1,
    procedure: Procedure | None = None,
) -> Procedure:
    procedure = procedure or Procedure(code=code)
    db.add(procedure)
    db.flush()
    v = ProcedureVersion(
        procedure_id=procedure.id,
        version=version,
        status=status,
        name=f"Thủ tục thử {code}",
        field="Thử nghiệm",
        level="commune",
        online_level="full",
        processing_days=3,
        legal_basis=legal_basis,
        fee_note=fee_note,
        form_schema={"fields": [{"name": f"f{i}", "type": "text"} for i in range(fields)]},
        published_at=published,
    )
    v.components = [Component(code="TK", name="Tờ khai")]
    v.steps = [ProcessStep(code="TN", name="Tiếp nhận", role="reception", duration_hours=4)]
    v.fees = [FeeItem(name="Lệ phí", amount=0)] if fees else []
    v.agency_links = [ProcedureAgency(agency_id=agency_id)]
    db.add(v)
    db.flush()
    return procedure


def test_transparency_counts_published_and_complete_procedures(
    client: TestClient, db: Session
) -> None:
    province = db.scalar(select(Agency).where(Agency.code == PROVINCE))
    assert province is not None
    commune = Agency(code="000.00.97.H31", name="UBND xã Minh Bạch", level="commune")
    commune.parent = province
    db.add(commune)
    db.flush()
    jan = at(1, 10)
    _procedure(db, "T.0001", commune.id, published=jan)  # complete ✓
    _procedure(db, "T.0002", commune.id, published=jan, legal_basis="")  # no legal basis ✗
    _procedure(db, "T.0003", commune.id, status="draft")  # not published ✗
    _procedure(db, "T.0004", commune.id, published=at(5, 1))  # published after the period ✗
    _procedure(db, "T.0005", commune.id, status="retired", published=jan)  # not implemented
    old = _procedure(db, "T.0006", commune.id, status="retired", published=at(1, 1, year=2023))
    _procedure(db, "T.0006", commune.id, published=at(2, 1), version=2, procedure=old)  # ✓
    _procedure(db, "T.0007", commune.id, published=jan, fields=0)  # no form fields ✗
    _procedure(db, "T.0008", commune.id, published=jan, fees=False, fee_note="Miễn phí")  # ✓
    _procedure(db, "T.0009", commune.id, published=jan, fees=False)  # fees unknown ✗
    body = indicators(client, commune.code, **{"from": "2024-01-01", "to": "2024-03-31"})
    # Implemented (draft or published version): T1 T2 T3 T4 T6 T7 T8 T9 = 8 (T5 is retired);
    # published by 31/03/2024 and complete: T1 T6 T8 = 3 → 37.5% → 12 × 0.375 = 4.5 points.
    check(body, "transparency", "published_rate", 3, 8, 37.5, 4.5, 12)
    check(body, "transparency", "synchronised_rate", 0, 0, 0.0, 0.0, 6)
    assert body["groups"]["transparency"]["points"] == pytest.approx(4.5)
    # The same catalogue counted today: T4 is published now too.
    today = datetime.now(UTC).date().isoformat()
    now_body = indicators(client, commune.code, **{"from": today, "to": today})
    assert fig(now_body, "transparency", "published_rate")["numerator"] == 4


def test_ranking_orders_agencies_by_points(client: TestClient, db: Session) -> None:
    build_march_2024(db)
    response = client.get("/api/v1/stats/ranking", params={**PERIOD, "level": "commune"})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {i["agency"]["level"] for i in items} == {"commune"}
    ranks = {i["agency"]["code"]: i for i in items}
    # Nothing was acknowledged by the national portal here (synchronised: 0 points), and no
    # document was reused (reuse: 0 points).
    # B: 0 + 20 + 16.71 + 14.67 + 9 = 60.38 ahead of A: 42.15; the other communes have no
    # dossier: 0.
    assert ranks[COMMUNE_B]["rank"] == 1
    assert ranks[COMMUNE_B]["points"] == pytest.approx(60.38, abs=0.01)
    assert ranks[COMMUNE_A]["rank"] == 2
    others = [i for i in items if i["agency"]["code"] not in (COMMUNE_A, COMMUNE_B)]
    assert others and all(i["points"] == 0 and i["rank"] == 3 for i in others)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2024-13-01"}, "from"),
        ({"from": "31/02/2024"}, "from"),
        ({"to": "2024-02-30"}, "to"),
        ({"from": "2024-03-31", "to": "2024-03-01"}, "to"),
        ({"from": "2023-01-01", "to": "2024-03-01"}, "to"),
        ({"from": "1999-12-31", "to": "2000-01-01"}, "from"),
        ({"from": "9999-12-31"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"agency": "x" * 36}, "agency"),
    ],
)
def test_bad_query_parameters_are_422_json(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get(URL, params={"agency": COMMUNE_A, **PERIOD, **params})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_input"
    assert field in body["fields"]


def test_unknown_agency_is_404_json(client: TestClient) -> None:
    response = client.get(URL, params={"agency": "000.00.00.X99", **PERIOD})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_defaults_to_the_province_and_this_year(client: TestClient) -> None:
    response = client.get(URL)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agency"]["code"] == PROVINCE
    today = datetime.now(UTC).astimezone(dates.tz()).date()
    assert body["from"] == f"{today.year}-01-01"
    english = client.get(URL, headers={"Accept-Language": "en"}).json()
    assert english["groups"]["timeliness"]["figures"]["on_time_rate"]["formula"]


def test_the_queries_do_not_grow_with_the_dossiers(client: TestClient, db: Session) -> None:
    """Aggregates in SQL: the number of statements is the same for 0 and 17 dossiers."""
    from sqlalchemy import event

    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = db.get_bind().engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", before)
    try:
        indicators(client, PROVINCE)
        empty = len(statements)
        statements.clear()
        build_march_2024(db)
        db.commit()  # as the requests that changed them would have: counters refreshed
        statements.clear()
        indicators(client, PROVINCE)
        full = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert full == empty
    assert full <= 12
