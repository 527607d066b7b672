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


def loose(text: str) -> str:
    """A folded text as search compares it: "i" and "y" are one letter (Vietnamese spells
    "ký"/"kí", "lý"/"lí" both ways) and words run together ("khaisinh")."""
    return text.replace("y", "i").replace(" ", "")


def search_terms(query: str) -> list[str]:
    """Folded words of a query, without characters that would act as LIKE wildcards, in the
    ``loose`` form."""
    return [loose(w) for w in re.split(r"[^\w.]+", fold(query)) if w][:8]
