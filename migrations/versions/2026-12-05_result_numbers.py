"""Electronic result numbers: a counter per result type and year, and ``documents.number``.

Results attached before this revision were titled "<result> — số <CCCD>.<type code>": they get
a number of the new form (``<type code>-<YY>-<NNNNNN>``, in the order they were issued) and
their title loses the applicant's ID number.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-05 23:10:00.000000
"""

from collections.abc import Sequence
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import app.db
from app.config import get_settings

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_documents = sa.table(
    "documents",
    sa.column("id", sa.Integer),
    sa.column("dossier_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("title", sa.String),
    sa.column("number", sa.String),
    sa.column("created_at", app.db.UTCDateTime(timezone=True)),
)
_dossiers = sa.table("dossiers", sa.column("id", sa.Integer), sa.column("version_id", sa.Integer))
_versions = sa.table(
    "procedure_versions", sa.column("id", sa.Integer), sa.column("result_type_code", sa.String)
)
_counters = sa.table(
    "result_number_counters",
    sa.column("type_code", sa.String),
    sa.column("year", sa.Integer),
    sa.column("last", sa.Integer),
)


def _type_code(raw: str | None) -> str:
    code = "".join(ch for ch in (raw or "").upper() if ch.isalnum())[:20]
    return code or "KQ"


def _renumber_existing() -> None:
    """Number the results issued so far and take the ID number out of their titles."""
    bind = op.get_bind()
    zone = ZoneInfo(get_settings().timezone)
    rows = bind.execute(
        sa.select(
            _documents.c.id,
            _documents.c.title,
            _documents.c.created_at,
            _versions.c.result_type_code,
        )
        .select_from(
            _documents.outerjoin(_dossiers, _dossiers.c.id == _documents.c.dossier_id).outerjoin(
                _versions, _versions.c.id == _dossiers.c.version_id
            )
        )
        .where(_documents.c.kind == "result")
        .order_by(_documents.c.created_at, _documents.c.id)
    ).all()
    last: dict[tuple[str, int], int] = {}
    for doc_id, title, created_at, raw_code in rows:
        # The old title ends in "<holder>.<type code>": the code, where the version has none.
        old_code = (title or "").rpartition(" — số ")[2].rpartition(".")[2]
        code = _type_code(raw_code or old_code)
        moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
        year = moment.astimezone(zone).year
        seq = last.get((code, year), 0) + 1
        last[(code, year)] = seq
        number = f"{code}-{year % 100:02d}-{seq:06d}"
        name = (title or "").partition(" — số ")[0] or "Kết quả"
        bind.execute(
            sa.update(_documents)
            .where(_documents.c.id == doc_id)
            .values(number=number, title=f"{name} — số {number}"[:255])
        )
    if last:
        bind.execute(
            sa.insert(_counters),
            [{"type_code": c, "year": y, "last": n} for (c, y), n in last.items()],
        )


def upgrade() -> None:
    op.create_table(
        "result_number_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type_code", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_number_counters")),
        sa.UniqueConstraint(
            "type_code", "year", name=op.f("uq_result_number_counters_type_code_year")
        ),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_documents_number"), ["number"])
    _renumber_existing()


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_documents_number"), type_="unique")
        batch_op.drop_column("number")
    op.drop_table("result_number_counters")
