"""Citizen IDs and phone numbers in ASCII digits (issue 17, probe finding M4).

Before this revision a CCCD or a phone number could be stored in other scripts' digits
("０３４…", "٠٣٤…"), so one CCCD could hold several accounts. This revision writes the stored
values of ``users.id_number``, ``users.phone`` and ``dossiers.applicant_phone`` in ASCII digits.
Where several accounts would then share one CCCD, nothing is merged or deleted: the account that
already holds the ASCII spelling (else the oldest) gets it, the others keep theirs unchanged, and
the duplicates are reported (user ids) for an administrator to resolve.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 02:00:00.000000
"""

import logging
import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("id_number", sa.String),
    sa.column("phone", sa.String),
)
dossiers = sa.table(
    "dossiers", sa.column("id", sa.Integer), sa.column("applicant_phone", sa.String)
)


# A copy of what app/text.py does today, frozen here: a migration must not change with the app.
def _digits(text: str) -> str:
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = unicodedata.normalize("NFKC", text)
    return "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text
    )


def _id_number(text: str) -> str:
    return re.sub(r"\s", "", _digits(text))


def _phone(text: str) -> str:
    return re.sub(r"[\s.\-()]", "", _digits(text))


def normalise(connection: Connection) -> list[tuple[str, list[int]]]:
    """Write the stored IDs and phones in ASCII digits; returns the CCCDs several accounts would
    share, each with the ids of the accounts that kept their own spelling (the duplicates)."""
    rows = connection.execute(
        sa.select(users.c.id, users.c.id_number, users.c.phone).order_by(users.c.id)
    ).all()
    for user_id, _number, phone in rows:
        if phone and _phone(phone) != phone:
            connection.execute(
                users.update().where(users.c.id == user_id).values(phone=_phone(phone))
            )
    groups: dict[str, list[tuple[int, str]]] = {}
    for user_id, number, _phone_value in rows:
        if number:
            groups.setdefault(_id_number(number), []).append((user_id, number))
    duplicates: list[tuple[str, list[int]]] = []
    for normal, holders in groups.items():
        keeper = next((h for h in holders if h[1] == normal), holders[0])
        if keeper[1] != normal:
            connection.execute(
                users.update().where(users.c.id == keeper[0]).values(id_number=normal)
            )
        others = [user_id for user_id, _ in holders if user_id != keeper[0]]
        if others:
            duplicates.append((normal, [keeper[0], *others]))
    for dossier_id, phone in connection.execute(
        sa.select(dossiers.c.id, dossiers.c.applicant_phone)
    ).all():
        if phone and not phone.isascii():
            connection.execute(
                dossiers.update()
                .where(dossiers.c.id == dossier_id)
                .values(applicant_phone=_phone(phone))
            )
    return duplicates


def report(duplicates: list[tuple[str, list[int]]]) -> list[str]:
    """The lines printed for an administrator: one per CCCD held by several accounts."""
    lines = []
    for normal, (keeper, *others) in duplicates:
        masked = normal[:3] + "…" + normal[-3:]
        lines.append(
            f"CCCD {masked}: account {keeper} keeps it; accounts "
            f"{', '.join(str(i) for i in others)} hold it in other digits and were left "
            "unchanged (resolve by hand)"
        )
    return lines


def upgrade() -> None:
    for line in report(normalise(op.get_bind())):
        log.warning(line)
        print(line)  # the operator running the upgrade must see it


def downgrade() -> None:
    """Nothing to undo: ASCII digits are what every version accepts."""
