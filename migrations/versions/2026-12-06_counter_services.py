"""Counter services (issue 24 parts 1 and 2): appointment settings, bands and bookings, queue
tickets and their daily counter (docs/decisions/0034-counter-bookings-and-queue.md).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "booking_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("band_minutes", sa.Integer(), nullable=False),
        sa.Column("counters", sa.Integer(), nullable=False),
        sa.Column("places_per_counter", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        _fk("booking_settings", "agency_id", "agencies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_settings")),
        sa.UniqueConstraint("agency_id", name=op.f("uq_booking_settings_agency_id")),
    )
    op.create_table(
        "booking_bands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        _fk("booking_bands", "agency_id", "agencies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_bands")),
        sa.UniqueConstraint("agency_id", "start", name=op.f("uq_booking_bands_agency_id_start")),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("band_id", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(length=40), nullable=False),
        sa.Column("procedure_name", sa.String(length=500), nullable=False),
        sa.Column("start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", UTCDateTime(timezone=True), nullable=True),
        _fk("bookings", "user_id", "users"),
        _fk("bookings", "agency_id", "agencies"),
        _fk("bookings", "band_id", "booking_bands"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("code", name=op.f("uq_bookings_code")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index("ix_bookings_status_start", ["status", "start"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_band_id"), ["band_id"], unique=False)
    op.create_table(
        "ticket_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        _fk("ticket_counters", "agency_id", "agencies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_counters")),
        sa.UniqueConstraint("agency_id", "day", name=op.f("uq_ticket_counters_agency_id_day")),
    )
    op.create_table(
        "queue_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("priority_from", UTCDateTime(timezone=True), nullable=True),
        sa.Column("for_counter", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=15), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=True),
        sa.Column("called_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("called_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", UTCDateTime(timezone=True), nullable=True),
        _fk("queue_tickets", "agency_id", "agencies"),
        _fk("queue_tickets", "booking_id", "bookings"),
        _fk("queue_tickets", "called_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_tickets")),
        sa.UniqueConstraint(
            "agency_id", "day", "number", name=op.f("uq_queue_tickets_agency_id_day_number")
        ),
        sa.UniqueConstraint("booking_id", name=op.f("uq_queue_tickets_booking_id")),
    )
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_queue_tickets_waiting", ["agency_id", "day", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_tickets_waiting")
    op.drop_table("queue_tickets")
    op.drop_table("ticket_counters")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookings_band_id"))
        batch_op.drop_index(batch_op.f("ix_bookings_user_id"))
        batch_op.drop_index("ix_bookings_status_start")
    op.drop_table("bookings")
    op.drop_table("booking_bands")
    op.drop_table("booking_settings")
