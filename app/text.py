"""Vietnamese-aware text helpers."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit


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


# --- what people type: names, declared text, identifiers -----------------------------------

# Characters a line of typed text never needs: controls, format characters (zero-width
# spaces, bidi overrides such as U+202E that would show "nimdA" for "Admin"), private-use,
# surrogates and unassigned code points (Unicode category C). Vietnamese needs none of them.
_INVISIBLE = "C"


def printable(text: str, *, keep: str = "") -> str:
    """``text`` NFC-normalised (one spelling per letter: "ễ" never as "e" plus two marks),
    without invisible characters (category C) other than those in ``keep``."""
    kept = "".join(ch for ch in text if ch in keep or unicodedata.category(ch)[0] != _INVISIBLE)
    return unicodedata.normalize("NFC", kept)


def clean_line(text: str) -> str:
    """One line of typed text as stored: ``printable``, any space or line break as a space,
    trimmed."""
    return printable("".join(" " if ch.isspace() else ch for ch in text)).strip()


def clean_name(text: str) -> str:
    """A person's name or an address as stored: ``clean_line`` with runs of spaces as one."""
    return " ".join(clean_line(text).split())


def clean_block(text: str) -> str:
    """Several lines of typed text as stored: ``printable`` keeping line breaks and tabs,
    trimmed."""
    return printable(text.replace("\r\n", "\n").replace("\r", "\n"), keep="\n\t").strip()


def letter_count(text: str) -> int:
    """How many letters (of any script) a text holds: a name needs at least two."""
    return sum(1 for ch in text if ch.isalpha())


def ascii_digits(text: str) -> str:
    """``text`` NFKC-normalised, every decimal digit of another script (fullwidth "０",
    Arabic-Indic "٠", mathematical "𝟎" …) written as its ASCII digit and invisible characters
    dropped, so that one number has one spelling ("\\d" and ``int()`` take them all)."""
    text = unicodedata.normalize("NFKC", printable(text))
    return "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text
    )


def clean_phone(text: str) -> str:
    """A phone number as typed, in ASCII digits, without spaces, dots, dashes or brackets."""
    return re.sub(r"[\s.\-()]", "", ascii_digits(text))


def clean_id_number(text: str) -> str:
    """A citizen ID (CCCD) as typed, in ASCII digits, without spaces around or inside."""
    return re.sub(r"\s", "", ascii_digits(text))


def url_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, for a Content-Security-Policy source; None
    when the URL is not one a policy may name (another scheme, an odd host, a bad port)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not re.fullmatch(r"[a-z0-9.-]+", host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")
