"""Content-addressed file storage under the data dir, with type checks by content."""

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
    return get_settings().data_dir / "files"


def path_for(sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise NotFound(N_("Không tìm thấy tệp."))
    return files_root() / sha256[:2] / sha256[2:4] / sha256


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


def write_bytes(data: bytes) -> str:
    """Store bytes once by SHA-256 (atomic rename); returns the digest."""
    digest = hashlib.sha256(data).hexdigest()
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
    path = path_for(sha256)
    if not path.exists():
        raise NotFound(N_("Không tìm thấy tệp."))
    return path.read_bytes()


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


def ready() -> None:
    """Raise ``StorageUnavailable`` unless files can be stored now (``/readyz``): on local disk,
    the files folder exists and this process may write in it."""
    root = files_root()
    try:  # a new installation has stored nothing yet
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageUnavailable(
            f"the files folder {root} cannot be made ({exc.strerror})"
        ) from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise StorageUnavailable(f"the files folder {root} is not writable")


class StorageUnavailable(RuntimeError):
    """Files cannot be stored now (the reason names the place, never a credential)."""
