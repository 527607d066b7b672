"""Amounts in Vietnamese words, as receipts and invoices write them ("Một trăm nghìn đồng").

``num2words`` reads each group of three digits; the groups are joined here with the
conventions of Vietnamese financial documents, which ``num2words`` does not follow for
zeros inside a number:

- a group after the first one is read in full, with "không trăm" when its hundreds digit is
  zero: 1.005.000 → "một triệu không trăm linh năm nghìn", 1.050 → "một nghìn không trăm
  năm mươi" (``num2words`` gives "một triệu năm nghìn" and "một nghìn lẻ năm mươi");
- a zero tens digit before a units digit is read "linh" (the northern form used by the
  province's documents; the southern "lẻ" is equally correct): 205.000 → "hai trăm linh năm
  nghìn";
- groups that are all zeros are skipped: 2.500.000.000 → "hai tỷ năm trăm triệu";
- above a billion the scale words repeat: 1.000.000.000.000 → "một nghìn tỷ".
"""

from __future__ import annotations

from num2words import num2words

ZERO_TENS = "linh"  # "lẻ" in the south
CURRENCY = "đồng"
# Groups of three digits below a billion, from the lowest.
_SCALES = ("", "nghìn", "triệu")
_BILLION = 1_000_000_000
MAX_AMOUNT = 10**18 - 1  # "… triệu tỷ": far beyond any fee


def _group(value: int, leading: bool) -> str:
    """Words of 0 < ``value`` < 1000; a group after the first is read with its hundreds."""
    words = str(num2words(value, lang="vi"))
    # num2words reads a zero tens digit "lẻ" (105 → "một trăm lẻ năm").
    words = words.replace(" lẻ ", f" {ZERO_TENS} ")
    if leading or value >= 100:
        return words
    if value < 10:
        return f"không trăm {ZERO_TENS} {words}"
    return f"không trăm {words}"


def _below_billion(value: int, leading: bool) -> list[str]:
    parts: list[str] = []
    for power in (2, 1, 0):
        group = value // 1000**power % 1000
        if group:
            parts.append(_group(group, leading and not parts))
            if _SCALES[power]:
                parts.append(_SCALES[power])
    return parts


def _words(value: int, leading: bool = True) -> list[str]:
    if value >= _BILLION:
        high = _words(value // _BILLION, leading)
        return [*high, "tỷ", *_below_billion(value % _BILLION, leading=False)]
    return _below_billion(value, leading)


def number_in_words(value: int) -> str:
    """A non-negative integer in Vietnamese words, lower case ("hai trăm linh năm nghìn")."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("an amount in words needs an integer number of đồng")
    if value < 0 or value > MAX_AMOUNT:
        raise ValueError(f"amount out of range: {value}")
    if value == 0:
        return "không"
    return " ".join(_words(value))


def amount_in_words(amount: int) -> str:
    """The amount as a receipt writes it: "Một triệu hai trăm năm mươi nghìn đồng"."""
    words = f"{number_in_words(amount)} {CURRENCY}"
    return words[0].upper() + words[1:]
