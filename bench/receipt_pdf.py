"""Time a signed receipt PDF as the portal makes it: drawn with ReportLab in a renderer process
(the signature box showing who signs and when), then signed PAdES (pyHanko), on the newest
receipt of the database. Prints the median and p90 in ms of the two steps and of the whole,
and, timed in turn with them, a reference of this machine's speed: the same receipt laid out
as before ADR 0015 by plain WeasyPrint from HTML with the system's DejaVu Serif
(``bench/receipt_reference.*``), unsigned, in this process. Figures of different machines
compare as ratios to that reference.

    PORTAL_DATABASE_URL=... python bench/receipt_pdf.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from sqlalchemy import select

from app.db import get_sessionmaker
from app.documents import render as forms
from app.documents import service as document_service
from app.receipts import pdf as receipt_pdf
from app.receipts import service as receipt_service
from app.receipts import stored as receipt_stored
from app.receipts.models import Receipt
from app.wiring import wire

HERE = Path(__file__).resolve().parent
WARM_UP = 3


def main() -> None:
    wire()  # as the portal does at start-up (renderer warm-ups, receipt PDFs)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    runs = max(1, min(args.runs, 500))
    with get_sessionmaker()() as session:
        receipt = session.scalar(select(Receipt).order_by(Receipt.id.desc()).limit(1))
        if receipt is None:
            raise SystemExit("no receipt in this database: run `portal bench seed` first")
        context = receipt_service.pdf_context(
            session, receipt, document_service.verify_url("bench")
        )
        signer = receipt.collector_name or receipt.agency_name
        render_ms, sign_ms, total_ms, reference_ms = [], [], [], []
        signed = False
        plain_weasyprint = reference(context)
        for i in range(runs + WARM_UP):
            t0 = time.perf_counter()
            # A new verification address each time, as every receipt has its own QR code.
            doc = {**context["doc"], "verify_url": document_service.verify_url(f"bench{i}")}
            signature = receipt_stored._signature(session, receipt.agency_id, signer)
            rendered = receipt_pdf.render_receipt({**context, "doc": doc, "signature": signature})
            t1 = time.perf_counter()
            if signature is not None:
                _, signed = receipt_stored._sign(
                    session, receipt.agency_id, rendered.pdf, signer_name=signer
                )
            t2 = time.perf_counter()
            plain_weasyprint()  # interleaved, so both see the same machine
            t3 = time.perf_counter()
            if i >= WARM_UP:
                render_ms.append((t1 - t0) * 1000)
                sign_ms.append((t2 - t1) * 1000)
                total_ms.append((t2 - t0) * 1000)
                reference_ms.append((t3 - t2) * 1000)
    if not signed:
        print("warning: the agency has no usable certificate, the receipts were not signed")
    rows = (("render", render_ms), ("sign", sign_ms), ("total", total_ms))
    for name, data in (*rows, ("reference (plain WeasyPrint, unsigned)", reference_ms)):
        data.sort()
        print(
            f"{name:<7} median {statistics.median(data):6.1f} ms   "
            f"p90 {data[int(len(data) * 0.9)]:6.1f} ms"
        )
    ratio = statistics.median(total_ms) / statistics.median(reference_ms)
    print(f"signed receipt / reference: {ratio:.2f}")
    from weasyprint.text import ffi

    subsetter = "HarfBuzz" if ffi.harfbuzz_subset is not None else "fontTools (slower)"
    print(f"(the reference's fonts were subset by {subsetter})")


def reference(context: dict[str, Any]) -> Callable[[], object]:
    """The receipt's former HTML laid out by WeasyPrint with the system's DejaVu Serif, found
    by fontconfig like any system font: what a plain WeasyPrint setup costs on this machine."""
    from weasyprint import CSS, HTML

    env = Environment(loader=FileSystemLoader(HERE), autoescape=True)
    env.filters.update(forms._environment().filters)
    env.globals.update(forms._environment().globals)
    html = env.get_template("receipt_reference.html").render(context)
    css = CSS(string=(HERE / "receipt_reference.css").read_text(encoding="utf-8"))
    return lambda: HTML(string=html).write_pdf(stylesheets=[css])


if __name__ == "__main__":
    main()
