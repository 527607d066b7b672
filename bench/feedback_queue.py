"""The feedback queue with many items: seeds feedback rows in bulk, then times the staff queue
(keyset pages, ``ix_feedback_queue``) and prints the database's plan of its statement.

    python bench/feedback_queue.py [--database-url URL] [--items 100000] [--pages 5]
        [--repeat 20]

Without ``--database-url`` a new SQLite database is made in a temporary directory (migrated
and seeded with the demo agencies and accounts). The rows go to every agency, in every status,
with due times spread over a year; the timed officer is Phố Hiến's reception officer.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import User
from app.agencies.models import Agency
from app.cli import upgrade_database
from app.db import make_engine, utcnow
from app.demo.seed import seed_all
from app.feedback import service
from app.feedback.models import CATEGORIES, STATUSES, FeedbackItem

OFFICER = "tiepnhan.phohien@motcua.local"
CHUNK = 5_000


def seed_items(session: Session, count: int) -> None:
    """``count`` feedback rows written with multi-row INSERTs."""
    agencies = list(session.scalars(select(Agency.id)))
    rng = random.Random(22)
    now = utcnow()
    rows = []
    for i in range(count):
        created = now - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        rows.append(
            {
                "code": f"PB-{i:09d}",
                "secret_hash": hashlib.sha256(str(i).encode()).hexdigest(),
                "category": rng.choice(CATEGORIES),
                "subject": f"Phản ánh số {i}",
                "content": "Nội dung phản ánh mẫu cho đo hiệu năng.",
                "agency_id": rng.choice(agencies),
                "sender_name": "Người gửi mẫu",
                "sender_phone": "0912000000",
                "sender_email": "",
                "publish_consent": False,
                "fingerprint": hashlib.sha256(f"f{i}".encode()).hexdigest(),
                "status": rng.choice(STATUSES),
                "answer": "",
                "leader_comment": "",
                "reject_reason": "",
                "public_subject": "",
                "public_content": "",
                "public_answer": "",
                "due_at": created + timedelta(days=14),
                "created_at": created,
            }
        )
        if len(rows) == CHUNK:
            session.execute(insert(FeedbackItem), rows)
            rows = []
    if rows:
        session.execute(insert(FeedbackItem), rows)
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_DATABASE_URL", ""))
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    url = args.database_url
    if not url:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='feedback-bench-')}/bench.db"
    upgrade_database(url)
    engine = make_engine(url)
    factory = sessionmaker(engine)
    with factory() as session:
        seed_all(session)
        session.commit()
        started = time.monotonic()
        seed_items(session, args.items)
        print(f"seeded {args.items} feedback items in {time.monotonic() - started:.1f} s")
    with factory() as session:
        officer = session.scalars(select(User).where(User.email == OFFICER)).one()
        after = None
        for page in range(1, args.pages + 1):
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                rows, next_after = service.queue(session, officer, after=after, limit=20)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"page {page}: {len(rows)} rows, median {statistics.median(times):.2f} ms")
            after = next_after
            if after is None:
                break
        if engine.dialect.name == "sqlite":
            plan = session.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM feedback_items WHERE agency_id = :a "
                    "AND status = 'new' ORDER BY due_at, id LIMIT 21"
                ),
                {"a": officer.agency_id},
            ).all()
            print("plan:", "; ".join(str(row[-1]) for row in plan))


if __name__ == "__main__":
    main()
