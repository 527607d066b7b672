"""Time a signed receipt PDF: render (WeasyPrint, bundled font) + PAdES signature (pyHanko),
on an existing receipt of the database, as the portal makes it (layout in a renderer
process). Prints the median and p90 in ms, and the same receipt laid out in this process by
plain WeasyPrint with the system's DejaVu Serif found by fontconfig: a reference of this
machine's speed, so figures of different machines can be compared as ratios.

    PORTAL_DATABASE_URL=... python bench/receipt_pdf.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import select

from app.db import get_sessionmaker
from app.documents import render as forms
from app.documents import service as document_service
from app.receipts import pdf as receipt_pdf
from app.receipts import service as receipt_service
from app.receipts.models import Receipt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with get_sessionmaker()() as session:
        receipt = session.scalar(select(Receipt).order_by(Receipt.id.desc()).limit(1))
        if receipt is None:
            raise SystemExit("no receipt in this database: run `portal bench seed` first")
        context = receipt_service.pdf_context(
            session, receipt, document_service.verify_url("bench")
        )
        render_ms, sign_ms, total_ms = [], [], []
        for i in range(min(args.runs, 500) + 3):
            t0 = time.perf_counter()
            rendered = receipt_pdf.render_receipt(context)
            t1 = time.perf_counter()
            receipt_service._sign(session, receipt.agency_id, rendered.pdf)
            t2 = time.perf_counter()
            if i >= 3:  # the first renders warm caches up
                render_ms.append((t1 - t0) * 1000)
                sign_ms.append((t2 - t1) * 1000)
                total_ms.append((t2 - t0) * 1000)
        reference_ms = reference(context, min(args.runs, 500))
    rows = (("render", render_ms), ("sign", sign_ms), ("total", total_ms))
    for name, data in (*rows, ("system font, unsigned (reference)", reference_ms)):
        data.sort()
        print(
            f"{name:<7} median {statistics.median(data):6.1f} ms   "
            f"p90 {data[int(len(data) * 0.9)]:6.1f} ms"
        )
    ratio = statistics.median(total_ms) / statistics.median(reference_ms)
    print(f"signed receipt / reference: {ratio:.2f}")


def reference(context: dict[str, object], runs: int) -> list[float]:
    """The receipt's HTML laid out by WeasyPrint with the system's DejaVu Serif, found by
    fontconfig like any system font: what a plain WeasyPrint setup costs on this machine."""
    from weasyprint import CSS, HTML

    css = CSS(string=receipt_pdf._CSS.replace(forms.FONT_FAMILY, "DejaVu Serif"))
    html = receipt_pdf.render_html(context)
    out = []
    for i in range(runs + 3):
        t0 = time.perf_counter()
        HTML(string=html).write_pdf(stylesheets=[css])
        if i >= 3:
            out.append((time.perf_counter() - t0) * 1000)
    return out


if __name__ == "__main__":
    main()
