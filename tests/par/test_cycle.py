"""The year's round through the pages: two units self-assess and submit, the council adjusts
with a reason, the survey is imported after a preview, the Department closes, approves and
publishes; the published ranking equals totals recomputed here from the stored scores."""

from __future__ import annotations

import html
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.par.models import Criterion, Round, Score
from tests.dossiers.test_citizen_pages import log_in
from tests.par.helpers import (
    ADMIN,
    COUNCIL,
    JUSTICE,
    JUSTICE_LEADER,
    PHO_HIEN,
    PHO_HIEN_LEADER,
    YEAR,
    criterion_ids,
    fill_and_submit,
    post_form,
    unit_row,
    upload,
)

MANAGE = f"/chi-so-cchc/quan-ly/{YEAR}"


def independent_ranking(db: Session) -> dict[str, tuple[float, int, str]]:
    """agency code → (total, rank within its unit type, unit type), from the raw score rows."""
    rows = db.execute(
        text(
            "SELECT a.code, u.unit_type, s.score, s.adjusted_score FROM par_scores s "
            "JOIN par_round_units u ON u.id = s.unit_id JOIN par_rounds r ON r.id = u.round_id "
            "JOIN agencies a ON a.id = u.agency_id WHERE r.year = :year"
        ),
        {"year": YEAR},
    ).all()
    totals: dict[str, float] = {}
    kinds: dict[str, str] = {}
    for code, kind, score, adjusted in rows:
        value = adjusted if adjusted is not None else (score or 0.0)
        totals[code] = totals.get(code, 0.0) + value
        kinds[code] = kind
    out: dict[str, tuple[float, int, str]] = {}
    for code, total in totals.items():
        better = sum(
            1
            for other, t in totals.items()
            if kinds[other] == kinds[code] and round(t, 2) > round(total, 2)
        )
        out[code] = (round(total, 2), better + 1, kinds[code])
    return out


