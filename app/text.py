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


def matched_terms(terms: list[str], text: str) -> list[str]:
    """The query terms (``search_terms``) a text holds, each as a word or a run of whole words
    ("khaisinh"); the last term may also be the start of a word, as when typing "khai sin".
    A short word inside another ("thu" in "thực") does not count."""
    words = [w for w in (loose(w.strip(".")) for w in re.split(r"[^\w.]+", fold(text))) if w]
    joined = "".join(words)
    starts: list[int] = []
    ends: set[int] = set()
    pos = 0
    for word in words:
        starts.append(pos)
        pos += len(word)
        ends.add(pos)
    found = []
    for index, term in enumerate(terms):
        partial = index == len(terms) - 1
        if any(joined.startswith(term, s) and (partial or s + len(term) in ends) for s in starts):
            found.append(term)
    return found
