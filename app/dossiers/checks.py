"""What declared and applicant data must hold before a dossier is submitted, and the one way it
is written: digits of other scripts as ASCII (finding M4), text NFC without invisible or bidi
characters (L4), numbers and dates within sense (L3)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.accounts.schemas import clean_phone, valid_email
from app.catalog.models import FIRST_DAY, LAST_DAY, NUMBER_LIMIT, ProcedureVersion
from app.dossiers.models import Dossier
from app.errors import InvalidInput
from app.formatting import parse_day_text
from app.i18n_markers import N_
from app.payments import fees as fee_rules
from app.text import (
    ascii_digits,
    clean_block,
    clean_id_number,
    clean_line,
    clean_name,
    letter_count,
    printable,
)

# A citizen ID (CCCD, số định danh cá nhân) has 12 digits; a Vietnamese phone number 10 digits
# from 0 (mobile and, since 2017, fixed lines). ASCII digits only: "\d" also takes other scripts'.
ID_NUMBER_DIGITS = re.compile(r"[0-9]{12}")
PHONE_DIGITS = re.compile(r"0[0-9]{9}")
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOT_A_NUMBER = N_("Số không hợp lệ hoặc quá lớn.")


def declared_text(kind: str, value: str) -> str:
    """A declared value as kept: digits of other scripts as ASCII in numbers, phones and CCCD
    numbers (finding M4), text NFC without invisible or bidi characters (finding L4)."""
    if kind == "id_number":
        return clean_id_number(value)
    if kind in ("number", "phone"):
        return ascii_digits(value).strip()
    if kind == "textarea":
        return clean_block(value)
    if kind == "select":
        return value.strip()  # one of the designer's options, compared as written there
    return clean_line(value)


def _no_number(value: Any) -> bool:
    """A value of a number field that no count or amount can be: NaN, an infinity, or a
    number of a thousand billion or more (``1e400``, 400 digits)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        try:
            value = float(ascii_digits(value).replace(" ", "").replace(",", "."))
        except ValueError:
            return False  # not a number at all: kept, and pointed out before submission
    if isinstance(value, float) and not math.isfinite(value):
        return True
    return isinstance(value, int | float) and abs(value) >= NUMBER_LIMIT


def keep_declared(version: ProcedureVersion, form_data: dict[str, Any]) -> dict[str, Any]:
    """Keep what was typed for the declared fields (normalised, see ``declared_text``),
    dropping unknown keys; a number that is none (NaN, infinite, huge) is refused."""
    declared = {f["name"]: f for f in (version.form_schema or {}).get("fields", [])}
    kept: dict[str, Any] = {}
    refused: dict[str, str] = {}
    for name, value in form_data.items():
        if name not in declared:
            continue
        kind = declared[name]["type"]
        if kind == "checkbox":
            kept[name] = value in (True, "true", "on", "1", 1, "yes")
        elif kind == "date" and (day := parse_day_text(value)) is not None:
            kept[name] = day.isoformat()  # typed as dd/mm/yyyy, kept as one date
        elif value is None:
            kept[name] = ""
        elif (kind == "number" and _no_number(value)) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            refused[name] = NOT_A_NUMBER
        else:
            kept[name] = declared_text(kind, str(value)[:4000])
    if refused:
        raise InvalidInput(N_("Thông tin khai không hợp lệ."), fields=refused)
    return kept


def normal_phone(text: str) -> str:
    """A phone number as stored and compared: ASCII digits, separators dropped, "+84" written
    as "0"."""
    phone = clean_phone(text.strip())
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    return phone


def phone_ok(text: str) -> bool:
    return PHONE_DIGITS.fullmatch(normal_phone(text)) is not None


def email_ok(text: str) -> bool:
    try:
        valid_email(text)
    except ValueError:
        return False
    return len(text) <= 254


def _number_problem(field: dict[str, Any], text: str) -> str | None:
    text = ascii_digits(text).replace(" ", "")
    if not re.fullmatch(r"-?[0-9]+([.,][0-9]+)?", text):
        return N_("Vui lòng nhập một số.")
    number = float(text.replace(",", "."))
    if not math.isfinite(number) or abs(number) >= NUMBER_LIMIT:
        return NOT_A_NUMBER
    low, high = field.get("min"), field.get("max")
    whole = bool(field.get("integer"))
    if (whole and not number.is_integer()) or (
        (low is not None and number < low) or (high is not None and number > high)
    ):
        # The bounds themselves are shown under the field (``range_hint`` of the pages).
        if whole and low == 1 and high is None:  # a count: copies, pages, floors
            return N_("Vui lòng nhập số nguyên từ 1 trở lên.")
        if whole and not number.is_integer():
            return N_("Vui lòng nhập một số nguyên.")
        return N_("Giá trị nằm ngoài khoảng cho phép.")
    return None


