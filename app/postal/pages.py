"""Results by post on the citizen's pages: the choice on the draft form (its fields, values
and errors) and what the dossier page and the lookup show."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from app.postal import service
from app.web import translator

FIELDS = ("result_delivery", "postal_recipient", "postal_phone", "postal_address")


def draft_view(
    request: Request, session: Session, dossier: Dossier, errors: dict[str, str]
) -> dict[str, Any]:
    """The draft form's "how to get the result" part: values (typed, else saved, else the
    applicant's), the fee, and its errors with anchors for the error summary."""
    _ = translator(request)
    row = service.get(session, dossier.id)
    applicant = dossier.applicant or {}
    typed = getattr(request.state, "postal_typed", None)
    if typed is not None and any(k in errors for k in FIELDS):
        values = dict(typed)
    else:
        values = {
            "result_delivery": "post" if row is not None else "online",
            "postal_recipient": row.recipient_name if row else applicant.get("full_name", ""),
            "postal_phone": row.phone if row else applicant.get("phone", ""),
            "postal_address": row.address if row else applicant.get("address", ""),
        }
    labels = {
        "result_delivery": _("Hình thức nhận kết quả"),
        "postal_recipient": _("Người nhận"),
        "postal_phone": _("Số điện thoại người nhận"),
        "postal_address": _("Địa chỉ nhận kết quả"),
    }
    summary = [(f"f-{k}", labels[k], errors[k]) for k in FIELDS if k in errors]
    return {
        "values": values,
        "errors": {k: errors[k] for k in FIELDS if k in errors},
        "fee": service.fee(),
        "summary": summary,
        "editable": dossier.status in service.EDITABLE,
    }
