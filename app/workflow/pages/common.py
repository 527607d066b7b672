"""Helpers shared by the staff pages: who may open them, the redirect after a form, the
local day, uploads, and the officers who may take a dossier's next step."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.accounts import service as account_service
from app.accounts.models import STAFF_ROLES, User, UserRole
from app.catalog.models import ProcedureVersion, ProcessStep
from app.config import get_settings
from app.db import utcnow
from app.dossiers.models import Dossier
from app.errors import DomainError, PayloadTooLarge
from app.i18n_markers import N_
from app.payments import refunds
from app.payments import service as payment_service

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def require_staff(user: User) -> None:
    account_service.require_role(user, *STAFF_ROLES)


def see_other(session: Session, url: str) -> Response:
    """The 303 after a successful form, with the transaction committed first: the session
    dependency commits only once the response has been sent, and the browser must not load
    the next page before the change is visible."""
    session.commit()
    return RedirectResponse(url, status_code=303)


def tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today() -> date:
    return utcnow().astimezone(tz()).date()


async def read_upload(upload: UploadFile) -> bytes:
    """Read an upload without holding more than the limit + 1 bytes."""
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(N_("Tệp vượt quá dung lượng cho phép."))
    return data


async def form_upload(
    form: FormData,
) -> tuple[tuple[str, bytes] | None, DomainError | None]:
    """The form's ``file`` part, if a file was chosen, or the error reading it."""
    part = form.get("file")
    if not isinstance(part, UploadFile) or not part.filename:
        return None, None
    try:
        return (part.filename, await read_upload(part)), None
    except PayloadTooLarge as exc:
        return None, exc


def officers(session: Session, dossier: Dossier, step: ProcessStep | None) -> list[User]:
    """Active officers of the step's agency holding the step's role."""
    if step is None:
        return []
    agency_id = step.agency_id or dossier.agency_id
    return list(
        session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.agency_id == agency_id, User.is_active.is_(True), UserRole.role == step.role
            )
            .order_by(User.full_name, User.id)
        )
    )


def next_step(dossier: Dossier, action: str) -> ProcessStep | None:
    steps = list(dossier.version.steps)
    if not steps:
        return None
    if action == "receive":
        return steps[1] if len(steps) > 1 else steps[0]
    index = next((i for i, s in enumerate(steps) if s.id == dossier.current_step_id), None)
    if index is None or index + 1 >= len(steps):
        return None
    return steps[index + 1]


def counter_url(session: Session, user: User, dossier: Dossier) -> str | None:
    """Where a cashier of the receiving agency collects the fees the dossier still owes (the
    counter, found by the dossier's code), or None when there is nothing for them to collect."""
    if not user.has_role("cashier") or user.agency_id != dossier.agency_id:
        return None
    if dossier.status in ("draft", "rejected", "withdrawn", "stopped"):
        return None
    if dossier.status != "awaiting_payment" and payment_service.outstanding(session, dossier) <= 0:
        return None
    if not dossier.code:
        return "/can-bo/thu-phi"  # the counter lists every dossier waiting for fees
    return "/can-bo/thu-phi?" + urlencode({"code": dossier.code})


def refund_url(session: Session, user: User, dossier: Dossier) -> str | None:
    """Where a cashier of the receiving agency pays back the fees of a dossier that ended
    without the service (the counter's "Hoàn phí" form), or None when nothing is owed back."""
    if not user.has_role("cashier") or user.agency_id != dossier.agency_id:
        return None
    if refunds.refund_due(session, dossier) <= 0:
        return None
    query = "?" + urlencode({"code": dossier.code}) if dossier.code else ""
    return f"/can-bo/thu-phi{query}#rf-{dossier.id}"


def declared(version: ProcedureVersion) -> list[dict[str, Any]]:
    return list((version.form_schema or {}).get("fields", []))
