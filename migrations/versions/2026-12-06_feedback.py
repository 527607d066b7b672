"""Feedback and complaints (phản ánh, kiến nghị, issue 22, SPEC §12): the items, their
attachments and the indexes of the staff queue, the escalated queue and the public list
(docs/decisions/0032-feedback.md).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("sender_user_id", sa.Integer(), nullable=True),
        sa.Column("sender_name", sa.String(length=120), nullable=False),
        sa.Column("sender_phone", sa.String(length=20), nullable=False),
        sa.Column("sender_email", sa.String(length=254), nullable=False),
        sa.Column("publish_consent", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("upheld", sa.Boolean(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("leader_comment", sa.Text(), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("public_subject", sa.String(length=200), nullable=False),
        sa.Column("public_content", sa.Text(), nullable=False),
        sa.Column("public_answer", sa.Text(), nullable=False),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_to_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_feedback_items_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_feedback_items_dossier_id_dossiers")
        ),
        sa.ForeignKeyConstraint(
            ["sender_user_id"], ["users.id"], name=op.f("fk_feedback_items_sender_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_feedback_items_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_feedback_items_answered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_feedback_items_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["escalated_to_id"],
            ["agencies.id"],
            name=op.f("fk_feedback_items_escalated_to_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_items")),
        sa.UniqueConstraint("code", name=op.f("uq_feedback_items_code")),
    )
    with op.batch_alter_table("feedback_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_queue", ["agency_id", "status", "due_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_feedback_escalated", ["escalated_to_id", "status", "due_at", "id"], unique=False
        )
        batch_op.create_index("ix_feedback_public", ["status", "published_at"], unique=False)
        batch_op.create_index(
            "ix_feedback_fingerprint", ["fingerprint", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_items_dossier_id"), ["dossier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_items_sender_user_id"), ["sender_user_id"], unique=False
        )
    op.create_table(
        "feedback_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback_items.id"],
            name=op.f("fk_feedback_files_feedback_id_feedback_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_files")),
    )
    with op.batch_alter_table("feedback_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_files_feedback_id"), ["feedback_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_files_feedback_id"))
    op.drop_table("feedback_files")
    with op.batch_alter_table("feedback_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_items_sender_user_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_items_dossier_id"))
        batch_op.drop_index("ix_feedback_fingerprint")
        batch_op.drop_index("ix_feedback_public")
        batch_op.drop_index("ix_feedback_escalated")
        batch_op.drop_index("ix_feedback_queue")
    op.drop_table("feedback_items")
