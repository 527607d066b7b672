"""The result delivery of a dossier in the JSON API: the applicant chooses it on a draft; the
applicant and authorised staff read it (with the tracking number once handed over)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from app.db import MAX_ID
from app.dossiers import service as dossier_service
from app.postal import service
from app.postal.models import ResultDelivery
from app.postal.schemas import ResultDeliveryIn, ResultDeliveryRead
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1/dossiers", tags=["dossiers"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "Not the applicant (or staff of the dossier's agency)"},
    404: {"description": "No such dossier"},
}
DossierId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _read(row: ResultDelivery | None) -> ResultDeliveryRead:
    if row is None:
        return ResultDeliveryRead(method="online")
    return ResultDeliveryRead(
        method="post",
        recipient_name=row.recipient_name,
        phone=row.phone,
        address=row.address,
        fee=row.fee,
        tracking_number=row.tracking_number,
        handed_over_at=row.handed_over_at,
    )


@router.get("/{dossier_id}/result-delivery", response_model=ResultDeliveryRead, responses=ERRORS)
def get_result_delivery(
    dossier_id: DossierId, session: SessionDep, user: CurrentUser
) -> ResultDeliveryRead:
    """How the dossier's result reaches the applicant, with the tracking number by post."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    return _read(service.get(session, dossier.id))


@router.put(
    "/{dossier_id}/result-delivery",
    response_model=ResultDeliveryRead,
    responses={**ERRORS, 422: {"description": "Post without address, recipient or phone"}},
)
def put_result_delivery(
    dossier_id: DossierId, body: ResultDeliveryIn, session: SessionDep, user: CurrentUser
) -> ResultDeliveryRead:
    """Choose, on a draft, to get the result by post (its fee is added at submission)."""
    dossier = dossier_service.get_visible(session, user, dossier_id)
    row = service.choose(
        session,
        user,
        dossier,
        body.method,
        recipient_name=body.recipient_name,
        phone=body.phone,
        address=body.address,
    )
    return _read(row)
