"""The receipt PDF (``templates/pdf/receipt.html``), rendered with the forms' machinery.

Same Jinja environment (escaping, filters, QR code), bundled font, local-only URL fetcher,
font configuration, process-wide render lock and renderer processes as
``app.documents.render``; only the page differs: A5 landscape, with a footer at a fixed place
in the bottom margin that holds the QR code, the date and the collector's signature.

The visible digital signature goes into ``SIGNATURE_BOX`` on the first page, in PDF points
with the origin at the bottom-left corner of the page (pyHanko's convention):
x from 348.7 to 518.7 pt (123.0 to 183.0 mm from the left edge), y from 43.6 to 89.0 pt
(15.4 to 31.4 mm above the bottom edge) — a blank 60 × 16 mm box between "NGƯỜI THU TIỀN
(Ký số, ghi rõ họ tên)" and the collector's name. The footer is a running element in the
page's bottom margin, so the box does not move with the number of fee lines; every page
repeats the footer (QR code included), and a long receipt's later pages carry its symbols.
"""

from __future__ import annotations

import atexit
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from app.documents import render as forms
from app.documents import renderer

if TYPE_CHECKING:
    from weasyprint import CSS

TEMPLATE = "receipt.html"
SIGNATURE_ANCHOR = "chu-ky-nguoi-thu"
MM = 72 / 25.4  # points per millimetre
PX = 0.75  # points per CSS pixel
# Page margins and footer geometry (mm); the CSS below is built from them.
_MARGIN_TOP, _MARGIN_SIDE, _MARGIN_BOTTOM = 8.0, 9.0, 46.0
_FOOTER_HEIGHT = 41.0
_SIGN_WIDTH_MM, _SIGN_HEIGHT_MM = 60.0, 16.0
# (x1, y1, x2, y2) in points, origin bottom-left, page 0: where the layout puts the blank
# signature box (123.0-183.0 mm from the left edge, 15.4-31.4 mm above the bottom edge).
# Tests check it against the rendered layout; ``render_receipt`` reports the measured box.
SIGNATURE_BOX: tuple[float, float, float, float] = (348.7, 43.6, 518.7, 89.0)

_CSS = f"""
@page {{
  size: A5 landscape;
  margin: {_MARGIN_TOP}mm {_MARGIN_SIDE}mm {_MARGIN_BOTTOM}mm {_MARGIN_SIDE}mm;
  @top-right {{
    content: string(receipt-id) " - Trang " counter(page) "/" counter(pages);
    font-size: 7.5pt; font-style: italic; vertical-align: bottom; padding-bottom: 1mm;
  }}
  @bottom-left {{
    content: element(receipt-footer);
    width: {210 - 2 * _MARGIN_SIDE}mm;
    height: {_FOOTER_HEIGHT}mm;
    vertical-align: top;
    padding-top: 1mm;
  }}
}}
@page :first {{ @top-right {{ content: none; }} }}
html {{ font-family: "{forms.FONT_FAMILY}"; font-size: 9.5pt; line-height: 1.3; color: #000; }}
body {{ margin: 0; }}
p {{ margin: 0 0 1mm; }}
.strong {{ font-weight: bold; }}
.italic {{ font-style: italic; }}
.upper {{ text-transform: uppercase; }}
.small {{ font-size: 8.5pt; }}
.label {{ white-space: nowrap; }}
table {{ border-collapse: collapse; }}
td, th {{ padding: 0; vertical-align: top; }}
.rc-header {{ width: 100%; }}
.rc-agency {{ width: 68%; padding-right: 4mm; }}
.rc-symbols {{ width: 32%; white-space: nowrap; string-set: receipt-id content(); }}
.rc-number {{ font-weight: bold; font-size: 11pt; color: #b00000; letter-spacing: 0.3pt; }}
h1.rc-title {{
  font-size: 13pt; text-align: center; text-transform: uppercase; margin: 2mm 0 0;
}}
.rc-subtitle {{ text-align: center; font-style: italic; font-size: 8.5pt; margin-bottom: 2mm; }}
.rc-fields {{ width: 100%; margin-bottom: 1.5mm; }}
.rc-fields td {{ padding: 0.2mm 0; }}
.rc-fields td.label {{ width: 42mm; }}
.rc-items {{ width: 100%; table-layout: fixed; margin-bottom: 1.5mm; }}
.rc-items th, .rc-items td {{
  border: 0.6pt solid #000; padding: 0.6mm 1.5mm; overflow-wrap: anywhere;
}}
.rc-items th {{ text-align: center; font-weight: bold; }}
.rc-items .idx {{ width: 11mm; text-align: center; }}
.rc-items .money {{ width: 38mm; text-align: right; white-space: nowrap; }}
.rc-items tr.total td {{ font-weight: bold; }}
.rc-items thead {{ display: table-header-group; }}
.rc-items tr {{ page-break-inside: avoid; }}
.words {{ font-style: italic; font-weight: bold; }}
.note {{ font-style: italic; font-size: 8.5pt; }}
.stamp {{
  position: absolute; top: 36mm; left: 40mm; width: 110mm; text-align: center;
  font-size: 30pt; font-weight: bold; color: #c00000; opacity: 0.35;
  border: 2pt solid #c00000; transform: rotate(-12deg);
}}
.rc-footer {{ position: running(receipt-footer); width: 100%; table-layout: fixed; }}
.rc-footer td {{ height: {_FOOTER_HEIGHT}mm; }}
.rc-verify {{ width: 50%; font-size: 7.5pt; line-height: 1.25; }}
.rc-verify img {{ width: 24mm; height: 24mm; float: left; margin: 8mm 2mm 0 0; }}
.rc-verify-text {{ padding-top: 14mm; }}
.rc-verify .url {{ word-break: break-all; }}
.rc-sign {{ width: 50%; text-align: center; }}
.rc-sigbox {{
  width: {_SIGN_WIDTH_MM}mm; height: {_SIGN_HEIGHT_MM}mm; margin: 1mm auto;
}}
"""


