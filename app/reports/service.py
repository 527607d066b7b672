"""The tracking book (Sổ theo dõi hồ sơ, form 07 of Circular 03/2025/TT-VPCP): the dossiers an
agency received in a period, with where they went and how they ended.

A busy commune receives hundreds of dossiers a day, so the book is never loaded whole: rows are
read in ``(received_at, id)`` order from the ``(received_at, agency_id)`` index, as plain columns
(no ORM objects), in batches; the unit each batch was handed to comes from one query per batch.
The JSON API and the staff page go page by page with a keyset cursor, the PDF stops at
``MAX_PDF_ROWS`` and the XLSX is written row by row up to ``MAX_XLSX_ROWS``
(why: docs/decisions/0011-tracking-book-paging-and-limits.md).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.catalog.models import ProcedureVersion, ProcessStep
from app.config import get_settings
from app.db import MAX_ID, utcnow
from app.documents import service as document_service
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import FINAL_STATUSES, Dossier, StepRun
from app.errors import Forbidden, InvalidInput
from app.i18n_markers import N_
from app.reports import xlsx

# A book covers at most a (leap) year: enough for the yearly book.
MAX_PERIOD_DAYS = 366
# JSON pages: rows per page by default and at most.
PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# Rows per page of the staff page (the downloads hold the whole book).
PREVIEW_ROWS = 100
# A cursor is ~50 characters (ISO time, id, number, base64); longer is not one of ours.
MAX_CURSOR_CHARS = 120
# WeasyPrint lays a row out in ~25-50 ms and keeps every page in memory until the end
# (500 rows: ~25 pages, 15-25 s, +160 MB), behind one lock per process: a longer book is
# refused rather than stalling the worker. The message names the limit (keep them in step).
MAX_PDF_ROWS = 500
# The streamed XLSX keeps memory flat but costs ~0.35 ms of CPU per row (openpyxl): 50,000
# rows (a year of a busy commune) take ~20 s, a length that still fits a request.
MAX_XLSX_ROWS = 50_000
# Rows fetched per round trip (server-side cursor on PostgreSQL); one hand-over query each.
BATCH_ROWS = 1000
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_period(date_from: date, date_to: date) -> None:
    """The period runs forward and spans at most ``MAX_PERIOD_DAYS`` days (both ends counted)."""
    if date_to < date_from:
        raise InvalidInput(
            N_("Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."), fields={"to": "before from"}
        )
    if (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(
            N_("Kỳ theo dõi dài tối đa 366 ngày."), fields={"to": f"at most {MAX_PERIOD_DAYS} days"}
        )


def may_read_book(session: Session, user: User, agency: Agency) -> bool:
    """Staff read their own agency's book, agency admins their subtree's, system admins all."""
    if user.is_admin:
        return True
    return user.is_staff and account_service.can_act_for_agency(session, user, agency.id)


def book_agencies(session: Session, user: User) -> list[Agency]:
    """The agencies whose book the user may read, in tree order."""
    if user.is_admin:
        return [a for _depth, a in agency_service.tree(session)]
    if not user.is_staff or user.agency_id is None:
        return []
    if user.has_role("agency_admin"):
        return [a for _depth, a in agency_service.tree(session, user.agency_id)]
    return [user.agency] if user.agency is not None else []


# --- which book: agency and period -----------------------------------------------------------


@dataclass(frozen=True)
class BookScope:
    """An agency's book over whole local days: receptions in ``[start, end)``."""

    agency: Agency
    date_from: date
    date_to: date
    start: datetime
    end: datetime


def book_scope(
    session: Session, user: User, agency_code: str, date_from: date, date_to: date
) -> BookScope:
    """Check the period and the user's right to the agency's book."""
    check_period(date_from, date_to)
    agency = agency_service.get_by_code(session, agency_code)
    if not may_read_book(session, user, agency):
        raise Forbidden(N_("Bạn chỉ xem được sổ theo dõi hồ sơ của cơ quan mình."))
    tz = ZoneInfo(get_settings().timezone)
    start = datetime.combine(date_from, time(0), tz)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tz)
    return BookScope(agency, date_from, date_to, start, end)


