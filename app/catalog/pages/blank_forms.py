"""Blank forms of document components: the download on the procedure page
(/thu-tuc/{code}/mau/{component}) and the designer's upload and removal on a draft's
components (/quan-tri/thu-tuc/{code}/ban-nhap/thanh-phan/{index}/mau)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile
from starlette.responses import Response

from app.catalog import blank_forms
from app.catalog import designer as designer_service
from app.catalog.pages import designer_items
from app.errors import DomainError
from app.web import content_disposition, verify_csrf
from app.web import forms as admin_forms
from app.web.deps import CurrentUser, OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)
SECTION_URL = "/quan-tri/thu-tuc/{code}/ban-nhap/thanh-phan"


@router.get("/thu-tuc/{code}/mau/{component}")
def download_blank_form(
    code: str, component: str, session: SessionDep, user: OptionalUser
) -> Response:
    """The blank form (tờ khai theo mẫu) of a published procedure's component."""
    form = blank_forms.published_form(session, code[:40], component[:40])
    return Response(
        form.data,
        media_type=form.content_type,
        headers={"Content-Disposition": content_disposition(form.filename)},
    )


@router.post(SECTION_URL + "/{index}/mau", dependencies=[Depends(verify_csrf)])
async def upload_blank_form(
    code: str, index: int, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """Attach (or replace) the blank form of a draft's component."""
    form = await admin_forms.read_form(request)
    upload = form.get("blank_form")
    name = upload.filename or "" if isinstance(upload, UploadFile) else ""
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    key = admin_forms.text(form, "key", 60)

    def work() -> Response:
        try:
            blank_forms.attach(session, user, code, index, key, name, data)
        except DomainError as exc:
            if exc.status_code not in (409, 413, 415, 422):
                raise
            version = designer_service.get_draft(session, user, code)
            return designer_items._section_page(
                request,
                session,
                user,
                version,
                "components",
                editing=str(index),
                errors={"blank_form": admin_forms.domain_errors(request, exc).popitem()[1]},
                status=exc.status_code,
            )
        url = SECTION_URL.format(code=code)
        return RedirectResponse(f"{url}?msg=item_saved#item-{index}", status_code=303)

    return await admin_forms.threaded(work)


@router.post(SECTION_URL + "/{index}/mau/xoa", dependencies=[Depends(verify_csrf)])
async def remove_blank_form(
    code: str, index: int, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """Take the blank form off a draft's component."""
    form = await admin_forms.read_form(request)
    key = admin_forms.text(form, "key", 60)

    def work() -> Response:
        blank_forms.remove(session, user, code, index, key)
        url = SECTION_URL.format(code=code)
        return RedirectResponse(f"{url}?msg=item_saved#item-{index}", status_code=303)

    return await admin_forms.threaded(work)
