"""How much a dossier owes (SPEC §6): the fee items of its procedure version applied to what
the applicant declared.

A fee item is flat, or per unit of a declared number field (``quantity_field``: copies, pages,
cases), with optional ``tiers`` (the unit price from a unit on), an optional ``cap`` (the most
one multiplier unit pays) and an optional ``multiplier_field`` (e.g. the number of copies)
that multiplies the capped amount. Certifying copies (2.000815): 2.000 ₫ a page for pages
1–2, 1.000 ₫ from page 3, at most 200.000 ₫ a copy, times the copies — 5 pages × 2 copies is
(2 × 2.000 + 3 × 1.000) × 2 = 14.000 ₫.

Pure functions: no session, no clock. ``payments.service`` freezes the result on the dossier.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from app.errors import InvalidInput
from app.formatting import format_money, format_number
from app.i18n_markers import N_

MAX_QUANTITY = 100_000
MAX_AMOUNT = 2_000_000_000  # what one dossier may owe (the amount columns are 32-bit)
EXAMPLE_QUANTITY = 5
EXAMPLE_MULTIPLIER = 2

MISSING = N_("Vui lòng nhập số lượng để tính phí, lệ phí.")
NOT_INTEGER = N_("Số lượng dùng để tính phí, lệ phí phải là số nguyên.")
NOT_POSITIVE = N_("Số lượng dùng để tính phí, lệ phí phải lớn hơn 0.")
TOO_LARGE = N_("Số lượng dùng để tính phí, lệ phí quá lớn.")
INCOMPLETE = N_("Hồ sơ chưa đầy đủ, vui lòng kiểm tra các mục được đánh dấu.")


@dataclass(frozen=True)
class Tier:
    start: int  # the first unit this price applies to
    amount: int  # VND per unit


@dataclass(frozen=True)
class FeeRule:
    """A fee item as the calculation sees it (from a ``FeeItem`` row or a designer payload)."""

    name: str
    amount: int
    unit: str = ""
    channel: str | None = None
    quantity_field: str | None = None
    tiers: tuple[Tier, ...] = ()
    cap: int | None = None
    multiplier_field: str | None = None
    multiplier_unit: str = ""

    @classmethod
    def of(cls, item: Any) -> FeeRule:
        """The rule of anything with a fee item's attributes (a row, a pydantic model)."""
        return cls(
            name=str(item.name),
            amount=int(item.amount),
            unit=str(item.unit or ""),
            channel=item.channel or None,
            quantity_field=item.quantity_field or None,
            tiers=tuple(_tier(t) for t in (item.tiers or [])),
            cap=None if item.cap is None else int(item.cap),
            multiplier_field=item.multiplier_field or None,
            multiplier_unit=str(getattr(item, "multiplier_unit", "") or ""),
        )

    def applies_to(self, channel: str) -> bool:
        return self.channel in (None, channel)

    def fields(self) -> list[str]:
        """The declared fields this rule reads."""
        return [f for f in (self.quantity_field, self.multiplier_field) if f]


def _tier(value: Any) -> Tier:
    if isinstance(value, Mapping):
        return Tier(int(value["from"]), int(value["amount"]))
    return Tier(int(value.from_), int(value.amount))


def rules_of(items: Iterable[Any]) -> list[FeeRule]:
    return [FeeRule.of(i) for i in items]


# --- the arithmetic --------------------------------------------------------------------------


def unit_price(rule: FeeRule, unit: int) -> int:
    """The price of the ``unit``-th unit (1-based): the last tier starting at or before it."""
    price = rule.amount
    for tier in rule.tiers:
        if tier.start <= unit:
            price = tier.amount
    return price


def _bands(rule: FeeRule, quantity: int) -> list[tuple[int, int]]:
    """``quantity`` units split by price: [(units, unit price), ...] in order."""
    starts = sorted({1, *(t.start for t in rule.tiers if 1 < t.start <= quantity)})
    bands = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else quantity
        bands.append((end - start + 1, unit_price(rule, start)))
    return bands


