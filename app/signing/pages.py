"""Signing certificates under /quan-tri/chung-thu-so: those of the agencies an admin looks
after, and importing an agency's PKCS#12 file (it becomes the one its documents are signed
with)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import Response

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.db import utcnow
from app.errors import Conflict, InvalidInput
from app.signing import certificates as certificate_service
from app.signing.service import MAX_PKCS12_BYTES
from app.web import forms as admin_forms
from app.web import verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)


def _certificates_page(
    request: Request,
    session: Session,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return admin_forms.render_page(
        request,
        "signing/certificates.html",
        {
            "groups": certificate_service.list_certificates(session, user),
            "choices": agency_service.agency_choices(session, user),
            "values": values or {"agency_code": user.agency.code if user.agency else ""},
            "errors": errors or {},
            "now": utcnow(),
        },
        status,
    )


@router.get("/quan-tri/chung-thu-so")
def certificates(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    account_service.require_admin_area(user)
    return _certificates_page(request, session, user)


@router.post("/quan-tri/chung-thu-so", dependencies=[Depends(verify_csrf)])
async def certificate_upload(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    form = await admin_forms.read_form(request)
    upload = form.get("file")
    data = await upload.read(MAX_PKCS12_BYTES + 1) if isinstance(upload, UploadFile) else b""
    passphrase = form.get("passphrase", "")

    def work() -> Response:
        values = {"agency_code": admin_forms.text(form, "agency_code", 35)}
        try:
            certificate_service.upload_certificate(
                session,
                user,
                values["agency_code"],
                data,
                passphrase if isinstance(passphrase, str) else "",
            )
        except (InvalidInput, Conflict) as exc:
            errors = admin_forms.domain_errors(request, exc)
            return _certificates_page(
                request, session, user, values=values, errors=errors, status=422
            )
        return admin_forms.redirect("/quan-tri/chung-thu-so", "certificate_imported")

    return await admin_forms.threaded(work)
