"""Time the leader's dashboard in process (no assertions).

    python bench/dashboard.py [--database-url URL] [--officer EMAIL] [--repeat 10]

Defaults: ``PORTAL_DATABASE_URL`` (or the settings' database) and the province's
administrator (the dashboard of the whole province). Prints the best and median wall time of
the whole dashboard (lists, workload, trend) and of its 12-month trend alone, each in a fresh
session. Read-only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import User
from app.config import get_settings
from app.db import make_engine, utcnow
from app.stats import dashboard, figures


def timed(
    label: str, repeat: int, factory: sessionmaker[Session], work: Callable[..., Any]
) -> None:
    times = []
    for _ in range(repeat):
        with factory() as session:
            start = time.perf_counter()
            work(session)
            times.append(time.perf_counter() - start)
    print(
        f"{label:<28} best {min(times) * 1000:8.1f} ms   "
        f"median {statistics.median(times) * 1000:8.1f} ms   ({repeat} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_DATABASE_URL", ""))
    parser.add_argument("--officer", default="quantri.tinh@motcua.local")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    factory = sessionmaker(make_engine(args.database_url or get_settings().database_url))
    now = utcnow()

    def user(session: Session) -> User:
        return session.scalars(select(User).where(User.email == args.officer)).one()

    def whole(session: Session) -> Any:
        return dashboard.dashboard(session, user(session), None, now)

    def trend(session: Session) -> Any:
        officer = user(session)
        _agency, scope = dashboard.dashboard_scope(session, officer, None)
        return dashboard.trend(session, scope, now, figures.indicator_settings(session))

    timed("dashboard", args.repeat, factory, whole)
    timed("trend (12 months)", args.repeat, factory, trend)


if __name__ == "__main__":
    main()
