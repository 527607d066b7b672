"""Province scale (issue 18): the cashier's part of the queue read in order; counters of
finished dossiers by day of finishing.

Two partial indexes of the dossiers awaiting payment, by receiving and by handling agency, in
due order: the queue reads each range in order and stops at the page. ``stat_finish_tallies``
(finished, within either appointment, per receiving agency, local day of finishing and number
of supplement requests) and each dossier's day of finishing in ``stat_dossier_tallies``: the
leader's trend reads counters instead of the dossiers. The counters are emptied here and
counted again from the dossiers by ``portal db upgrade`` (``build_counters_if_needed``) —
after an upgrade with plain ``alembic``, run ``portal stats rebuild``.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAYMENT_PREDICATE = "status = 'awaiting_payment'"


def upgrade() -> None:
    op.create_table(
        "stat_finish_tallies",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("supplements", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.Column("within_original", sa.Integer(), nullable=False),
        sa.Column("within_due", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_stat_finish_tallies_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint(
            "agency_id", "day", "supplements", name=op.f("pk_stat_finish_tallies")
        ),
    )
    with op.batch_alter_table("stat_finish_tallies", schema=None) as batch_op:
        batch_op.create_index("ix_stat_finish_tallies_day", ["day", "agency_id"], unique=False)
    with op.batch_alter_table("stat_dossier_tallies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finish_day", sa.Date(), nullable=True))
    # Counted again, with the day of finishing, on the next `portal db upgrade` (the same path
    # as a database upgraded from before the counters, revision 0009).
    op.execute("DELETE FROM stat_daily_tallies")
    op.execute("DELETE FROM stat_dossier_tallies")
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
    with op.batch_alter_table("stat_dossier_tallies", schema=None) as batch_op:
        batch_op.drop_column("finish_day")
    with op.batch_alter_table("stat_finish_tallies", schema=None) as batch_op:
        batch_op.drop_index("ix_stat_finish_tallies_day")
    op.drop_table("stat_finish_tallies")
