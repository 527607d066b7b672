"""Receipts as data for the tax authority (SPEC §6): the receipt name of a series (with its
template symbol, data an agency admin declares), kept on each receipt as issued, and the payer's
tax code for organisations.

Revision ID: 0026
Revises: 0021
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECEIPT_NAME = "Biên lai thu phí, lệ phí"


def upgrade() -> None:
    with op.batch_alter_table("receipt_series", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "receipt_name", sa.String(length=100), nullable=False, server_default=RECEIPT_NAME
            )
        )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "receipt_name", sa.String(length=100), nullable=False, server_default=RECEIPT_NAME
            )
        )
        batch_op.add_column(
            sa.Column("payer_tax_code", sa.String(length=14), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("payer_tax_code")
        batch_op.drop_column("receipt_name")
    with op.batch_alter_table("receipt_series", schema=None) as batch_op:
        batch_op.drop_column("receipt_name")
