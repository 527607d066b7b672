"""Electronic results (§3 results, §6): the uploaded PDF checked, numbered, stamped with its
verification QR code and signed with the agency's certificate before the citizen gets it
(docs/decisions/0018-result-signing-and-numbers.md).

- **Number.** ``<type code>-<YY>-<NNNNNN>``: the procedure's result-type code, the year of
  issue and a running number per type and year (``result_number_counters``, bumped in the
  attaching transaction like the dossier codes). It names no person: the holder is the
  dossier's applicant, recorded with the document, never printed in the number.
- **Stamp and signature in one incremental update.** The portal adds a PAdES signature whose
  visible appearance, at the bottom left of the first page, is a small drawing: the QR code
  of the verification page, the number, who signed and when, and the verification address
  with its token on a line of its own. The uploaded bytes stay as they were (an incremental
  update only appends), so a signature already in the file stays valid: a later approval
  signature is a change every signature policy but "no changes" (DocMDP P=1) allows.
- **Already signed and locked.** A file certified with "no changes allowed", or one whose
  earlier signature would no longer be accepted after ours, is stored exactly as uploaded;
  the verification page then shows who signed it.
"""

from __future__ import annotations

import io
import logging
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import segno
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.pdf_embedded import read_certification_data
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import Session

from app.agencies.models import Agency
from app.config import get_settings
from app.db import next_in_sequence, utcnow
from app.documents import render as forms
from app.documents import service as document_service
from app.documents.models import ResultNumberCounter
from app.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from app.i18n_markers import N_
from app.signing import service as signing_service
from app.storage import service as storage

log = logging.getLogger(__name__)

MAX_SIZE_MB = 20
FIELD_NAME = "KetQuaDienTu"
SIGN_REASON = "Ký số kết quả giải quyết thủ tục hành chính"
MM = 72 / 25.4
# The stamp at full size (points) and its place on the first page, from the bottom-left
# corner of the page's visible area. An administrative document leaves that strip empty:
# its bottom margin is 20-25 mm and the first page has no page number (Decree 30/2020/NĐ-CP,
# Appendix I); 5 mm keeps the stamp clear of a printer's unprintable edge.
STAMP_SIZE = (100 * MM, 15 * MM)
STAMP_OFFSET = (8 * MM, 5 * MM)
_QR = 14.5 * MM
_FACE, _BOLD = "ResultStamp", "ResultStamp-Bold"
_TEXT_SIZE, _LEADING = 5.6, 6.3
# ReportLab keeps per-font subset state in the font object: one stamp drawn at a time.
_LOCK = threading.Lock()

NOT_A_PDF = N_("Tệp kết quả phải là tệp PDF.")
UNREADABLE = N_("Tệp PDF bị hỏng hoặc không đọc được. Hãy xuất lại tệp PDF rồi tải lên.")
ENCRYPTED = N_(
    "Tệp PDF được đặt mật khẩu hoặc mã hóa nên cổng không đóng dấu, ký số được. "
    "Hãy tải lên bản không đặt mật khẩu."
)
NO_CERTIFICATE = N_(
    "Cơ quan chưa có chứng thư số nên cổng không ký số được kết quả. Quản trị viên cần nhập "
    "chứng thư số của cơ quan (Quản trị → Chứng thư số), hoặc tải lên tệp PDF đã được ký số."
)


@dataclass(frozen=True)
class SealedResult:
    """The result as the citizen gets it, stored by SHA-256."""

    sha256: str
    size: int
    filename: str
    number: str
    verify_token: str
    portal_signed: bool  # the portal's stamp and signature were added
    signed_before: bool  # the uploaded file already carried a signature


def can_sign(session: Session, agency_id: int) -> bool:
    """Whether the agency has an active certificate valid now (the portal can sign results)."""
    try:
        cert = signing_service.active_certificate(session, agency_id)
    except NotFound:
        return False
    return cert.not_before <= utcnow() <= cert.not_after


# --- numbers --------------------------------------------------------------------------------


def type_code(raw: str | None) -> str:
    """The result-type code as printed in numbers: letters and digits, upper case; "KQ" when
    the procedure has none."""
    code = "".join(ch for ch in (raw or "").upper() if ch.isascii() and ch.isalnum())[:20]
    return code or "KQ"