@dataclass(frozen=True)
class RenderedReceipt:
    pdf: bytes
    pages: int
    # Where the template left room for the collector's signature (page 0, points, bottom-left).
    signature_box: tuple[float, float, float, float]


@lru_cache(maxsize=1)
def _stylesheet() -> CSS:
    from weasyprint import CSS

    font_faces = "".join(
        f'@font-face {{ font-family: "{forms.FONT_FAMILY}";'
        f' src: url("{(forms.FONT_DIR / name).as_uri()}");'
        f" font-weight: {weight}; font-style: {style}; }}\n"
        for name, weight, style in forms._FONT_FILES
    )
    return CSS(
        string=font_faces + _CSS, font_config=forms._font_config(), url_fetcher=forms._fetcher()
    )


atexit.register(_stylesheet.cache_clear)  # before the forms' font configuration goes


def render_html(context: dict[str, Any]) -> str:
    """The receipt's HTML (values escaped by the forms' environment)."""
    return forms._environment().get_template(TEMPLATE).render(context)


def render_receipt(context: dict[str, Any]) -> RenderedReceipt:
    """The receipt as PDF bytes plus the signature box found in the layout, laid out in a
    renderer process (``app.documents.renderer``); blocks the calling thread."""
    return renderer.run(render_receipt_here, context)


def render_receipt_here(context: dict[str, Any]) -> RenderedReceipt:
    """``render_receipt`` in this process."""
    from weasyprint import HTML

    html = render_html(context)
    with forms._RENDER_LOCK:
        document = HTML(
            string=html,
            base_url=forms.FONT_DIR.parent.as_uri() + "/",
            url_fetcher=forms._fetcher(),
        ).render(stylesheets=[_stylesheet()], font_config=forms._font_config())
        first = document.pages[0]
        anchor = first.anchors.get(SIGNATURE_ANCHOR)
        pdf = document.write_pdf()
    assert pdf is not None  # write_pdf returns bytes when no target is given
    height = first.height * PX
    if anchor is None:  # a template without the box: fall back to the documented place
        box = SIGNATURE_BOX
    else:
        # (x, y) of the top-left corner in CSS pixels from the page's top-left (WeasyPrint
        # before 63), or the border box (x1, y1, x2, y2) since.
        x1, y1 = anchor[0], anchor[1]
        x2, y2 = (
            (anchor[2], anchor[3])
            if len(anchor) == 4
            else (x1 + _SIGN_WIDTH_MM * MM / PX, y1 + _SIGN_HEIGHT_MM * MM / PX)
        )
        box = (
            round(x1 * PX, 1),
            round(height - y2 * PX, 1),
            round(x2 * PX, 1),
            round(height - y1 * PX, 1),
        )
    return RenderedReceipt(pdf=pdf, pages=len(document.pages), signature_box=box)


def render_pdf(context: dict[str, Any]) -> bytes:
    return render_receipt(context).pdf