def line(rule: FeeRule, quantity: int | None, multiplier: int | None) -> dict[str, Any]:
    """One frozen fee line: the amount of ``rule`` for these quantities and how it was got."""
    q = quantity if rule.quantity_field else None
    m = multiplier if rule.multiplier_field else None
    bands = _bands(rule, q) if q is not None else [(1, rule.amount)]
    per_unit = sum(count * price for count, price in bands)
    capped = rule.cap is not None and per_unit > rule.cap
    each = min(per_unit, rule.cap) if rule.cap is not None else per_unit
    amount = each * (m if m is not None else 1)
    return {
        "name": rule.name,
        "unit": rule.unit,
        "unit_price": rule.amount,
        "tiers": [{"from": t.start, "amount": t.amount} for t in rule.tiers],
        "cap": rule.cap,
        "quantity": q,
        "multiplier": m,
        "multiplier_unit": rule.multiplier_unit,
        "amount": amount,
        "quantity_text": _quantity_text(rule, q, m),
        "explanation": _explanation(rule, q, m, bands, per_unit, capped, amount),
    }


def _count(n: int, unit: str) -> str:
    return f"{format_number(n)} {unit}".strip()


def _quantity_text(rule: FeeRule, q: int | None, m: int | None) -> str:
    """``5 trang × 2 bản``; empty for a flat fee."""
    parts = []
    if q is not None:
        parts.append(_count(q, rule.unit))
    if m is not None:
        parts.append(_count(m, rule.multiplier_unit))
    return " × ".join(parts)


def _explanation(
    rule: FeeRule,
    q: int | None,
    m: int | None,
    bands: Sequence[tuple[int, int]],
    per_unit: int,
    capped: bool,
    amount: int,
) -> str:
    """How the amount was reached, in the words of the documents (Vietnamese, frozen)."""
    if q is None and m is None:
        return ""
    if q is not None:
        terms = [f"{_count(n, rule.unit)} × {format_money(price)}" for n, price in bands]
        each = " + ".join(terms)
        if len(terms) > 1 or capped:
            each = f"{each} = {format_money(per_unit)}"
        if capped:
            each = f"{each}, tối đa {format_money(rule.cap or 0)}"
    else:
        each = format_money(rule.amount)
    if m is None:
        return f"{each} = {format_money(amount)}"
    return f"({each}) × {_count(m, rule.multiplier_unit)} = {format_money(amount)}"


# --- the declared quantities -----------------------------------------------------------------


def parse_quantity(value: Any) -> tuple[int | None, str | None]:
    """(the quantity, None) or (None, the msgid of what is wrong with it)."""
    if value is None or isinstance(value, bool):
        return None, MISSING
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None, NOT_INTEGER
        number = int(value)
    else:
        text = str(value).strip()
        if not text:
            return None, MISSING
        if not re.fullmatch(r"[+-]?\d+", text):
            return None, NOT_INTEGER
        number = int(text)
    if number <= 0:
        return None, NOT_POSITIVE
    if number > MAX_QUANTITY:
        return None, TOO_LARGE
    return number, None


def quantity_errors(
    rules: Iterable[FeeRule], form_data: Mapping[str, Any], channel: str
) -> dict[str, str]:
    """The declared fields the fees need that are missing or not a whole number above 0,
    each with its message (msgid), keyed by field name."""
    errors: dict[str, str] = {}
    for rule in rules:
        if not rule.applies_to(channel):
            continue
        for name in rule.fields():
            _, problem = parse_quantity(form_data.get(name))
            if problem is not None:
                errors.setdefault(name, problem)
    return errors


@dataclass(frozen=True)
class Fees:
    amount: int
    lines: list[dict[str, Any]]


