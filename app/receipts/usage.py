"""The receipt usage report (báo cáo tình hình sử dụng biên lai, SPEC §6): per template symbol
and series, the numbers used in a period, the range, and those cancelled or replaced; as JSON,
as an XLSX workbook and on the page of the cashiers' leader.

Who sees it: the agency's cashiers (they keep the register) and leaders (the cashiers' leader
signs the report), agency admins above it, and system admins; other officers of the agency do
not (they see receipts of their dossiers, not the agency's books)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies.models import Agency
from app.documents import render as forms
from app.errors import Forbidden
from app.i18n_markers import N_
from app.receipts import series as series_service
from app.receipts import service
from app.receipts.models import ReceiptSeries

USAGE_ROLES = ("cashier", "leader")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class UsageReport:
    agency: Agency
    start: date
    end: date
    series: list[dict[str, Any]]


def can_see_usage(session: Session, user: User | None, agency_id: int) -> bool:
    """The agency's cashiers and leaders, agency admins above it, system admins."""
    if user is None:
        return False
    if user.is_admin:
        return True
    if not user.is_staff or user.agency_id is None:
        return False
    if user.agency_id == agency_id and any(user.has_role(r) for r in USAGE_ROLES):
        return True
    return user.has_role("agency_admin") and agency_id in account_service.agency_subtree_ids(
        session, user.agency_id
    )


def usage_report(
    session: Session, user: User | None, agency: Agency, start: date, end: date
) -> UsageReport:
    """The usage of the agency's receipt series between two local days (inclusive)."""
    if user is None or not can_see_usage(session, user, agency.id):
        raise Forbidden(N_("Bạn không có quyền xem báo cáo sử dụng biên lai của đơn vị này."))
    receipts = service.register(session, user, agency, start, end)
    rows = series_service.usage(receipts)
    names = {
        (s.template_symbol, s.series): s.receipt_name
        for s in session.scalars(select(ReceiptSeries).where(ReceiptSeries.agency_id == agency.id))
    }
    for row in rows:
        row["receipt_name"] = names.get((row["template_symbol"], row["series"]), "")
    return UsageReport(agency, start, end, rows)


_COLUMNS = (
    ("STT", 6),
    ("Tên biên lai", 26),
    ("Ký hiệu mẫu", 13),
    ("Ký hiệu", 10),
    ("Từ số", 10),
    ("Đến số", 10),
    ("Số lượng đã sử dụng", 12),
    ("Còn hiệu lực", 10),
    ("Số lượng đã hủy", 10),
    ("Các số đã hủy", 28),
    ("Số lượng bị thay thế", 11),
    ("Các số bị thay thế", 28),
)


def _numbers(values: list[int]) -> str:
    return ", ".join(service.number_text(n) for n in values)


HEADER_ROW = 6


def sheet_top(
    sheet: Worksheet,
    agency: Agency,
    title: str,
    start: date,
    end: date,
    columns: tuple[tuple[str, int], ...],
) -> Border:
    """The top of a receipts workbook (the register, the usage report): the agency, its tax
    code, the title and the period above the column headings of row ``HEADER_ROW``; returns
    the border of the cells below."""
    last = get_column_letter(len(columns))
    heading = [
        (agency.name.upper(), Font(size=11, bold=True)),
        (f"Mã số thuế: {agency.tax_code}", Font(size=11)),
        (title, Font(size=14, bold=True)),
        (f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}", Font(size=11, italic=True)),
    ]
    for line, (text, font) in enumerate(heading, start=1):
        sheet.merge_cells(f"A{line}:{last}{line}")
        cell = sheet.cell(row=line, column=1)
        forms._set_cell(cell, text)
        cell.font = font
        cell.alignment = Alignment(horizontal="left" if line <= 2 else "center")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for column, (label, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=label)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        sheet.column_dimensions[get_column_letter(column)].width = width
    return border


def usage_xlsx(report: UsageReport) -> bytes:
    """The report as a workbook: the agency and period on top, one row per series, totals."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Sử dụng biên lai"
    border = sheet_top(
        sheet,
        report.agency,
        "BÁO CÁO TÌNH HÌNH SỬ DỤNG BIÊN LAI",
        report.start,
        report.end,
        _COLUMNS,
    )
    for index, row in enumerate(report.series, start=1):
        values: list[object] = [
            index,
            row["receipt_name"],
            row["template_symbol"],
            row["series"],
            service.number_text(row["from_number"]),
            service.number_text(row["to_number"]),
            row["used"],
            row["valid"],
            row["cancelled"],
            _numbers(row["cancelled_numbers"]),
            row["replaced"],
            _numbers(row["replaced_numbers"]),
        ]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=HEADER_ROW + index, column=column)
            forms._set_cell(cell, value)  # names typed by an admin stay text
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = border
    total_row = HEADER_ROW + len(report.series) + 1
    sheet.cell(row=total_row, column=2, value="Tổng cộng").font = Font(bold=True)
    for column, key in ((7, "used"), (8, "valid"), (9, "cancelled"), (11, "replaced")):
        cell = sheet.cell(row=total_row, column=column, value=sum(r[key] for r in report.series))
        cell.font = Font(bold=True)
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    workbook.properties.title = (
        f"Sử dụng biên lai {report.agency.code} {report.start:%Y-%m-%d} {report.end:%Y-%m-%d}"
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_file_name(report: UsageReport) -> str:
    return f"su-dung-bien-lai-{report.agency.code}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.xlsx"
