"""How values read in Vietnamese documents: money, dates and the labels shared by pages,
PDF forms and e-mails. Pure functions with no web or domain imports."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from app.config import get_settings
from app.errors import InvalidInput
from app.i18n import DEFAULT_LOCALE
from app.i18n_markers import N_
from app.text import ascii_digits

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
ROLE_LABELS = {
    "reception": N_("Cán bộ tiếp nhận"),
    "specialist": N_("Chuyên viên"),
    "leader": N_("Lãnh đạo"),
    "cashier": N_("Cán bộ thu phí"),
    "agency_admin": N_("Quản trị cơ quan"),
    "par_admin": N_("Quản lý chỉ số cải cách hành chính"),
    "par_council": N_("Hội đồng thẩm định chỉ số cải cách hành chính"),
}
PAPER_KINDS = {
    "original": N_("bản chính"),
    "copy": N_("bản sao"),
    "either": N_("bản chính hoặc bản sao"),
}


def format_money(amount: int | float | None, locale: str = DEFAULT_LOCALE) -> str:
    """Amounts in VND as ``1.250.000 ₫`` (Vietnamese grouping whatever the UI language)."""
    if amount is None:
        return ""
    return f"{format_decimal(amount, locale='vi')} ₫"


def format_number(value: float | int | None, *, grouping: bool = True) -> str:
    """A quantity as Vietnamese writes it: decimal comma, thousands dot, no trailing zeros
    (``0,5``, ``7,5``, ``1.234``), whatever the UI language, like money. In a form field
    ``grouping=False``: the forms read a dot as the decimal mark too."""
    if value is None:
        return ""
    return str(format_decimal(value, format="#,##0.##" if grouping else "0.##", locale="vi"))


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(get_settings().timezone)).date()
    return value.strftime("%d/%m/%Y")


# Dates are typed as dd/mm/yyyy whatever the browser's language (a browser's own date picker
# shows mm/dd/yyyy in English); ISO yyyy-mm-dd is read too (links, the API, older forms).
# The HTML ``pattern`` of a date field (a phone's digit keypad may have no "/": 20112026 is
# read as 20/11/2026; dots and dashes between the parts are read too).
DAY_PATTERN = r"\d{1,2}[\/.\-]\d{1,2}[\/.\-]\d{4}|\d{8}|\d{4}-\d{1,2}-\d{1,2}"
_DAY = re.compile(
    r"(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})"
    r"|(?P<d8>\d{2})(?P<m8>\d{2})(?P<y8>\d{4})"
    r"|(?P<yi>\d{4})-(?P<mi>\d{1,2})-(?P<di>\d{1,2})",
    re.ASCII,
)
BAD_DAY = N_("Ngày không hợp lệ (dd/mm/yyyy).")


def parse_day_text(text: object) -> date | None:
    """The day typed in a date field: ``dd/mm/yyyy`` (also ``d/m/yyyy``, ``dd.mm.yyyy``,
    ``dd-mm-yyyy``, ``ddmmyyyy``) or ISO ``yyyy-mm-dd``; None for anything else, or for a day
    that does not exist (31/02/2026). Digits of other scripts ("１９９０") are read as ASCII
    ones, like those of a CCCD or a phone number."""
    match = _DAY.fullmatch(ascii_digits(str(text or "")).strip())
    if match is None:
        return None
    parts = match.groupdict()
    for suffix in ("", "8", "i"):
        if parts["d" + suffix]:
            day, month, year = parts["d" + suffix], parts["m" + suffix], parts["y" + suffix]
            break
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


# Days a query names (a register's period, a filter, a page of a list): the portal's records
# fall in these years, and the lunar holidays of the ``holidays`` library end in 2100. Outside
# them a day is refused before it reaches a query (year 1 at +14:00 is no datetime in UTC).
MIN_YEAR, MAX_YEAR = 2000, 2100
DAY_OUT_OF_RANGE = N_("Ngày nằm ngoài khoảng cho phép (2000–2100).")


def day_in_range(day: date | datetime) -> bool:
    """Whether ``day`` lies in the years a query may name (``MIN_YEAR``–``MAX_YEAR``)."""
    return MIN_YEAR <= day.year <= MAX_YEAR


def parse_query_day(value: str, name: str) -> date:
    """A day of a query (``dd/mm/yyyy`` or ``YYYY-MM-DD``) between ``MIN_YEAR`` and
    ``MAX_YEAR``; InvalidInput naming the field ``name`` otherwise."""
    day = parse_day_text(value)
    if day is None:
        raise InvalidInput(BAD_DAY, fields={name: "dd/mm/yyyy"})
    if not day_in_range(day):
        raise InvalidInput(DAY_OUT_OF_RANGE, fields={name: f"{MIN_YEAR}–{MAX_YEAR}"})
    return day


def day_text(value: object) -> str:
    """What a date field shows: a date (or an ISO day) as dd/mm/yyyy; anything else — what
    was typed, refused — as it was typed, so that it can be corrected."""
    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = "" if value is None else str(value).strip()
    day = parse_day_text(text)
    return day.strftime("%d/%m/%Y") if day is not None else text


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(get_settings().timezone))
    return local.strftime("%H:%M %d/%m/%Y")


def deadline_parts(value: datetime) -> tuple[bool, str]:
    """A time limit as people read it. One that falls at midnight is the end of the day before:
    ``(True, "21/12/2026")`` ("hết ngày 21/12/2026", not "00:00 22/12/2026"); any other is
    ``(False, "16:30 21/12/2026")`` ("trước 16:30 …")."""
    local = value.astimezone(ZoneInfo(get_settings().timezone))
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return True, (local - timedelta(days=1)).strftime("%d/%m/%Y")
    return False, format_datetime(value)
