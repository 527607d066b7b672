"""Make the fonts that receipts are drawn with (``app/static/fonts/pdf/``) from the bundled
DejaVu Serif (``app/static/fonts/``).

    python tools/make_pdf_fonts.py          # (re)write the four files
    python tools/make_pdf_fonts.py --check  # exit 1 if a file differs from what it would write

Same glyphs and metrics as the originals, every character kept; what goes is what a PDF of a
receipt never uses and would otherwise carry in every copy: the TrueType hinting programs
(screen rasterisation at small pixel sizes), the OpenType layout tables (the drawing code
places precomposed NFC letters itself) and the long name records (licence text, URLs: the
copyright notice, family and style names stay). The result is about 30% smaller, and a
receipt's embedded subsets about half the size. The Bitstream Vera licence allows modified
fonts under a name without "Bitstream" or "Vera"; the family stays "DejaVu Serif"
(see app/static/fonts/LICENSE).
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
from pathlib import Path

from fontTools import subset, ttLib

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "app" / "static" / "fonts"
TARGET = SOURCE / "pdf"
FILES = (
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf",
)


def prepared(source: Path) -> bytes:
    font = ttLib.TTFont(str(source), recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "FFTM"]
    options.hinting = False
    options.notdef_outline = True
    options.glyph_names = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # copyright, family, style, id, full name, version
    options.name_languages = [0x409]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=font.getBestCmap().keys())
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer, reorderTables=True)
    return buffer.getvalue()


def main() -> int:
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM dropped" notices
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    TARGET.mkdir(exist_ok=True)
    stale = []
    for name in FILES:
        data = prepared(SOURCE / name)
        path = TARGET / name
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
        else:
            path.write_bytes(data)
            print(f"{path.relative_to(ROOT)}: {len(data):,} bytes")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run tools/make_pdf_fonts.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
