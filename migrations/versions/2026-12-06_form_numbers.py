"""Forms 02–05 as administrative documents: the agency's abbreviation and place name, and a
counter of form numbers per agency, kind and year (docs/decisions/0021-administrative-form-numbers.md).

``agencies.abbreviation`` is the agency's part of a document symbol (``UBND`` in
``Số: 12/TB-UBND``) and ``agencies.place_name`` the place of the date line (``Hưng Yên``);
both empty until an administrator fills them (the portal falls back to values derived from
the name and the address). ``form_number_counters`` holds the last number issued.

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-06 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTERs: SQLite adds (and, from 3.35, drops) a column in place, where a batch copy
    # of ``agencies`` would trip over the foreign keys that point at it.
    op.add_column(
        "agencies",
        sa.Column("abbreviation", sa.String(length=20), nullable=False, server_default=""),
    )
    op.add_column(
        "agencies",
        sa.Column("place_name", sa.String(length=60), nullable=False, server_default=""),
    )
    op.create_table(
        "form_number_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_form_number_counters_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_number_counters")),
        sa.UniqueConstraint(
            "agency_id", "kind", "year", name=op.f("uq_form_number_counters_agency_id_kind_year")
        ),
    )


def downgrade() -> None:
    op.drop_table("form_number_counters")
    op.drop_column("agencies", "place_name")
    op.drop_column("agencies", "abbreviation")
