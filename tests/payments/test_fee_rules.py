"""The fee calculation (app/payments/fees.py): flat fees, fees per copy, page or case, tiers,
the cap per copy, the multiplier, the channel, and what is wrong with a declared quantity or
a rule."""

from __future__ import annotations

from typing import Any

import pytest

from app.errors import InvalidInput
from app.payments import fees
from app.payments.fees import FeeRule, Tier

COPY_CERTIFICATION = FeeRule(
    name="Phí chứng thực bản sao từ bản chính",
    amount=2_000,
    unit="trang",
    quantity_field="page_count",
    tiers=(Tier(1, 2_000), Tier(3, 1_000)),
    cap=200_000,
    multiplier_field="copies",
    multiplier_unit="bản",
)
CIVIL_COPY = FeeRule(
    name="Phí cấp bản sao trích lục hộ tịch", amount=8_000, unit="bản", quantity_field="copies"
)
NUMBER_FIELDS = [
    {"name": "page_count", "label": "Số trang của mỗi bản", "type": "number"},
    {"name": "copies", "label": "Số bản", "type": "number"},
    {"name": "document_title", "label": "Tên giấy tờ", "type": "text"},
]


def test_copy_certification_five_pages_two_copies_is_14_000() -> None:
    result = fees.compute([COPY_CERTIFICATION], {"page_count": "5", "copies": "2"}, "counter")
    assert result.amount == (2 * 2_000 + 3 * 1_000) * 2 == 14_000
    (line,) = result.lines
    assert line["quantity_text"] == "5 trang × 2 bản"
    assert line["explanation"] == (
        "(2 trang × 2.000 ₫ + 3 trang × 1.000 ₫ = 7.000 ₫) × 2 bản = 14.000 ₫"
    )
    assert (line["quantity"], line["multiplier"], line["amount"]) == (5, 2, 14_000)


def test_civil_copy_eight_thousand_a_copy_times_three() -> None:
    result = fees.compute([CIVIL_COPY], {"copies": 3}, "online")
    assert result.amount == 24_000
    assert result.lines[0]["explanation"] == "3 bản × 8.000 ₫ = 24.000 ₫"


@pytest.mark.parametrize(
    ("pages", "copies", "expected"),
    [
        (1, 1, 2_000),
        (2, 1, 4_000),
        (3, 1, 5_000),
        # 2 × 2.000 + 196 × 1.000 = 200.000: exactly the cap.
        (198, 1, 200_000),
        # 2 × 2.000 + 248 × 1.000 = 252.000, capped at 200.000 a copy, × 3 copies.
        (250, 3, 600_000),
    ],
)
def test_tiers_and_cap_per_copy(pages: int, copies: int, expected: int) -> None:
    result = fees.compute([COPY_CERTIFICATION], {"page_count": pages, "copies": copies}, "online")
    assert result.amount == expected


def test_the_cap_is_shown_in_the_explanation() -> None:
    (line,) = fees.compute([COPY_CERTIFICATION], {"page_count": 250, "copies": 3}, "online").lines
    assert "252.000 ₫, tối đa 200.000 ₫" in line["explanation"]
    assert line["explanation"].endswith("× 3 bản = 600.000 ₫")


def test_a_free_tier_then_a_surcharge() -> None:
    # Criminal record: 200.000 ₫ a request for up to 2 certificates, 5.000 ₫ from the 3rd.
    record = FeeRule(
        name="Phí lý lịch tư pháp",
        amount=200_000,
        unit="phiếu",
        quantity_field="copies",
        tiers=(Tier(1, 200_000), Tier(2, 0), Tier(3, 5_000)),
    )
    assert [fees.compute([record], {"copies": n}, "online").amount for n in (1, 2, 4)] == [
        200_000,
        200_000,
        210_000,
    ]


