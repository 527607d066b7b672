"""Dossiers (hồ sơ), their files, step instances, history and the per-unit daily code counter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.agencies.models import Agency
from app.catalog.models import ProcedureVersion, ProcessStep
from app.db import Base, JSONType, UTCDateTime, utcnow

STATUSES = (
    "draft",
    "submitted",
    "supplement_requested",
    "received",
    "processing",
    "awaiting_payment",
    "result_ready",
    "completed",
    "rejected",
    "withdrawn",
    "stopped",
    "withdrawal_requested",
)
FINAL_STATUSES = ("completed", "rejected", "withdrawn", "stopped")
# A dossier whose withdrawal waits for the agency's acceptance is in its reception's queue.
QUEUE_STATUSES = ("submitted", "received", "processing", "result_ready", "withdrawal_requested")
COMPONENT_FILES = "purpose = 'component' AND removed_at IS NULL"
QUEUE_PREDICATE = (
    "status IN ('submitted', 'received', 'processing', 'result_ready', 'withdrawal_requested')"
)
PAYMENT_PREDICATE = "status = 'awaiting_payment'"
# Received and still being processed: the only dossiers whose timeliness changes as time goes
# by (the indicators count them live; everything else comes from maintained counters). The
# clock stands still while a supplement or the acceptance of a withdrawal is awaited
# (docs/decisions/0025-withdrawal-on-request.md).
UNFINISHED_PREDICATE = (
    "received_at IS NOT NULL AND result_ready_at IS NULL "
    "AND status NOT IN ('rejected', 'withdrawn', 'stopped', 'supplement_requested', "
    "'withdrawal_requested')"
)
# Open on the leader's dashboard: being processed with an appointment and no result yet (the
# overdue and due-today lists and their totals, app/stats/dashboard.py:OPEN_STATUSES).
OPEN_DUE_PREDICATE = (
    "status IN ('received', 'processing', 'awaiting_payment') "
    "AND result_ready_at IS NULL AND due_at IS NOT NULL"
)
CHANNELS = ("online", "counter", "postal")


class Dossier(Base):
    __tablename__ = "dossiers"
    __table_args__ = (
        # The staff queue: active dossiers of a unit at a step of a role, by due time. Partial,
        # so it stays small however many closed dossiers pile up; read in order with LIMIT.
        Index(
            "ix_dossiers_queue",
            "handling_agency_id",
            "step_role",
            "step_due_at",
            "id",
            postgresql_where=text(QUEUE_PREDICATE),
            sqlite_where=text(QUEUE_PREDICATE),
        ),
        # The leader's dashboard: open dossiers by appointment, with both agencies so that the
        # totals of a subtree are counted from the index alone (issue 18: 1 M dossiers).
        Index(
            "ix_dossiers_open_due",
            "due_at",
            "id",
            "agency_id",
            "handling_agency_id",
            postgresql_where=text(OPEN_DUE_PREDICATE),
            sqlite_where=text(OPEN_DUE_PREDICATE),
        ),
        # The cashier's part of the queue: what waits for fees at the receiving agency, and at
        # the agency handling it (the province's centre collects for its departments).
        Index(
            "ix_dossiers_payment_agency",
            "agency_id",
            "step_due_at",
            "id",
            postgresql_where=text(PAYMENT_PREDICATE),
            sqlite_where=text(PAYMENT_PREDICATE),
        ),
        Index(
            "ix_dossiers_payment_handling",
            "handling_agency_id",
            "step_due_at",
            "id",
            postgresql_where=text(PAYMENT_PREDICATE),
            sqlite_where=text(PAYMENT_PREDICATE),
        ),
        Index("ix_dossiers_applicant_created", "applicant_id", "created_at"),
        # Indicators and reports select a period of receptions per agency.
        Index("ix_dossiers_received_agency", "received_at", "agency_id"),
        # The tracking book (form 07) of one agency, in reception order, a page at a time.
        Index(
            "ix_dossiers_agency_received",
            "agency_id",
            "received_at",
            "id",
            postgresql_where=text("received_at IS NOT NULL"),
            sqlite_where=text("received_at IS NOT NULL"),
        ),
        Index(
            "ix_dossiers_unfinished",
            "agency_id",
            "received_at",
            postgresql_where=text(UNFINISHED_PREDICATE),
            sqlite_where=text(UNFINISHED_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Given at the first submission, or at intake at the counter (Decree 118/2025 Art. 28):
    # unit code - YYMMDD - 4-digit sequence (app/dossiers/codes.py).
    code: Mapped[str | None] = mapped_column(String(60), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(10), default="online")
    status: Mapped[str] = mapped_column(String(24), default="draft", index=True)
    applicant: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    form_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    lookup_secret: Mapped[str | None] = mapped_column(String(16))
    applicant_phone: Mapped[str] = mapped_column(String(20), default="", index=True)

    current_step_id: Mapped[int | None] = mapped_column(ForeignKey("process_steps.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Agency whose staff act at the current step (the step's unit, or the receiving agency).
    handling_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    step_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Role of the current step (copied from it, so the queue needs no join).
    step_role: Mapped[str | None] = mapped_column(String(20))

    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processing_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    original_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_count: Mapped[int] = mapped_column(default=0)
    supplement_count: Mapped[int] = mapped_column(default=0)
    supplement_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supplement_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supplement_request: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late_warning_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where a dossier waiting in awaiting_payment goes back to once the fees are paid.
    resume_status: Mapped[str | None] = mapped_column(String(24))
    # The fee frozen from the declared data at submission or counter reception (SPEC §6):
    # the total and its lines (app.payments.fees). None: not frozen (dossiers older than the
    # rule), so the flat sum of the version's fee items applies.
    fee_amount: Mapped[int | None]
    fee_lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic lock: two officers acting at once, the second UPDATE matches no row.
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012

    version: Mapped[ProcedureVersion] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id], lazy="joined")
    handling_agency: Mapped[Agency | None] = relationship(foreign_keys=[handling_agency_id])
    applicant_user: Mapped[User | None] = relationship(foreign_keys=[applicant_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    current_step: Mapped[ProcessStep | None] = relationship()
    files: Mapped[list[DossierFile]] = relationship(
        back_populates="dossier", order_by="DossierFile.id"
    )
    events: Mapped[list[DossierEvent]] = relationship(
        back_populates="dossier", order_by="DossierEvent.id"
    )
    step_runs: Mapped[list[StepRun]] = relationship(back_populates="dossier", order_by="StepRun.id")

    @property
    def applicant_name(self) -> str:
        return str((self.applicant or {}).get("full_name", ""))

    @property
    def resubmitted_at(self) -> datetime | None:
        """When the supplement asked for was sent (``submitted_at`` stays the first
        submission: "Ngày nộp"); kept with the request it answers."""
        value = (self.supplement_request or {}).get("resubmitted_at")
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None


class DossierFile(Base):
    """A file attached to a dossier: a component, a counter scan, a result or an action's file."""

    __tablename__ = "dossier_files"
    __table_args__ = (
        Index(
            "ix_dossier_files_component",
            "dossier_id",
            "digitised",
            postgresql_where=text(COMPONENT_FILES),
            sqlite_where=text(COMPONENT_FILES),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    component_code: Mapped[str | None] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(12), default="component")  # component|result|action
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    digitised: Mapped[bool] = mapped_column(default=False)  # scanned at the counter
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dossier: Mapped[Dossier] = relationship(back_populates="files")


class DossierEvent(Base):
    """One line of a dossier's history: who did what, when, at which step."""

    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    step_code: Mapped[str | None] = mapped_column(String(40))
    step_name: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    dossier: Mapped[Dossier] = relationship(back_populates="events")


class StepRun(Base):
    """A dossier's stay at one process step: planned and actual times (form 06)."""

    __tablename__ = "step_runs"
    __table_args__ = (
        # Open runs only (a few percent of millions): workload per officer and per step,
        # read from the index alone on PostgreSQL.
        Index(
            "ix_step_runs_open",
            "agency_id",
            postgresql_include=["assignee_id", "step_code", "step_name", "due_at"],
            postgresql_where=text("finished_at IS NULL"),
            sqlite_where=text("finished_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("process_steps.id"))
    step_code: Mapped[str] = mapped_column(String(40))
    step_name: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(30))
    on_time: Mapped[bool | None]

    dossier: Mapped[Dossier] = relationship(back_populates="step_runs")
    agency: Mapped[Agency] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    finished_by: Mapped[User | None] = relationship(foreign_keys=[finished_by_id])


class DossierCodeCounter(Base):
    """Last sequence number issued per receiving unit and day; incremented in the submitting
    (or counter intake) transaction so a rolled-back one leaves no gap."""

    __tablename__ = "dossier_code_counters"
    __table_args__ = (UniqueConstraint("agency_code", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(35))
    day: Mapped[date] = mapped_column(Date)
    last: Mapped[int] = mapped_column(default=0)
