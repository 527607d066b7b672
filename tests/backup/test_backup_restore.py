"""`portal backup` and `portal restore`, run as commands: a restore into an empty database and
empty storage (a folder or a bucket) gives back the same portal — every row, every file, the
receipts and an audit chain that still verifies — and a tampered, partial or misplaced backup
is refused with a message naming the problem, leaving nothing written."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Engine, String, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service as account_service
from app.backup import service as backup_service
from app.cli import upgrade_database
from app.db import Base, drain_background, make_engine
from app.demo.seed import seed_all
from app.dossiers.models import Dossier
from app.receipts.models import Receipt
from tests.conftest import _TMP, _admin_url, _run_admin
from tests.payments.test_parallel_cash import _pay, _received_dossiers
from tests.s3server import keys, make_bucket

ROOT = Path(__file__).resolve().parents[2]


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def empty_database() -> Iterator[str]:
    """The URL of a new, empty database of the suite's kind (never migrated), dropped after."""
    url = os.environ["PORTAL_DATABASE_URL"]
    name = f"motcua_restore_{uuid.uuid4().hex[:10]}"
    if url.startswith("sqlite"):
        yield f"sqlite:///{(_TMP / (name + '.db')).as_posix()}"
        return
    parsed, admin = _admin_url(url)
    _run_admin(admin, f'CREATE DATABASE "{name}"')
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        _run_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _live(engine: Engine) -> Engine:
    """Received dossiers with their files, two paid with a receipt (its signed PDF made after
    the commit), and the audit entries of all that."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    ids = _received_dossiers(factory, 3)
    for dossier_id in ids[:2]:
        _pay(factory, dossier_id)
    drain_background()
    return engine


@pytest.fixture
def portal(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A portal with life in it, on the suite's database — or, for the target ``from-sqlite``
    of the PostgreSQL suite, on SQLite (a backup moves between the two)."""
    if getattr(request, "param", None) != "from-sqlite":
        yield _live(request.getfixturevalue("fresh_database"))
        return
    url = f"sqlite:///{(_TMP / f'source_{uuid.uuid4().hex[:10]}.db').as_posix()}"
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with sessionmaker(bind=engine).begin() as session:
            seed_all(session)
        yield _live(engine)
    finally:
        engine.dispose()


ON_POSTGRES = os.environ["PORTAL_DATABASE_URL"].startswith("postgresql")
TARGETS = ["local", "s3", *(["from-sqlite"] if ON_POSTGRES else [])]


def portal_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`portal …` in a process of its own, with the given settings."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _all_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {
            table.name: [
                dict(row)
                for row in conn.execute(
                    # SQL NULL and the JSON value null read alike: tell them apart too.
                    select(
                        table,
                        *(
                            c.is_(None).label(f"sql_null_{c.key}")
                            for c in table.columns
                            if isinstance(c.type, JSON)
                        ),
                    ).order_by(*(table.primary_key.columns or table.columns))
                ).mappings()
            ]
            for table in Base.metadata.sorted_tables
        }


