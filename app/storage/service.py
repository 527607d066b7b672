"""Content-addressed file storage, with type checks by content: the one interface to files.

Files live under the data dir (default) or in S3-compatible object storage when
``PORTAL_STORAGE_URL=s3://bucket/prefix`` (docs/decisions/0030-object-storage-and-backups.md);
the key or path of a file is its SHA-256 either way, so a file is written once and never
changed. Nothing outside this package touches paths, keys or clients."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import filetype

from app.config import get_settings
from app.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from app.i18n_markers import N_
from app.storage import s3
from app.text import printable

# Short type names used in component definitions → MIME types recognised by content.
TYPE_MIME = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
MIME_TYPE = {mime: name for name, mime in TYPE_MIME.items()}
MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str
    filename: str


def files_root() -> Path:
    """Where the local-disk store keeps its files (``<data_dir>/files``)."""
    return get_settings().data_dir / "files"


def check_digest(sha256: str) -> str:
    """``sha256`` if it is a SHA-256 hex digest; NotFound otherwise (never a path or key)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise NotFound(N_("Không tìm thấy tệp."))
    return sha256


def path_for(sha256: str) -> Path:
    """The local-disk path of a file (the local store only; callers use the functions below)."""
    check_digest(sha256)
    return files_root() / sha256[:2] / sha256[2:4] / sha256


StorageUnavailable = s3.StorageUnavailable


def sniff(data: bytes) -> str | None:
    """The short type name ("pdf", "jpg", …) recognised from the bytes, not from the name."""
    kind = filetype.guess(data[:8192] if not data.startswith(b"PK") else data)
    return MIME_TYPE.get(kind.mime) if kind else None


def clean_filename(name: str) -> str:
    """A display name without paths, control characters or leading dots."""
    name = printable(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[<>:\"|?*]", "_", name).strip().lstrip(".")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 110 - len(ext)] + dot + ext) if dot else name[:120]
    return name or "tep"


def _s3() -> s3.S3Store | None:
    """The object store when ``PORTAL_STORAGE_URL`` is ``s3://…``; None for the local disk."""
    settings = get_settings()
    if not settings.storage_url:
        return None
    return s3.store_for(settings.storage_url, settings.s3_endpoint_url)


def write_bytes(data: bytes) -> str:
    """Store bytes once by SHA-256 (an atomic rename or one PUT); returns the digest."""
    digest = hashlib.sha256(data).hexdigest()
    remote = _s3()
    if remote is not None:
        if not remote.exists(digest):
            remote.put(digest, data)
        return digest
    target = path_for(digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".up-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return digest


def read_bytes(sha256: str) -> bytes:
    """The bytes stored under ``sha256``; NotFound when the store has none."""
    check_digest(sha256)
    remote = _s3()
    if remote is not None:
        data = remote.get(sha256)
        if data is None:
            raise NotFound(N_("Không tìm thấy tệp."))
        return data
    path = path_for(sha256)
    if not path.exists():
        raise NotFound(N_("Không tìm thấy tệp."))
    return path.read_bytes()


def exists(sha256: str) -> bool:
    """Whether the store holds the file ``sha256`` (False for anything not a digest)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        return False
    remote = _s3()
    if remote is not None:
        return remote.exists(sha256)
    return path_for(sha256).is_file()


def describe() -> str:
    """Where files go, for messages (``s3://bucket/prefix`` or the local folder)."""
    return get_settings().storage_url or str(files_root())


def ready() -> None:
    """Raise StorageUnavailable, naming the store and the cause, when files cannot be stored:
    the local folder not writable, or the bucket not reachable (HEAD bucket failed)."""
    remote = _s3()
    if remote is not None:
        remote.ready()
        return
    root = files_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=root, prefix=".ready-")
        os.close(fd)
        Path(probe).unlink()
    except OSError as exc:
        raise StorageUnavailable(
            f"file storage {root} is not writable: {exc.strerror or exc}"
        ) from exc


def check_upload(data: bytes, filename: str, accepted: list[str], max_size_mb: int) -> StoredFile:
    """Refuse empty, oversize (413) or wrongly typed (415, judged by content) files; store it."""
    if not data:
        raise InvalidInput(N_("Tệp rỗng."), fields={"file": "empty"})
    if len(data) > max_size_mb * 1024 * 1024:
        raise PayloadTooLarge(
            N_("Tệp vượt quá dung lượng cho phép."), fields={"file": f"max {max_size_mb} MB"}
        )
    kind = sniff(data)
    if kind is None or kind not in accepted:
        allowed = ", ".join(t.upper() for t in accepted)
        raise UnsupportedMediaType(
            N_("Định dạng tệp không được chấp nhận."), fields={"file": f"accepted: {allowed}"}
        )
    digest = write_bytes(data)
    return StoredFile(digest, len(data), TYPE_MIME[kind], named_as(clean_filename(filename), kind))


# The extensions a name may keep for each type judged by content; the first is given otherwise.
TYPE_EXTENSIONS = {
    "pdf": ("pdf",),
    "jpg": ("jpg", "jpeg"),
    "png": ("png",),
    "docx": ("docx",),
}
_EXTENSION = re.compile(r"[0-9A-Za-z]*[A-Za-z][0-9A-Za-z]*")


def named_as(name: str, kind: str) -> str:
    """``name`` with the extension of the type its content has: a PDF sent as ``poly.html`` is
    kept and downloaded as ``poly.pdf`` (a browser would save and open it as HTML), a name
    with no extension gets one."""
    allowed = TYPE_EXTENSIONS[kind]
    stem, dot, ext = name.rpartition(".")
    if dot and stem and _EXTENSION.fullmatch(ext) and len(ext) <= 10:
        if ext.lower() in allowed:
            return name
        name = stem
    return f"{name.rstrip('.')[: MAX_NAME_CHARS - len(allowed[0]) - 1]}.{allowed[0]}"
