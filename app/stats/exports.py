"""XLSX workbooks of the statistics page and of the leader's dashboard tables."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from app.stats import schemas

# --- XLSX exports ---------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(
    book: Workbook, title: str, heading: str, header: list[str], rows: list[list[Any]]
) -> None:
    sheet = book.create_sheet(title[:31])
    sheet.append([heading])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(row)
    for i, title_ in enumerate(header, start=1):
        width = max([len(str(title_))] + [len(str(r[i - 1])) for r in rows if len(r) >= i])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(10, width + 2))
    sheet.freeze_panes = "A4"


def workbook_bytes(sheets: list[tuple[str, str, list[str], list[list[Any]]]]) -> bytes:
    """An XLSX file with one sheet per (title, heading, header, rows)."""
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    for title, heading, header, rows in sheets:
        _sheet(book, title, heading, header, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def indicator_rows(read: schemas.IndicatorsRead) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for group in read.groups.values():
        rows.append([group.label, "", None, None, None, None, group.points, group.max_points, ""])
        for fig in group.figures.values():
            rows.append(
                [
                    group.label,
                    fig.label,
                    fig.numerator,
                    fig.denominator,
                    fig.rate,
                    fig.threshold,
                    fig.points,
                    fig.max_points,
                    fig.formula,
                ]
            )
    rows.append(["", "", None, None, None, None, read.points, read.max_points, ""])
    return rows


def ranking_table(items: list[schemas.RankingRow], level_label: Any) -> list[list[Any]]:
    return [
        [
            r.rank,
            r.agency.name,
            r.agency.code,
            level_label(r.agency.level),
            r.points,
            r.received,
            r.on_time_rate,
            r.online_rate,
            r.satisfaction_rate,
        ]
        for r in items
    ]
