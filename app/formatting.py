"""How values read in Vietnamese documents: money, dates and the labels shared by pages,
PDF forms and e-mails. Pure functions with no web or domain imports."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from app.config import get_settings
from app.i18n import DEFAULT_LOCALE
from app.i18n_markers import N_

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
ROLE_LABELS = {
    "reception": N_("Cán bộ tiếp nhận"),
    "specialist": N_("Chuyên viên"),
    "leader": N_("Lãnh đạo"),
    "cashier": N_("Cán bộ thu phí"),
    "agency_admin": N_("Quản trị cơ quan"),
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