def test_flat_fees_follow_the_channel() -> None:
    counter = FeeRule(name="Lệ phí (trực tiếp)", amount=20_000, channel="counter")
    online = FeeRule(name="Lệ phí (trực tuyến)", amount=10_000, channel="online")
    assert fees.compute([counter, online], {}, "online").amount == 10_000
    result = fees.compute([counter, online], {}, "counter")
    assert result.amount == 20_000 and result.lines[0]["explanation"] == ""
    # A quantity only a fee of the other channel reads is not asked for.
    per_copy_online = FeeRule(name="x", amount=1_000, quantity_field="copies", channel="online")
    assert fees.quantity_errors([per_copy_online], {}, "counter") == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "Vui lòng nhập số lượng để tính phí, lệ phí."),
        ("", "Vui lòng nhập số lượng để tính phí, lệ phí."),
        ("0", "Số lượng dùng để tính phí, lệ phí phải lớn hơn 0."),
        ("-2", "Số lượng dùng để tính phí, lệ phí phải lớn hơn 0."),
        ("2,5", "Số lượng dùng để tính phí, lệ phí phải là số nguyên."),
        (2.5, "Số lượng dùng để tính phí, lệ phí phải là số nguyên."),
        ("hai", "Số lượng dùng để tính phí, lệ phí phải là số nguyên."),
        (True, "Vui lòng nhập số lượng để tính phí, lệ phí."),
        ("1000001", "Số lượng dùng để tính phí, lệ phí quá lớn."),
    ],
)
def test_a_bad_quantity_is_refused_naming_its_field(value: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        fees.compute([COPY_CERTIFICATION], {"page_count": value, "copies": "2"}, "online")
    assert refused.value.fields == {"page_count": message}


def test_rules_checked_against_the_form() -> None:
    assert fees.rule_problems(COPY_CERTIFICATION, NUMBER_FIELDS) == []

    def problems(**change: Any) -> list[tuple[str, str]]:
        rule = FeeRule(**{**COPY_CERTIFICATION.__dict__, **change})
        return fees.rule_problems(rule, NUMBER_FIELDS)

    assert problems(quantity_field="document_title") == [
        ("quantity_field", "Trường số lượng phải là một trường kiểu Số của biểu mẫu.")
    ]
    assert problems(multiplier_field="missing")[0][0] == "multiplier_field"
    assert problems(multiplier_field="page_count")[0] == (
        "multiplier_field",
        "Trường nhân phải khác trường số lượng.",
    )
    assert problems(tiers=(Tier(2, 2_000),))[0][0] == "tiers"
    assert problems(tiers=(Tier(1, 2_000), Tier(3, 1_000), Tier(3, 500)))[0][0] == "tiers"
    assert problems(tiers=(Tier(1, 2_000), Tier(3, -1)))[0][0] == "tiers"
    assert problems(amount=5_000) == [
        ("amount", "Mức thu phải bằng đơn giá của bậc đầu tiên (từ 1).")
    ]
    assert problems(quantity_field=None, multiplier_field=None)[0][0] == "tiers"


def test_tiers_as_the_designer_types_them() -> None:
    assert fees.parse_tiers("1: 2.000\n\n3 : 1000 đ") == [
        {"from": 1, "amount": 2_000},
        {"from": 3, "amount": 1_000},
    ]
    assert fees.parse_tiers("") == []
    assert fees.parse_tiers("từ trang 3") is None
    assert fees.tiers_text([{"from": 1, "amount": 2_000}, {"from": 3, "amount": 1_000}]) == (
        "1: 2000\n3: 1000"
    )


def test_the_designer_example() -> None:
    example = fees.example(COPY_CERTIFICATION)
    assert example is not None
    assert (example["quantity_text"], example["amount"]) == ("5 trang × 2 bản", 14_000)
    assert fees.example(FeeRule(name="Lệ phí", amount=50_000)) is None


def test_an_amount_too_large_for_one_dossier_is_refused() -> None:
    passport = FeeRule(name="Lệ phí", amount=200_000, unit="bản", quantity_field="copies")
    with pytest.raises(InvalidInput) as refused:
        fees.compute([passport], {"copies": "100000"}, "online")
    assert refused.value.fields == {"copies": "Số lượng dùng để tính phí, lệ phí quá lớn."}
