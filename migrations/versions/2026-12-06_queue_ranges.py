"""Province scale (issue 18): the cashier's part of the queue read in order.

Two partial indexes of the dossiers awaiting payment, by receiving and by handling agency, in
due order: the queue reads each range in order and stops at the page.

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-06 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAYMENT_PREDICATE = "status = 'awaiting_payment'"


def upgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        for name, column in (
            ("ix_dossiers_payment_agency", "agency_id"),
            ("ix_dossiers_payment_handling", "handling_agency_id"),
        ):
            batch_op.create_index(
                name,
                [column, "step_due_at", "id"],
                unique=False,
                postgresql_where=sa.text(PAYMENT_PREDICATE),
                sqlite_where=sa.text(PAYMENT_PREDICATE),
            )


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_payment_handling")
        batch_op.drop_index("ix_dossiers_payment_agency")
