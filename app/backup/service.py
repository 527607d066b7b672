"""Backup and restore of the whole portal: every table and every file the tables refer to.

A backup is a folder (docs/decisions/0030-object-storage-and-backups.md)::

    manifest.json              format, schema revision, per table: rows, file, SHA-256;
                               per stored file: size (its name is its SHA-256)
    database/<table>.jsonl     one JSON object per row, in primary-key order
    files/ab/cd/<sha256>       the files, as content-addressed as in the store

The tables are read in one read-only transaction (a snapshot: REPEATABLE READ on PostgreSQL,
one read transaction on SQLite in WAL mode), so they agree with each other whatever the web
processes and workers commit meanwhile; files are never changed once written (their name is
their digest), so copying them after the snapshot is consistent too. ``manifest.json`` is
written last, by an atomic rename: a backup without one was interrupted. A restore checks
every checksum and refuses anything missing, added or changed before it writes a row."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Time,
    delete,
    func,
    inspect,
    null,
    select,
    text,
)
from sqlalchemy.types import TypeDecorator

from app.catalog.models import Component
from app.db import Base
from app.docstore.models import PersonalDocument
from app.documents.models import Document
from app.dossiers.models import DossierFile
from app.feedback.models import FeedbackFile
from app.par.models import Evidence as ParEvidence
from app.storage import service as storage

FORMAT = "mot-cua-backup"
VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000
JSON_NULL = "$json_null"
PROBE = "_sql_null_"

# Every column that holds the SHA-256 of a file in storage (tests/backup checks that no other
# column named *sha256 is left out by mistake).
FILE_COLUMNS: tuple[Any, ...] = (
    DossierFile.sha256,
    Document.sha256,
    PersonalDocument.sha256,
    Component.blank_form_sha256,
    FeedbackFile.sha256,
    ParEvidence.sha256,
)

_DIGEST = re.compile(r"[0-9a-f]{64}")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message names the problem."""


@dataclass
class Summary:
    """What a backup holds or a restore wrote."""

    revision: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    missing_files: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def tables() -> list[Table]:
    """The portal's tables, parents before children (Alembic's own table aside)."""
    return list(Base.metadata.sorted_tables)


def schema_revision(conn: Connection) -> str | None:
    """The Alembic revision of the database; None when it has never been migrated."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


# --- values as JSON -------------------------------------------------------------------------


def _kind(column: Column[Any]) -> type[Any] | None:
    """The Python type a column's JSON text must be turned back into (None: as JSON gives it)."""
    kind: Any = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl
    if isinstance(kind, Float) or (isinstance(kind, Numeric) and not kind.asdecimal):
        return None
    for sql_type, python_type in (
        (DateTime, datetime),
        (Date, date),
        (Time, time),
        (Numeric, Decimal),
        (LargeBinary, bytes),
    ):
        if isinstance(kind, sql_type):
            return python_type
    return None


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column: Column[Any]) -> Callable[[Any], Any] | None:
    kind = _kind(column)
    if kind is datetime:

        def as_datetime(value: str) -> datetime:
            moment = datetime.fromisoformat(value)
            aware = isinstance(column.type, TypeDecorator) and moment.tzinfo is None
            return moment.replace(tzinfo=UTC) if aware else moment

        return as_datetime
    if kind is date:
        return date.fromisoformat
    if kind is time:
        return time.fromisoformat
    if kind is Decimal:
        return Decimal
    if kind is bytes:
        return base64.b64decode
    return None


