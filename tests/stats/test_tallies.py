"""The maintained indicator counters (app/stats/tallies.py) against a recount from the dossiers.

Every test of the suite already ends by checking the counters against a recount
(tests/conftest.py ``assert_counters_agree``); these tests change the facts one by one, with
every setting the counters must serve, and try the repair tools an operator would use.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.cli import upgrade_database
from app.dossiers.models import Dossier, DossierFile
from app.payments.models import Payment
from app.ratings.models import Rating
from app.stats import counts, figures, tallies
from app.stats.models import DailyTally, DossierTally
from tests.stats.dataset import VN, at, build_march_2024

MARCH = (date(2024, 3, 1), date(2024, 3, 31))
SETTINGS = (
    {},
    {"indicator_max_supplements": 0},
    {"indicator_max_supplements": 2},
    {"indicator_extension_counts_on_time": True},
    {"indicator_negative_score_max": 1},
    {"indicator_negative_score_max": 4},
)


def same_as_recount(db: Session) -> None:
    """Counters and recount give the same counts for every agency, whatever the settings."""
    now = at(3, 25, 12)
    for overrides in SETTINGS:
        for key, value in overrides.items():
            figures.set_indicator_setting(db, key, value)
        cfg = figures.indicator_settings(db)
        from_counters = counts.raw_counts(db, *MARCH, now=now, cfg=cfg)
        recounted = counts.recount(db, *MARCH, now=now, cfg=cfg)
        assert {k: asdict(v) for k, v in from_counters.items()} == {
            k: asdict(v) for k, v in recounted.items()
        }, overrides
        for key in overrides:
            figures.set_indicator_setting(db, key, figures.DEFAULT_SETTINGS[key])


def test_counters_follow_each_change_of_a_dossier(db: Session) -> None:
    d = build_march_2024(db)
    db.commit()
    same_as_recount(db)
    assert counts.raw_counts(db, *MARCH)  # the dataset is really counted
    a1, a2, a3 = d["A1"], d["A2"], d["A3"]

    # A rating turns negative, a complaint is withdrawn.
    rating = db.scalar(select(Rating).where(Rating.dossier_id == a1.id))
    assert rating is not None
    rating.score = 1
    db.commit()
    same_as_recount(db)

    # A counter scan is removed (no longer digitised), a supplement is requested again.
    paper = db.scalars(select(DossierFile).where(DossierFile.dossier_id == a2.id)).first()
    assert paper is not None
    paper.removed_at = at(3, 9)
    a3.supplement_count = 3
    db.commit()
    same_as_recount(db)

    # A payment is settled with a bulk UPDATE (as the payment service does) and noted.
    db.execute(
        update(Payment).where(Payment.dossier_id == a2.id).values(status="cancelled"),
        execution_options={"synchronize_session": False},
    )
    tallies.touch(db, a2.id)
    db.commit()
    same_as_recount(db)

    # A dossier moves to another agency and another day; one finishes late.
    a1.agency_id = a2.agency_id
    a1.received_at = at(3, 20)
    a3.result_ready_at = a3.due_at + timedelta(days=1) if a3.due_at else at(3, 30)
    db.commit()
    same_as_recount(db)
    assert tallies.differences(db) == []


def test_unfinished_dossiers_become_overdue_without_any_write(db: Session) -> None:
    build_march_2024(db)
    db.commit()
    cfg = figures.indicator_settings(db)
    early = counts.raw_counts(db, *MARCH, now=at(3, 2), cfg=cfg)
    late = counts.raw_counts(db, *MARCH, now=at(12, 31), cfg=cfg)
    assert sum(c.overdue_open for c in early.values()) == 0
    open_ones = sum(c.overdue_open for c in late.values())
    assert open_ones > 0
    assert open_ones == sum(
        c.overdue_open for c in counts.recount(db, *MARCH, now=at(12, 31), cfg=cfg).values()
    )


def test_differences_name_a_tampered_row_and_rebuild_repairs_it(db: Session) -> None:
    build_march_2024(db)
    db.commit()
    row = db.scalars(select(DailyTally).where(DailyTally.received > 0)).first()
    assert row is not None
    row.online += 5
    db.flush()
    problems = tallies.differences(db)
    assert len(problems) == 1
    assert f"agency {row.agency_id}, {row.day}" in problems[0]
    assert "online" in problems[0]
    received = db.scalar(select(func.count(Dossier.id)).where(Dossier.received_at.is_not(None)))
    assert tallies.rebuild(db) == received
    assert tallies.differences(db) == []


ROOT = Path(__file__).resolve().parents[2]


def portal(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PORTAL_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_upgrade_fills_the_counters_and_the_commands_check_them(fresh_database: Engine) -> None:
    url = fresh_database.url.render_as_string(hide_password=False)
    factory = sessionmaker(bind=fresh_database)
    with factory.begin() as session:
        build_march_2024(session)
    # A database from before the counters existed: dossiers, no counters.
    with factory.begin() as session:
        session.execute(delete(DailyTally))
        session.execute(delete(DossierTally))
    result = portal(url, "stats", "verify")
    assert result.returncode == 1
    assert "disagree" in result.stderr

    upgrade_database(url)
    with factory() as session:
        assert not tallies.is_empty(session)
        assert tallies.differences(session) == []
    result = portal(url, "stats", "verify")
    assert result.returncode == 0, result.stderr
    assert "agree" in result.stdout

    # Damage one row: verify names it and fails, rebuild repairs it.
    with factory.begin() as session:
        session.execute(update(DailyTally).values(paid=DailyTally.paid + 1))
    result = portal(url, "stats", "verify")
    assert result.returncode == 1
    assert "paid" in result.stderr and "portal stats rebuild" in result.stderr
    result = portal(url, "stats", "rebuild")
    assert result.returncode == 0, result.stderr
    assert "rebuilt" in result.stdout
    assert portal(url, "stats", "verify").returncode == 0


@pytest.mark.parametrize("hour", [0, 23])
def test_a_dossier_counts_on_its_local_day(db: Session, hour: int) -> None:
    """Received at 00:xx or 23:xx Vietnam time (the previous/same UTC day): the local day."""
    build_march_2024(db)
    db.commit()
    dossier = db.scalars(select(Dossier).where(Dossier.received_at.is_not(None))).first()
    assert dossier is not None
    dossier.received_at = at(3, 10, hour, 30)
    db.commit()
    tally = db.get(DossierTally, dossier.id)
    assert tally is not None
    assert tally.day == date(2024, 3, 10)
    assert dossier.received_at.astimezone(VN).date() == date(2024, 3, 10)
