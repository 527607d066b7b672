"""Migration 0018 (issue 17, finding M4): stored CCCD numbers and phones are written in ASCII
digits; accounts that would then share one CCCD are neither merged nor deleted but reported."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.accounts.models import User

MIGRATION = (
    Path(__file__).resolve().parent.parent
    / "migrations"
    / "versions"
    / "2026-12-06_normalised_identifiers.py"
)


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0018", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _user(db: Session, email: str, id_number: str | None, phone: str = "") -> User:
    user = User(
        email=email,
        password_hash="x",
        full_name="Người Thử",
        phone=phone,
        id_number=id_number,
    )
    db.add(user)
    db.flush()
    return user


def test_ids_and_phones_become_ascii_and_duplicates_are_reported(
    engine: Engine, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    migration = _migration()
    oldest = _user(db, "a@example.vn", "０３４１９００００５５５", "０９１２-３４５-６７８")
    second = _user(db, "b@example.vn", "٠٣٤١٩٠٠٠٠٥٥٥")
    third = _user(db, "c@example.vn", "𝟎𝟑𝟒𝟏𝟗𝟎𝟎𝟎𝟎𝟓𝟓𝟓")
    ascii_holder_first = _user(db, "d@example.vn", "０３４１９００００７７７")
    ascii_holder = _user(db, "e@example.vn", "034190000777")
    alone = _user(db, "f@example.vn", "０３４１９００００８８８")

    duplicates = migration.normalise(db.connection())
    db.expire_all()

    def stored(user: User) -> str | None:
        return db.scalar(select(User.id_number).where(User.id == user.id))

    # One account per CCCD gets the ASCII spelling; the others are left exactly as they were.
    assert stored(oldest) == "034190000555"
    assert stored(second) == "٠٣٤١٩٠٠٠٠٥٥٥"
    assert stored(third) == "𝟎𝟑𝟒𝟏𝟗𝟎𝟎𝟎𝟎𝟓𝟓𝟓"
    assert stored(ascii_holder) == "034190000777"  # already ASCII: it keeps it
    assert stored(ascii_holder_first) == "０３４１９００００７７７"
    assert stored(alone) == "034190000888"
    assert db.scalar(select(User.phone).where(User.id == oldest.id)) == "0912345678"
    assert db.scalar(select(User.id).where(User.id == second.id)) == second.id  # not deleted

    assert sorted(duplicates) == sorted(
        [
            ("034190000555", [oldest.id, second.id, third.id]),
            ("034190000777", [ascii_holder.id, ascii_holder_first.id]),
        ]
    )
    lines = migration.report(duplicates)
    assert (
        f"CCCD 034…555: account {oldest.id} keeps it; accounts {second.id}, {third.id} hold it "
        "in other digits and were left unchanged (resolve by hand)"
    ) in lines
    assert len(lines) == 2

    # What the operator sees when the upgrade runs (here a second time: the duplicates are
    # still there, nothing else is left to write).
    capsys.readouterr()
    with Operations.context(MigrationContext.configure(db.connection())):
        migration.upgrade()
    printed = capsys.readouterr().out.splitlines()
    assert sorted(printed) == sorted(lines)
    db.expire_all()
    assert stored(second) == "٠٣٤١٩٠٠٠٠٥٥٥"