def next_number(session: Session, raw_code: str | None, at: datetime) -> str:
    """The next result number of the type for the year of ``at`` (portal time zone).

    Concurrent attachments queue on the counter row's lock (PostgreSQL) or the write lock
    (SQLite); a rolled-back attachment takes its number back with it."""
    code = type_code(raw_code)
    year = at.astimezone(ZoneInfo(get_settings().timezone)).year
    seq = next_in_sequence(session, ResultNumberCounter, type_code=code, year=year)
    return f"{code}-{year % 100:02d}-{seq:06d}"


# --- the uploaded file ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Upload:
    signed: bool
    locked: bool  # certified with "no changes allowed"
    box: tuple[int, int, int, int]  # where the stamp goes on the first page


def _checked(data: bytes) -> _Upload:
    """Refuse what is not a readable, unencrypted PDF with a page (field ``file``)."""
    if not data:
        raise InvalidInput(N_("Tệp rỗng."), fields={"file": "empty"})
    if len(data) > MAX_SIZE_MB * 1024 * 1024:
        raise PayloadTooLarge(
            N_("Tệp vượt quá dung lượng cho phép."), fields={"file": f"max {MAX_SIZE_MB} MB"}
        )
    if storage.sniff(data) != "pdf":
        raise UnsupportedMediaType(NOT_A_PDF, fields={"file": "accepted: PDF"})
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            raise InvalidInput(ENCRYPTED, fields={"file": "encrypted"})
        signed = bool(list(reader.embedded_regular_signatures))
        certification = read_certification_data(reader) if signed else None
        page, _ = reader.find_page_for_modification(0)
        box = _stamp_box(page.get_object())
    except DomainError:
        raise
    except Exception as exc:  # pyHanko's many parse errors: the file is not usable
        raise InvalidInput(UNREADABLE, fields={"file": "unreadable"}) from exc
    locked = certification is not None and certification.permission == MDPPerm.NO_CHANGES
    return _Upload(signed=signed, locked=locked, box=box)


def _inherited(page: Any, key: str) -> Any:
    while page is not None:
        if key in page:
            return page[key]
        page = page["/Parent"].get_object() if "/Parent" in page else None
    return None


def _stamp_box(page: Any) -> tuple[int, int, int, int]:
    """The stamp's box on the page, in whole points: bottom left of the visible area, made
    smaller on a page too small for it."""
    area = _inherited(page, "/CropBox") or _inherited(page, "/MediaBox")
    if area is None:
        raise ValueError("page without a /MediaBox")
    x1, y1, x2, y2 = (float(v) for v in area)
    left, bottom = min(x1, x2), min(y1, y2)
    width, height = STAMP_SIZE
    dx, dy = STAMP_OFFSET
    scale = min(1.0, (abs(x2 - x1) - 2 * dx) / width, (abs(y2 - y1) - 2 * dy) / height)
    if scale <= 0.2:
        raise ValueError("page too small for the stamp")
    return (
        round(left + dx),
        round(bottom + dy),
        round(left + dx + width * scale),
        round(bottom + dy + height * scale),
    )


# --- the stamp ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _fonts() -> None:
    font_dir = forms.FONT_DIR / "pdf"
    pdfmetrics.registerFont(TTFont(_FACE, str(font_dir / "DejaVuSerif.ttf")))
    pdfmetrics.registerFont(TTFont(_BOLD, str(font_dir / "DejaVuSerif-Bold.ttf")))


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", " ".join(value.split()))


def stamp_lines(number: str, agency: str, signed_at: str, url: str) -> list[str]:
    """What the stamp says, line by line (the token alone on the last line, never broken)."""
    address, token = forms._short_url(url)
    return [
        f"Kết quả điện tử số: {number}",
        f"Ký số bởi: {_nfc(agency)}",
        f"Thời gian ký: {signed_at}",
        "Quét mã QR hoặc truy cập:",
        address,
        token,
    ]


