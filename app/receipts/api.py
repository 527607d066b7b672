"""Receipt endpoints of the JSON API (§9): read, PDF, cancel, replace, and the register."""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.agencies.models import Agency
from app.config import get_settings
from app.db import MAX_ID, utcnow
from app.documents import render as forms
from app.documents import service as document_service
from app.dossiers.models import Dossier
from app.errors import Forbidden, InvalidInput, NotFound
from app.formatting import DAY_OUT_OF_RANGE, MAX_YEAR, MIN_YEAR, day_in_range
from app.i18n_markers import N_
from app.payments.models import Refund
from app.receipts import schemas, service, taxdata, usage
from app.receipts.models import Receipt
from app.web import content_disposition
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1/receipts", tags=["receipts"])
ReceiptId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_EXPORT_ROWS = 50_000


def receipt_read(session: Session, receipt: Receipt) -> schemas.ReceiptRead:
    doc = service.document_of(session, receipt)
    dossier = session.get(Dossier, receipt.dossier_id) if receipt.dossier_id else None
    replaced_by = service.replacement_of(session, receipt)
    refund_id = (
        session.scalar(select(Refund.id).where(Refund.receipt_id == receipt.id).limit(1))
        if receipt.status == "cancelled"
        else None
    )
    return schemas.ReceiptRead(
        id=receipt.id,
        receipt_name=receipt.receipt_name,
        template_symbol=receipt.template_symbol,
        series=receipt.series,
        number=receipt.number,
        number_text=service.number_text(receipt.number),
        issued_at=receipt.issued_at,
        payer=schemas.Payer(
            name=receipt.payer_name,
            address=receipt.payer_address,
            id_number=receipt.payer_id_number,
            tax_code=receipt.payer_tax_code,
        ),
        items=[schemas.ReceiptItem(**item) for item in receipt.items],
        amount=receipt.amount,
        amount_in_words=receipt.amount_in_words,
        payment_method=receipt.payment_method,
        payment_method_label=service.method_label(receipt.payment_method),
        status=receipt.status,
        status_label=service.STATUS_LABELS.get(receipt.status, receipt.status),
        agency=schemas.CollectingAgency(
            id=receipt.agency_id,
            name=receipt.agency_name,
            tax_code=receipt.agency_tax_code,
            address=receipt.agency_address,
        ),
        collector_name=receipt.collector_name,
        dossier_id=receipt.dossier_id,
        dossier_code=dossier.code if dossier else None,
        payment_id=receipt.payment_id,
        replaces_id=receipt.replaces_id,
        replaced_by_id=replaced_by.id if replaced_by else None,
        cancelled_at=receipt.cancelled_at,
        cancel_reason=receipt.cancel_reason,
        refund_id=refund_id,
        signed=bool(doc and doc.context.get("signed")),
        pdf_pending=document_service.pdf_pending(doc),
        pdf_url=f"/api/v1/receipts/{receipt.id}/pdf",
        verify_url=document_service.verify_url(doc.verify_token) if doc else None,
    )


def _agency(session: Session, user: User, code: str | None) -> Agency:
    if code:
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            raise NotFound(N_("Không tìm thấy cơ quan."))
        return agency
    if user.agency_id is None:
        raise InvalidInput(N_("Cần chọn cơ quan (agency)."), fields={"agency": "required"})
    agency = session.get(Agency, user.agency_id)
    assert agency is not None  # users.agency_id is a foreign key
    return agency


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    for name, day in (("from", start), ("to", end)):
        if day is not None and not day_in_range(day):
            raise InvalidInput(DAY_OUT_OF_RANGE, fields={name: f"{MIN_YEAR}–{MAX_YEAR}"})
    today = utcnow().astimezone(ZoneInfo(get_settings().timezone)).date()
    end = end or today
    start = start or end.replace(day=1)
    return start, end


_COLUMNS = (
    ("STT", 6),
    ("Ký hiệu mẫu", 13),
    ("Ký hiệu", 10),
    ("Số", 10),
    ("Ngày lập", 17),
    ("Người nộp tiền", 26),
    ("Mã hồ sơ", 26),
    ("Nội dung thu", 40),
    ("Số tiền (đồng)", 15),
    ("Hình thức thanh toán", 20),
    ("Trạng thái", 15),
    ("Ghi chú", 34),
)


