"""Electronic receipts for fees and charges (biên lai điện tử thu phí, lệ phí).

Decree 123/2020/NĐ-CP Art. 32 and Circular 78/2021/TT-BTC; see
docs/decisions/0005-receipt-numbering.md for the symbols and the numbering.

- Every agency has, per calendar year, an active series: template symbol ``01BLP0-001`` and a
  series symbol of two letters and the year's last two digits plus ``E`` (``AA-26E``).
- Numbers run from 1 in each series, at most 7 digits, without gaps: the series row is bumped
  with ``UPDATE … RETURNING`` inside the caller's transaction, so concurrent issues queue on
  its row lock and a rolled-back issue takes its number back with it.
- A receipt snapshots the collecting agency, the payer and the fees, and gets a ``Document``
  with a QR verification token and the frozen content of its PDF, in the issuing transaction.
  The PDF itself is laid out, signed (when the agency has a certificate) and stored after
  that transaction commits, by the process's background thread in a short transaction of its
  own, so the series row (on SQLite the whole database) is not locked during the render and
  the request that paid does not wait for it; a reader that finds no PDF yet makes it then
  (docs/decisions/0014-receipt-pdf-after-commit.md). Receipts are cancelled or
  replaced, never deleted or renumbered.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import events
from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies.models import Agency
from app.agencies.schemas import TAX_CODE_RE
from app.config import get_settings
from app.db import call_after_commit, utcnow
from app.documents import service as document_service
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.formatting import DAY_OUT_OF_RANGE, MAX_YEAR, MIN_YEAR, day_in_range
from app.i18n_markers import N_
from app.payments.models import Payment
from app.receipts import pdf as receipt_pdf
from app.receipts import stored
from app.receipts.events import ReceiptCancelled, ReceiptReplaced
from app.receipts.models import DEFAULT_RECEIPT_NAME, Receipt, ReceiptSeries
from app.receipts.words import amount_in_words

log = logging.getLogger(__name__)

# Circular 78/2021 (continuing Circular 303/2016): 01 = receipt without a printed face value,
# BLP = biên lai phí/lệ phí, 0 = electronic (no copies), 001 = the first template of that kind.
TEMPLATE_SYMBOL = "01BLP0-001"
DEFAULT_LETTERS = "AA"
ELECTRONIC_SUFFIX = "E"
MAX_NUMBER = 9_999_999  # at most 7 digits
MAX_REGISTER_DAYS = 366

METHOD_LABELS = {
    "cash": N_("Tiền mặt"),
    "transfer": N_("Chuyển khoản"),
    "sandbox": N_("Thanh toán trực tuyến (cổng thử nghiệm)"),
    "vnpay": N_("Thanh toán trực tuyến qua VNPay"),
}
STATUS_LABELS = {
    "issued": N_("Đã phát hành"),
    "cancelled": N_("Đã hủy"),
    "replaced": N_("Đã bị thay thế"),
}


# --- time --------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today(now: datetime | None = None) -> date:
    """Today in the portal's time zone (7 hours ahead of UTC in Vietnam)."""
    return (now or utcnow()).astimezone(_zone()).date()


def local_year(moment: datetime) -> int:
    """The calendar year of ``moment`` in the portal's time zone (numbering restarts then)."""
    return moment.astimezone(_zone()).year


def local_day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """``[start 00:00, end + 1 day 00:00)`` in the portal's time zone."""
    zone = _zone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


# --- series and numbers --------------------------------------------------------------------


def series_symbol(letters: str, year: int) -> str:
    """``AA-26E``: two letters, the last two digits of the year, E for electronic."""
    return f"{letters}-{year % 100:02d}{ELECTRONIC_SUFFIX}"


def _letters_of(symbol: str) -> str:
    head = symbol.split("-", 1)[0]
    return head if len(head) == 2 and head.isalpha() and head.isupper() else DEFAULT_LETTERS


def active_series(session: Session, agency_id: int, year: int) -> ReceiptSeries | None:
    return session.scalar(
        select(ReceiptSeries)
        .where(
            ReceiptSeries.agency_id == agency_id,
            ReceiptSeries.year == year,
            ReceiptSeries.is_active.is_(True),
        )
        .order_by(ReceiptSeries.id.desc())
        .limit(1)
    )


