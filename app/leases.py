"""Periodic jobs that run once per period whatever the number of processes (SPEC §14).

Every worker and every web process running the embedded loop asks ``take`` before a periodic
job (supplement deadlines, late warnings, VNPay status queries, the receipt PDF sweep). One
row per job in ``job_leases`` says when the job is next due; ``take`` moves that moment a
period forward with a conditional UPDATE, so of several processes asking at once exactly one
gets the period (PostgreSQL re-checks the condition after waiting for the row lock; SQLite
writers queue). The row also tells the metrics when each job last ran and where
(docs/decisions/0031-several-processes.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from app.db import Base, UTCDateTime, begin_write, utcnow


class JobLease(Base):
    """When a periodic job is next due, and who ran it last."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def take(
    factory: sessionmaker[Session],
    name: str,
    every: timedelta,
    holder: str,
    now: datetime | None = None,
) -> bool:
    """True when the caller got this period's run of ``name`` (committed before it returns);
    False when another process has it or the period has not ended yet."""
    now = now or utcnow()
    values = {"holder": holder[:80], "due_at": now + every, "last_run_at": now}
    with factory() as session, session.begin():
        begin_write(session)
        moved = session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.due_at <= now)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(moved, "rowcount", 0) or 0) == 1:
            return True
        if session.scalar(select(JobLease.name).where(JobLease.name == name)) is not None:
            return False
        try:  # the job's first run ever: whoever inserts the row has it
            with session.begin_nested():
                session.execute(insert(JobLease).values(name=name, **values))
        except IntegrityError:
            return False
        return True


def last_runs(session: Session) -> dict[str, datetime]:
    """When each periodic job last ran (for the metrics)."""
    rows = session.execute(select(JobLease.name, JobLease.last_run_at)).all()
    return {name: at for name, at in rows if at is not None}