# --- backup ---------------------------------------------------------------------------------


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _snapshot(engine: Engine) -> Connection:
    """A connection whose reads all see one moment of the database."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    conn.begin()
    return conn


def _json_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if isinstance(c.type, JSON)]


def _dump_table(conn: Connection, table: Table, target: Path, files: set[str]) -> dict[str, Any]:
    """Write the rows of ``table`` to ``target`` (JSON lines); collect the file digests.

    A JSON column may hold SQL NULL or the JSON value ``null``, which read alike: the names
    of the columns holding JSON ``null`` are kept in the row under ``JSON_NULL``."""
    file_columns = [c.key for c in FILE_COLUMNS if c.class_.__table__ is table]
    json_columns = _json_columns(table)
    order = list(table.primary_key.columns) or list(table.columns)
    probes = [c.is_(None).label(f"{PROBE}{c.key}") for c in json_columns]
    result = conn.execution_options(stream_results=True, max_row_buffer=BATCH).execute(
        select(table, *probes).order_by(*order)
    )
    digest, rows, size = hashlib.sha256(), 0, 0
    with target.open("wb") as fh:
        for row in result.mappings():
            for name in file_columns:
                if row[name]:
                    files.add(row[name])
            record = {c.key: _encode(row[c.key]) for c in table.columns}
            json_nulls = [
                c.key for c in json_columns if row[c.key] is None and not row[f"{PROBE}{c.key}"]
            ]
            if json_nulls:
                record[JSON_NULL] = json_nulls
            line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode(
                "utf-8"
            )
            fh.write(line)
            digest.update(line)
            rows += 1
            size += len(line)
    return {"file": f"database/{table.name}.jsonl", "rows": rows, "bytes": size,
            "sha256": digest.hexdigest()}  # fmt: skip


def backup(engine: Engine, path: Path, progress: Callable[[str], None] | None = None) -> Summary:
    """Write a backup of the database behind ``engine`` and of its files to the new folder
    ``path``; BackupError if ``path`` is a file or a folder that is not empty."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{path} already exists and is not an empty folder; choose a new one")
    (path / "database").mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)  # personal data: readable by the portal's own user only
    say = progress or (lambda _line: None)
    files: set[str] = set()
    manifest: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    with _snapshot(engine) as conn:
        revision = schema_revision(conn)
        if revision is None:
            raise BackupError("the database has no schema yet (run `portal db upgrade`)")
        manifest.update(
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            schema_revision=revision,
            database=engine.dialect.name,
            tables={},
        )
        for table in tables():
            entry = _dump_table(conn, table, path / "database" / f"{table.name}.jsonl", files)
            manifest["tables"][table.name] = entry
        conn.rollback()
    say(f"{sum(t['rows'] for t in manifest['tables'].values())} rows in {len(tables())} tables")
    stored: dict[str, int] = {}
    missing: list[str] = []
    for digest in sorted(d for d in files if _DIGEST.fullmatch(d)):
        if not storage.exists(digest):
            missing.append(digest)
            continue
        data = storage.read_bytes(digest)
        if hashlib.sha256(data).hexdigest() != digest:
            raise BackupError(f"stored file {digest} does not match its checksum (damaged store)")
        target = path / "files" / digest[:2] / digest[2:4] / digest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        stored[digest] = len(data)
    manifest["files"] = stored
    manifest["missing_files"] = missing
    say(f"{len(stored)} files from {storage.describe()}")
    _write_atomically(
        path / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")
    )
    summary = Summary(revision, {n: t["rows"] for n, t in manifest["tables"].items()})
    summary.files, summary.missing_files = len(stored), missing
    return summary


# --- checking a backup ----------------------------------------------------------------------


@dataclass
class Backup:
    """A backup folder whose manifest was read and whose every checksum agreed."""

    path: Path
    manifest: dict[str, Any]

    @property
    def revision(self) -> str:
        return str(self.manifest["schema_revision"])


