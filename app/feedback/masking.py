"""The reviewed rule that takes personal data out of feedback before it is published.

What it masks: the sender's name (whole, and written in capitals), e-mail addresses, phone
numbers (Vietnamese mobiles and landlines, with spaces, dots or dashes, ``+84`` or ``0``),
numbers of 9 to 12 digits (ID cards, citizen IDs, social insurance), and the house-number part
of an address ("số 12", "số nhà 5/3", "ngõ 34", "ngách 2", "hẻm 7", "kiệt 9", "tổ 5", "thôn
Đông", "ấp 3"). The officer reads the result before approving and may change it; the public
page shows only that reviewed wording (docs/decisions/0032-feedback.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable

NAME = "[họ tên]"
PHONE = "[số điện thoại]"
EMAIL = "[email]"
ID_NUMBER = "[số giấy tờ]"
ADDRESS = "[địa chỉ]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# +84 or 0, then 9–10 digits, in groups split by spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\w])(?:\+84|0)(?:[\s.\-]?\d){8,10}(?![\w])")
_ID = re.compile(r"(?<!\d)\d{9,12}(?!\d)")
_ADDRESS = re.compile(
    r"(?i)\b(?:số nhà|số|nhà số|ngõ|ngách|hẻm|kiệt|tổ|thôn|ấp|xóm)\s+"
    r"\d+[\w/\-]*(?:\s*,?\s*(?:ngõ|ngách|hẻm|kiệt)\s+\d+[\w/\-]*)*"
)


def mask(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with personal data replaced by bracketed labels."""
    out = _EMAIL.sub(EMAIL, text or "")
    out = _PHONE.sub(PHONE, out)
    out = _ID.sub(ID_NUMBER, out)
    out = _ADDRESS.sub(ADDRESS, out)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 3}, key=len)[::-1]:
        out = re.sub(r"(?i)(?<!\w)" + re.escape(name) + r"(?!\w)", NAME, out)
    return out
