"""Time one tracking book (form 07) on the current database (no assertions).

    python bench/tracking_book.py [--database-url URL] --agency CODE --from YYYY-MM-DD
        [--to YYYY-MM-DD] [--format json|xlsx|pdf] [--explain]

Builds the book once, as the system administrator, through the service functions the API
calls (``json``: the first page), and prints the rows, the wall and CPU time, the number of
SQL statements, and the process's resident memory before and at its peak (PDFs are laid out
in this process, not in a renderer) — run one book per process to compare peaks. Everything is rolled back; generated files go to a temporary folder.
``--explain`` prints PostgreSQL's plan (EXPLAIN ANALYZE) of the row query.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from datetime import date
from typing import Any

os.environ["PORTAL_DATA_DIR"] = tempfile.mkdtemp(prefix="motcua-bench-book-")

from sqlalchemy import event, select, text
from sqlalchemy.orm import sessionmaker

from app.accounts.models import User
from app.config import get_settings
from app.db import make_engine
from app.documents import renderer
from app.reports import service
from app.wiring import wire


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    wire()  # as the portal does at start-up (renderer warm-ups, receipt PDFs)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_DATABASE_URL"))
    parser.add_argument("--agency", required=True)
    parser.add_argument("--from", dest="date_from", required=True)
    parser.add_argument("--to", dest="date_to", default=None)
    parser.add_argument("--format", choices=("json", "xlsx", "pdf"), default="json")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="PostgreSQL: ANALYZE the tables first, inside the transaction that is rolled back "
        "(a freshly seeded database has no planner statistics when autovacuum is off)",
    )
    args = parser.parse_args()
    # Lay the PDF out in this process, so that its time and memory are the ones measured.
    renderer.configure(0)
    start, end = (
        date.fromisoformat(args.date_from),
        date.fromisoformat(args.date_to or args.date_from),
    )
    engine = make_engine(args.database_url or get_settings().database_url)
    statements: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append((a[2], a[3])))
    with sessionmaker(bind=engine)() as session:
        if args.analyze and engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE dossiers, step_runs, procedure_versions, process_steps"))
        admin = session.scalar(select(User).where(User.is_admin.is_(True)).limit(1))
        assert admin is not None, "no system administrator: run `portal demo seed`"
        scope = service.book_scope(session, admin, args.agency, start, end)
        rows = service.count_rows(session, scope)
        statements.clear()
        before, cpu, wall = rss_mb(), time.process_time(), time.perf_counter()
        out: Any
        try:
            if args.format == "json":
                out = service.book_page(session, admin, args.agency, start, end)
                size = len(out["items"])
            elif args.format == "xlsx":
                with tempfile.TemporaryFile() as buffer:
                    service.book_xlsx(session, admin, args.agency, start, end, buffer)
                    size = buffer.tell()
            else:
                size = len(service.book_pdf(session, admin, args.agency, start, end))
            outcome = "ok"
        except service.InvalidInput as exc:
            outcome, size = f"refused: {exc.detail}", 0
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"{args.agency} {start}..{end} {args.format}: {rows} dossiers in the book; {outcome}; "
            f"{'items' if args.format == 'json' else 'bytes'} {size}; wall {wall:.2f} s, "
            f"CPU {cpu:.2f} s; {len(statements)} statements; RSS {before:.0f} MB before, "
            f"peak {peak_mb():.0f} MB"
        )
        if args.explain and engine.dialect.name == "postgresql":
            raw = session.connection().connection.driver_connection
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                print("\n" + statement)
                with raw.cursor() as cursor:  # type: ignore[union-attr]
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    for (line,) in cursor.fetchall():
                        print(line)
        session.rollback()
    shutil.rmtree(os.environ["PORTAL_DATA_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
