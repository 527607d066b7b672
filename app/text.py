"""Vietnamese-aware text helpers."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower-case, accent-free form used for search: "Đăng ký" → "dang ky"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", stripped).strip().lower()


def search_terms(query: str) -> list[str]:
    """Folded words of a query, without characters that would act as LIKE wildcards."""
    return [w for w in re.split(r"[^\w.]+", fold(query)) if w][:8]