def test_the_round_from_self_assessment_to_publication(client: TestClient, db: Session) -> None:
    # Before publication nobody outside the named roles sees the ranking.
    assert client.get(f"/api/v1/par/rounds/{YEAR}/ranking").status_code == 401

    # Two units self-assess and submit.
    for email, code in ((JUSTICE_LEADER, JUSTICE), (PHO_HIEN_LEADER, PHO_HIEN)):
        done = fill_and_submit(client, db, email, code)
        assert done.status_code == 303, done.text
        page = client.get(done.headers["location"])
        assert "Đã nộp kết quả tự đánh giá" in html.unescape(page.text)
        assert unit_row(db, code).status == "submitted"

    # The council adjusts one criterion; a change without a reason is refused.
    criteria = criterion_ids(db, JUSTICE)
    target = criteria["1.1.1"]
    log_in(client, COUNCIL)
    unit_page = f"/chi-so-cchc/{YEAR}/don-vi/{JUSTICE}"
    path = unit_page + "/dieu-chinh"
    refused = post_form(client, path, unit_page, criterion_id=target.id, score="0,5", reason=" ")
    assert refused.status_code == 422
    assert "Nhập lý do điều chỉnh điểm" in html.unescape(refused.text)
    unit = unit_row(db, JUSTICE)
    score = db.scalar(
        select(Score).where(Score.unit_id == unit.id, Score.criterion_id == target.id)
    )
    assert score is not None and score.adjusted_score is None
    done = post_form(
        client, path, unit_page, criterion_id=target.id, score="0,5", reason="Ban hành trễ hạn"
    )
    assert done.status_code == 303
    shown = html.unescape(client.get(unit_page).text)
    assert "Ban hành trễ hạn" in shown and "Lý do điều chỉnh của Hội đồng" in shown

    # The Department imports the survey: preview first, then apply.
    log_in(client, ADMIN)
    csv = (
        "agency_code,criterion_code,score\n"
        f"{JUSTICE},8.1,8.5\n{JUSTICE},8.2,6\n{PHO_HIEN},8.1,9.25\n{PHO_HIEN},8.2,7\n"
    ).encode()
    preview = upload(client, MANAGE + "/khao-sat", MANAGE, "dieu-tra.csv", csv)
    assert preview.status_code == 200, preview.text
    assert "Xem trước điểm điều tra xã hội học" in html.unescape(preview.text)
    assert unit_row(db, JUSTICE) and _survey(db, JUSTICE, "8.1") is None  # nothing applied yet
    import_id = int(preview.text.split("/khao-sat/", 1)[1].split('"', 1)[0])
    applied = post_form(client, f"{MANAGE}/khao-sat/{import_id}", MANAGE)
    assert applied.status_code == 303
    assert _survey(db, JUSTICE, "8.1") == 8.5 and _survey(db, PHO_HIEN, "8.1") == 9.25

    # Close, approve, publish.
    assert post_form(client, MANAGE + "/ket-thuc", MANAGE).status_code == 303
    decision = "Quyết định số 120/QĐ-UBND"
    assert post_form(client, MANAGE + "/phe-duyet", MANAGE, decision=decision).status_code == 303
    assert post_form(client, MANAGE + "/cong-bo", MANAGE).status_code == 303
    round_ = db.scalar(select(Round).where(Round.year == YEAR))
    assert round_ is not None and round_.status == "published"

    # The public ranking equals the totals recomputed from the score rows.
    client.cookies.clear()
    ranking = client.get(f"/api/v1/par/rounds/{YEAR}/ranking")
    assert ranking.status_code == 200, ranking.text
    expected = independent_ranking(db)
    items = ranking.json()["items"]
    assert len(items) == len(expected)
    for item in items:
        total, rank, kind = expected[item["agency_code"]]
        assert (item["total"], item["rank"], item["unit_type"]) == (total, rank, kind)
    justice = next(i for i in items if i["agency_code"] == JUSTICE)
    manual = sum(
        int(c.max_points * 0.75 * 4) / 4
        for code, c in criteria.items()
        if c.method == "manual" and code != "1.1.1"
    )
    auto = sum(
        s.score or 0
        for s in db.scalars(select(Score).where(Score.unit_id == unit.id))
        if criteria_by_id(criteria)[s.criterion_id].method == "auto"
    )
    assert justice["total"] == round(manual + 0.5 + 8.5 + 6 + auto, 2)

    # The public page, the unit page, the XLSX and the annex.
    page = html.unescape(client.get(f"/chi-so-cchc?nam={YEAR}").text)
    assert "Sở Tư pháp tỉnh Hưng Yên" in page and "<svg" in page
    unit_text = html.unescape(client.get(unit_page).text)
    assert "Điểm bị trừ theo từng tiêu chí" in unit_text and "Kết quả qua các năm" in unit_text
    book = load_workbook(io.BytesIO(client.get(f"/chi-so-cchc/{YEAR}/xuat-excel").content))
    sheet = book.worksheets[0]
    values = [r for r in sheet.iter_rows(values_only=True) if r and r[1] == JUSTICE]
    assert values and values[0][-1] == justice["total"]
    annex = client.get(f"/chi-so-cchc/{YEAR}/phu-luc.pdf")
    assert annex.status_code == 200 and annex.content.startswith(b"%PDF")

    # A published year never changes.
    log_in(client, COUNCIL)
    frozen = post_form(client, path, unit_page, criterion_id=target.id, score="1", reason="Xem lại")
    assert frozen.status_code == 409
    assert "Kết quả đã công bố không thể thay đổi" in html.unescape(frozen.text)
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("par.%"))))
    assert {
        "par.self_assessed",
        "par.submitted",
        "par.score_adjusted",
        "par.survey_imported",
        "par.self_assessment_closed",
        "par.approved",
        "par.published",
    } <= actions


def criteria_by_id(criteria: dict[str, Criterion]) -> dict[int, Criterion]:
    return {c.id: c for c in criteria.values()}


def _survey(db: Session, agency_code: str, code: str) -> float | None:
    unit = unit_row(db, agency_code)
    criterion = criterion_ids(db, agency_code)[code]
    score = db.scalar(
        select(Score).where(Score.unit_id == unit.id, Score.criterion_id == criterion.id)
    )
    db.refresh(score)
    return score.score if score else None