def _read_manifest(path: Path) -> dict[str, Any]:
    if not path.is_dir():
        raise BackupError(f"{path} is not a backup folder")
    source = path / MANIFEST
    if not source.is_file():
        raise BackupError(
            f"{path} has no {MANIFEST}: the backup is incomplete (interrupted or partly copied)"
        )
    try:
        manifest = json.loads(source.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{MANIFEST} is damaged (not valid JSON: {exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} is not the manifest of a Một cửa backup")
    if manifest.get("version") != VERSION:
        raise BackupError(f"backup format version {manifest.get('version')!r} is not supported")
    for key, kind in (("schema_revision", str), ("tables", dict), ("files", dict)):
        if not isinstance(manifest.get(key), kind):
            raise BackupError(f"{MANIFEST} is damaged: {key!r} is missing or malformed")
    return manifest


def check(path: Path) -> Backup:
    """Read and verify a backup: every table file and stored file present, of the size and
    checksum the manifest gives, nothing added, the tables those of this portal version.
    BackupError naming the first problem otherwise; nothing is written."""
    manifest = _read_manifest(path)
    known = {t.name for t in tables()}
    listed = set(manifest["tables"])
    if listed != known:
        extra, lacking = sorted(listed - known), sorted(known - listed)
        raise BackupError(
            "the backup's tables are not this portal's "
            f"(unknown: {', '.join(extra) or 'none'}; missing: {', '.join(lacking) or 'none'}); "
            f"it was made at schema revision {manifest['schema_revision']}"
        )
    expected: set[str] = {MANIFEST}
    for name, entry in sorted(manifest["tables"].items()):
        relative = f"database/{name}.jsonl"
        expected.add(relative)
        if not isinstance(entry, dict) or entry.get("file") != relative:
            raise BackupError(f"{MANIFEST} is damaged: the entry of table {name} is malformed")
        source = path / relative
        if not source.is_file():
            raise BackupError(f"{relative} is missing: the backup is partial")
        if source.stat().st_size != entry.get("bytes") or _sha256_of(source) != entry.get("sha256"):
            raise BackupError(f"{relative} does not match its checksum: changed or truncated")
    for digest, size in sorted(manifest["files"].items()):
        if not _DIGEST.fullmatch(digest) or not isinstance(size, int):
            raise BackupError(f"{MANIFEST} is damaged: file entry {digest[:80]!r} is malformed")
        relative = f"files/{digest[:2]}/{digest[2:4]}/{digest}"
        expected.add(relative)
        source = path / relative
        if not source.is_file():
            raise BackupError(f"{relative} is missing: the backup is partial")
        if source.stat().st_size != size or _sha256_of(source) != digest:
            raise BackupError(f"{relative} does not match its checksum: changed or truncated")
    present = {
        p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file() or p.is_symlink()
    }
    added = sorted(present - expected)
    if added:
        raise BackupError(f"{added[0]} is not in the manifest: the backup was added to")
    return Backup(path, manifest)


# --- restore --------------------------------------------------------------------------------


def occupied(conn: Connection) -> list[str]:
    """The portal's tables that hold rows."""
    return [t.name for t in tables() if conn.execute(select(func.count()).select_from(t)).scalar()]


def _rows(source: Path, table: Table) -> Iterator[dict[str, Any]]:
    decoders = {c.key: d for c in table.columns if (d := _decoder(c)) is not None}
    json_columns = [c.key for c in _json_columns(table)]
    with source.open("r", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            json_nulls = row.pop(JSON_NULL, [])
            for key, decode in decoders.items():
                if row.get(key) is not None:
                    row[key] = decode(row[key])
            for key in json_columns:
                if row.get(key) is None and key not in json_nulls:
                    row[key] = null()  # SQL NULL, not the JSON value null
            yield row


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: each serial/identity column continues after the largest restored id."""
    for table in tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": pk[0].name},
        ).scalar()
        if sequence:
            conn.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE((SELECT MAX({pk[0].name}) "  # noqa: S608
                    f"FROM {table.name}), 1), (SELECT MAX({pk[0].name}) FROM {table.name}) "
                    "IS NOT NULL)"
                ),
                {"sequence": sequence},
            )


def restore(
    engine: Engine,
    checked: Backup,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Load a checked backup into the database behind ``engine`` (migrated to the backup's
    schema revision) and its files into the store, in one transaction for the rows.
    BackupError when the revisions differ or when the database holds rows (unless
    ``replace``: then every row is deleted first)."""
    say = progress or (lambda _line: None)
    manifest = checked.manifest
    summary = Summary(checked.revision)
    with engine.connect() as conn, conn.begin():
        revision = schema_revision(conn)
        if revision != checked.revision:
            raise BackupError(
                f"the backup was made at schema revision {checked.revision}, the database is "
                f"at {revision or 'none'}: restore into a new database never migrated (the "
                "restore migrates it to the backup's revision, then to this version's)"
            )
        busy = occupied(conn)
        if busy and not replace:
            raise BackupError(
                f"the database is not empty ({', '.join(busy[:5])}"
                f"{' …' if len(busy) > 5 else ''} hold rows); restore into an empty database, "
                "or pass --replace to delete every row first"
            )
        for table in reversed(tables()):
            if table.name in busy:
                conn.execute(delete(table))
        for table in tables():
            batch: list[dict[str, Any]] = []
            for row in _rows(checked.path / f"database/{table.name}.jsonl", table):
                batch.append(row)
                if len(batch) >= BATCH:
                    conn.execute(table.insert(), batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
            summary.rows[table.name] = manifest["tables"][table.name]["rows"]
        if engine.dialect.name == "postgresql":
            _reset_sequences(conn)
        say(f"{summary.total_rows} rows in {len(summary.rows)} tables")
        # Files before the commit: a failure leaves no rows pointing at absent files.
        for digest in sorted(manifest["files"]):
            source = checked.path / "files" / digest[:2] / digest[2:4] / digest
            storage.write_bytes(source.read_bytes())
            summary.files += 1
        say(f"{summary.files} files to {storage.describe()}")
    if engine.dialect.name == "postgresql":
        # The planner's statistics and the visibility map after a bulk load (docs/DEPLOY.md).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
        say("VACUUM (ANALYZE) done")
    summary.missing_files = list(manifest.get("missing_files") or [])
    return summary