def _in_scope(scope: BookScope) -> list[Any]:
    # received_at first: the range is the leading column of ix_dossiers_received_agency.
    return [
        Dossier.received_at >= scope.start,
        Dossier.received_at < scope.end,
        Dossier.agency_id == scope.agency.id,
    ]


def count_rows(session: Session, scope: BookScope, *, cap: int | None = None) -> int:
    """How many dossiers the book holds; with ``cap``, counting stops at ``cap + 1`` (enough to
    tell that a book is over a limit without counting a year of it)."""
    if cap is None:
        query = select(func.count()).select_from(Dossier).where(*_in_scope(scope))
    else:
        first = select(Dossier.received_at).where(*_in_scope(scope)).limit(cap + 1).subquery()
        query = select(func.count()).select_from(first)
    return int(session.scalar(query) or 0)


# --- keyset cursor ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """The last row of a page: its reception time, dossier id and number in the book."""

    received_at: datetime
    dossier_id: int
    index: int


def encode_cursor(row: dict[str, Any]) -> str:
    """An opaque, URL-safe cursor pointing just after ``row``."""
    raw = f"{row['received_at'].isoformat()}_{row['id']}_{row['index']}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        N_("Con trỏ trang (cursor) không hợp lệ. Hãy dùng next_cursor của trang trước."),
        fields={"cursor": "invalid"},
    )


def parse_cursor(cursor: str) -> Position:
    """Read a cursor of ``encode_cursor``; anything else is InvalidInput on ``cursor``."""
    try:
        text = cursor.strip()
        if len(text) > MAX_CURSOR_CHARS:
            raise ValueError(text)
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        moment, ident, index = raw.split("_")
        at = datetime.fromisoformat(moment)
        if at.tzinfo is None:
            raise ValueError(raw)
        position = Position(at.astimezone(UTC), int(ident), int(index))
        if not (0 < position.dossier_id <= MAX_ID and 0 < position.index <= MAX_ID):
            raise ValueError(raw)
        return position
    except (ValueError, OverflowError, binascii.Error) as exc:
        raise _bad_cursor() from exc


def resume_after(session: Session, scope: BookScope, cursor: str) -> Position:
    """Where a page of ``scope``'s book starts: just after the cursor's row, which must lie in
    the book's period. The row's number is counted again here rather than taken from the
    cursor (which the client may have altered), so the numbering of a page is always right."""
    position = parse_cursor(cursor)
    at, last_id = position.received_at, position.dossier_id
    if not scope.start <= at < scope.end:
        raise _bad_cursor()
    before = (
        select(func.count())
        .select_from(Dossier)
        .where(
            *_in_scope(scope),
            Dossier.received_at <= at,
            or_(Dossier.received_at < at, Dossier.id <= last_id),
        )
    )
    index = int(session.scalar(before) or 0)
    if index == 0:  # nothing of this book comes before it: not a cursor of this book
        raise _bad_cursor()
    return replace(position, index=index)


def previous_cursor(
    session: Session, scope: BookScope, after: Position | None, limit: int
) -> str | None:
    """The cursor of the page before the one that starts after ``after``: "" when that is the
    first page (no cursor), None when this is the first page. Read backwards from the cursor's
    row with the same index, ``limit`` rows at most."""
    if after is None:
        return None
    if after.index <= limit:
        return ""
    at, last_id = after.received_at, after.dossier_id
    row = session.execute(
        select(Dossier.received_at, Dossier.id)
        .where(
            *_in_scope(scope),
            Dossier.received_at <= at,
            or_(Dossier.received_at < at, and_(Dossier.received_at == at, Dossier.id <= last_id)),
        )
        .order_by(Dossier.received_at.desc(), Dossier.id.desc())
        .offset(limit)
        .limit(1)
    ).first()
    if row is None:  # cannot happen for a cursor that resume_after accepted
        return ""
    return encode_cursor({"received_at": row[0], "id": row[1], "index": after.index - limit})


