"""The fonts receipts are drawn with are the bundled DejaVu Serif, minus what a PDF never uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from app.documents import render as forms
from app.receipts import pdf as receipt_pdf

ROOT = Path(__file__).resolve().parent.parent.parent


def test_committed_fonts_are_what_the_tool_makes() -> None:
    result = subprocess.run(
        [sys.executable, "tools/make_pdf_fonts.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("face", [file for _, file in receipt_pdf._FACES])
def test_every_character_and_width_is_kept(face: str) -> None:
    original = TTFont(str(forms.FONT_DIR / face))
    prepared = TTFont(str(receipt_pdf.FONT_DIR / face))
    cmap, kept = original.getBestCmap(), prepared.getBestCmap()
    assert kept.keys() == cmap.keys()
    widths, new_widths = original["hmtx"].metrics, prepared["hmtx"].metrics
    for char in (ord("A"), ord("ế"), ord("Ư"), ord("đ"), ord("€"), ord("Ж")):
        assert new_widths[kept[char]][0] == widths[cmap[char]][0]
    assert prepared["head"].unitsPerEm == original["head"].unitsPerEm
    for table in ("fpgm", "prep", "cvt ", "GSUB", "GPOS"):
        assert table not in prepared
    assert prepared["name"].getDebugName(1) == original["name"].getDebugName(1)  # DejaVu Serif
    assert "Bitstream" in str(prepared["name"].getDebugName(0))  # the copyright notice stays
