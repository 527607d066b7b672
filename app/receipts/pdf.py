"""The receipt PDF, drawn with ReportLab (docs/decisions/0015-receipts-drawn-with-reportlab.md).

A receipt has a fixed layout, and it is made for every payment, so it is drawn directly rather
than laid out from HTML like the seven forms: about a tenth of the time, with the same
content. ReportLab's flowables do what the layout needs (paragraphs that wrap, a fee table whose
header repeats when it runs onto a second page); the page furniture is drawn at fixed places.

The page is A5 landscape. The footer (QR code, date, collector's block) sits in the bottom margin
of every page, so the collector's signature box never moves with the number of fee lines:
``SIGNATURE_BOX``, in PDF points from the bottom-left corner of the first page (pyHanko's
convention): x from 348.7 to 518.7 pt (123.0 to 183.0 mm from the left edge), y from 43.6 to
89.0 pt (15.4 to 31.4 mm above the bottom edge), a 60 × 16 mm box between "NGƯỜI THU TIỀN (Ký
số, ghi rõ họ tên)" and the collector's name. Later pages carry the receipt's symbols and
"Trang n/N" at the top right.

When the context has a ``signature`` (agency, signer, time), the box shows who signs and when,
as page content; the PAdES signature field laid over the box then needs no appearance of its
own (``signing_service.sign_pdf(..., page_appearance=True)``). Text is NFC-normalised and escaped
before it reaches ReportLab's paragraph markup; the fonts are the bundled DejaVu Serif without
hinting (``app/static/fonts/pdf``, made by ``tools/make_pdf_fonts.py``), subset per receipt.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

import segno
from PIL import Image
from reportlab import rl_config
from reportlab.lib.colors import Color, black
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.documents import render as forms
from app.documents import renderer

MM = 72 / 25.4  # points per millimetre
PAGE_WIDTH, PAGE_HEIGHT = 210 * MM, 148 * MM  # A5 landscape
MARGIN_TOP, MARGIN_SIDE, MARGIN_BOTTOM = 8 * MM, 9 * MM, 46 * MM
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_SIDE
# (x1, y1, x2, y2) in points, origin bottom-left, page 0: the collector's signature box.
SIGNATURE_BOX: tuple[float, float, float, float] = (348.7, 43.6, 518.7, 89.0)
FONT_DIR = forms.FONT_DIR / "pdf"
FAMILY = "PortalSerif"
_FACES = (
    (FAMILY, "DejaVuSerif.ttf"),
    (f"{FAMILY}-Bold", "DejaVuSerif-Bold.ttf"),
    (f"{FAMILY}-Italic", "DejaVuSerif-Italic.ttf"),
    (f"{FAMILY}-BoldItalic", "DejaVuSerif-BoldItalic.ttf"),
)
RED = Color(0.69, 0, 0)
STAMP_RED = Color(0.75, 0, 0)
SIZE, LEADING = 9.5, 9.5 * 1.3
SMALL = 8.5

# Streams are compressed but not ASCII85-armoured: a binary PDF is a quarter smaller.
rl_config.useA85 = 0
# One renderer at a time per process: ReportLab keeps per-font subset state in the font object.
_LOCK = threading.Lock()


@dataclass(frozen=True)
class RenderedReceipt:
    pdf: bytes
    pages: int


@lru_cache(maxsize=1)
def _fonts() -> None:
    """Register the four faces of the bundled serif once per process (~50 ms)."""
    for name, file in _FACES:
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
    pdfmetrics.registerFontFamily(
        FAMILY,
        normal=FAMILY,
        bold=f"{FAMILY}-Bold",
        italic=f"{FAMILY}-Italic",
        boldItalic=f"{FAMILY}-BoldItalic",
    )


def warm_up() -> None:
    _fonts()
    _styles()


def _style(name: str, face: str = "", size: float = SIZE, **extra: Any) -> ParagraphStyle:
    """A paragraph style of the bundled serif: ``face`` "", "-Bold", "-Italic" or
    "-BoldItalic", line height 1.3 unless given."""
    extra.setdefault("leading", size * 1.3)
    return ParagraphStyle(name, fontName=FAMILY + face, fontSize=size, **extra)


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    return {
        "body": _style("body"),
        "para": _style("para", spaceAfter=1 * MM),
        "right": _style("right", alignment=TA_RIGHT),
        "center": _style("center", alignment=TA_CENTER),
        "title": _style("title", "-Bold", 13, alignment=TA_CENTER, spaceBefore=2 * MM),
        "subtitle": _style("subtitle", "-Italic", SMALL, alignment=TA_CENTER, spaceAfter=2 * MM),
        "note": _style("note", "-Italic", SMALL, spaceAfter=1 * MM),
        "verify": _style("verify", size=7.5, leading=7.5 * 1.25),
        "url": _style("url", size=7.5, leading=7.5 * 1.25, wordWrap="CJK"),
        "stamp": _style("stamp", size=7, leading=8.4),
    }


def _text(value: Any) -> str:
    """Context text as paragraph markup: NFC (precomposed Vietnamese letters), escaped."""
    return escape(unicodedata.normalize("NFC", "" if value is None else str(value)))


def _plain(value: Any) -> str:
    return unicodedata.normalize("NFC", "" if value is None else str(value))


# --- page furniture ------------------------------------------------------------------------


class _PagedCanvas(Canvas):
    """Keeps each page until the end, so that "Trang n/N" can be written with N known."""

    def __init__(self, *args: Any, header: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._header = header

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            if number > 1:
                self.setFont(f"{FAMILY}-Italic", 7.5)
                self.drawRightString(
                    PAGE_WIDTH - MARGIN_SIDE,
                    PAGE_HEIGHT - MARGIN_TOP + 1 * MM,
                    f"{self._header} - Trang {number}/{total}",
                )
            super().showPage()
        super().save()


# QR mask pattern: any of the eight is valid for every reader (ISO/IEC 18004 decoders read the
# pattern from the symbol's format information). Scoring all eight to pick the "best", segno's
# default, took 13 ms of a 30 ms receipt; the tests decode the printed code with ZXing.
QR_MASK = 0


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url``, ``size`` points square with a two-module quiet zone, its
    bottom-left corner at (x, y): a 1-bit image, one pixel per module, scaled up (PDF images
    are not smoothed unless they ask to be)."""
    canvas.drawImage(ImageReader(_qr_image(url)), x, y, size, size)