def _referenced_files(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {
            digest
            for column in backup_service.FILE_COLUMNS
            for digest in conn.scalars(select(column).where(column.is_not(None)))
        }


def _target_storage(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings of empty storage for the restored portal: a new data folder, or a new bucket."""
    env = {"PORTAL_DATA_DIR": str(tmp_path / "restored-data"), "PORTAL_STORAGE_URL": ""}
    if kind == "s3":
        endpoint = request.getfixturevalue("s3_server")
        bucket = make_bucket(endpoint)
        env.update(PORTAL_STORAGE_URL=f"s3://{bucket}/portal", PORTAL_S3_ENDPOINT_URL=endpoint)
    return env


@pytest.mark.parametrize(
    ("portal", "target"), [(t, t) for t in TARGETS], indirect=["portal"], ids=TARGETS
)
def test_a_restore_on_an_empty_machine_gives_back_the_same_portal(
    portal: Engine,
    empty_database: str,
    tmp_path: Path,
    target: str,
    request: pytest.FixtureRequest,
) -> None:
    source = {"PORTAL_DATABASE_URL": _url(portal)}
    made = portal_command("backup", str(tmp_path / "backup"), env=source)
    assert made.returncode == 0, made.stderr
    assert "Backup of schema" in made.stdout and " files in " in made.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert (tmp_path / "backup").stat().st_mode & 0o077 == 0  # personal data: owner only
    files = _referenced_files(portal)
    assert set(manifest["files"]) == files and len(files) >= 3  # components and receipt PDFs

    storage_env = _target_storage(target, tmp_path, request)
    restored_env = {"PORTAL_DATABASE_URL": empty_database, **storage_env}
    restored = portal_command("restore", str(tmp_path / "backup"), env=restored_env)
    assert restored.returncode == 0, restored.stderr
    assert "every checksum agrees" in restored.stdout

    copy = make_engine(empty_database)
    try:
        before, after = _all_rows(portal), _all_rows(copy)
        assert {name: len(rows) for name, rows in after.items()} == {
            name: len(rows) for name, rows in before.items()
        }
        assert after == before
        with Session(copy) as session:
            receipts = session.scalars(select(Receipt.number).order_by(Receipt.number)).all()
            assert len(receipts) == 2
            assert session.scalar(select(Dossier.code).order_by(Dossier.id).limit(1))
        # Every file the database refers to is in the new storage, byte for byte.
        if target == "s3":
            bucket = storage_env["PORTAL_STORAGE_URL"].removeprefix("s3://").split("/")[0]
            stored = {
                k.rsplit("/", 1)[-1] for k in keys(storage_env["PORTAL_S3_ENDPOINT_URL"], bucket)
            }
            assert stored == files
            assert not (tmp_path / "restored-data" / "files").exists()
        else:
            root = tmp_path / "restored-data" / "files"
            for digest in files:
                data = (root / digest[:2] / digest[2:4] / digest).read_bytes()
                assert hashlib.sha256(data).hexdigest() == digest
        verified = portal_command("audit", "verify", env=restored_env)
        assert verified.returncode == 0, verified.stderr
        # The restored database goes on numbering after the restored rows (sequences).
        with sessionmaker(bind=copy).begin() as session:
            user = account_service.create_user(
                session, email="moi@motcua.local", password="MotCua@2026x", full_name="Người Mới"
            )
            assert user.id > max(row["id"] for row in before["users"])
    finally:
        copy.dispose()

    again = portal_command("restore", str(tmp_path / "backup"), env=restored_env)
    assert again.returncode == 2
    assert "Restore refused: the database is not empty" in again.stderr
    assert "--replace" in again.stderr
    replaced = portal_command("restore", "--replace", str(tmp_path / "backup"), env=restored_env)
    assert replaced.returncode == 0, replaced.stderr
    copy = make_engine(empty_database)
    try:
        assert _all_rows(copy) == before
    finally:
        copy.dispose()


def _broken(backup: Path, tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copytree(backup, copy)
    return copy


def test_a_tampered_or_partial_backup_is_refused_naming_the_problem(
    portal: Engine, empty_database: str, tmp_path: Path
) -> None:
    backup = tmp_path / "backup"
    backup_service.backup(portal, backup)
    backup_service.check(backup)
    manifest = json.loads((backup / "manifest.json").read_text())
    digest = sorted(manifest["files"])[0]
    blob = f"files/{digest[:2]}/{digest[2:4]}/{digest}"

    changed = _broken(backup, tmp_path, "changed")
    data = bytearray((changed / blob).read_bytes())
    data[-10] ^= 0x01
    (changed / blob).write_bytes(bytes(data))

    rows = _broken(backup, tmp_path, "rows")
    with (rows / "database/dossiers.jsonl").open("a") as fh:
        fh.write('{"id": 999999}\n')

    truncated = _broken(backup, tmp_path, "truncated")
    table = truncated / "database/receipts.jsonl"
    table.write_bytes(table.read_bytes()[:-40])

    partial = _broken(backup, tmp_path, "partial")
    (partial / blob).unlink()

    no_table = _broken(backup, tmp_path, "no-table")
    (no_table / "database/audit_entries.jsonl").unlink()

    interrupted = _broken(backup, tmp_path, "interrupted")
    (interrupted / "manifest.json").unlink()

    added = _broken(backup, tmp_path, "added")
    (added / "files/evil.sh").write_text("#!/bin/sh\n")

    damaged = _broken(backup, tmp_path, "damaged")
    (damaged / "manifest.json").write_text('{"format": "mot-cua-backup", "ver')

    cases = {
        changed: f"{blob} does not match its checksum: changed or truncated",
        rows: "database/dossiers.jsonl does not match its checksum",
        truncated: "database/receipts.jsonl does not match its checksum",
        partial: f"{blob} is missing: the backup is partial",
        no_table: "database/audit_entries.jsonl is missing: the backup is partial",
        interrupted: "has no manifest.json: the backup is incomplete",
        added: "files/evil.sh is not in the manifest: the backup was added to",
        damaged: "manifest.json is damaged (not valid JSON",
    }
    for path, message in cases.items():
        with pytest.raises(backup_service.BackupError) as refused:
            backup_service.check(path)
        assert message in str(refused.value), path.name

    # Through the command: exit 2, the message, and nothing written to the database or storage.
    env = {"PORTAL_DATABASE_URL": empty_database, "PORTAL_DATA_DIR": str(tmp_path / "target")}
    answer = portal_command("restore", str(changed), env=env)
    assert answer.returncode == 2
    assert f"Restore refused: {blob} does not match its checksum" in answer.stderr
    target = make_engine(empty_database)
    try:
        with target.connect() as conn:
            assert backup_service.schema_revision(conn) is None
    finally:
        target.dispose()
    assert not (tmp_path / "target" / "files").exists()

    # A backup of another schema revision is not loaded into a database already migrated.
    older = _broken(backup, tmp_path, "older")
    (older / "manifest.json").write_text(
        json.dumps({**manifest, "schema_revision": "0001"}), encoding="utf-8"
    )
    upgrade_database(empty_database)
    target = make_engine(empty_database)
    try:
        with pytest.raises(backup_service.BackupError) as refused:
            backup_service.restore(target, backup_service.check(older))
        assert (
            f"the backup was made at schema revision 0001, the database is at "
            f"{manifest['schema_revision']}: restore into a new database never migrated"
        ) in str(refused.value)
        with target.connect() as conn:
            assert backup_service.occupied(conn) == []
    finally:
        target.dispose()


def test_a_backup_never_overwrites_a_folder_in_use(portal: Engine, tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "note.txt").write_text("giữ lại")
    answer = portal_command("backup", str(used), env={"PORTAL_DATABASE_URL": _url(portal)})
    assert answer.returncode == 2
    assert "is not an empty folder; choose a new one" in answer.stderr
    assert sorted(p.name for p in used.iterdir()) == ["note.txt"]


def test_every_column_holding_a_file_digest_is_backed_up() -> None:
    """A new column with a file's SHA-256 must join FILE_COLUMNS, or its files would be lost."""
    listed = {(c.class_.__table__.name, c.key) for c in backup_service.FILE_COLUMNS}
    not_files = {("signing_certificates", "fingerprint_sha256")}
    found = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if "sha256" in column.name and isinstance(column.type, String)
    }
    assert found - not_files == listed
