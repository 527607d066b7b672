"""Criteria sets and survey scores from files: a good set round-trips through XLSX; a bad file
is refused with the row and the reason, and nothing is imported."""

from __future__ import annotations

import html
import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo.par import CRITERIA
from app.par.models import CriteriaSet, RoundUnit, Score, SurveyImport
from tests.dossiers.test_citizen_pages import log_in
from tests.par.helpers import ADMIN, JUSTICE, PHO_HIEN, YEAR, unit_row, upload, xlsx

MANAGE = "/chi-so-cchc/quan-ly"
HEADER = ["code", "name", "max_points", "method", "figure", "bands"]


def demo_rows() -> list[list[Any]]:
    return [[c, n, p, m or "", f, b] for c, n, p, m, f, b in CRITERIA]


def count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def import_set(client: TestClient, rows: list[list[Any]], year: str = "2030") -> Any:
    return upload(
        client,
        MANAGE + "/bo-tieu-chi",
        MANAGE,
        "bo-tieu-chi.xlsx",
        xlsx(rows),
        year=year,
        unit_type="commune",
        title="Bộ tiêu chí thử",
    )


def test_a_good_set_is_imported_as_a_new_version_and_exported_back(
    client: TestClient, db: Session
) -> None:
    log_in(client, ADMIN)
    done = import_set(client, [HEADER, *demo_rows()])
    assert done.status_code == 303, done.text
    row = db.scalar(select(CriteriaSet).where(CriteriaSet.year == 2030))
    assert row is not None and row.version == 1 and row.max_points == 100
    assert len([c for c in row.criteria if c.method]) == 40
    auto = next(c for c in row.criteria if c.code == "3.2.1")
    assert auto.rule == {"figure": "on_time_rate", "bands": [[98, 3], [95, 2], [90, 1]]}
    exported = client.get(f"{MANAGE}/bo-tieu-chi/{row.id}/xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    back = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert back[0] == HEADER and len(back) == len(CRITERIA) + 1
    # What was exported imports again, as version 2.
    assert import_set(client, back).status_code == 303
    assert db.scalar(select(func.max(CriteriaSet.version)).where(CriteriaSet.year == 2030)) == 2


def test_bad_sets_are_refused_with_row_and_reason(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    before = count(db, CriteriaSet)
    cases = [
        (
            [["code", "name", "method"], *[r[:2] + r[3:4] for r in demo_rows()]],
            "Dòng 1: thiếu cột: max_points",
        ),
        (
            [
                HEADER,
                *[
                    ["1.1.1", r[1], 2, r[3], r[4], r[5]] if r[0] == "1.1.1" else r
                    for r in demo_rows()
                ],
            ],
            "Dòng 3: tổng điểm các tiêu chí con của 1.1 là 4, khác điểm tối đa 3",
        ),
        (
            [HEADER, *[[*r[:3], "bonus", "", ""] if r[0] == "2.1" else r for r in demo_rows()]],
            "Dòng 14: phương pháp chấm “bonus” không hợp lệ",
        ),
        (
            [HEADER, *[[*r[:4], "gdp_rate", r[5]] if r[0] == "3.2.1" else r for r in demo_rows()]],
            "Dòng 21: số liệu “gdp_rate” của 3.2.1 không có trên cổng",
        ),
        (
            [HEADER, *[[*r[:5], "98=5"] if r[0] == "3.2.1" else r for r in demo_rows()]],
            "Dòng 21: khung điểm của 3.2.1",
        ),
        (
            [HEADER, ["1", "Lĩnh vực", 10, "", "", ""], ["1.1.1", "Mồ côi", 10, "manual", "", ""]],
            "Dòng 3: tiêu chí 1.1.1 không có tiêu chí cha 1.1",
        ),
    ]
    for rows, message in cases:
        refused = import_set(client, rows)
        assert refused.status_code == 422, message
        text = html.unescape(refused.text)
        assert "Bộ tiêu chí bị từ chối, không có dữ liệu nào được nhập." in text
        assert message in text, text[text.find("error-summary") :][:800]
    assert count(db, CriteriaSet) == before
    not_xlsx = upload(
        client,
        MANAGE + "/bo-tieu-chi",
        MANAGE,
        "a.xlsx",
        b"%PDF-1.4",
        year="2030",
        unit_type="commune",
    )
    assert not_xlsx.status_code == 422 and count(db, CriteriaSet) == before


def test_bad_survey_files_are_refused_whole(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    page = f"{MANAGE}/{YEAR}"
    bad = (
        "agency_code,criterion_code,score\n"
        f"{JUSTICE},8.1,7\n"  # good, but the file is refused whole
        f"{JUSTICE},8.2,12\n"
        f"000.99.99.H31,8.1,5\n"
        f"{PHO_HIEN},1.2,1\n"
        f"{PHO_HIEN},8.1,nhiều\n"
    ).encode()
    refused = upload(client, page + "/khao-sat", page, "dieu-tra.csv", bad)
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "không có điểm nào được nhập" in text
    assert "Dòng 3: điểm 12 vượt quá điểm tối đa 8 của tiêu chí 8.2" in text
    assert "Dòng 4: đơn vị “000.99.99.H31” không tham gia kỳ đánh giá" in text
    assert "Dòng 5: “1.2” không phải tiêu chí điều tra xã hội học" in text
    assert "Dòng 6: điểm “nhiều” không phải là số" in text
    missing = xlsx([["agency_code", "score"], [JUSTICE, 5]])
    refused = upload(client, page + "/khao-sat", page, "dieu-tra.xlsx", missing)
    assert refused.status_code == 422
    assert "Dòng 1: thiếu cột: criterion_code" in html.unescape(refused.text)
    assert count(db, SurveyImport) == 0
    unit = unit_row(db, JUSTICE)
    scores = db.scalars(select(Score).where(Score.unit_id == unit.id)).all()
    assert all(s.score is None for s in scores if s.criterion_id in _survey_ids(unit))


def _survey_ids(unit: RoundUnit) -> set[int]:
    return {c.id for c in unit.criteria_set.criteria if c.method == "survey"}


def test_a_set_may_score_feedback_answered_on_time(client: TestClient, db: Session) -> None:
    """Feedback answered on time (app/feedback, SPEC §12) is a portal figure of the PAR index
    once the portal is wired: a set naming it imports, its rule keeping the figure."""
    log_in(client, ADMIN)
    rows = demo_rows()
    at = next(i for i, r in enumerate(rows) if r[0] == "3.2.1")
    rows[at] = [*rows[at][:4], "feedback_on_time_rate", rows[at][5]]
    done = import_set(client, [HEADER, *rows])
    assert done.status_code == 303, done.text
    row = db.scalar(select(CriteriaSet).where(CriteriaSet.year == 2030))
    assert row is not None
    scored = next(c for c in row.criteria if c.code == "3.2.1")
    assert scored.rule["figure"] == "feedback_on_time_rate"
    # An unknown figure is still refused with its row.
    rows[at] = [*rows[at][:4], "khong_co_chi_so", rows[at][5]]
    refused = import_set(client, [HEADER, *rows], year="2031")
    assert "khong_co_chi_so" in html.unescape(refused.text)
    assert db.scalar(select(CriteriaSet).where(CriteriaSet.year == 2031)) is None