@lru_cache(maxsize=8)  # every page of a receipt carries the same code
def _qr_image(url: str) -> Image.Image:
    matrix = segno.make(url, error="m", mask=QR_MASK).matrix
    count = len(matrix) + 4
    image = Image.new("1", (count, count), 1)
    pixels = image.load()
    assert pixels is not None
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                pixels[col + 2, row + 2] = 0
    return image


def _paragraph_at(
    canvas: Canvas, markup: str, style: ParagraphStyle, x: float, top: float, width: float
) -> float:
    """Draw a paragraph whose first line's top is at ``top``; returns its height."""
    paragraph = Paragraph(markup, style)
    _, height = paragraph.wrap(width, PAGE_HEIGHT)
    paragraph.drawOn(canvas, x, top - height)
    return height


def _signature_stamp(canvas: Canvas, signature: dict[str, Any]) -> None:
    """Who signs and when, inside the signature box (the PAdES field lies over it)."""
    x1, y1, x2, y2 = SIGNATURE_BOX
    canvas.saveState()
    canvas.setStrokeColor(STAMP_RED)
    canvas.setLineWidth(0.8)
    canvas.rect(x1, y1, x2 - x1, y2 - y1, stroke=1, fill=0)
    lines = (
        f"Ký bởi: {_text(signature.get('agency'))}",
        f"Người ký: {_text(signature.get('signer'))}",
        f"Thời gian: {_text(signature.get('signed_at'))}",
    )
    markup = "<br/>".join(lines)
    style = _styles()["stamp"]
    inner = x2 - x1 - 6
    for size in (7.0, 6.0, 5.0):
        style = ParagraphStyle("stamp-fit", parent=style, fontSize=size, leading=size * 1.2)
        paragraph = Paragraph(markup, style)
        _, height = paragraph.wrap(inner, PAGE_HEIGHT)
        if height <= y2 - y1 - 4:
            break
    canvas.setFillColor(STAMP_RED)
    paragraph.drawOn(canvas, x1 + 3, y1 + (y2 - y1 - height) / 2)
    canvas.restoreState()