# --- rows ------------------------------------------------------------------------------------


def _rows_select(scope: BookScope, after: Position | None) -> Select[Any]:
    stmt = (
        select(
            Dossier.id,
            Dossier.code,
            Dossier.applicant,
            Dossier.status,
            Dossier.agency_id,
            Dossier.version_id,
            Dossier.received_at,
            Dossier.due_at,
            Dossier.result_ready_at,
            Dossier.finished_at,
            Dossier.extension_count,
            Dossier.supplement_count,
            ProcedureVersion.name.label("procedure_name"),
        )
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.version_id)
        .where(*_in_scope(scope))
        .order_by(Dossier.received_at, Dossier.id)
    )
    if after is not None:
        at, last_id = after.received_at, after.dossier_id
        stmt = stmt.where(
            Dossier.received_at >= at,  # lets the index start at the cursor
            or_(Dossier.received_at > at, and_(Dossier.received_at == at, Dossier.id > last_id)),
        )
    return stmt


class _Handovers:
    """Where each dossier of a batch went after reception: one query per batch for the second
    step run and its agency, and the steps' units per procedure version (cached)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.units: dict[int, dict[str, str]] = {}

    def _load_units(self, version_ids: set[int]) -> None:
        missing = version_ids - self.units.keys()
        if not missing:
            return
        for version_id in missing:
            self.units[version_id] = {}
        for version_id, code, unit in self.session.execute(
            select(ProcessStep.version_id, ProcessStep.code, ProcessStep.unit).where(
                ProcessStep.version_id.in_(missing)
            )
        ):
            self.units[version_id][code] = unit

    def for_batch(self, records: Sequence[Row[Any]]) -> dict[int, str]:
        """``handed_to`` text by dossier id."""
        if not records:
            return {}
        self._load_units({r.version_id for r in records})
        # A window over the batch's step runs (ix_step_runs_dossier_id), not a subquery per row:
        # should the planner lack statistics and scan the table, it does so once per batch.
        ranked = (
            select(
                StepRun.dossier_id,
                StepRun.step_code,
                StepRun.agency_id,
                func.row_number()
                .over(partition_by=StepRun.dossier_id, order_by=StepRun.id)
                .label("position"),
            )
            .where(StepRun.dossier_id.in_([r.id for r in records]))
            .subquery()
        )
        second = self.session.execute(
            select(ranked.c.dossier_id, ranked.c.step_code, ranked.c.agency_id, Agency.name)
            .outerjoin(Agency, Agency.id == ranked.c.agency_id)
            .where(ranked.c.position == 2)
        )
        runs = {dossier_id: (code, agency_id, name) for dossier_id, code, agency_id, name in second}
        handed: dict[int, str] = {}
        for record in records:
            run = runs.get(record.id)
            if run is not None:
                handed[record.id] = self._describe(record, *run)
        return handed

    def _describe(self, record: Row[Any], step_code: str, agency_id: int, name: str | None) -> str:
        """The unit of the first step after reception; another agency's name when it left."""
        unit = self.units[record.version_id].get(step_code) or ""
        if agency_id != record.agency_id and name is not None:
            return f"{name} ({unit})" if unit else name
        return unit or (name or "")


