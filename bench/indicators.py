"""Time the Decision 766 indicator queries on the current database (no assertions).

    python bench/indicators.py [--database-url URL] [--agency CODE] [--from YYYY-MM-DD]
        [--to YYYY-MM-DD] [--repeat 5] [--explain]

Defaults: ``PORTAL_DATABASE_URL`` (or the settings' database), the top agency (the province),
the current year up to today. Prints the dossiers in the period, then for the indicators of
one agency (its subtree), the ranking of every agency (the public page) and each aggregate
query alone the best and median wall time. ``--explain`` prints PostgreSQL's plans
(EXPLAIN ANALYZE) of the aggregate queries, to check which indexes they use. Read-only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service as account_service
from app.agencies import service as agency_service
from app.config import get_settings
from app.db import make_engine, utcnow
from app.dossiers.models import Dossier
from app.stats import counts, dates, figures
from app.stats import indicators as indicator_service


def timed(label: str, repeat: int, work: Callable[[], Any]) -> None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    print(
        f"{label:<44} best {min(times) * 1000:9.1f} ms   "
        f"median {statistics.median(times) * 1000:9.1f} ms   ({repeat} runs)"
    )


def explain(session: Session, args: argparse.Namespace, agency_ids: set[int]) -> None:
    """EXPLAIN ANALYZE of each aggregate, with the SQL the service sends."""
    if session.get_bind().dialect.name != "postgresql":
        print("--explain needs PostgreSQL")
        return
    captured: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def grab(*args: Any) -> None:
        statement, parameters = args[2], args[3]
        if statement.lstrip().upper().startswith("SELECT") and "GROUP BY" in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        counts.raw_counts(session, args.date_from, args.date_to, agency_ids)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    raw = session.connection().connection.driver_connection
    for statement, parameters in captured:
        print("\n" + "-" * 100)
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            for (line,) in cursor.fetchall():
                print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_DATABASE_URL"))
    parser.add_argument("--agency", default=None, help="agency code (default: the province)")
    parser.add_argument("--from", dest="date_from", default=None)
    parser.add_argument("--to", dest="date_to", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    args.date_from, args.date_to = dates.parse_period(args.date_from, args.date_to)
    engine = make_engine(args.database_url or get_settings().database_url)
    factory = sessionmaker(bind=engine)
    with factory() as session:
        if engine.dialect.name == "sqlite":
            session.execute(text("PRAGMA query_only = ON"))
        agency = (
            agency_service.get_by_code(session, args.agency)
            if args.agency
            else indicator_service.root_agency(session)
        )
        subtree = account_service.agency_subtree_ids(session, agency.id)
        start, end = dates.bounds(args.date_from, args.date_to)
        in_period = (
            session.scalar(
                select(func.count(Dossier.id)).where(
                    Dossier.received_at >= start, Dossier.received_at < end
                )
            )
            or 0
        )
        total = session.scalar(select(func.count(Dossier.id))) or 0
        print(
            f"{engine.dialect.name}: {total} dossiers, {in_period} received "
            f"{args.date_from}..{args.date_to}; agency {agency.code} ({len(subtree)} units)"
        )
        cfg = figures.indicator_settings(session)
        now = utcnow()
        timed(
            "indicators (one agency and its subtree)",
            args.repeat,
            lambda: indicator_service.indicators(
                session, agency.code, args.date_from, args.date_to
            ),
        )
        timed(
            "public page (every agency + ranking)",
            args.repeat,
            lambda: indicator_service.overview(session, agency.code, args.date_from, args.date_to),
        )
        s, e = start, end
        d0, d1 = args.date_from, args.date_to
        parts: dict[str, Callable[[dict[int, counts.RawCounts]], object]] = {
            "  day counters": lambda out: counts._tally_counts(session, d0, d1, cfg, subtree, out),
            "  unfinished and overdue (live)": lambda out: counts._overdue_open_counts(
                session, s, e, now, cfg, subtree, out
            ),
            "recount from the dossiers (reference, not served)": lambda _out: counts.recount(
                session, d0, d1, subtree, now, cfg
            ),
            "  dossier counts": lambda out: counts._dossier_counts(
                session, s, e, now, cfg, subtree, out
            ),
            "  digitised components": lambda out: counts._digitised_counts(
                session, s, e, subtree, out
            ),
            "  electronic results": lambda out: counts._result_counts(session, s, e, subtree, out),
            "  payments": lambda out: counts._payment_counts(session, s, e, subtree, out),
            "  procedures": lambda out: counts._procedure_counts(session, e, subtree, out),
        }
        for label, part in parts.items():
            timed(label, args.repeat, lambda part=part: part({}))  # type: ignore[misc]
        if args.explain:
            explain(session, args, subtree)


if __name__ == "__main__":
    main()
