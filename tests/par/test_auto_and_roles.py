"""Automatic criteria are frozen at submission; evidence is checked like any upload; only the
named roles see unpublished scores; the Department opens a round."""

from __future__ import annotations

import html
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.demo.par import criteria_rows
from app.par import criteria as criteria_rules
from app.par import figures
from app.par import service as par_service
from app.par.models import Evidence, Round
from app.stats.dates import local_today
from tests.conftest import api_token
from tests.docstore.helpers import received_dossier
from tests.dossiers.helpers import CITIZEN, headers, pdf_bytes
from tests.dossiers.test_citizen_pages import log_in
from tests.par.helpers import (
    ADMIN,
    COUNCIL,
    JUSTICE,
    PHO_HIEN,
    PHO_HIEN_LEADER,
    YEAR,
    criterion_ids,
    fill_and_submit,
    unit_row,
    upload,
)

UNIT_API = f"/api/v1/par/rounds/{YEAR}/units/{PHO_HIEN}"


def test_auto_scores_keep_their_snapshot_when_portal_data_changes(
    client: TestClient, db: Session
) -> None:
    assert fill_and_submit(client, db, PHO_HIEN_LEADER, PHO_HIEN).status_code == 303
    leader = api_token(client, PHO_HIEN_LEADER)
    body = client.get(UNIT_API, headers=leader).json()
    autos = [c for c in body["criteria"] if c["method"] == "auto"]
    assert len(autos) == 5
    for c in autos:
        assert c["formula"] and "→" in c["formula"]
        snap = c["snapshot"]
        assert snap["figure"] and snap["period_from"] == f"{YEAR}-01-01"
        bands = next(x for x in criteria_rows() if x["code"] == c["code"])["bands"]
        assert c["score"] == criteria_rules.band_points(
            criteria_rules.parse_bands(bands), snap["rate"]
        )
    digitised = next(c for c in autos if c["snapshot"]["figure"] == "digitised_rate")
    unit = unit_row(db, PHO_HIEN)
    subtree = sorted(account_service.agency_subtree_ids(db, unit.agency_id))
    start, end = par_service.period_of(YEAR)
    before = figures.measure(db, "digitised_rate", subtree, start, end)
    assert before.denominator == digitised["snapshot"]["denominator"]

    # New dossiers received at Phố Hiến change the live figure …
    citizen = headers(client, CITIZEN)
    for n in range(2):
        received_dossier(client, citizen, f"par {n}")
    after = figures.measure(db, "digitised_rate", subtree, start, end)
    assert after.denominator == (before.denominator or 0) + 2
    # … and not the submitted score nor its snapshot.
    again = client.get(UNIT_API, headers=leader).json()
    still = next(c for c in again["criteria"] if c["code"] == digitised["code"])
    assert still == digitised
    page = html.unescape(client.get(f"/chi-so-cchc/{YEAR}/don-vi/{PHO_HIEN}").text)
    assert "Số liệu của cổng (chốt khi nộp)" in page and "Công thức" in page


def test_only_the_named_roles_see_unpublished_scores(client: TestClient) -> None:
    ranking = f"/api/v1/par/rounds/{YEAR}/ranking"
    for email in (ADMIN, COUNCIL):
        h = api_token(client, email)
        assert client.get(ranking, headers=h).status_code == 200
        assert client.get(UNIT_API, headers=h).status_code == 200
    # A unit's leader sees their own unit, not the others nor the ranking.
    leader = api_token(client, PHO_HIEN_LEADER)
    assert client.get(UNIT_API, headers=leader).status_code == 200
    other = f"/api/v1/par/rounds/{YEAR}/units/{JUSTICE}"
    assert client.get(other, headers=leader).status_code == 404
    assert client.get(ranking, headers=leader).status_code == 404
    for email in ("admin@motcua.local", "quantri.tinh@motcua.local", CITIZEN):
        h = api_token(client, email)
        assert client.get(ranking, headers=h).status_code == 404
        response = client.get(UNIT_API, headers=h)
        assert response.status_code == 404
        assert "chưa được công bố" in response.json()["detail"]
    assert client.get(UNIT_API).status_code == 401
    assert client.get(f"/api/v1/par/rounds/{YEAR}/export.xlsx").status_code == 401
    # Last year is published: everyone sees it.
    last = client.get(f"/api/v1/par/rounds/{YEAR - 1}/ranking")
    assert last.status_code == 200 and len(last.json()["items"]) >= 10
    listed = client.get("/api/v1/par/rounds", params={"status": "published"}).json()["items"]
    assert [r["year"] for r in listed] == [YEAR - 1]
    # The public page shows last year only.
    page = html.unescape(client.get("/chi-so-cchc").text)
    assert f"Năm {YEAR - 1}" in page and f"Năm {YEAR} ·" not in page
    assert client.get(f"/chi-so-cchc?nam={YEAR}").status_code == 404