def _note(record: Row[Any], now: datetime) -> str:
    """Late, extended and supplemented dossiers, in the words of the book (always Vietnamese:
    form 07 is a statutory form)."""
    notes = []
    due = record.due_at
    done = record.result_ready_at or (
        record.finished_at if record.status in FINAL_STATUSES else None
    )
    # A withdrawal is neither on time nor late (docs/decisions/0025-withdrawal-on-request.md).
    judged = record.status not in ("withdrawn", "withdrawal_requested")
    if (
        judged
        and due is not None
        and ((done is not None and done > due) or (done is None and now > due))
    ):
        notes.append("Quá hạn")
    if record.extension_count:
        notes.append("Đã gia hạn")
    if record.supplement_count:
        notes.append(f"Yêu cầu bổ sung {record.supplement_count} lần")
    return "; ".join(notes)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _row(index: int, record: Row[Any], handed_to: str, now: datetime) -> dict[str, Any]:
    applicant = record.applicant if isinstance(record.applicant, dict) else {}
    finished_at = record.result_ready_at or (
        record.finished_at if record.status in ("rejected", "stopped", "withdrawn") else None
    )
    return {
        "index": index,
        "id": record.id,
        "code": record.code or "",
        "procedure_name": record.procedure_name,
        "applicant_name": _text(applicant.get("full_name")),
        "address": _text(applicant.get("address")),
        "phone": _text(applicant.get("phone")),
        "received_at": record.received_at,
        "due_at": record.due_at,
        "handed_to": handed_to,
        "finished_at": finished_at,
        "returned_at": record.finished_at if record.status == "completed" else None,
        "status": record.status,
        "status_label": dossier_service.status_label(record.status),
        "note": _note(record, now),
    }


