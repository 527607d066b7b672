"""Fees per quantity (per copy, page, case; tiers, cap, multiplier) and the fee frozen on the
dossier.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("fee_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quantity_field", sa.String(length=40), nullable=True))
        # Existing items are flat: an empty list of tiers, no cap, no multiplier.
        batch_op.add_column(
            sa.Column("tiers", _json(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("cap", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("multiplier_field", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("multiplier_unit", sa.String(length=60), nullable=False, server_default="")
        )
    with op.batch_alter_table("fee_items", schema=None) as batch_op:
        batch_op.alter_column("tiers", server_default=None)
        batch_op.alter_column("multiplier_unit", server_default=None)
    # Dossiers submitted before this revision keep no frozen fee (the flat sum applies).
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fee_amount", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fee_lines", _json(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("fee_lines")
        batch_op.drop_column("fee_amount")
    with op.batch_alter_table("fee_items", schema=None) as batch_op:
        batch_op.drop_column("multiplier_unit")
        batch_op.drop_column("multiplier_field")
        batch_op.drop_column("cap")
        batch_op.drop_column("tiers")
        batch_op.drop_column("quantity_field")
