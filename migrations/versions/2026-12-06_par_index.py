"""The PAR index (chỉ số cải cách hành chính, issue 23): criteria sets per year and unit type,
the yearly round, each unit's scores, evidence and survey imports (docs/decisions/0033).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import JSONType, UTCDateTime

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "par_criteria_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_type", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _fk("par_criteria_sets", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_criteria_sets")),
        sa.UniqueConstraint(
            "year", "unit_type", "version", name=op.f("uq_par_criteria_sets_year_unit_type_version")
        ),
    )
    op.create_table(
        "par_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("parent_code", sa.String(length=20), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=True),
        sa.Column("rule", JSONType, nullable=True),
        _fk("par_criteria", "set_id", "par_criteria_sets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_criteria")),
        sa.UniqueConstraint("set_id", "code", name=op.f("uq_par_criteria_set_id_code")),
    )
    op.create_index(op.f("ix_par_criteria_set_id"), "par_criteria", ["set_id"])
    op.create_table(
        "par_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(length=200), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        _fk("par_rounds", "opened_by_id", "users"),
        _fk("par_rounds", "approved_by_id", "users"),
        _fk("par_rounds", "published_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_rounds")),
        sa.UniqueConstraint("year", name=op.f("uq_par_rounds_year")),
    )
    op.create_table(
        "par_round_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("unit_type", sa.String(length=12), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("submitted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        _fk("par_round_units", "round_id", "par_rounds"),
        _fk("par_round_units", "agency_id", "agencies"),
        _fk("par_round_units", "set_id", "par_criteria_sets"),
        _fk("par_round_units", "submitted_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_round_units")),
        sa.UniqueConstraint(
            "round_id", "agency_id", name=op.f("uq_par_round_units_round_id_agency_id")
        ),
    )
    op.create_index(op.f("ix_par_round_units_round_id"), "par_round_units", ["round_id"])
    op.create_index(op.f("ix_par_round_units_agency_id"), "par_round_units", ["agency_id"])
    op.create_table(
        "par_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("snapshot", JSONType, nullable=True),
        sa.Column("adjusted_score", sa.Float(), nullable=True),
        sa.Column("adjust_reason", sa.Text(), nullable=False),
        sa.Column("adjusted_by_id", sa.Integer(), nullable=True),
        sa.Column("adjusted_at", UTCDateTime(timezone=True), nullable=True),
        _fk("par_scores", "unit_id", "par_round_units"),
        _fk("par_scores", "criterion_id", "par_criteria"),
        _fk("par_scores", "adjusted_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_scores")),
        sa.UniqueConstraint(
            "unit_id", "criterion_id", name=op.f("uq_par_scores_unit_id_criterion_id")
        ),
    )
    op.create_index(op.f("ix_par_scores_unit_id"), "par_scores", ["unit_id"])
    op.create_table(
        "par_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
        _fk("par_evidence", "unit_id", "par_round_units"),
        _fk("par_evidence", "criterion_id", "par_criteria"),
        _fk("par_evidence", "uploaded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_evidence")),
    )
    op.create_index(op.f("ix_par_evidence_unit_id"), "par_evidence", ["unit_id"])
    op.create_table(
        "par_survey_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("rows", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", UTCDateTime(timezone=True), nullable=True),
        _fk("par_survey_imports", "round_id", "par_rounds"),
        _fk("par_survey_imports", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_survey_imports")),
    )
    op.create_index(op.f("ix_par_survey_imports_round_id"), "par_survey_imports", ["round_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_par_survey_imports_round_id"), table_name="par_survey_imports")
    op.drop_table("par_survey_imports")
    op.drop_index(op.f("ix_par_evidence_unit_id"), table_name="par_evidence")
    op.drop_table("par_evidence")
    op.drop_index(op.f("ix_par_scores_unit_id"), table_name="par_scores")
    op.drop_table("par_scores")
    op.drop_index(op.f("ix_par_round_units_agency_id"), table_name="par_round_units")
    op.drop_index(op.f("ix_par_round_units_round_id"), table_name="par_round_units")
    op.drop_table("par_round_units")
    op.drop_table("par_rounds")
    op.drop_index(op.f("ix_par_criteria_set_id"), table_name="par_criteria")
    op.drop_table("par_criteria")
    op.drop_table("par_criteria_sets")