def test_evidence_is_checked_and_kept_for_the_named_roles(client: TestClient, db: Session) -> None:
    log_in(client, PHO_HIEN_LEADER)
    page = f"/chi-so-cchc/{YEAR}/tu-danh-gia"
    target = criterion_ids(db, PHO_HIEN)["1.4"]
    bad = upload(client, page + "/minh-chung", page, "x.pdf", b"<html>", criterion_id=target.id)
    assert bad.status_code == 415
    assert "Định dạng tệp không được chấp nhận" in html.unescape(bad.text)
    assert db.scalar(select(Evidence.id)) is None
    good = upload(
        client, page + "/minh-chung", page, "bao-cao.pdf", pdf_bytes("bc"), criterion_id=target.id
    )
    assert good.status_code == 303
    evidence = db.scalar(select(Evidence))
    assert evidence is not None and evidence.filename == "bao-cao.pdf"
    url = f"/chi-so-cchc/minh-chung/{evidence.id}"
    assert client.get(url).content == pdf_bytes("bc")
    log_in(client, COUNCIL)
    assert client.get(url).status_code == 200
    log_in(client, "lanhdao.tuphap@motcua.local")
    assert client.get(url).status_code == 404
    api = client.get(UNIT_API, headers=api_token(client, ADMIN)).json()
    listed = next(c for c in api["criteria"] if c["code"] == "1.4")
    assert listed["evidence"] == [{"filename": "bao-cao.pdf", "size": len(pdf_bytes("bc"))}]


def test_the_department_opens_a_round(client: TestClient, db: Session) -> None:
    year = YEAR + 1
    roots = criteria_rules.check_tree(criteria_rows())
    for unit_type in ("department", "commune"):
        par_service.store_set(db, year, unit_type, "Bộ tiêu chí", roots)
    db.commit()
    log_in(client, COUNCIL)
    manage = "/chi-so-cchc/quan-ly"
    from tests.par.helpers import post_form

    deadline = (local_today() + timedelta(days=20)).strftime("%d/%m/%Y")
    refused = post_form(client, manage + "/mo-ky", manage, year=str(year), deadline=deadline)
    assert refused.status_code == 403
    log_in(client, ADMIN)
    bad = post_form(client, manage + "/mo-ky", manage, year=str(year), deadline="31/02/2026")
    assert bad.status_code == 422 and "Nhập hạn tự đánh giá" in html.unescape(bad.text)
    assert db.scalar(select(Round).where(Round.year == year)) is None
    done = post_form(client, manage + "/mo-ky", manage, year=str(year), deadline=deadline)
    assert done.status_code == 303, done.text
    round_ = db.scalar(select(Round).where(Round.year == year))
    assert round_ is not None and round_.status == "open"
    assert {u.agency.code for u in round_.units} >= {JUSTICE, PHO_HIEN}
    again = post_form(client, manage + "/mo-ky", manage, year=str(year), deadline=deadline)
    assert again.status_code == 409


def test_the_new_roles_find_their_pages(client: TestClient) -> None:
    for email in (ADMIN, COUNCIL):
        log_in(client, email)
        home = client.get("/chi-so-cchc")
        assert home.status_code == 200
        assert 'href="/chi-so-cchc/quan-ly"' in home.text
        manage = html.unescape(client.get("/chi-so-cchc/quan-ly").text)
        assert f"Năm {YEAR}" in manage and "Bộ tiêu chí" in manage
        # The staff desk still opens for them (no dossier step is theirs).
        assert client.get("/can-bo").status_code == 200
    log_in(client, ADMIN)
    assert "Nhập bộ tiêu chí từ tệp XLSX" in html.unescape(client.get("/chi-so-cchc/quan-ly").text)
    log_in(client, COUNCIL)
    assert "Nhập bộ tiêu chí từ tệp XLSX" not in html.unescape(
        client.get("/chi-so-cchc/quan-ly").text
    )
    client.cookies.set("lang", "en")
    english = client.get("/chi-so-cchc/quan-ly")
    assert english.status_code == 200 and "PAR index management" in english.text


def test_submission_needs_every_manual_score_and_its_grounds(
    client: TestClient, db: Session
) -> None:
    from tests.par.helpers import post_form

    log_in(client, PHO_HIEN_LEADER)
    page = f"/chi-so-cchc/{YEAR}/tu-danh-gia"
    criteria = criterion_ids(db, PHO_HIEN)
    first = criteria["1.1.1"]
    refused = post_form(client, page + "/nop", page)
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "Chưa chấm điểm các tiêu chí: 1.1.1, 1.1.2" in text
    assert f'href="#f-score_{first.id}"' in text and f'id="f-score_{first.id}"' in text
    too_high = post_form(client, page, page, **{f"score_{first.id}": "5", f"note_{first.id}": ""})
    assert too_high.status_code == 422
    assert "Điểm của tiêu chí 1.1.1 phải từ 0 đến 1" in html.unescape(too_high.text)
    unit = unit_row(db, PHO_HIEN)
    assert unit.status == "draft"
    scores = par_service.scores_of(db, unit)
    assert scores[first.id].score is None