def ensure_series(session: Session, agency: Agency, year: int) -> ReceiptSeries:
    """The agency's active series for ``year``, created on first use.

    A new year's series keeps the letters, the template symbol and the receipt name of the
    agency's latest series (``AA``, ``01BLP0-001``, "Biên lai thu phí, lệ phí" at first).
    Two transactions creating it at once: one inserts, the other finds the row (savepoint).
    """
    series = active_series(session, agency.id, year)
    if series is not None:
        return series
    previous = session.scalar(
        select(ReceiptSeries)
        .where(ReceiptSeries.agency_id == agency.id, ReceiptSeries.year < year)
        .order_by(ReceiptSeries.year.desc(), ReceiptSeries.id.desc())
        .limit(1)
    )
    symbol = series_symbol(_letters_of(previous.series) if previous else DEFAULT_LETTERS, year)
    template = previous.template_symbol if previous else TEMPLATE_SYMBOL
    try:
        with session.begin_nested():
            session.execute(
                insert(ReceiptSeries).values(
                    agency_id=agency.id,
                    template_symbol=template,
                    series=symbol,
                    receipt_name=previous.receipt_name if previous else DEFAULT_RECEIPT_NAME,
                    year=year,
                    last_number=0,
                    is_active=True,
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        pass  # created meanwhile by a concurrent transaction: read it below
    series = session.scalar(
        select(ReceiptSeries).where(
            ReceiptSeries.agency_id == agency.id,
            ReceiptSeries.template_symbol == template,
            ReceiptSeries.series == symbol,
        )
    )
    if series is None or not series.is_active:
        raise Conflict(
            N_(
                "Đơn vị chưa có ký hiệu biên lai đang sử dụng cho năm này; "
                "quản trị viên cần khai báo ký hiệu biên lai."
            )
        )
    return series


def next_number(session: Session, series: ReceiptSeries) -> int:
    """The series' next number, taken in the caller's transaction (row lock until commit)."""
    bump = (
        update(ReceiptSeries)
        .where(ReceiptSeries.id == series.id, ReceiptSeries.last_number < MAX_NUMBER)
        .values(last_number=ReceiptSeries.last_number + 1)
        .returning(ReceiptSeries.last_number)
        .execution_options(synchronize_session=False)
    )
    number = session.execute(bump).scalar()
    if number is None:
        raise Conflict(
            N_("Đã dùng hết số của ký hiệu biên lai; quản trị viên cần khai báo ký hiệu mới.")
        )
    session.expire(series, ["last_number"])
    return int(number)


# --- authorisation ---------------------------------------------------------------------------


def can_manage(session: Session, user: User | None, agency_id: int) -> bool:
    """Cancel or replace: the agency's cashier, an agency admin above it, a system admin."""
    if user is None:
        return False
    if user.is_admin:
        return True
    if not user.is_staff or user.agency_id is None:
        return False
    if user.has_role("cashier") and user.agency_id == agency_id:
        return True
    return user.has_role("agency_admin") and agency_id in account_service.agency_subtree_ids(
        session, user.agency_id
    )


def own_agency(user: User) -> Agency:
    """The agency whose counter and register a staff member works at; an account of no
    agency (a system admin) has none to open."""
    if user.agency is None:
        raise Forbidden(N_("Tài khoản không thuộc cơ quan nào nên không có quầy thu phí."))
    return user.agency


def can_see_register(session: Session, user: User, agency_id: int) -> bool:
    """The receipt register of an agency: its staff, agency admins above it, system admins."""
    if user.is_admin:
        return True
    return user.is_staff and account_service.can_act_for_agency(session, user, agency_id)


def can_view(session: Session, user: User | None, receipt: Receipt) -> bool:
    """The payer (owner of the dossier), the agency's staff and anyone who sees the dossier."""
    if user is None:
        return False
    if user.is_admin or can_see_register(session, user, receipt.agency_id):
        return True
    dossier = session.get(Dossier, receipt.dossier_id) if receipt.dossier_id else None
    if dossier is None:
        return False
    return dossier_service.is_owner(user, dossier) or dossier_service.staff_can_view(
        session, user, dossier
    )


def get_visible(session: Session, user: User | None, receipt_id: int) -> Receipt:
    """A receipt the caller may see; anything else is "not found" (existence is not leaked)."""
    receipt = session.get(Receipt, receipt_id)
    if receipt is None or not can_view(session, user, receipt):
        raise NotFound(N_("Không tìm thấy biên lai."))
    return receipt


def _require_manager(session: Session, user: User | None, receipt: Receipt) -> User:
    if user is None or not can_manage(session, user, receipt.agency_id):
        raise Forbidden(
            N_("Chỉ cán bộ thu phí của đơn vị hoặc quản trị viên được hủy, thay thế biên lai.")
        )
    return user


# --- content -----------------------------------------------------------------------------------


def method_label(method: str) -> str:
    return METHOD_LABELS.get(method, method)


def number_text(number: int) -> str:
    return f"{number:07d}"


def _clean_text(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def _clean_items(items: list[dict[str, Any]] | None, field: str = "items") -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for item in items or []:
        name = _clean_text(item.get("name"), 255) if isinstance(item, dict) else ""
        amount = item.get("amount") if isinstance(item, dict) else None
        if not name or isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise InvalidInput(
                N_("Khoản thu không hợp lệ: cần tên và số tiền không âm."),
                fields={field: "invalid"},
            )
        cleaned.append({"name": name, "amount": amount})
    return cleaned


def _fee_lines(payment: Payment, dossier: Dossier) -> list[dict[str, Any]]:
    items = _clean_items(payment.items)
    if not items:
        items = [{"name": f"Phí, lệ phí: {dossier.version.name}"[:255], "amount": payment.amount}]
    if sum(i["amount"] for i in items) != payment.amount:
        raise InvalidInput(
            N_("Tổng các khoản thu không khớp số tiền đã thanh toán."), fields={"items": "sum"}
        )
    return items


def clean_tax_code(value: str | None, field: str = "payer_tax_code") -> str:
    """A payer's tax code (an organisation's: 10 digits, or 10 + "-" + 3 for a branch), or ""."""
    text = "".join(str(value or "").split())
    if not TAX_CODE_RE.fullmatch(text):
        raise InvalidInput(
            N_("Mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu gạch ngang và 3 chữ số."),
            fields={field: "tax code"},
        )
    return text


def _payer(dossier: Dossier) -> tuple[str, str, str, str]:
    applicant = dossier.applicant or {}
    user = dossier.applicant_user
    name = _clean_text(applicant.get("full_name") or (user.full_name if user else ""), 120)
    address = _clean_text(applicant.get("address") or (user.address if user else ""), 255)
    id_number = _clean_text(applicant.get("id_number") or (user.id_number if user else ""), 20)
    # An organisation applying declares its tax code with the applicant (SPEC §6); a value
    # that does not fit is left off the receipt rather than refusing a fee already collected.
    tax_code = "".join(str(applicant.get("tax_code") or "").split())
    return name, address, id_number, tax_code if TAX_CODE_RE.fullmatch(tax_code) else ""


def _receipt_brief(receipt: Receipt) -> dict[str, Any]:
    return {
        "id": receipt.id,
        "template_symbol": receipt.template_symbol,
        "series": receipt.series,
        "number": number_text(receipt.number),
        "issued_at": receipt.issued_at,
    }


def replacement_of(session: Session, receipt: Receipt) -> Receipt | None:
    """The receipt that replaced ``receipt``, if any."""
    return session.scalar(
        select(Receipt).where(Receipt.replaces_id == receipt.id).order_by(Receipt.id).limit(1)
    )


def pdf_context(session: Session, receipt: Receipt, verify_url: str) -> dict[str, Any]:
    """What the template shows: the receipt as issued, plus its status notes."""
    dossier = session.get(Dossier, receipt.dossier_id) if receipt.dossier_id else None
    replaced_by = replacement_of(session, receipt) if receipt.status == "replaced" else None
    original = receipt.replaces
    return {
        "doc": {
            "kind": "receipt",
            "title": _title(receipt),
            "issued_at": receipt.issued_at,
            "verify_url": verify_url,
        },
        "agency": {
            "name": receipt.agency_name,
            "tax_code": receipt.agency_tax_code,
            "address": receipt.agency_address,
        },
        "receipt": {
            "id": receipt.id,
            "template_symbol": receipt.template_symbol,
            "series": receipt.series,
            "number": number_text(receipt.number),
            "issued_at": receipt.issued_at,
            "payer_name": receipt.payer_name,
            "payer_address": receipt.payer_address,
            "payer_id_number": receipt.payer_id_number,
            "payer_tax_code": receipt.payer_tax_code,
            "receipt_name": receipt.receipt_name,
            "dossier_code": (dossier.code or "") if dossier else "",
            "procedure_name": dossier.version.name if dossier else "",
            "fees": list(receipt.items),
            "amount": receipt.amount,
            "amount_in_words": receipt.amount_in_words,
            "payment_method": receipt.payment_method,
            "payment_method_label": method_label(receipt.payment_method),
            "collector_name": receipt.collector_name,
            "status": receipt.status,
            "cancelled_at": receipt.cancelled_at,
            "cancel_reason": receipt.cancel_reason,
            "replaces": _receipt_brief(original) if original else None,
            "replace_reason": original.cancel_reason if original else "",
            "replaced_by": _receipt_brief(replaced_by) if replaced_by else None,
        },
    }


def _title(receipt: Receipt) -> str:
    return f"Biên lai thu phí, lệ phí {receipt.series} số {number_text(receipt.number)}"


def _freeze(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_freeze(v) for v in value]
    return value


# --- issuing ---------------------------------------------------------------------------------


def _issue(
    session: Session,
    dossier: Dossier,
    *,
    payment_id: int | None,
    method: str,
    items: list[dict[str, Any]],
    payer: tuple[str, str, str, str],
    collector: User | None,
    now: datetime,
    replaces: Receipt | None = None,
) -> Receipt:
    agency = dossier.agency
    if not agency.tax_code:
        raise Conflict(N_("Đơn vị thu chưa khai báo mã số thuế nên chưa lập được biên lai."))
    payer_name, payer_address, payer_id_number, payer_tax_code = payer
    if not payer_name:
        raise InvalidInput(
            N_("Thiếu họ tên người nộp tiền để lập biên lai."), fields={"payer_name": "required"}
        )
    amount = sum(int(i["amount"]) for i in items)
    if amount <= 0:
        raise InvalidInput(N_("Số tiền trên biên lai phải lớn hơn 0."), fields={"amount": "zero"})
    series = ensure_series(session, agency, local_year(now))
    number = next_number(session, series)
    receipt = Receipt(
        series_id=series.id,
        number=number,
        template_symbol=series.template_symbol,
        series=series.series,
        receipt_name=series.receipt_name,
        issued_at=now,
        agency_id=agency.id,
        agency_name=agency.name[:255],
        agency_tax_code=agency.tax_code,
        agency_address=(agency.address or "")[:255],
        dossier_id=dossier.id,
        payment_id=payment_id,
        payer_name=payer_name,
        payer_address=payer_address,
        payer_id_number=payer_id_number,
        payer_tax_code=payer_tax_code,
        items=items,
        amount=amount,
        amount_in_words=amount_in_words(amount),
        payment_method=method,
        collector_id=collector.id if collector else None,
        collector_name=collector.full_name if collector else "",
        status="issued",
        replaces_id=replaces.id if replaces else None,
    )
    receipt.replaces = replaces
    session.add(receipt)
    session.flush()

    token = secrets.token_urlsafe(32)
    context = pdf_context(session, receipt, document_service.verify_url(token))
    # The PDF comes after the commit, off the request (``stored.store_after_commit`` in the
    # background thread): laying it out and signing it here would hold the series lock, and on
    # SQLite the database's write lock, meanwhile; and the payer, or the gateway's callback,
    # would wait for it.
    doc = Document(
        dossier_id=dossier.id,
        agency_id=agency.id,
        kind="receipt",
        title=_title(receipt),
        context=_freeze({**context, "receipt_id": receipt.id}),
        sha256=None,
        size=None,
        verify_token=token,
        created_at=now,
        created_by_id=collector.id if collector else None,
    )
    session.add(doc)
    session.flush()
    receipt.document_id = doc.id
    session.flush()
    document_id = doc.id
    if not session.info.get(_PDFS_TO_READERS):
        call_after_commit(
            session, lambda engine: stored.store_after_commit(engine, document_id), background=True
        )
    return receipt


_PDFS_TO_READERS = "receipts.pdfs_to_readers"


def leave_pdfs_to_readers(session: Session) -> None:
    """Issue the receipts of this session without drawing their PDFs after the commit: each is
    made, signed and stored by its first reader (``stored.stored_pdf``). For bulk loads (the demo
    history's hundreds of receipts); the cashier's path is unchanged."""
    session.info[_PDFS_TO_READERS] = True


def receipt_id(session: Session, payment: Payment) -> int | None:
    """The newest receipt of a payment (a replaced receipt's successor), or None."""
    return session.scalar(
        select(Receipt.id)
        .where(Receipt.payment_id == payment.id)
        .order_by(Receipt.id.desc())
        .limit(1)
    )


def issue_receipt(
    session: Session, payment: Payment, collector: User | None, *, now: datetime | None = None
) -> Receipt:
    """The receipt of a paid payment, issued in the caller's transaction (once per payment:
    a payment that already has a valid receipt gets it back)."""
    if payment.status != "paid":
        raise Conflict(N_("Chỉ lập biên lai cho khoản thanh toán đã thành công."))
    existing = session.scalar(
        select(Receipt)
        .where(Receipt.payment_id == payment.id, Receipt.status == "issued")
        .order_by(Receipt.id.desc())
        .limit(1)
    )
    if existing is not None:
        return existing
    dossier = session.get(Dossier, payment.dossier_id)
    if dossier is None:
        raise NotFound(N_("Không tìm thấy hồ sơ."))
    return _issue(
        session,
        dossier,
        payment_id=payment.id,
        method=payment.method,
        items=_fee_lines(payment, dossier),
        payer=_payer(dossier),
        collector=collector,
        now=now or utcnow(),
    )


def _require_reason(reason: str | None) -> str:
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise InvalidInput(
            N_("Cần nêu lý do hủy hoặc thay thế biên lai."), fields={"reason": "required"}
        )
    return cleaned[:1000]


def _void(session: Session, receipt: Receipt, status: str, reason: str, now: datetime) -> None:
    """Mark an issued receipt cancelled or replaced; only one caller ever succeeds."""
    result = session.execute(
        update(Receipt)
        .where(Receipt.id == receipt.id, Receipt.status == "issued")
        .values(status=status, cancelled_at=now, cancel_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0)) != 1:
        session.refresh(receipt)
        raise Conflict(N_("Biên lai đã bị hủy hoặc đã được thay thế."))
    session.refresh(receipt)


def cancel_receipt(
    session: Session,
    receipt: Receipt,
    user: User | None,
    reason: str,
    *,
    now: datetime | None = None,
) -> Receipt:
    """Cancel an issued receipt (kept, with its number, the time and the reason)."""
    _require_manager(session, user, receipt)
    cleaned = _require_reason(reason)
    _void(session, receipt, "cancelled", cleaned, now or utcnow())
    events.publish(session, ReceiptCancelled(receipt=receipt, actor=user, reason=cleaned))
    return receipt


def replace_receipt(
    session: Session,
    receipt: Receipt,
    user: User | None,
    reason: str,
    *,
    payer_name: str | None = None,
    payer_address: str | None = None,
    payer_id_number: str | None = None,
    payer_tax_code: str | None = None,
    items: list[dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> Receipt:
    """Replace an issued receipt with a corrected one under a new number of the current
    series; the original becomes "replaced" and the new one points to it (``replaces_id``).
    Fee names may be corrected, amounts not: the total stays the payment's."""
    collector = _require_manager(session, user, receipt)
    cleaned = _require_reason(reason)
    if receipt.status != "issued":
        raise Conflict(N_("Biên lai đã bị hủy hoặc đã được thay thế."))
    dossier = session.get(Dossier, receipt.dossier_id) if receipt.dossier_id else None
    if dossier is None:
        raise Conflict(N_("Biên lai không gắn với hồ sơ nên không thay thế được."))
    payment = session.get(Payment, receipt.payment_id) if receipt.payment_id else None
    expected = payment.amount if payment is not None else receipt.amount
    lines = _clean_items(items) if items is not None else list(receipt.items)
    if not lines or sum(i["amount"] for i in lines) != expected:
        raise InvalidInput(
            N_("Tổng số tiền của biên lai thay thế phải bằng số tiền đã thu."),
            fields={"items": "sum"},
        )
    payer = (
        _clean_text(payer_name if payer_name is not None else receipt.payer_name, 120),
        _clean_text(payer_address if payer_address is not None else receipt.payer_address, 255),
        _clean_text(
            payer_id_number if payer_id_number is not None else receipt.payer_id_number, 20
        ),
        clean_tax_code(payer_tax_code) if payer_tax_code is not None else receipt.payer_tax_code,
    )
    moment = now or utcnow()
    _void(session, receipt, "replaced", cleaned, moment)
    replacement = _issue(
        session,
        dossier,
        payment_id=receipt.payment_id,
        method=receipt.payment_method,
        items=lines,
        payer=payer,
        collector=collector,
        now=moment,
        replaces=receipt,
    )
    events.publish(
        session,
        ReceiptReplaced(original=receipt, replacement=replacement, actor=user, reason=cleaned),
    )
    return replacement


# --- reading -----------------------------------------------------------------------------------


def document_of(session: Session, receipt: Receipt) -> Document | None:
    return session.get(Document, receipt.document_id) if receipt.document_id else None


def pdf_bytes(session: Session, receipt: Receipt, original: bool = False) -> bytes:
    """The receipt's PDF: the stored (signed) one while it is valid, or with ``original``
    (made and stored now if it is still pending); a cancelled or replaced receipt is shown
    re-rendered with its status stamped on it."""
    doc = document_of(session, receipt)
    if doc is not None and (original or receipt.status == "issued"):
        return stored.stored_pdf(session, doc)
    token = doc.verify_token if doc is not None else ""
    return receipt_pdf.render_pdf(pdf_context(session, receipt, document_service.verify_url(token)))


def check_period(start: date, end: date) -> None:
    """The period of the register and of the usage report: days of the years a query may name,
    forward, at most ``MAX_REGISTER_DAYS`` (the report is filed per period, at most yearly)."""
    for name, day in (("from", start), ("to", end)):
        if not day_in_range(day):
            raise InvalidInput(DAY_OUT_OF_RANGE, fields={name: f"{MIN_YEAR}–{MAX_YEAR}"})
    if end < start:
        raise InvalidInput(N_("Ngày kết thúc phải sau ngày bắt đầu."), fields={"to": "before from"})
    if (end - start).days >= MAX_REGISTER_DAYS:
        raise InvalidInput(
            N_("Mỗi lần chỉ xem được tối đa một năm (366 ngày)."), fields={"to": "range"}
        )


def register(session: Session, user: User, agency: Agency, start: date, end: date) -> list[Receipt]:
    """Receipts of the agency issued between two local dates (inclusive), in issue order."""
    if not can_see_register(session, user, agency.id):
        raise Forbidden(N_("Bạn không có quyền xem sổ biên lai của đơn vị này."))
    check_period(start, end)
    lower, upper = local_day_bounds(start, end)
    return list(
        session.scalars(
            select(Receipt)
            .where(
                Receipt.agency_id == agency.id,
                Receipt.issued_at >= lower,
                Receipt.issued_at < upper,
            )
            .order_by(Receipt.issued_at, Receipt.id)
        )
    )
