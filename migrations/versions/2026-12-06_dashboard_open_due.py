"""The leader's dashboard at a million dossiers (issue 18): open dossiers by appointment in a
partial index that also holds both agencies, so the overdue and due-today totals of a subtree
are counted from the index and the lists read it in order.

Revision ID: 0027
Revises: 0022
Create Date: 2026-12-06 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_DUE = (
    "status IN ('received', 'processing', 'awaiting_payment') "
    "AND result_ready_at IS NULL AND due_at IS NOT NULL"
)


def upgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dossiers_open_due",
            ["due_at", "id", "agency_id", "handling_agency_id"],
            unique=False,
            postgresql_where=sa.text(OPEN_DUE),
            sqlite_where=sa.text(OPEN_DUE),
        )


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_open_due")
