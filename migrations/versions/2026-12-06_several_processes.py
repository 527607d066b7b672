"""Several web processes and workers on one database (issue 21, SPEC §14): the leases that run
each periodic job once per period, the request id carried by the outboxes to the worker's log
lines, and an index of receipts whose PDF is still to be made (the worker's sweep after a
crash; docs/decisions/0031-several-processes.md).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING_RECEIPT = "kind = 'receipt' AND sha256 IS NULL"


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )
    for table in ("outbox_messages", "national_messages"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("request_id", sa.String(length=64), nullable=False, server_default="")
            )
        with op.batch_alter_table(table) as batch:
            batch.alter_column("request_id", server_default=None)
    op.create_index(
        "ix_documents_receipt_pending",
        "documents",
        ["id"],
        postgresql_where=sa.text(PENDING_RECEIPT),
        sqlite_where=sa.text(PENDING_RECEIPT),
    )


def downgrade() -> None:
    op.drop_index("ix_documents_receipt_pending", table_name="documents")
    for table in ("national_messages", "outbox_messages"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("request_id")
    op.drop_table("job_leases")
