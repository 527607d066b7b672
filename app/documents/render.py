"""Render the seven standard forms of Circular 03/2025/TT-VPCP (Appendix I) as PDF and XLSX.

Pure rendering: a context of plain Python values in, bytes out; no database access.
PDFs come from ``templates/documents/pdf/<kind>.html`` through WeasyPrint with the bundled
DejaVu Serif font, so the output never depends on the fonts installed on the machine. The layout
work happens in a renderer process (``app.documents.renderer``), not in the web worker's threads.
"""

from __future__ import annotations

import atexit
import base64
import io
import logging
import threading
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import segno
from jinja2 import ChainableUndefined, Environment, FileSystemLoader, make_logging_undefined
from openpyxl.cell.cell import Cell

from app.config import get_settings
from app.documents import renderer
from app.formatting import deadline_parts, format_date, format_money

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

# WeasyPrint (and Pango behind it) is imported by the functions that render, so a web process
# that leaves rendering to its renderer process does not load it.

LOGGER = logging.getLogger(__name__)
# The PAR index annex (app/par/outputs.py) is laid out here too, landscape like the book.
# The dossier forms of Circular 03/2025/TT-VPCP, and the other documents laid out the same way
# (the PAR index's annex, app/par).
FORM_KINDS = tuple(f"form_{number:02d}" for number in range(1, 8))
DOCUMENT_KINDS = (*FORM_KINDS, "par_annex")
LANDSCAPE_KINDS = frozenset({"form_07", "par_annex"})
TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "documents" / "pdf"
FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT_FAMILY = "Portal Serif"
_FONT_FILES = (
    ("DejaVuSerif.ttf", "normal", "normal"),
    ("DejaVuSerif-Bold.ttf", "bold", "normal"),
    ("DejaVuSerif-Italic.ttf", "normal", "italic"),
    ("DejaVuSerif-BoldItalic.ttf", "bold", "italic"),
)
# Prefixes of administrative units dropped from the place name of the date line.
_PLACE_PREFIXES = (
    "thành phố ",
    "tp. ",
    "tp ",
    "tỉnh ",
    "thị xã ",
    "thị trấn ",
    "đặc khu ",
    "quận ",
    "huyện ",
    "phường ",
    "xã ",
)
# One WeasyPrint font configuration (Pango font map + fontconfig) is shared by every render of
# a process; Pango font maps are not thread-safe, so renders in one process take turns.
_RENDER_LOCK = threading.Lock()

_STYLESHEET = """
@page {
  size: A4;
  margin: 15mm 15mm 28mm 25mm;
  font-family: "Portal Serif";
  @bottom-left {
    content: element(verify);
    width: 75%;
    vertical-align: top;
    padding-top: 3mm;
  }
  @bottom-right {
    content: "Trang " counter(page) "/" counter(pages);
    width: 25%;
    vertical-align: top;
    padding-top: 3mm;
    text-align: right;
    font-family: "Portal Serif";
    font-size: 9pt;
  }
}
html { font-family: "Portal Serif"; font-size: 12pt; line-height: 1.3; color: #000; }
body { margin: 0; }
p { margin: 0 0 1.5mm; text-align: justify; }
.verify { position: running(verify); font-size: 7.5pt; line-height: 1.25; }
.verify td { vertical-align: middle; padding: 0 2mm 0 0; border: 0; }
.verify img { width: 20mm; height: 20mm; display: block; }
/* The token on a line of its own that never breaks: a reader who types it from paper must
   not mistake a line break at one of its hyphens for the end of a word. */
.verify .url { overflow-wrap: anywhere; }
.verify .token { white-space: nowrap; }
.header { width: 100%; border-collapse: collapse; margin-bottom: 3mm; }
.header td { vertical-align: top; text-align: center; padding: 0; border: 0; }
.header .agency { width: 46%; font-size: 10pt; text-transform: uppercase; }
.header .motto { width: 54%; font-size: 10.5pt; white-space: nowrap; }
.form-no { text-align: right; font-size: 8.5pt; font-style: italic; margin-bottom: 1.5mm; }
.strong { font-weight: bold; }
.rule { border: 0; border-top: 0.6pt solid #000; width: 30%; margin: 1.5mm auto; }
.rule.wide { width: 55%; }
.number { text-transform: none; font-size: 11pt; }
.place-date { font-style: italic; font-size: 11.5pt; margin-top: 1.5mm; }
h1 { font-size: 13pt; text-align: center; text-transform: uppercase; margin: 3mm 0 1mm; }
.subtitle { text-align: center; font-weight: bold; margin: 0 0 3mm; }
.subtitle.plain { font-weight: normal; font-style: italic; }
.addressee { text-align: center; margin: 2mm 0 4mm; }
.section { margin-top: 2.5mm; }
.grid {
  width: 100%; table-layout: fixed; border-collapse: collapse; margin: 1.5mm 0 2.5mm;
  font-size: 10.5pt;
}
.grid th, .grid td {
  border: 0.6pt solid #000; padding: 1mm 1.5mm; vertical-align: top; overflow-wrap: anywhere;
  box-sizing: border-box;
}
.grid th { font-weight: bold; text-align: center; vertical-align: middle; }
.grid td.center { text-align: center; }
.grid thead { display: table-header-group; }
.grid tr { page-break-inside: avoid; }
/* Form 06: words are never cut; only a word longer than its column is broken. */
.grid.control { font-size: 9.5pt; }
.grid.control th, .grid.control td { overflow-wrap: break-word; hyphens: manual; }
.late { font-weight: bold; }
.small { font-size: 10pt; }
.note { font-style: italic; font-size: 11pt; margin-top: 2mm; }
ol.reasons { margin: 1mm 0 2mm; padding-left: 7mm; }
.signatures {
  width: 100%; border-collapse: collapse; margin-top: 4mm; page-break-inside: avoid;
  break-before: avoid;
}
.signatures td { width: 50%; text-align: center; vertical-align: top; border: 0; padding: 0; }
.signatures td.recipients { text-align: left; font-size: 10pt; }
.signatures .role { font-weight: bold; text-transform: uppercase; font-size: 11pt; }
.signatures .hint { font-style: italic; font-size: 10pt; }
.signatures .name { font-weight: bold; margin-top: 18mm; }
.book { font-size: 8pt; line-height: 1.25; }
.book th, .book td { padding: 0.8mm 1mm; }
"""