def iter_rows(
    session: Session,
    scope: BookScope,
    *,
    after: Position | None = None,
    limit: int | None = None,
    batch: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The book's rows in order (after ``after``, at most ``limit``), fetched ``batch`` at a
    time, so memory does not grow with the book."""
    stmt = _rows_select(scope, after)
    if limit is not None:
        stmt = stmt.limit(limit)
    handovers = _Handovers(session)
    index = after.index if after else 0
    now = utcnow()
    result = session.execute(stmt.execution_options(yield_per=batch or BATCH_ROWS))
    try:
        for records in result.partitions():
            handed = handovers.for_batch(records)
            for record in records:
                index += 1
                yield _row(index, record, handed.get(record.id, ""), now)
    finally:
        result.close()


# --- the three outputs -----------------------------------------------------------------------


def _context(
    user: User, scope: BookScope, rows: list[dict[str, Any]], total: int
) -> dict[str, Any]:
    agency = scope.agency
    now = utcnow()
    token = secrets.token_urlsafe(32)
    return {
        "doc": {
            "kind": "form_07",
            "title": document_service.TITLES["form_07"],
            "issued_at": now,
            "verify_url": document_service.verify_url(token),
            "verify_token": token,
            "number": None,
        },
        "agency": {
            "name": agency.name,
            "code": agency.code,
            "address": agency.address,
            "phone": agency.phone,
            "parent_name": agency.parent.name if agency.parent else None,
        },
        "officer": {"name": user.full_name, "title": ""},
        "dossier": {},
        "extra": {
            "period_from": scope.date_from,
            "period_to": scope.date_to,
            "rows": rows,
            "total": total,
        },
        "limits": {"pdf": MAX_PDF_ROWS, "xlsx": MAX_XLSX_ROWS},
    }


def tracking_book(
    session: Session,
    user: User,
    agency_code: str,
    date_from: date,
    date_to: date,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Form 07 context for the staff page: ``limit`` (default ``PREVIEW_ROWS``) dossiers received
    by the agency between two dates (local days), after ``cursor`` (a page's ``next_cursor``);
    ``extra.total`` counts the whole book, ``extra.next_cursor`` is None on the last page."""
    scope = book_scope(session, user, agency_code, date_from, date_to)
    after = resume_after(session, scope, cursor) if cursor else None
    limit = max(1, limit or PREVIEW_ROWS)
    total = count_rows(session, scope)
    rows, next_cursor = _page(session, scope, after, limit) if total else ([], None)
    context = _context(user, scope, rows, total)
    context["extra"]["next_cursor"] = next_cursor
    context["extra"]["previous_cursor"] = previous_cursor(session, scope, after, limit)
    return context


def _page(
    session: Session, scope: BookScope, after: Position | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """``limit`` rows after ``after`` and the cursor of the next page (None at the end)."""
    rows = list(iter_rows(session, scope, after=after, limit=limit + 1, batch=limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more else None


def book_page(
    session: Session,
    user: User,
    agency_code: str,
    date_from: date,
    date_to: date,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> dict[str, Any]:
    """One page of the book for the JSON API, with the cursor of the next page (None at the
    end)."""
    if cursor:
        parse_cursor(cursor)  # a malformed cursor is reported before the agency is looked up
    scope = book_scope(session, user, agency_code, date_from, date_to)
    after = resume_after(session, scope, cursor) if cursor else None
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    total = count_rows(session, scope)
    rows, next_cursor = _page(session, scope, after, limit)
    previous = previous_cursor(session, scope, after, limit)
    return {
        "agency_code": scope.agency.code,
        "agency_name": scope.agency.name,
        "period_from": date_from,
        "period_to": date_to,
        "items": rows,
        "total": total,
        "limit": limit,
        "next_cursor": next_cursor,
        "previous_cursor": previous,
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def issue_book(session: Session, user: User, context: dict[str, Any]) -> Document:
    """Record an exported book as a document, so the QR code on its PDF can be verified."""
    doc = Document(
        dossier_id=None,
        agency_id=agency_service.get_by_code(session, context["agency"]["code"]).id,
        kind="form_07",
        title=context["doc"]["title"],
        context=json.loads(json.dumps(context, default=_json_safe)),
        verify_token=context["doc"]["verify_token"],
        created_at=context["doc"]["issued_at"],
        created_by_id=user.id,
    )
    session.add(doc)
    session.flush()
    return doc


def book_pdf(
    session: Session, user: User, agency_code: str, date_from: date, date_to: date
) -> bytes:
    """The book as PDF, issued as a verifiable document; at most ``MAX_PDF_ROWS`` rows."""
    scope = book_scope(session, user, agency_code, date_from, date_to)
    total = count_rows(session, scope, cap=MAX_PDF_ROWS)
    if total > MAX_PDF_ROWS:
        raise InvalidInput(
            N_(
                "Sổ có quá nhiều hồ sơ để in thành một tệp PDF (tối đa 500 hồ sơ). "
                "Vui lòng chọn kỳ ngắn hơn hoặc tải tệp Excel."
            ),
            fields={"to": f"more than {MAX_PDF_ROWS} dossiers; a PDF holds at most that"},
        )
    rows = list(iter_rows(session, scope, limit=MAX_PDF_ROWS)) if total else []
    context = _context(user, scope, rows, total)
    return document_service.pdf_bytes(session, issue_book(session, user, context))


def book_xlsx(
    session: Session,
    user: User,
    agency_code: str,
    date_from: date,
    date_to: date,
    target: IO[bytes],
) -> None:
    """Write the book as XLSX into ``target``, streaming rows; at most ``MAX_XLSX_ROWS``."""
    scope = book_scope(session, user, agency_code, date_from, date_to)
    total = count_rows(session, scope, cap=MAX_XLSX_ROWS)
    if total > MAX_XLSX_ROWS:
        raise InvalidInput(
            N_(
                "Sổ có quá nhiều hồ sơ cho một tệp Excel (tối đa 50.000 hồ sơ). "
                "Vui lòng chọn kỳ ngắn hơn."
            ),
            fields={"to": f"more than {MAX_XLSX_ROWS} dossiers; an XLSX holds at most that"},
        )
    context = _context(user, scope, [], total)
    rows = iter_rows(session, scope, limit=MAX_XLSX_ROWS) if total else iter(())
    xlsx.write_book(target, context, rows)
