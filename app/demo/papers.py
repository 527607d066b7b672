"""Stand-ins for scanned papers, photos and results in the demo history: small real files,
made once per title."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw
from reportlab.pdfgen.canvas import Canvas

_PAPERS: dict[str, bytes] = {}


def paper(title: str) -> bytes:
    """A one-page PDF standing for a scanned paper or a result (made once per title)."""
    key = title
    if key not in _PAPERS:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=(595, 842), invariant=True)
        canvas.setFont("Helvetica", 14)
        canvas.drawString(72, 760, "Mot cua - du lieu minh hoa (demo)")
        canvas.drawString(72, 730, title[:80])
        canvas.showPage()
        canvas.save()
        _PAPERS[key] = buffer.getvalue()
    return _PAPERS[key]


def photo(title: str) -> bytes:
    """A small JPEG standing for a photo (made once per title)."""
    key = "jpg:" + title
    if key not in _PAPERS:
        buffer = io.BytesIO()
        image = Image.new("RGB", (300, 400), (236, 240, 244))
        ImageDraw.Draw(image).text(
            (20, 20), f"Anh minh hoa (demo)\n{title[:30]}", fill=(40, 40, 40)
        )
        image.save(buffer, "JPEG", quality=70)
        _PAPERS[key] = buffer.getvalue()
    return _PAPERS[key]
