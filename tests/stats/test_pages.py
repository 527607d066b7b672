"""The public statistics page and the leader's dashboard through plain HTTP (no JavaScript):
the five groups with formulas, SVG charts with their tables, the ranking, input errors next
to the fields, and every XLSX export opening in openpyxl."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta
from itertools import pairwise

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.catalog.models import ProcessStep
from app.db import utcnow
from app.dossiers.models import Dossier, StepRun
from app.stats import dashboard as dashboard_service
from app.stats import dates, figures
from tests.conftest import DEMO_PASSWORD, csrf_from
from tests.stats.dataset import (
    BIRTH,
    COMMUNE_A,
    COMMUNE_B,
    PERIOD,
    Builder,
    build_march_2024,
)

LEADER = "lanhdao.phohien@motcua.local"
SPECIALIST = "chuyenvien.phohien@motcua.local"
PROVINCE_ADMIN = "quantri.tinh@motcua.local"
CITIZEN = "congdan@motcua.local"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def log_in(client: TestClient, email: str) -> None:
    client.cookies.clear()
    page = client.get("/dang-nhap")
    response = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def rows_of(content: bytes, sheet: str | None = None) -> list[list[object]]:
    book = load_workbook(io.BytesIO(content))
    ws = book[sheet] if sheet else book.worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_statistics_page_shows_groups_formulas_charts_and_ranking(
    client: TestClient, db: Session
) -> None:
    build_march_2024(db)
    response = client.get("/thong-ke", params={"agency": COMMUNE_A, **PERIOD})
    assert response.status_code == 200, response.text
    html = response.text
    for label in figures.GROUP_LABELS.values():
        assert label in html
    # Every figure with its formula; rates in Vietnamese notation.
    for spec in figures.FIGURES:
        assert f'id="fig-{spec.key}"' in html
    assert "33,33%" in html  # on time 2/6
    assert "Số hồ sơ nộp trực tuyến ÷" in html
    # Two accessible SVG charts, each followed by its data table.
    svgs = re.findall(r'<svg[^>]*role="img"[^>]*>', html)
    assert len(svgs) == 2
    assert '<title id="chart-groups-title">' in html
    assert '<caption id="cap-rates">' in html
    # Ranking table lists the communes with links back to this page.
    assert "Xếp hạng cơ quan" in html
    assert f"agency={COMMUNE_B}" in html
    assert 'href="/thong-ke/xlsx?' in html
    # Public page: no login needed, no script needed.
    assert "<script" not in html.split("</head>")[1]


def test_statistics_page_input_errors_are_shown_next_to_the_fields(client: TestClient) -> None:
    response = client.get("/thong-ke", params={"from": "2024-02-31", "agency": "000.00.00.X"})
    assert response.status_code == 422
    assert 'id="f-from-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    bad_agency = client.get("/thong-ke", params={"agency": "000.00.00.X", **PERIOD})
    assert bad_agency.status_code == 422
    assert 'id="f-agency-error"' in bad_agency.text


def test_statistics_xlsx_opens_with_the_indicators_and_ranking(
    client: TestClient, db: Session
) -> None:
    build_march_2024(db)
    response = client.get("/thong-ke/xlsx", params={"agency": COMMUNE_A, **PERIOD})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(XLSX)
    assert "attachment;" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Chỉ số", "Xếp hạng"]
    rows = rows_of(response.content, "Chỉ số")
    on_time = next(r for r in rows if r[1] == "Hồ sơ giải quyết đúng hạn")
    assert on_time[2:8] == [2, 6, 33.33, 100, 6.67, 20]
    assert str(on_time[8]).startswith("Số hồ sơ có kết quả")
    ranking = rows_of(response.content, "Xếp hạng")
    names = [r[1] for r in ranking[3:]]
    assert "Ủy ban nhân dân phường Sơn Nam" in names
    bad = client.get("/thong-ke/xlsx", params={"from": "nonsense"})
    assert bad.status_code == 422


def _open_work(db: Session) -> None:
    """Today's work at Phố Hiến: one dossier overdue, one due later today, step runs."""
    b = Builder(db)
    now = utcnow()
    end_of_today = datetime.combine(dates.local_today(now) + timedelta(days=1), time(0), dates.tz())
    later_today = now + (end_of_today - now) / 2
    specialist = db.scalar(select(User).where(User.email == SPECIALIST))
    assert specialist is not None
    overdue = b.dossier(
        "OV", COMMUNE_A, BIRTH, "online", "processing", now - timedelta(days=3),
        now - timedelta(hours=2),
    )  # fmt: skip
    today = b.dossier(
        "TD", COMMUNE_A, BIRTH, "counter", "processing", now - timedelta(days=1), later_today
    )
    step = db.scalar(select(ProcessStep).where(ProcessStep.version_id == overdue.version_id))
    assert step is not None
    for dossier, assignee, due in (
        (overdue, specialist.id, now - timedelta(hours=2)),
        (today, None, later_today),
    ):
        dossier.current_step_id = step.id
        dossier.handling_agency_id = dossier.agency_id
        dossier.assignee_id = assignee
        db.add(
            StepRun(
                dossier_id=dossier.id,
                step_id=step.id,
                step_code=step.code,
                step_name=step.name,
                agency_id=dossier.agency_id,
                assignee_id=assignee,
                started_at=now - timedelta(days=1),
                due_at=due,
            )
        )
    db.flush()