def compute(rules: Iterable[FeeRule], form_data: Mapping[str, Any], channel: str) -> Fees:
    """The fees of the rules that apply to ``channel`` for the declared data; a missing or
    invalid quantity raises ``InvalidInput`` naming its field."""
    applicable = [r for r in rules if r.applies_to(channel)]
    errors = quantity_errors(applicable, form_data, channel)
    if errors:
        raise InvalidInput(INCOMPLETE, fields=errors)
    lines = []
    for rule in applicable:
        q = parse_quantity(form_data.get(rule.quantity_field))[0] if rule.quantity_field else None
        m = (
            parse_quantity(form_data.get(rule.multiplier_field))[0]
            if rule.multiplier_field
            else None
        )
        lines.append(line(rule, q, m))
        if sum(int(li["amount"]) for li in lines) > MAX_AMOUNT:
            raise InvalidInput(INCOMPLETE, fields={name: TOO_LARGE for name in rule.fields()})
    return Fees(sum(int(li["amount"]) for li in lines), lines)


def example(rule: FeeRule) -> dict[str, Any] | None:
    """The line of a worked example (5 units × 2) for the designer; None for a flat fee."""
    if not rule.quantity_field and not rule.multiplier_field:
        return None
    return line(rule, EXAMPLE_QUANTITY, EXAMPLE_MULTIPLIER)


# --- a rule against its form -----------------------------------------------------------------

NOT_A_NUMBER_FIELD = N_("Trường số lượng phải là một trường kiểu Số của biểu mẫu.")
SAME_FIELDS = N_("Trường nhân phải khác trường số lượng.")
TIERS_NEED_QUANTITY = N_("Bậc giá và mức tối đa chỉ dùng khi phí tính theo số lượng.")
TIERS_ORDER = N_(
    "Các bậc giá phải bắt đầu từ 1 và tăng dần (mỗi dòng: từ đơn vị thứ, đơn giá), "
    "đơn giá không âm."
)
TIERS_FIRST = N_("Mức thu phải bằng đơn giá của bậc đầu tiên (từ 1).")
CAP_NEGATIVE = N_("Mức tối đa là số tiền (đồng) không âm.")


def rule_problems(rule: FeeRule, form_fields: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """What is wrong with a fee rule for this form: [(fee attribute, msgid), ...]."""
    numbers = {f.get("name") for f in form_fields if f.get("type") == "number"}
    problems: list[tuple[str, str]] = []
    for attr in ("quantity_field", "multiplier_field"):
        name = getattr(rule, attr)
        if name and name not in numbers:
            problems.append((attr, NOT_A_NUMBER_FIELD))
    if rule.multiplier_field and rule.multiplier_field == rule.quantity_field:
        problems.append(("multiplier_field", SAME_FIELDS))
    if (rule.tiers or rule.cap is not None) and not rule.quantity_field:
        problems.append(("tiers" if rule.tiers else "cap", TIERS_NEED_QUANTITY))
    if rule.tiers:
        starts = [t.start for t in rule.tiers]
        if (
            starts[0] != 1
            or any(b <= a for a, b in pairwise(starts))
            or any(t.amount < 0 for t in rule.tiers)
        ):
            problems.append(("tiers", TIERS_ORDER))
        elif rule.tiers[0].amount != rule.amount:
            problems.append(("amount", TIERS_FIRST))
    if rule.cap is not None and rule.cap < 0:
        problems.append(("cap", CAP_NEGATIVE))
    return problems


def tiers_text(tiers: Iterable[Any]) -> str:
    """Tiers as the designer's text box shows them: one ``from: amount`` a line."""
    return "\n".join(f"{t.start}: {t.amount}" for t in (_tier(x) for x in tiers))


def parse_tiers(text: str) -> list[dict[str, Any]] | None:
    """The designer's text box back into tiers; None when a line cannot be read."""
    tiers: list[dict[str, Any]] = []
    for raw in text.splitlines():
        row = raw.strip()
        if not row:
            continue
        match = re.fullmatch(r"(\d+)\s*[:;=]\s*([\d .,]+)\s*(₫|đ|đồng)?", row)
        if match is None:
            return None
        amount = re.sub(r"[ .,]", "", match.group(2))
        if not amount:
            return None
        tiers.append({"from": int(match.group(1)), "amount": int(amount)})
    return tiers