def _footer(canvas: Canvas, context: dict[str, Any]) -> None:
    """QR code and verification address (left), date and collector's block (right)."""
    doc = context.get("doc") or {}
    receipt = context.get("receipt") or {}
    agency = context.get("agency") or {}
    styles = _styles()
    top = MARGIN_BOTTOM - 1 * MM
    half = CONTENT_WIDTH / 2
    # Left half: QR code, then the text beside it.
    qr = 24 * MM
    _draw_qr(canvas, _plain(doc.get("verify_url")), MARGIN_SIDE, top - 8 * MM - qr, qr)
    text_x = MARGIN_SIDE + qr + 2 * MM
    text_top = top - 14 * MM
    used = _paragraph_at(
        canvas,
        "<b>Quét mã để kiểm tra biên lai</b>",
        styles["verify"],
        text_x,
        text_top,
        half - qr - 2 * MM,
    )
    address, token = forms._short_url(_plain(doc.get("verify_url")))
    _paragraph_at(
        canvas,
        f"{_text(address)}<br/>{_text(token)}",
        styles["url"],
        text_x,
        text_top - used,
        half - qr - 2 * MM,
    )
    # Right half: date, role, hint, the signature box, the collector's name.
    center = MARGIN_SIDE + half * 1.5
    x1, y1, x2, y2 = SIGNATURE_BOX
    canvas.setFillColor(black)
    canvas.setFont(f"{FAMILY}-Italic", SIZE)
    day_line = forms._long_date(receipt.get("issued_at")).capitalize()
    canvas.drawCentredString(center, top - 3.4 * MM, day_line)
    canvas.setFont(f"{FAMILY}-Bold", SIZE)
    canvas.drawCentredString(center, top - 3.4 * MM - LEADING, "NGƯỜI THU TIỀN")
    canvas.setFont(f"{FAMILY}-Italic", SMALL)
    canvas.drawCentredString(center, y2 + 1.6 * MM, "(Ký số, ghi rõ họ tên)")
    name = _plain(receipt.get("collector_name") or agency.get("name"))
    _paragraph_at(
        canvas,
        f"<b>{escape(name)}</b>",
        styles["center"],
        x1 - 18 * MM,
        y1 - 1 * MM,
        x2 - x1 + 36 * MM,
    )


def _void_stamp(canvas: Canvas, status: str) -> None:
    """ "ĐÃ HỦY" / "ĐÃ BỊ THAY THẾ" across the first page, red, translucent, slanted."""
    label = {"cancelled": "ĐÃ HỦY", "replaced": "ĐÃ BỊ THAY THẾ"}.get(status)
    if label is None:
        return
    width, height = 110 * MM, 30 * 1.3 + 4
    center_x = MARGIN_SIDE + 40 * MM + width / 2
    center_y = PAGE_HEIGHT - MARGIN_TOP - 36 * MM - height / 2
    canvas.saveState()
    canvas.translate(center_x, center_y)
    canvas.rotate(12)
    canvas.setFillAlpha(0.35)
    canvas.setStrokeAlpha(0.35)
    canvas.setStrokeColor(STAMP_RED)
    canvas.setFillColor(STAMP_RED)
    canvas.setLineWidth(2)
    canvas.rect(-width / 2, -height / 2, width, height, stroke=1, fill=0)
    canvas.setFont(f"{FAMILY}-Bold", 30)
    canvas.drawCentredString(0, -11, label)
    canvas.restoreState()


# --- body ----------------------------------------------------------------------------------


def _symbols(receipt: dict[str, Any]) -> str:
    return (
        f"Mẫu số: {_plain(receipt.get('template_symbol'))} Ký hiệu: {_plain(receipt.get('series'))}"
        f" Số: {_plain(receipt.get('number'))}"
    )


