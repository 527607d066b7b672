"""The feedback register (sổ theo dõi phản ánh, kiến nghị) as XLSX, written row by row in
openpyxl's write-only mode (as ``app/reports/xlsx.py``)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from app.feedback.models import FeedbackItem
from app.feedback.service import CATEGORY_LABELS, STATUS_LABELS, is_overdue
from app.formatting import format_datetime
from app.i18n_markers import N_

COLUMNS = (
    N_("Mã phản ánh"),
    N_("Ngày nhận"),
    N_("Loại"),
    N_("Tiêu đề"),
    N_("Người gửi"),
    N_("Trạng thái"),
    N_("Hạn trả lời"),
    N_("Ngày kết thúc"),
    N_("Đúng hạn"),
    N_("Khiếu nại đúng"),
)


def _cell(value: object) -> object:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _when(value: datetime | None) -> str:
    return format_datetime(value) if value else ""


def xlsx(items: Sequence[FeedbackItem], gettext: Callable[[str], str]) -> bytes:
    """One row per item, the column titles first."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(gettext("Sổ theo dõi phản ánh")[:31])
    sheet.append([gettext(c) for c in COLUMNS])
    yes, no = gettext("Có"), gettext("Không")
    for item in items:
        on_time = ""
        if item.status == "published" and item.closed_at is not None:
            on_time = yes if item.closed_at <= item.due_at else no
        elif is_overdue(item):
            on_time = no
        upheld = "" if item.upheld is None else (yes if item.upheld else no)
        sheet.append(
            [
                _cell(v)
                for v in (
                    item.code,
                    _when(item.created_at),
                    gettext(CATEGORY_LABELS.get(item.category, item.category)),
                    item.subject,
                    item.sender_name,
                    gettext(STATUS_LABELS[item.status]),
                    _when(item.due_at),
                    _when(item.closed_at),
                    on_time,
                    upheld,
                )
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
