"""Confirmed calendar (issue 19, SPEC §5): the years an administrator checked against the
official notice, and a third kind of day override, ``struck_out`` (a day the holiday library
lists that the notice does not), with the kinds checked by the database.

Revision ID: 0024
Revises: 0021
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0024"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("confirmed_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_by_name", sa.String(length=120), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_calendar_years_confirmed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    with op.batch_alter_table("calendar_overrides", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "kind", sa.text("kind IN ('day_off', 'working_day', 'struck_out')")
        )


def downgrade() -> None:
    # The older code reads any kind but working_day as a day off: a struck-out holiday would
    # become a day off again, the opposite of what the admin decided. Drop them instead.
    op.execute("DELETE FROM calendar_overrides WHERE kind = 'struck_out'")
    with op.batch_alter_table("calendar_overrides", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_calendar_overrides_kind"), type_="check")
    op.drop_table("calendar_years")
