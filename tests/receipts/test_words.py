"""Amounts in Vietnamese words, checked against readings worked out by hand."""

from __future__ import annotations

import pytest

from app.receipts.words import amount_in_words, number_in_words

CASES = [
    (0, "Không đồng"),
    (1, "Một đồng"),
    (15, "Mười lăm đồng"),
    (21, "Hai mươi mốt đồng"),
    (105, "Một trăm linh năm đồng"),
    (2_000, "Hai nghìn đồng"),
    (10_500, "Mười nghìn năm trăm đồng"),
    (15_000, "Mười lăm nghìn đồng"),
    (25_000, "Hai mươi lăm nghìn đồng"),
    (50_000, "Năm mươi nghìn đồng"),
    (100_000, "Một trăm nghìn đồng"),
    (115_000, "Một trăm mười lăm nghìn đồng"),
    (205_000, "Hai trăm linh năm nghìn đồng"),
    (1_000_000, "Một triệu đồng"),
    (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
    (1_234_567, "Một triệu hai trăm ba mươi bốn nghìn năm trăm sáu mươi bảy đồng"),
    (2_500_000_000, "Hai tỷ năm trăm triệu đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (1_000_000_000_000, "Một nghìn tỷ đồng"),
]

# Zeros inside the number: a group after the first is read in full ("không trăm", "linh").
INNER_ZEROS = [
    (1_001, "Một nghìn không trăm linh một đồng"),
    (1_010, "Một nghìn không trăm mười đồng"),
    (1_050, "Một nghìn không trăm năm mươi đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (3_020_000, "Ba triệu không trăm hai mươi nghìn đồng"),
    (1_000_000_001, "Một tỷ không trăm linh một đồng"),
    (1_000_500_000, "Một tỷ năm trăm nghìn đồng"),
    (2_000_015_000, "Hai tỷ không trăm mười lăm nghìn đồng"),
    (1_005_000_000_000, "Một nghìn không trăm linh năm tỷ đồng"),
]


@pytest.mark.parametrize(("amount", "words"), CASES + INNER_ZEROS)
def test_amount_in_words(amount: int, words: str) -> None:
    assert amount_in_words(amount) == words


def test_no_southern_or_num2words_oddities() -> None:
    for amount in (101, 205_000, 1_050, 1_001_000, 10_010_000):
        words = amount_in_words(amount)
        assert " lẻ " not in words, words
        assert "lẻ năm mươi" not in words and "lẻ mười" not in words, words


def test_lower_case_reading_for_use_inside_a_sentence() -> None:
    assert number_in_words(205_000) == "hai trăm linh năm nghìn"
    assert number_in_words(0) == "không"


@pytest.mark.parametrize("bad", [-1, 10**18])
def test_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError):
        amount_in_words(bad)


@pytest.mark.parametrize("bad", [1.5, "100", True])
def test_only_whole_dong(bad: object) -> None:
    with pytest.raises(TypeError):
        amount_in_words(bad)  # type: ignore[arg-type]
