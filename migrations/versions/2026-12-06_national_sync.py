"""Synchronisation with the national public-service portal (issue 20, SPEC §11): the outbox
of messages for it, and Decision 766's "synchronised" figure recounted as what the national
portal acknowledged (none yet: the counters' synchronised share starts from zero).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db import UTCDateTime

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "national_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("dossier_code", sa.String(length=60), nullable=False),
        sa.Column("service", sa.String(length=30), nullable=False),
        sa.Column("is_updating", sa.Boolean(), nullable=True),
        sa.Column("national_status", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=False),
        sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("in_day", sa.Boolean(), nullable=False),
        sa.Column("handled_by", sa.String(length=120), nullable=False),
        sa.Column("handled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_national_messages_dossier_id_dossiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_messages")),
    )
    op.create_index("ix_national_messages_due", "national_messages", ["status", "next_attempt_at"])
    op.create_index("ix_national_messages_dossier", "national_messages", ["dossier_id", "id"])
    op.create_index(
        "ix_national_messages_in_day",
        "national_messages",
        ["dossier_id"],
        postgresql_where=sa.text("in_day"),
        sqlite_where=sa.text("in_day"),
    )
    # Bit 1 of the flags is "synchronised" (app/stats/tallies.py FLAGS[0]). It meant "has a
    # dossier code"; it now means "acknowledged by the national portal within the day", which
    # no dossier has been yet.
    op.execute("UPDATE stat_dossier_tallies SET flags = flags - (flags & 1) WHERE (flags & 1) <> 0")
    op.execute("UPDATE stat_daily_tallies SET synchronised = 0 WHERE synchronised <> 0")


def downgrade() -> None:
    op.drop_index("ix_national_messages_in_day", table_name="national_messages")
    op.drop_index("ix_national_messages_dossier", table_name="national_messages")
    op.drop_index("ix_national_messages_due", table_name="national_messages")
    op.drop_table("national_messages")
    # The synchronised counters keep the new meaning: `portal stats rebuild` recounts them.