def test_leader_dashboard_lists_overdue_today_workload_and_trend(
    client: TestClient, db: Session
) -> None:
    _open_work(db)
    log_in(client, LEADER)
    response = client.get("/can-bo/bang-dieu-khien")
    assert response.status_code == 200, response.text
    html = response.text
    overdue = html.split('id="h-overdue"')[1].split("</section>")[0]
    assert "TEST-OV" in overdue and "TEST-TD" not in overdue
    today = html.split('id="h-today"')[1].split("</section>")[0]
    assert "TEST-TD" in today
    officers = html.split('id="h-officers"')[1].split("</section>")[0]
    assert "Lương Văn Hộ" in officers and "Chưa phân công" in officers
    assert len(re.findall(r'<svg[^>]*role="img"', html)) == 2  # workload and trend
    trend = html.split('id="h-trend"')[1].split("</section>")[0]
    assert trend.count("<tr>") == 13  # header + 12 months
    data = dashboard_service.dashboard(
        db, db.scalar(select(User).where(User.email == LEADER)), None
    )
    assert (data["overdue_total"], data["due_today_total"]) == (1, 1)
    assert data["officers"][0]["open"] == 1
    assert sum(m["received"] for m in data["trend"]) == 2
    assert [s["open"] for s in data["steps"]] == [2]
    assert data["steps"][0]["overdue"] == 1


def test_dashboard_tables_export_to_xlsx(client: TestClient, db: Session) -> None:
    _open_work(db)
    log_in(client, LEADER)
    for table in ("overdue", "due_today", "officers", "steps", "trend"):
        response = client.get("/can-bo/bang-dieu-khien/xlsx", params={"table": table})
        assert response.status_code == 200, (table, response.text)
        assert response.headers["content-type"].startswith(XLSX)
        rows = rows_of(response.content)
        assert rows[0][0], table  # heading
    overdue = rows_of(
        client.get("/can-bo/bang-dieu-khien/xlsx", params={"table": "overdue"}).content
    )
    assert overdue[3][1] == "TEST-OV"
    assert isinstance(overdue[3][9], datetime)  # due date as a real date cell
    trend = rows_of(client.get("/can-bo/bang-dieu-khien/xlsx", params={"table": "trend"}).content)
    assert len(trend) == 3 + 12
    assert client.get("/can-bo/bang-dieu-khien/xlsx", params={"table": "x"}).status_code == 422


def test_dashboard_is_for_leaders_and_agency_admins(client: TestClient, db: Session) -> None:
    log_in(client, SPECIALIST)
    assert client.get("/can-bo/bang-dieu-khien").status_code == 403
    log_in(client, CITIZEN)
    assert client.get("/can-bo/bang-dieu-khien").status_code == 403
    log_in(client, LEADER)
    # A leader sees their own agency only.
    assert client.get("/can-bo/bang-dieu-khien", params={"agency": COMMUNE_B}).status_code == 403
    log_in(client, PROVINCE_ADMIN)
    response = client.get("/can-bo/bang-dieu-khien", params={"agency": COMMUNE_B})
    assert response.status_code == 200
    assert "Ủy ban nhân dân phường Sơn Nam" in response.text
    client.cookies.clear()
    anonymous = client.get("/can-bo/bang-dieu-khien", follow_redirects=False)
    assert anonymous.status_code in (302, 303)


def test_trend_counts_receptions_by_local_month_like_the_dossiers(db: Session) -> None:
    """The trend's receptions come from the day counters: the same months as a count of the
    dossiers themselves, a reception at 23:30 local time on the last day of a month included."""
    b = Builder(db)
    now = utcnow()
    firsts = dates.month_starts(dates.local_today(now))
    zone = dates.tz()
    edge = datetime.combine(firsts[-2], time(0), zone)  # this month's first local midnight
    for key, agency, received in (
        ("LATE", COMMUNE_A, edge - timedelta(minutes=30)),
        ("EARLY", COMMUNE_A, edge + timedelta(minutes=30)),
        ("OTHER", COMMUNE_B, edge + timedelta(hours=2)),
    ):
        b.dossier(key, agency, BIRTH, "counter", "processing", received)
    db.flush()
    scope = {b.agency_id(COMMUNE_A)}
    months = dashboard_service.trend(db, scope, now, figures.indicator_settings(db))
    direct = [
        len(
            [
                d
                for d in db.scalars(select(Dossier).where(Dossier.agency_id.in_(scope))).all()
                if d.received_at is not None
                and datetime.combine(lo, time(0), zone)
                <= d.received_at
                < datetime.combine(hi, time(0), zone)
            ]
        )
        for lo, hi in pairwise(firsts)
    ]
    assert [m["received"] for m in months] == direct
    assert months[-2]["received"] >= 1 and months[-1]["received"] >= 1
