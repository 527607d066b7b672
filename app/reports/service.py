"""The tracking book (Sổ theo dõi hồ sơ, form 07 of Circular 03/2025/TT-VPCP): the dossiers an
agency received in a period, with where they went and how they ended."""

from __future__ import annotations

import json
import re
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.config import get_settings
from app.db import utcnow
from app.documents import service as document_service
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import FINAL_STATUSES, Dossier, StepRun
from app.errors import Forbidden, InvalidInput
from app.i18n_markers import N_

# A book covers at most a (leap) year: enough for the yearly book, small enough to render.
MAX_PERIOD_DAYS = 366
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(value: str, field: str) -> date:
    """A ``YYYY-MM-DD`` date; anything else is InvalidInput naming ``field``."""
    text = (value or "").strip()
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            N_("Ngày không hợp lệ, nhập theo dạng YYYY-MM-DD."), fields={field: "YYYY-MM-DD"}
        ) from exc


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


def _handed_to(dossier: Dossier, runs: list[StepRun]) -> str:
    """The unit that handled the dossier after reception (its first step after reception)."""
    if len(runs) < 2:
        return ""
    run = runs[1]
    units = {s.code: s.unit for s in dossier.version.steps}
    unit = units.get(run.step_code) or ""
    if run.agency_id != dossier.agency_id and run.agency is not None:
        return f"{run.agency.name} ({unit})" if unit else run.agency.name
    return unit or (run.agency.name if run.agency else "")


def _note(dossier: Dossier, now: datetime) -> str:
    """Late, extended and supplemented dossiers, in the words of the book (always Vietnamese:
    form 07 is a statutory form)."""
    notes = []
    due = dossier.due_at
    done = dossier.result_ready_at or (
        dossier.finished_at if dossier.status in FINAL_STATUSES else None
    )
    if due is not None and ((done is not None and done > due) or (done is None and now > due)):
        notes.append("Quá hạn")
    if dossier.extension_count:
        notes.append("Đã gia hạn")
    if dossier.supplement_count:
        notes.append(f"Yêu cầu bổ sung {dossier.supplement_count} lần")
    return "; ".join(notes)


def _row(index: int, dossier: Dossier, now: datetime) -> dict[str, Any]:
    applicant = dossier.applicant or {}
    runs = list(dossier.step_runs)
    has_result = dossier.result_ready_at or (
        dossier.finished_at if dossier.status in ("rejected", "stopped", "withdrawn") else None
    )
    return {
        "index": index,
        "code": dossier.code or "",
        "procedure_name": dossier.version.name,
        "applicant_name": applicant.get("full_name", ""),
        "address": applicant.get("address", ""),
        "phone": applicant.get("phone", ""),
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "handed_to": _handed_to(dossier, runs),
        "finished_at": has_result,
        "returned_at": dossier.finished_at if dossier.status == "completed" else None,
        "status_label": dossier_service.status_label(dossier.status),
        "note": _note(dossier, now),
    }


def tracking_book(
    session: Session, user: User, agency_code: str, date_from: date, date_to: date
) -> dict[str, Any]:
    """Form 07 context: dossiers received by the agency between two dates (local days)."""
    check_period(date_from, date_to)
    agency = agency_service.get_by_code(session, agency_code)
    if not may_read_book(session, user, agency):
        raise Forbidden(N_("Bạn chỉ xem được sổ theo dõi hồ sơ của cơ quan mình."))
    tz = ZoneInfo(get_settings().timezone)
    start = datetime.combine(date_from, time(0), tz)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tz)
    dossiers = session.scalars(
        select(Dossier)
        .where(
            Dossier.agency_id == agency.id,
            Dossier.received_at.is_not(None),
            Dossier.received_at >= start,
            Dossier.received_at < end,
        )
        .options(selectinload(Dossier.step_runs).joinedload(StepRun.agency))
        .order_by(Dossier.received_at, Dossier.id)
    ).all()
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
            "period_from": date_from,
            "period_to": date_to,
            "rows": [_row(i, d, now) for i, d in enumerate(dossiers, start=1)],
        },
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def issue_book(session: Session, user: User, context: dict[str, Any]) -> Document:
    """Record an exported book as a document, so the QR code on its PDF can be verified."""
    agency = agency_service.get_by_code(session, context["agency"]["code"])
    doc = Document(
        dossier_id=None,
        agency_id=agency.id,
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


def book_pdf(session: Session, user: User, context: dict[str, Any]) -> bytes:
    """The book as PDF, issued as a verifiable document (rendered once, then stored)."""
    return document_service.pdf_bytes(session, issue_book(session, user, context))