def draw_stamp(box: tuple[int, int, int, int], url: str, lines: list[str]) -> bytes:
    """A one-page PDF the size of ``box``: the QR code of ``url`` on the left, ``lines`` beside
    it, each on one line (a long line is set smaller, never wrapped)."""
    width, height = box[2] - box[0], box[3] - box[1]
    scale = width / STAMP_SIZE[0]
    text_x = _QR + 2.5 * MM
    room = STAMP_SIZE[0] - text_x - 1 * MM
    _fonts()
    buffer = io.BytesIO()
    with _LOCK:
        canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
        canvas.scale(scale, scale)
        top = height / scale
        canvas.drawImage(ImageReader(_qr_image(url)), 0, (top - _QR) / 2, _QR, _QR)
        y = top - (top - len(lines) * _LEADING) / 2 - _TEXT_SIZE
        for index, line in enumerate(lines):
            face = _BOLD if index == 0 else _FACE
            size = _TEXT_SIZE
            while size > 3 and pdfmetrics.stringWidth(line, face, size) > room:
                size -= 0.25
            canvas.setFont(face, size)
            canvas.drawString(text_x, y, line)
            y -= _LEADING
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def _qr_image(url: str) -> Image.Image:
    """The QR code of ``url`` as a 1-bit image, one pixel per module, two-module quiet zone
    (a PDF viewer scales it up without smoothing)."""
    # Any mask pattern reads the same (the symbol names it); scoring all eight to choose one
    # took a third of the stamp's time. Mask 0, as on receipts.
    matrix = segno.make(url, error="m", mask=0).matrix
    count = len(matrix) + 4
    image = Image.new("1", (count, count), 1)
    pixels = image.load()
    assert pixels is not None
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                pixels[col + 2, row + 2] = 0
    return image


# --- sealing --------------------------------------------------------------------------------


def _local_now_text() -> str:
    now = datetime.now(ZoneInfo(get_settings().timezone))
    return now.strftime("%H:%M:%S %d/%m/%Y")


def seal(
    session: Session,
    agency_id: int,
    data: bytes,
    filename: str,
    *,
    result_type_code: str | None,
    signer_name: str,
    at: datetime,
) -> SealedResult:
    """Check the uploaded result, give it its number and verification token, stamp and sign
    it with the agency's active certificate, store it; refuse a file that cannot be."""
    upload = _checked(data)
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("Không tìm thấy cơ quan."))
    try:
        signing_service.active_certificate(session, agency_id)
    except NotFound:
        if not upload.signed:
            raise Conflict(NO_CERTIFICATE, fields={"file": "no certificate"}) from None
        upload = _Upload(signed=True, locked=True, box=upload.box)  # keep it as it is
    number = next_number(session, result_type_code, at)
    token = secrets.token_urlsafe(32)
    url = document_service.verify_url(token)
    final = data
    portal_signed = False
    if not upload.locked:
        lines = stamp_lines(number, agency.name, _local_now_text(), url)
        try:
            signed = signing_service.sign_pdf(
                session,
                agency_id,
                data,
                field_name=_free_field_name(data),
                reason=SIGN_REASON,
                location=forms._place(agency.address),
                signer_name=signer_name,
                box=upload.box,
                appearance_pdf=draw_stamp(upload.box, url, lines),
            )
        except InvalidInput as exc:
            raise InvalidInput(UNREADABLE, fields={"file": "unreadable"}) from exc
        except Conflict:
            if not upload.signed:
                raise
            signed = data
        except DomainError:
            raise
        except Exception as exc:  # a structure pyHanko reads but cannot write back
            log.warning("result PDF not signable: %s", type(exc).__name__)
            if not upload.signed:
                raise InvalidInput(UNREADABLE, fields={"file": "unreadable"}) from exc
            signed = data
        if signed is not data and (not upload.signed or _earlier_signatures_hold(signed)):
            final, portal_signed = signed, True
    digest = storage.write_bytes(final)
    return SealedResult(
        sha256=digest,
        size=len(final),
        filename=storage.named_as(storage.clean_filename(filename), "pdf"),
        number=number,
        verify_token=token,
        portal_signed=portal_signed,
        signed_before=upload.signed,
    )


def _free_field_name(data: bytes) -> str:
    """A signature field name the file does not use yet."""
    name = FIELD_NAME
    index = 1
    while name.encode("ascii") in data:
        index += 1
        name = f"{FIELD_NAME}{index}"
    return name


def _earlier_signatures_hold(signed: bytes) -> bool:
    """Every signature the file carried before ours is still intact, and our addition is a
    change its rules allow."""
    report = signing_service.validate_pdf(signed)
    earlier = report["signatures"][:-1]
    return all(entry["intact"] and entry["changes_allowed"] for entry in earlier)
