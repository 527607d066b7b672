"""The staff queue read as ranges (one per role, two for the cashier's counter, issue 18)
gives exactly what the plain rule gives: every dossier of the officer's agency at a step of one
of their roles, assigned to nobody or to them (a leader: to anyone), and for a cashier what
waits for fees at their agency, received or handled there; in due order, page after page."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import STAFF_ROLES, User, UserRole
from app.agencies.models import Agency
from app.catalog.models import ProcedureVersion
from app.catalog.schemas import STEP_ROLES
from app.dossiers.models import QUEUE_STATUSES, STATUSES, Dossier
from app.workflow import queue as queue_module

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _world(db: Session, rng: random.Random) -> tuple[list[int], list[User]]:
    """Two agencies of their own (a commune and the centre that collects for it), three
    officers, and 160 dossiers in every status, at steps of every role, assigned or not, many
    of them due at the same moment (the id decides their order)."""
    agencies = [
        Agency(code=f"T18.{n}", name=f"Đơn vị thử {n}", level=level)
        for n, level in ((1, "commune"), (2, "province"))
    ]
    db.add_all(agencies)
    db.flush()
    officers = [
        User(
            email=f"queue{n}@t18.local",
            password_hash="-",
            full_name=f"Cán bộ {n}",
            agency_id=agencies[n % 2].id,
        )
        for n in range(3)
    ]
    db.add_all(officers)
    db.flush()
    version = db.scalars(
        select(ProcedureVersion).where(ProcedureVersion.status == "published").limit(1)
    ).one()
    ids = [a.id for a in agencies]
    roles = [*STEP_ROLES, None]  # a step's role (copied to the dossier) is never agency_admin
    for _ in range(160):
        status = rng.choice([*QUEUE_STATUSES, *QUEUE_STATUSES, "awaiting_payment", *STATUSES])
        waiting = status in QUEUE_STATUSES or status == "awaiting_payment"
        db.add(
            Dossier(
                version_id=version.id,
                agency_id=rng.choice(ids),
                handling_agency_id=rng.choice([*ids, None]) if waiting else None,
                status=status,
                step_role=rng.choice(roles),
                assignee_id=rng.choice([None, None, *(o.id for o in officers)]),
                step_due_at=START + timedelta(hours=rng.randrange(12)) if waiting else None,
            )
        )
    db.flush()
    return ids, officers


def _reference(db: Session, officer: User) -> list[int]:
    """The rule, written plainly over every dossier."""
    roles, agency = officer.roles, officer.agency_id

    def sees(d: Dossier) -> bool:
        at_step = (
            d.handling_agency_id == agency
            and d.step_role in roles
            and d.status in QUEUE_STATUSES
            and ("leader" in roles or d.assignee_id in (None, officer.id))
        )
        at_counter = (
            "cashier" in roles
            and d.status == "awaiting_payment"
            and agency in (d.agency_id, d.handling_agency_id)
        )
        return at_step or at_counter

    seen = [d for d in db.scalars(select(Dossier)) if sees(d)]
    return [d.id for d in sorted(seen, key=lambda d: (d.step_due_at, d.id))]


def _pages(db: Session, officer: User, size: int) -> list[int]:
    """Page after page as the API and the desk ask (one more than the page, then the cursor
    of the page's last row)."""
    got: list[int] = []
    after = None
    for _ in range(200):
        rows = queue_module.queue(db, officer, size + 1, after)
        page = [entry.dossier for entry in rows[:size]]
        got += [d.id for d in page]
        if len(rows) <= size:
            return got
        last = page[-1]
        assert last.step_due_at is not None
        after = (last.step_due_at, last.id)
    raise AssertionError("the pages never ended")


ROLE_SETS = [set(c) for n in (1, 2, 3, 5) for c in combinations(STAFF_ROLES, n)]


@pytest.mark.parametrize("seed", range(3))
def test_queue_pages_equal_the_plain_rule_for_any_roles(db: Session, seed: int) -> None:
    rng = random.Random(seed)
    _ids, officers = _world(db, rng)
    sets = [*rng.sample(ROLE_SETS, 8), {"reception", "specialist", "cashier"}, {"leader"}]
    for roles in sets:
        officer = rng.choice(officers)
        officer.role_rows.clear()
        db.flush()
        officer.role_rows = [UserRole(role=r) for r in sorted(roles)]
        db.flush()
        expected = _reference(db, officer)
        for size in (1, 4, 50):
            assert _pages(db, officer, size) == expected, (sorted(roles), size)
    # The world is not empty for the officers: the comparison is not trivially of nothing.
    assert any(_reference(db, o) for o in officers)


@pytest.mark.parametrize(
    "roles",
    [c for n in range(1, len(STEP_ROLES) + 1) for c in combinations(sorted(STEP_ROLES), n)],
)
def test_first_page_statement_stays_short_enough_for_psycopg_to_keep_it(
    roles: tuple[str, ...],
) -> None:
    """psycopg parses and keeps a query of at most 4096 characters once; a longer one is
    parsed again on every request (about a third of a millisecond here). The queue's first
    page, the busiest read of the staff, stays under that for any set of roles."""
    from sqlalchemy.dialects import postgresql

    statement = queue_module.statement(roles, "leader" in roles, "cashier" in roles, False)
    compiled = statement.params(agency_id=1, user_id=1, limit=21).compile(
        dialect=postgresql.psycopg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    assert len(str(compiled)) < 4096, (roles, len(str(compiled)))