def _register_xlsx(
    agency: Agency, start: date, end: date, rows: list[tuple[Receipt, str]]
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Sổ biên lai"
    border = usage.sheet_top(
        sheet, agency, "SỔ THEO DÕI BIÊN LAI THU PHÍ, LỆ PHÍ", start, end, _COLUMNS
    )
    header_row = usage.HEADER_ROW
    total = 0
    for index, (receipt, dossier_code) in enumerate(rows, start=1):
        note = receipt.cancel_reason
        if receipt.replaces is not None:
            note = (
                f"Thay thế biên lai {receipt.replaces.series} số "
                f"{service.number_text(receipt.replaces.number)}"
            )
        if receipt.status == "issued":
            total += receipt.amount
        values: list[object] = [
            index,
            receipt.template_symbol,
            receipt.series,
            service.number_text(receipt.number),
            receipt.issued_at,
            receipt.payer_name,
            dossier_code,
            "; ".join(f"{i['name']}: {i['amount']:,}".replace(",", ".") for i in receipt.items),
            receipt.amount,
            service.method_label(receipt.payment_method),
            service.STATUS_LABELS.get(receipt.status, receipt.status),
            note,
        ]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=header_row + index, column=column)
            forms._set_cell(cell, value)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = border
        sheet.cell(row=header_row + index, column=9).number_format = "#,##0"
    total_row = header_row + len(rows) + 1
    label = sheet.cell(row=total_row, column=8, value="Tổng số tiền các biên lai còn hiệu lực")
    label.font = Font(bold=True)
    amount = sheet.cell(row=total_row, column=9, value=total)
    amount.font = Font(bold=True)
    amount.number_format = "#,##0"
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    workbook.properties.title = f"Sổ biên lai {agency.code} {start:%Y-%m-%d} {end:%Y-%m-%d}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@router.get(
    "",
    response_model=schemas.ReceiptPage,
    responses={
        200: {
            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            "description": "The register as JSON, or as XLSX with `format=xlsx`",
        }
    },
)
def receipt_register(
    session: SessionDep,
    user: CurrentUser,
    agency: str | None = Query(
        None, max_length=35, description="Agency code; the caller's own agency by default"
    ),
    start: date | None = Query(
        None, alias="from", description="First day (local), default: 1st of the month"
    ),
    end: date | None = Query(None, alias="to", description="Last day (local), default: today"),
    fmt: Literal["json", "xlsx"] = Query("json", alias="format"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> schemas.ReceiptPage | Response:
    """The receipt register of an agency for a period (its staff, agency admins above it,
    system admins): JSON pages, or the whole period as an XLSX workbook."""
    if not (user.is_admin or user.is_staff):
        raise Forbidden(N_("Bạn không có quyền xem sổ biên lai."))
    target = _agency(session, user, agency)
    start, end = _period(start, end)
    receipts = service.register(session, user, target, start, end)
    if fmt == "xlsx":
        if len(receipts) > MAX_EXPORT_ROWS:
            raise InvalidInput(
                N_("Quá nhiều biên lai trong khoảng thời gian này; hãy chọn khoảng ngắn hơn."),
                fields={"to": "range"},
            )
        codes = dict(
            session.execute(
                select(Dossier.id, Dossier.code).where(
                    Dossier.id.in_({r.dossier_id for r in receipts if r.dossier_id})
                )
            ).all()
        )
        rows = [(r, (codes.get(r.dossier_id) or "") if r.dossier_id else "") for r in receipts]
        data = _register_xlsx(target, start, end, rows)
        filename = f"so-bien-lai-{target.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
        return Response(
            data,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "private, no-store",
            },
        )
    page = receipts[offset : offset + limit]
    return schemas.ReceiptPage(
        items=[receipt_read(session, r) for r in page],
        total=len(receipts),
        limit=limit,
        offset=offset,
        amount_issued=sum(r.amount for r in receipts if r.status == "issued"),
    )


@router.get(
    "/usage-report",
    response_model=schemas.UsageReport,
    response_model_by_alias=True,
    responses={
        200: {
            "content": {usage.XLSX_TYPE: {}},
            "description": "The report as JSON, or as an XLSX workbook with `format=xlsx`",
        }
    },
)
def usage_report(
    session: SessionDep,
    user: CurrentUser,
    agency: str | None = Query(
        None, max_length=35, description="Agency code; the caller's own agency by default"
    ),
    start: date | None = Query(
        None, alias="from", description="First day (local), default: 1st of the month"
    ),
    end: date | None = Query(None, alias="to", description="Last day (local), default: today"),
    fmt: Literal["json", "xlsx"] = Query(
        "json", alias="format", description="`json` (default) or `xlsx` (a workbook to file)"
    ),
) -> schemas.UsageReport | Response:
    """Receipt usage per template symbol and series for a period of at most a year: the
    numbers used, those cancelled (refunds cancel receipts) or replaced, and the range of each
    series; as JSON or, with `format=xlsx`, as an XLSX workbook. For the agency's cashiers and
    leaders, agency admins above it and system admins."""
    if not (user.is_admin or user.is_staff):
        raise Forbidden(N_("Bạn không có quyền xem báo cáo sử dụng biên lai."))
    target = _agency(session, user, agency)
    start, end = _period(start, end)
    report = usage.usage_report(session, user, target, start, end)
    if fmt == "xlsx":
        return Response(
            usage.usage_xlsx(report),
            media_type=usage.XLSX_TYPE,
            headers={
                "Content-Disposition": content_disposition(usage.xlsx_file_name(report)),
                "Cache-Control": "private, no-store",
            },
        )
    return schemas.UsageReport(
        agency_code=target.code,
        agency_name=target.name,
        tax_code=target.tax_code,
        start=start,
        end=end,
        series=[schemas.SeriesUsage(**row) for row in report.series],
    )


@router.get("/{receipt_id}", response_model=schemas.ReceiptRead)
def get_receipt(
    receipt_id: ReceiptId,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.ReceiptRead:
    """A receipt: for the payer (owner of the dossier), the agency's staff and admins."""
    return receipt_read(session, service.get_visible(session, user, receipt_id))


@router.get(
    "/{receipt_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def receipt_pdf(
    receipt_id: ReceiptId,
    session: SessionDep,
    user: CurrentUser,
    original: bool = Query(
        False, description="A cancelled/replaced receipt's PDF as issued, without the stamp"
    ),
) -> Response:
    """The receipt as PDF (signed as issued; a void receipt shows its status stamped)."""
    receipt = service.get_visible(session, user, receipt_id)
    data = service.pdf_bytes(session, receipt, original=original)
    name = document_service.receipt_file_name(receipt.series, service.number_text(receipt.number))
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(name, inline=True),
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/{receipt_id}/cancel", response_model=schemas.ReceiptRead)
def cancel_receipt(
    receipt_id: ReceiptId,
    data: schemas.CancelIn,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.ReceiptRead:
    """Cancel a receipt (the agency's cashier or an admin; a reason is required)."""
    receipt = service.get_visible(session, user, receipt_id)
    service.cancel_receipt(session, receipt, user, data.reason)
    return receipt_read(session, receipt)


@router.post("/{receipt_id}/replace", response_model=schemas.ReceiptRead, status_code=201)
def replace_receipt(
    receipt_id: ReceiptId,
    data: schemas.ReplaceIn,
    session: SessionDep,
    user: CurrentUser,
) -> schemas.ReceiptRead:
    """Replace a receipt by a corrected one with a new number; returns the new receipt."""
    receipt = service.get_visible(session, user, receipt_id)
    new = service.replace_receipt(
        session,
        receipt,
        user,
        data.reason,
        payer_name=data.payer_name,
        payer_address=data.payer_address,
        payer_id_number=data.payer_id_number,
        payer_tax_code=data.payer_tax_code,
        items=[i.model_dump() for i in data.items] if data.items is not None else None,
    )
    return receipt_read(session, new)


@router.get(
    "/{receipt_id}/xml",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}},
        409: {"description": "The collecting agency has no certificate that can sign now"},
    },
)
def receipt_xml(
    receipt_id: ReceiptId,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    """The receipt as data for the tax authority: XML (UTF-8) with an enveloped XMLDSig
    signature over its data element (`DLBLai`) by the collecting agency's certificate. Same
    readers as the receipt."""
    receipt = service.get_visible(session, user, receipt_id)
    return Response(
        taxdata.signed_xml(session, receipt),
        media_type="application/xml",
        headers={
            "Content-Disposition": content_disposition(taxdata.file_name(receipt)),
            "Cache-Control": "private, no-store",
        },
    )