_LANDSCAPE_STYLESHEET = """
@page { size: A4 landscape; margin: 12mm 12mm 28mm 15mm; }
"""


@lru_cache(maxsize=1)
def _fetcher() -> URLFetcher:
    """Fetch ``data:`` URLs and files of the bundled static folder; refuse everything else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if not path.is_relative_to(FONT_DIR.parent):
                    raise ValueError(f"refusing to read {url!r}: outside the static folder")
            elif scheme != "data":
                raise ValueError(f"refusing to fetch {url!r}: PDFs use local resources only")
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols=("file", "data"))


@lru_cache(maxsize=1)
def _font_config() -> FontConfiguration:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=2)
def _stylesheets(landscape: bool) -> tuple[CSS, ...]:
    """The compiled stylesheets (fonts, layout, page size), built once per process."""
    from weasyprint import CSS

    font_faces = "".join(
        f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{(FONT_DIR / name).as_uri()}");'
        f" font-weight: {weight}; font-style: {style}; }}\n"
        for name, weight, style in _FONT_FILES
    )
    sources = [font_faces + _STYLESHEET]
    if landscape:
        sources.append(_LANDSCAPE_STYLESHEET)
    return tuple(
        CSS(string=source, font_config=_font_config(), url_fetcher=_fetcher()) for source in sources
    )


def _local(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(get_settings().timezone))


def _moment(value: date | datetime | str | None) -> date | datetime | str | None:
    """An ISO string (a context frozen as JSON) read back as a date or datetime."""
    if not isinstance(value, str) or not value:
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.date() if len(value) == 10 else moment


def _date(value: date | datetime | str | None) -> str:
    """``dd/mm/yyyy``; datetimes are shown in the portal's time zone."""
    value = _moment(value)
    if value is None or isinstance(value, str):
        return value or ""
    return format_date(value)


def _datetime(value: date | datetime | str | None) -> str:
    """``HH:MM, dd/mm/yyyy`` in the portal's time zone (a bare date as ``dd/mm/yyyy``)."""
    value = _moment(value)
    if not isinstance(value, datetime):
        return _date(value)
    return _local(value).strftime("%H:%M, %d/%m/%Y")


def _deadline(value: date | datetime | str | None) -> str:
    """A time limit: "hết ngày dd/mm/yyyy" when it falls at midnight, else "trước HH:MM, …"."""
    value = _moment(value)
    if not isinstance(value, datetime):
        return _date(value)
    whole_day, when = deadline_parts(value)
    return f"hết ngày {when}" if whole_day else f"trước {_datetime(value)}"


def _money(amount: int | float | None) -> str:
    """``1.250.000 đồng``: DejaVu Serif has no glyph for the sign ₫, and the forms spell it."""
    return format_money(amount).replace("₫", "đồng")