def _table(
    rows: list[list[Any]],
    widths: list[float],
    *,
    pad_x: float = 0.0,
    pad_y: float = 0.0,
    extra: list[tuple[Any, ...]] | None = None,
    **options: Any,
) -> Table:
    """A table of the receipt: cells aligned at the top, in the bundled serif (a plain string
    cell would otherwise be set in Helvetica), with the given padding."""
    table = Table(rows, colWidths=widths, **options)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FAMILY),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), pad_x),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad_x),
                ("TOPPADDING", (0, 0), (-1, -1), pad_y),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad_y),
                *(extra or []),
            ]
        )
    )
    return table


def _header_table(context: dict[str, Any]) -> Table:
    styles = _styles()
    agency = context.get("agency") or {}
    receipt = context.get("receipt") or {}
    body = styles["body"]
    left = [
        Paragraph(f"<b>{_text(_plain(agency.get('name')).upper())}</b>", body),
        Paragraph(f"Mã số thuế: <b>{_text(agency.get('tax_code'))}</b>", body),
        Paragraph(f"Địa chỉ: {_text(agency.get('address'))}", body),
    ]
    right = [
        Paragraph(f"Mẫu số: <b>{_text(receipt.get('template_symbol'))}</b>", body),
        Paragraph(f"Ký hiệu: <b>{_text(receipt.get('series'))}</b>", body),
        Paragraph(
            f'Số: <font name="{FAMILY}-Bold" size="11" color="#b00000">'
            f"{_text(receipt.get('number'))}</font>",
            body,
        ),
    ]
    return _table(
        [[left, right]],
        [CONTENT_WIDTH * 0.68, CONTENT_WIDTH * 0.32],
        extra=[("RIGHTPADDING", (0, 0), (0, 0), 4 * MM)],
    )


def _fields_table(receipt: dict[str, Any]) -> Table:
    body = _styles()["body"]
    dossier = _text(receipt.get("dossier_code"))
    if receipt.get("procedure_name"):
        dossier += f" ({_text(receipt.get('procedure_name'))})"
    rows = [
        ("Tên người nộp tiền:", f"<b>{_text(receipt.get('payer_name'))}</b>"),
        ("Địa chỉ:", _text(receipt.get("payer_address"))),
        ("Số định danh cá nhân:", _text(receipt.get("payer_id_number"))),
        ("Mã hồ sơ:", dossier),
    ]
    if receipt.get("payer_tax_code"):
        rows.insert(2, ("Mã số thuế:", _text(receipt.get("payer_tax_code"))))
    return _table(
        [[Paragraph(label, body), Paragraph(value, body)] for label, value in rows],
        [42 * MM, CONTENT_WIDTH - 42 * MM],
        pad_y=0.2 * MM,
    )


def _items_table(receipt: dict[str, Any]) -> Table:
    styles = _styles()
    body, right, center = styles["body"], styles["right"], styles["center"]
    money = forms._money
    rows: list[list[Any]] = [
        [
            Paragraph("<b>STT</b>", center),
            Paragraph("<b>Tên loại phí, lệ phí</b>", center),
            Paragraph("<b>Số tiền</b>", center),
        ]
    ]
    for index, item in enumerate(receipt.get("fees") or [], start=1):
        rows.append(
            [
                Paragraph(str(index), center),
                Paragraph(_text(item.get("name")), body),
                Paragraph(_text(money(item.get("amount"))), right),
            ]
        )
    rows.append(
        [
            "",
            Paragraph("<b>Tổng cộng</b>", body),
            Paragraph(f"<b>{_text(money(receipt.get('amount')))}</b>", right),
        ]
    )
    return _table(
        rows,
        [11 * MM, CONTENT_WIDTH - 49 * MM, 38 * MM],
        pad_x=1.5 * MM,
        pad_y=0.6 * MM,
        extra=[("GRID", (0, 0), (-1, -1), 0.6, black)],
        repeatRows=1,  # the header row again on a second page
        spaceAfter=1.5 * MM,
    )


