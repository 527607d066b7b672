"""Receipt series (ký hiệu biên lai, Decree 11/2020 and Circular 78/2021): each agency
declares the series it numbers its receipts in, one in use per year. Agency admins manage
the series of their subtree; every change is audited."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.audit import service as audit_service
from app.errors import Conflict, InvalidInput, NotFound
from app.i18n_markers import N_
from app.receipts import service as receipt_service
from app.receipts.models import DEFAULT_RECEIPT_NAME, Receipt, ReceiptSeries

# Ký hiệu mẫu: digits, letters and hyphens as the registration names it (01BLP0-001).
TEMPLATE_SYMBOL_RE = re.compile(r"^[0-9A-Z][0-9A-Z-]{0,19}$")


def list_series(session: Session, user: User) -> list[tuple[Agency, list[ReceiptSeries]]]:
    """Receipt series of the agencies in the user's scope, newest first."""
    agencies = agency_service.scoped_agencies(session, user)
    rows = session.scalars(
        select(ReceiptSeries)
        .where(ReceiptSeries.agency_id.in_([a.id for a in agencies]))
        .order_by(ReceiptSeries.year.desc(), ReceiptSeries.id.desc())
    ).all()
    by_agency: dict[int, list[ReceiptSeries]] = {}
    for row in rows:
        by_agency.setdefault(row.agency_id, []).append(row)
    return [(a, by_agency[a.id]) for a in agencies if a.id in by_agency]


def create_series(
    session: Session,
    user: User,
    agency_code: str,
    year: int,
    letters: str,
    *,
    template_symbol: str = receipt_service.TEMPLATE_SYMBOL,
    receipt_name: str = DEFAULT_RECEIPT_NAME,
) -> ReceiptSeries:
    """Declare a receipt series (``AA-26E``) of a template (``01BLP0-001``, the receipt's name)
    for an agency and year; it becomes the one in use (another active series of that year is
    closed, its numbers stay as they are)."""
    account_service.require_admin_area(user)
    agency = agency_service.assignable_agency(session, user, agency_code)
    if agency is None:
        raise InvalidInput(N_("Chọn cơ quan."), fields={"agency_code": "required"})
    template_symbol = template_symbol.strip().upper()
    if not TEMPLATE_SYMBOL_RE.fullmatch(template_symbol):
        raise InvalidInput(
            N_("Ký hiệu mẫu gồm chữ in hoa, chữ số và dấu gạch ngang, ví dụ 01BLP0-001."),
            fields={"template_symbol": "symbol"},
        )
    receipt_name = " ".join(receipt_name.split())
    if not receipt_name or len(receipt_name) > 100:
        raise InvalidInput(
            N_("Tên biên lai không được để trống, tối đa 100 ký tự."),
            fields={"receipt_name": "1..100"},
        )
    letters = letters.strip().upper()
    if len(letters) != 2 or not letters.isascii() or not letters.isalpha():
        raise InvalidInput(
            N_("Ký hiệu biên lai gồm đúng hai chữ cái in hoa, ví dụ AA."),
            fields={"letters": "two capital letters"},
        )
    if not 2000 <= year <= 2099:
        raise InvalidInput(N_("Năm phải trong khoảng 2000–2099."), fields={"year": "2000..2099"})
    symbol = receipt_service.series_symbol(letters, year)
    exists_already = session.scalar(
        select(ReceiptSeries.id).where(
            ReceiptSeries.agency_id == agency.id,
            ReceiptSeries.template_symbol == template_symbol,
            ReceiptSeries.series == symbol,
        )
    )
    if exists_already is not None:
        raise Conflict(
            N_("Cơ quan đã có ký hiệu biên lai này."), fields={"letters": "already declared"}
        )
    session.execute(
        update(ReceiptSeries)
        .where(
            ReceiptSeries.agency_id == agency.id,
            ReceiptSeries.year == year,
            ReceiptSeries.is_active.is_(True),
        )
        .values(is_active=False)
        .execution_options(synchronize_session="fetch")
    )
    series = ReceiptSeries(
        agency_id=agency.id,
        template_symbol=template_symbol,
        series=symbol,
        receipt_name=receipt_name,
        year=year,
        last_number=0,
        is_active=True,
    )
    session.add(series)
    session.flush()
    audit_service.record(
        session,
        "receipt_series.create",
        actor=user,
        object_type="receipt_series",
        object_id=series.id,
        details={
            "agency": agency.code,
            "template_symbol": template_symbol,
            "series": symbol,
            "receipt_name": receipt_name,
            "year": year,
        },
    )
    return series


def deactivate_series(session: Session, user: User, series_id: int) -> ReceiptSeries:
    """Close a receipt series: no more receipts are numbered in it."""
    account_service.require_admin_area(user)
    series = session.get(ReceiptSeries, series_id)
    if series is None:
        raise NotFound(N_("Không tìm thấy ký hiệu biên lai."))
    account_service.require_scope(session, user, series.agency_id)
    if series.is_active:
        series.is_active = False
        session.flush()
        audit_service.record(
            session,
            "receipt_series.deactivate",
            actor=user,
            object_type="receipt_series",
            object_id=series.id,
            details={
                "series": series.series,
                "year": series.year,
                "last_number": series.last_number,
            },
        )
    return series


def usage(receipts: list[Receipt]) -> list[dict[str, Any]]:
    """The usage report of receipts issued in a period (Decree 123/2020 Art. 32; SPEC §6): per
    template symbol and series, the range of numbers used, how many, and which of them are
    void now — cancelled (a refund cancels one) or replaced. Every number issued counts as used:
    a receipt is never deleted, so the range has no gaps."""
    groups: dict[tuple[str, str], list[Receipt]] = {}
    for receipt in receipts:
        groups.setdefault((receipt.template_symbol, receipt.series), []).append(receipt)
    report = []
    for (template_symbol, series), rows in sorted(groups.items()):
        numbers = sorted(r.number for r in rows)
        cancelled = sorted(r.number for r in rows if r.status == "cancelled")
        replaced = sorted(r.number for r in rows if r.status == "replaced")
        report.append(
            {
                "template_symbol": template_symbol,
                "series": series,
                "from_number": numbers[0],
                "to_number": numbers[-1],
                "used": len(numbers),
                "valid": len(numbers) - len(cancelled) - len(replaced),
                "cancelled": len(cancelled),
                "cancelled_numbers": cancelled,
                "replaced": len(replaced),
                "replaced_numbers": replaced,
            }
        )
    return report