def _long_date(value: date | datetime | str | None) -> str:
    """``ngày 05 tháng 3 năm 2025`` for the place-and-date line."""
    value = _moment(value)
    if value is None or isinstance(value, str):
        return "ngày …… tháng …… năm ……"
    if isinstance(value, datetime):
        value = _local(value).date()
    # Decree 30/2020/NĐ-CP, Appendix I: days below 10 and months 1 and 2 take a leading zero.
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def _place(address: str | None) -> str:
    """The province or city of an address (its last comma-separated part, without prefix)."""
    last = (address or "").rsplit(",", 1)[-1].strip()
    lowered = last.lower()
    for prefix in _PLACE_PREFIXES:
        if lowered.startswith(prefix):
            return last[len(prefix) :].strip() or "……"
    return last or "……"


def _short_url(url: str) -> tuple[str, str]:
    """The URL without its scheme as printed under the QR code: the address up to the last
    ``/``, and the token after it (printed on a line of its own)."""
    address = url.split("://", 1)[-1]
    cut = address.rfind("/") + 1
    return address[:cut], address[cut:]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        # A missing value prints empty (and is logged) rather than failing a citizen's PDF.
        undefined=make_logging_undefined(LOGGER, ChainableUndefined),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        date=_date,
        datetime=_datetime,
        deadline=_deadline,
        money=_money,
        long_date=_long_date,
        place=_place,
        short_url=_short_url,
    )
    env.globals["qr_data_uri"] = qr_data_uri
    return env


def qr_data_uri(url: str) -> str:
    """An SVG QR code of ``url`` as a ``data:image/svg+xml;base64,...`` URI."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", border=2, omitsize=True, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_html(kind: str, context: dict[str, Any]) -> str:
    """The HTML of form ``kind`` (``form_01`` … ``form_07``) filled with ``context``."""
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown form kind {kind!r}; expected one of {', '.join(DOCUMENT_KINDS)}")
    return _environment().get_template(f"{kind}.html").render(context)


def render_pdf(kind: str, context: dict[str, Any]) -> bytes:
    """Form ``kind`` as PDF bytes, laid out in a renderer process (``app.documents.renderer``);
    blocks the calling thread (~70 ms of CPU elsewhere): never call it from ``async`` code."""
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown form kind {kind!r}; expected one of {', '.join(DOCUMENT_KINDS)}")
    return renderer.run(render_pdf_here, kind, context)


def render_pdf_here(kind: str, context: dict[str, Any]) -> bytes:
    """Form ``kind`` as PDF bytes, rendered in this process."""
    from weasyprint import HTML

    html = render_html(kind, context)
    with _RENDER_LOCK:
        stylesheets = _stylesheets(kind in LANDSCAPE_KINDS)
        document = HTML(
            string=html, base_url=FONT_DIR.parent.as_uri() + "/", url_fetcher=_fetcher()
        )
        pdf = document.write_pdf(stylesheets=list(stylesheets), font_config=_font_config())
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return pdf


@atexit.register
def _release() -> None:
    # Drop WeasyPrint objects while its modules are still loaded (their finalisers need them).
    _stylesheets.cache_clear()
    _font_config.cache_clear()


def warm_up() -> None:
    """Load what every render needs (templates, fonts, stylesheets) before the first one."""
    _environment()
    with _RENDER_LOCK:
        _stylesheets(False)
        _stylesheets(True)


_BOOK_COLUMNS = (
    ("index", "STT", 6),
    ("code", "Mã hồ sơ", 26),
    ("procedure_name", "Tên thủ tục hành chính", 36),
    ("applicant_name", "Tên cá nhân, tổ chức", 24),
    ("address", "Địa chỉ", 30),
    ("phone", "Số điện thoại", 14),
    ("received_at", "Ngày nhận hồ sơ", 17),
    ("due_at", "Hẹn trả kết quả", 17),
    ("handed_to", "Cơ quan, đơn vị chủ trì giải quyết", 26),
    ("finished_at", "Nhận kết quả từ cơ quan giải quyết", 17),
    ("returned_at", "Trả kết quả cho cá nhân, tổ chức", 17),
    # Left blank: signed on paper by whoever takes the result (Circular 03/2025/TT-VPCP, form 07).
    ("signed_for", "Ký nhận", 14),
    ("status_label", "Tình trạng", 18),
    ("note", "Ghi chú", 24),
)


def _set_cell(cell: Cell, value: Any) -> None:
    """Write a value so Excel shows it as on the PDF (dates as dates, text never as formula)."""
    if isinstance(value, datetime):
        cell.value = _local(value).replace(tzinfo=None) if value.tzinfo else value
        cell.number_format = "hh:mm dd/mm/yyyy"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "dd/mm/yyyy"
    elif value is None:
        cell.value = None
    elif isinstance(value, bool | int | float):
        cell.value = value
    else:
        cell.value = str(value)
        # Text typed by an applicant ("=HYPERLINK(…)") must stay text, not become a formula.
        cell.data_type = "s"
