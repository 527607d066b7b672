"""Form 07 as XLSX, streamed: openpyxl's write-only mode writes each row to a temporary file
as it comes, so memory stays flat however long the book is. Same layout as the PDF's
columns: the heading on rows 1-4, the column titles on row 6, one row per dossier below."""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy
from datetime import date, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from app.documents.render import _BOOK_COLUMNS, _date, _local

_HEADER_ROW = 6
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TITLE_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
# Body cells take one of three named styles: setting a named style copies its precomputed
# style ids, where setting font, border and alignment cell by cell would hash each of them
# (10 times slower, most of the time of a long book).
_BODY = "Sổ theo dõi - ô"
_BODY_DATETIME = "Sổ theo dõi - ngày giờ"
_BODY_DATE = "Sổ theo dõi - ngày"


def _body_styles() -> list[NamedStyle]:
    alignment = Alignment(vertical="top", wrap_text=True)
    return [
        NamedStyle(
            name=name,
            font=copy(DEFAULT_FONT),
            alignment=alignment,
            border=_BORDER,
            number_format=number_format,
        )
        for name, number_format in (
            (_BODY, "General"),
            (_BODY_DATETIME, "hh:mm dd/mm/yyyy"),
            (_BODY_DATE, "dd/mm/yyyy"),
        )
    ]


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """A bordered body cell, shown as on the PDF: dates as dates, text never as a formula."""
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, _local(value).replace(tzinfo=None) if value.tzinfo else value)
        cell.style = _BODY_DATETIME
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.style = _BODY_DATE
    elif value is None or isinstance(value, bool | int | float):
        cell = WriteOnlyCell(sheet, value)
        cell.style = _BODY
    else:
        # Control characters XML cannot hold are dropped; text typed by an applicant
        # ("=HYPERLINK(…)") must stay text, not become a formula.
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", str(value)))
        cell.data_type = "s"
        cell.style = _BODY
    return cell


def write_book(target: IO[bytes], context: dict[str, Any], rows: Iterable[dict[str, Any]]) -> None:
    """Write form 07 (Sổ theo dõi hồ sơ) into ``target``: one row per item of ``rows``, consumed
    once, in order."""
    agency = context["agency"]
    extra = context["extra"]
    workbook = Workbook(write_only=True)
    for style in _body_styles():
        workbook.add_named_style(style)
    sheet = workbook.create_sheet("Sổ theo dõi hồ sơ")
    assert isinstance(sheet, WriteOnlyWorksheet)
    last_column = get_column_letter(len(_BOOK_COLUMNS))
    for column, (_, _, width) in enumerate(_BOOK_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"A{_HEADER_ROW + 1}"
    sheet.print_title_rows = f"{_HEADER_ROW}:{_HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    period = f"Từ ngày {_date(extra['period_from'])} đến ngày {_date(extra['period_to'])}"
    heading = [
        ((agency.get("parent_name") or "").upper(), Font(size=11)),
        (agency["name"].upper(), Font(size=11, bold=True)),
        ("SỔ THEO DÕI HỒ SƠ", Font(size=14, bold=True)),
        (period, Font(size=11, italic=True)),
    ]
    for row, (text, font) in enumerate(heading, start=1):
        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"
        cell.font = font
        cell.alignment = Alignment(horizontal="left" if row <= 2 else "center")
        sheet.append([cell])
        sheet.merged_cells.add(f"A{row}:{last_column}{row}")
    sheet.append([])
    titles = []
    for _, label, _ in _BOOK_COLUMNS:
        cell = WriteOnlyCell(sheet, label)
        cell.font = Font(bold=True)
        cell.alignment = _TITLE_ALIGNMENT
        cell.border = _BORDER
        titles.append(cell)
    sheet.append(titles)
    keys = [key for key, _, _ in _BOOK_COLUMNS]
    for item in rows:
        sheet.append([_cell(sheet, item.get(key)) for key in keys])
    workbook.properties.title = context.get("doc", {}).get("title") or "Sổ theo dõi hồ sơ"
    workbook.save(target)
