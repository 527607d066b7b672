"""Message catalogues (Babel/gettext): Vietnamese source strings, other languages from .po files."""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_DIR = Path(__file__).parent / "locales"
LOCALE_COOKIE = "lang"


@lru_cache
def translations(locale: str) -> gettext.NullTranslations:
    """Compile the locale's .po in memory; Vietnamese is the source language."""
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def normalize_locale(value: str | None) -> str:
    return value if value in LOCALES else DEFAULT_LOCALE
