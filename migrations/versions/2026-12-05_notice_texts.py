"""In-app notices keep their title and summary in every interface language; a document
component may carry a blank form to download.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-05 23:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "texts",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blank_form_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("blank_form_name", sa.String(length=255), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.drop_column("blank_form_name")
        batch_op.drop_column("blank_form_sha256")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("texts")
