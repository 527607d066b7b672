"""The citizen's document store (kho dữ liệu, issue 20 part 4): results and accepted components
kept for reuse, the record of each reuse, and the day counter of dossiers that reused one
(Decision 766's digitisation group; docs/decisions/0028-personal-document-store.md).

No dossier reused anything before this revision, so the new counter starts at 0 everywhere and
the per-dossier shares (``stat_dossier_tallies.flags``) need no rewrite.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "removed_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "personal_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("component_code", sa.String(length=40), nullable=True),
        sa.Column("procedure_code", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_dossier_id", sa.Integer(), nullable=False),
        sa.Column("source_file_id", sa.Integer(), nullable=True),
        sa.Column("source_document_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_personal_documents_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["source_dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_personal_documents_source_dossier_id_dossiers"),
        ),
        sa.ForeignKeyConstraint(
            ["source_file_id"],
            ["dossier_files.id"],
            name=op.f("fk_personal_documents_source_file_id_dossier_files"),
        ),
        sa.ForeignKeyConstraint(
            ["source_document_id"],
            ["documents.id"],
            name=op.f("fk_personal_documents_source_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_documents")),
    )
    with op.batch_alter_table("personal_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_personal_documents_owner",
            ["owner_id", "added_at"],
            unique=False,
            postgresql_where=sa.text(ACTIVE),
            sqlite_where=sa.text(ACTIVE),
        )
        batch_op.create_index(
            batch_op.f("ix_personal_documents_source_dossier_id"),
            ["source_dossier_id"],
            unique=False,
        )
    op.create_table(
        "document_reuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("reused_by_id", sa.Integer(), nullable=True),
        sa.Column("reused_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["personal_documents.id"],
            name=op.f("fk_document_reuses_document_id_personal_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_document_reuses_dossier_id_dossiers")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["dossier_files.id"], name=op.f("fk_document_reuses_file_id_dossier_files")
        ),
        sa.ForeignKeyConstraint(
            ["reused_by_id"], ["users.id"], name=op.f("fk_document_reuses_reused_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_reuses")),
        sa.UniqueConstraint("file_id", name=op.f("uq_document_reuses_file_id")),
    )
    with op.batch_alter_table("document_reuses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_reuses_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_document_reuses_dossier_id"), ["dossier_id"], unique=False
        )
    with op.batch_alter_table("stat_daily_tallies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reused", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    with op.batch_alter_table("stat_daily_tallies", schema=None) as batch_op:
        batch_op.alter_column("reused", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("stat_daily_tallies", schema=None) as batch_op:
        batch_op.drop_column("reused")
    with op.batch_alter_table("document_reuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_reuses_dossier_id"))
        batch_op.drop_index(batch_op.f("ix_document_reuses_document_id"))
    op.drop_table("document_reuses")
    with op.batch_alter_table("personal_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_documents_source_dossier_id"))
        batch_op.drop_index("ix_personal_documents_owner")
    op.drop_table("personal_documents")