def _notes(receipt: dict[str, Any]) -> list[Flowable]:
    styles = _styles()
    para, note = styles["para"], styles["note"]
    out: list[Flowable] = [
        Paragraph(
            f"Số tiền bằng chữ: <b><i>{_text(receipt.get('amount_in_words'))}.</i></b>", para
        ),
        Paragraph(f"Hình thức thanh toán: {_text(receipt.get('payment_method_label'))}", para),
    ]
    replaces = receipt.get("replaces")
    if replaces:
        text = (
            f"Biên lai này thay thế biên lai mẫu số {_text(replaces.get('template_symbol'))},"
            f" ký hiệu {_text(replaces.get('series'))}, số {_text(replaces.get('number'))}"
            f" lập {_text(forms._date(replaces.get('issued_at')))}"
        )
        if receipt.get("replace_reason"):
            text += f". Lý do: {_text(receipt.get('replace_reason'))}"
        out.append(Paragraph(text + ".", note))
    status = receipt.get("status")
    when = _text(forms._datetime(receipt.get("cancelled_at")))
    reason = _text(receipt.get("cancel_reason"))
    if status == "cancelled":
        out.append(Paragraph(f"<b>Biên lai đã bị hủy {when}. Lý do: {reason}</b>", note))
    elif status == "replaced":
        text = f"Biên lai đã bị thay thế {when}"
        by = receipt.get("replaced_by")
        if by:
            text += f" bởi biên lai ký hiệu {_text(by.get('series'))}, số {_text(by.get('number'))}"
        out.append(Paragraph(f"<b>{text}. Lý do: {reason}</b>", note))
    return out


def _story(context: dict[str, Any]) -> list[Flowable]:
    styles = _styles()
    receipt = context.get("receipt") or {}
    return [
        _header_table(context),
        Paragraph(
            _text(receipt.get("receipt_name") or "Biên lai thu phí, lệ phí").upper(),
            styles["title"],
        ),
        Paragraph("(Bản thể hiện của biên lai điện tử)", styles["subtitle"]),
        _fields_table(receipt),
        Spacer(0, 1.5 * MM),
        _items_table(receipt),
        *_notes(receipt),
    ]


# --- rendering -----------------------------------------------------------------------------


def render_receipt(context: dict[str, Any]) -> RenderedReceipt:
    """The receipt as PDF bytes and its number of pages, drawn in a renderer process
    (``app.documents.renderer``); blocks the calling thread."""
    return renderer.run(render_receipt_here, context)


def render_receipt_here(context: dict[str, Any]) -> RenderedReceipt:
    """``render_receipt`` in this process."""
    _fonts()
    receipt = context.get("receipt") or {}
    doc = context.get("doc") or {}
    agency = context.get("agency") or {}
    signature = context.get("signature")
    buffer = io.BytesIO()

    def first_page(canvas: Canvas, _doc: Any) -> None:
        _footer(canvas, context)
        if signature:
            _signature_stamp(canvas, signature)
        _void_stamp(canvas, str(receipt.get("status") or ""))

    def later_page(canvas: Canvas, _doc: Any) -> None:
        _footer(canvas, context)

    template = BaseDocTemplate(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        leftMargin=MARGIN_SIDE,
        rightMargin=MARGIN_SIDE,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=_plain(doc.get("title")),
        author=_plain(agency.get("name")),
        creator="Một cửa",
        producer="Một cửa",
        subject="Biên lai thu phí, lệ phí",
        initialFontName=FAMILY,
        pageCompression=1,
    )
    frame = Frame(
        MARGIN_SIDE,
        MARGIN_BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    template.addPageTemplates(
        [
            PageTemplate(id="first", frames=[frame], onPage=first_page, autoNextPageTemplate=1),
            PageTemplate(id="later", frames=[frame], onPage=later_page),
        ]
    )
    header = _symbols(receipt)

    def make_canvas(*args: Any, **kwargs: Any) -> _PagedCanvas:
        return _PagedCanvas(*args, header=header, **kwargs)

    with _LOCK:
        template.build(_story(context), canvasmaker=make_canvas)
    return RenderedReceipt(pdf=buffer.getvalue(), pages=template.page)


def render_pdf(context: dict[str, Any]) -> bytes:
    return render_receipt(context).pdf


def signing_moment(moment: datetime) -> str:
    """How the signature box shows the time of signing."""
    return moment.strftime("%H:%M:%S %d/%m/%Y")
