"""Index of open step runs (the leader's workload per officer and per step).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 17:01:10.375584
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("finished_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("step_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_step_runs_open",
            ["agency_id"],
            postgresql_include=["assignee_id", "step_code", "step_name", "due_at"],
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table("step_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_step_runs_open", postgresql_where=OPEN, sqlite_where=OPEN)