def _day_bound(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _date_problem(field: dict[str, Any], text: str, today: date) -> str | None:
    day = _parse_date(text)
    if day is None:
        return N_("Ngày không hợp lệ (dd/mm/yyyy).")
    if not FIRST_DAY <= day <= LAST_DAY:
        return N_("Ngày phải trong khoảng từ 01/01/1900 đến 31/12/2100.")
    if field.get("not_future") and day > today:
        return N_("Ngày này không được sau ngày hôm nay.")
    low, high = _day_bound(field.get("min_date")), _day_bound(field.get("max_date"))
    if (low is not None and day < low) or (high is not None and day > high):
        return N_("Ngày nằm ngoài khoảng cho phép.")
    return None


def _value_problem(field: dict[str, Any], text: str, today: date) -> str | None:
    """What is wrong with a value typed in a declared field (None when it is fine)."""
    kind = field["type"]
    if kind == "date":
        return _date_problem(field, text, today)
    elif kind == "number":
        return _number_problem(field, text)
    elif kind == "select" and text not in field.get("options", []):
        return N_("Vui lòng chọn một giá trị trong danh sách.")
    elif kind == "email" and not email_ok(text):
        return N_("Email không hợp lệ (ví dụ ten@example.com).")
    elif kind == "phone" and not phone_ok(text):
        return N_("Số điện thoại không hợp lệ: cần 10 chữ số, bắt đầu bằng 0 (ví dụ 0912345678).")
    elif kind == "id_number" and not ID_NUMBER_DIGITS.fullmatch(clean_id_number(text)):
        return N_("Số định danh cá nhân phải gồm đúng 12 chữ số.")
    if len(text) > int(field.get("max_length") or (4000 if kind == "textarea" else 500)):
        return N_("Nội dung quá dài.")
    return None


def validate_form(
    version: ProcedureVersion,
    form_data: dict[str, Any],
    *,
    required: bool = True,
    today: date | None = None,
) -> dict[str, str]:
    """Errors per declared field (Vietnamese messages), empty when the form is valid. With
    ``required=False`` only what was typed is checked (the warnings of "Lưu nháp")."""
    today = today or datetime.now(LOCAL_TZ).date()
    errors: dict[str, str] = {}
    for field in (version.form_schema or {}).get("fields", []):
        name, kind = field["name"], field["type"]
        value = form_data.get(name)
        text = "" if value is None or isinstance(value, bool) else declared_text(kind, str(value))
        if kind == "checkbox":
            if required and field.get("required") and value is not True:
                errors[name] = N_("Vui lòng đánh dấu mục này.")
            continue
        if not text:
            if required and field.get("required"):
                errors[name] = N_("Vui lòng nhập thông tin này.")
            continue
        problem = _value_problem(field, text, today)
        if problem:
            errors[name] = problem
    return errors


def declared_errors(
    version: ProcedureVersion, form_data: dict[str, Any], channel: str
) -> dict[str, str]:
    """``validate_form`` plus the quantities the fees are computed from (a whole number above
    0 in each field a fee of this channel counts: copies, pages, cases); a quantity's own
    message says more than the field's bounds, so it wins."""
    errors = validate_form(version, form_data)
    rules = fee_rules.rules_of(version.fees)
    errors.update(fee_rules.quantity_errors(rules, form_data, channel))
    return errors


def bound_text(value: Any) -> str:
    """A bound of a number field as people write it ("1", "0,5")."""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number).replace(".", ",")


def _date_hint(field: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    low, high = _day_bound(field.get("min_date")), _day_bound(field.get("max_date"))
    bounds = {
        "min": "" if low is None else f"{low:%d/%m/%Y}",
        "max": "" if high is None else f"{high:%d/%m/%Y}",
    }
    if low is not None and high is not None:
        return N_("Từ ngày %(min)s đến ngày %(max)s."), bounds
    if low is not None:
        return N_("Từ ngày %(min)s trở đi."), bounds
    if high is not None:
        return N_("Không sau ngày %(max)s."), bounds
    return None


def range_hint(field: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """The bounds of a number or date field as a hint to translate and fill (None without
    bounds)."""
    if field.get("type") == "date":
        return _date_hint(field)
    low, high = field.get("min"), field.get("max")
    whole = field.get("integer")
    bounds = {
        "min": "" if low is None else bound_text(low),
        "max": "" if high is None else bound_text(high),
    }
    if low is not None and high is not None:
        text = N_("Số nguyên từ %(min)s đến %(max)s.") if whole else N_("Từ %(min)s đến %(max)s.")
    elif low is not None:
        text = N_("Số nguyên, ít nhất %(min)s.") if whole else N_("Ít nhất %(min)s.")
    elif high is not None:
        text = N_("Số nguyên, nhiều nhất %(max)s.") if whole else N_("Nhiều nhất %(max)s.")
    elif whole:
        text = N_("Số nguyên.")
    else:
        return None
    return text, bounds


def applicant_problems(applicant: dict[str, Any], *, required: bool = True) -> dict[str, str]:
    """Errors of the applicant's block keyed ``applicant.<field>``; with ``required=False``
    only what was typed is checked."""
    fields: dict[str, str] = {}
    name = clean_name(str(applicant.get("full_name") or ""))
    phone = ascii_digits(str(applicant.get("phone") or "")).strip()
    email = printable(str(applicant.get("email") or "")).strip()
    id_number = clean_id_number(str(applicant.get("id_number") or ""))
    if required and not name:
        fields["applicant.full_name"] = N_("Vui lòng nhập họ tên người nộp.")
    elif name and letter_count(name) < 2:
        fields["applicant.full_name"] = N_("Họ tên người nộp phải có ít nhất hai chữ cái.")
    if (required or phone) and not phone_ok(phone):
        fields["applicant.phone"] = N_(
            "Số điện thoại không hợp lệ: cần 10 chữ số, bắt đầu bằng 0 (ví dụ 0912345678)."
        )
    if email and not email_ok(email):
        fields["applicant.email"] = N_("Email không hợp lệ (ví dụ ten@example.com).")
    if id_number and not ID_NUMBER_DIGITS.fullmatch(id_number):
        fields["applicant.id_number"] = N_("Số định danh cá nhân phải gồm đúng 12 chữ số.")
    return fields


def typed_problems(dossier: Dossier) -> dict[str, str]:
    """What is typed in a draft but would be refused at submission (empty fields aside)."""
    return {
        **applicant_problems(dossier.applicant or {}, required=False),
        **validate_form(dossier.version, dossier.form_data or {}, required=False),
    }


def _parse_date(text: str) -> date | None:
    return parse_day_text(text)
