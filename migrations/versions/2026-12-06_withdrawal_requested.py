"""Withdrawal on request (Decree 118/2025 Art. 21, issue 19): a received dossier whose
applicant asked to withdraw it waits in ``withdrawal_requested`` for its reception to accept.

The staff queue's index takes the new status in (reception reads such a dossier at its step in
due order, like any other); the index of the dossiers whose timeliness changes with the clock
leaves it out (the clock stands still while the acceptance is awaited:
docs/decisions/0025-withdrawal-on-request.md). No column changes: the status is a string.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_QUEUE = "status IN ('submitted', 'received', 'processing', 'result_ready')"
NEW_QUEUE = (
    "status IN ('submitted', 'received', 'processing', 'result_ready', 'withdrawal_requested')"
)
OLD_UNFINISHED = (
    "received_at IS NOT NULL AND result_ready_at IS NULL "
    "AND status NOT IN ('rejected', 'withdrawn', 'stopped', 'supplement_requested')"
)
NEW_UNFINISHED = (
    "received_at IS NOT NULL AND result_ready_at IS NULL "
    "AND status NOT IN ('rejected', 'withdrawn', 'stopped', 'supplement_requested', "
    "'withdrawal_requested')"
)


def _indexes(queue: str, unfinished: str) -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_queue")
        batch_op.drop_index("ix_dossiers_unfinished")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dossiers_queue",
            ["handling_agency_id", "step_role", "step_due_at", "id"],
            unique=False,
            postgresql_where=sa.text(queue),
            sqlite_where=sa.text(queue),
        )
        batch_op.create_index(
            "ix_dossiers_unfinished",
            ["agency_id", "received_at"],
            unique=False,
            postgresql_where=sa.text(unfinished),
            sqlite_where=sa.text(unfinished),
        )


def upgrade() -> None:
    _indexes(NEW_QUEUE, NEW_UNFINISHED)


def downgrade() -> None:
    # Dossiers still waiting for the acceptance keep their status: the older code shows it as
    # is and offers no action on it (accept them before downgrading).
    _indexes(OLD_QUEUE, OLD_UNFINISHED)
