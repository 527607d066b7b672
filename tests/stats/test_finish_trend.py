"""The leader's trend of finished and late dossiers by month comes from counters by day of
finishing (issue 18): after a year of dossiers lived through the services (receptions,
supplements, extensions, refusals, results, late ones), the counters equal a recount from the
dossiers, and the trend equals a plain count of the dossiers, whatever the settings."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.agencies.models import Agency
from app.demo import history
from app.dossiers.models import Dossier
from app.stats import dashboard, dates, figures, tallies

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
SETTINGS = (
    {},
    {"indicator_max_supplements": 0},
    {"indicator_extension_counts_on_time": True},
)


def _plain_trend(db: Session, scope: set[int], cfg: figures.IndicatorSettings) -> list[list[int]]:
    """[finished, late] per month of the trend, counted over every received dossier."""
    zone = dates.tz()
    firsts = dates.month_starts(dates.local_today(NOW))
    out = [[0, 0] for _ in firsts[:-1]]
    for d in db.scalars(select(Dossier).where(Dossier.agency_id.in_(scope))):
        if d.received_at is None or not (d.result_ready_at or d.status == "rejected"):
            continue
        moment = d.result_ready_at or d.finished_at
        assert moment is not None
        day = moment.astimezone(zone).date()
        if not firsts[0] <= day < firsts[-1]:
            continue
        month = (day.year - firsts[0].year) * 12 + day.month - firsts[0].month
        appointment = d.due_at if cfg.extension_counts_on_time else d.original_due_at or d.due_at
        on_time = (
            appointment is not None
            and moment <= appointment
            and d.supplement_count <= cfg.max_supplements
        )
        out[month][0] += 1
        out[month][1] += 0 if on_time else 1
    return out


def test_trend_of_finished_and_late_comes_from_counters_equal_to_a_recount(db: Session) -> None:
    assert history.seed_history(db, NOW, strict=True) > 0
    db.commit()
    assert tallies.differences(db) == []
    province = db.scalars(select(Agency).where(Agency.parent_id.is_(None))).first()
    assert province is not None
    commune = db.scalars(select(Agency).where(Agency.level == "commune")).first()
    assert commune is not None
    for overrides in SETTINGS:
        for key, value in overrides.items():
            figures.set_indicator_setting(db, key, value)
        cfg = figures.indicator_settings(db)
        for agency in (province, commune):
            scope = set(account_service.agency_subtree_ids(db, agency.id))
            months = dashboard.trend(db, scope, NOW, cfg)
            expected = _plain_trend(db, scope, cfg)
            assert [[m["finished"], m["late"]] for m in months] == expected, overrides
        for key in overrides:
            figures.set_indicator_setting(db, key, figures.DEFAULT_SETTINGS[key])
    # The year really has finished dossiers, some late, in several months.
    assert sum(m["finished"] for m in months) > 20
    assert sum(m["late"] for m in months) > 0
    assert len([m for m in months if m["finished"]]) >= 6
    assert all(isinstance(m["month"], date) for m in months)
