"""The staff queue's plan and time for given officers (no assertions).

    python bench/queue_plan.py [--database-url URL] [--officer EMAIL ...] [--pages 3]
        [--limit 21] [--repeat 20] [--explain]

For each officer (default: a one-role, a three-role officer and a leader of the demo), walks
``--pages`` pages of their queue (keyset, as the API does) and prints the median time of the
queue's main statement per page; ``--explain`` prints PostgreSQL's EXPLAIN (ANALYZE, BUFFERS)
of the statement the service sends, for the first and the last page walked. Read-only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import User
from app.config import get_settings
from app.db import make_engine
from app.workflow import queue as work_queue

OFFICERS = (
    "tiepnhan.phohien@motcua.local",
    "tiepnhan.lienphuong@motcua.local",
    "lanhdao.phohien@motcua.local",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_DATABASE_URL", ""))
    parser.add_argument("--officer", action="append", default=[])
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--limit", type=int, default=21)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    engine = make_engine(args.database_url or get_settings().database_url)
    captured: list[tuple[str, Any]] = []

    def grab(*event_args: Any) -> None:
        statement, parameters = event_args[2], event_args[3]
        if "anon_1" in statement and "dossiers" in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    with sessionmaker(engine)() as session:
        for email in args.officer or OFFICERS:
            officer = session.scalars(select(User).where(User.email == email)).one()
            print(f"== {email} {sorted(officer.roles)}")
            after = None
            for page in range(1, args.pages + 1):
                times = []
                for _ in range(args.repeat):
                    captured.clear()
                    start = time.perf_counter()
                    rows = work_queue.queue(session, officer, args.limit, after)
                    times.append(time.perf_counter() - start)
                    session.expunge_all()
                    session.add(officer)
                print(
                    f"page {page}: {len(rows)} rows, queue() median "
                    f"{statistics.median(times) * 1000:.2f} ms ({args.repeat} runs)"
                )
                if args.explain and page in (1, args.pages):
                    explain(session, *captured[-1])
                if len(rows) < args.limit:
                    break
                last = rows[-2].dossier if len(rows) > 1 else rows[-1].dossier
                assert last.step_due_at is not None
                after = (last.step_due_at, last.id)


def explain(session: Session, statement: str, parameters: Any) -> None:
    if session.get_bind().dialect.name != "postgresql":
        print("--explain needs PostgreSQL")
        return
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
    for (line,) in cursor.fetchall():
        print("   ", line)


if __name__ == "__main__":
    main()
