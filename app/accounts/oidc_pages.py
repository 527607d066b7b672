"""The e-ID login pages (SPEC §11): ``GET /dang-nhap/vneid`` sends the browser to the provider,
``GET /dang-nhap/vneid/callback`` checks its answer (``app.accounts.oidc``) and opens the
session — through the second step of the agency's two-factor rule for a staff account. A
refusal is a page saying why, in the reader's language; nothing is created then."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.accounts import oidc, service, twofactor_pages
from app.accounts.deps import set_private_cookie
from app.accounts.pages import safe_next
from app.audit import service as audit_service
from app.config import get_settings
from app.errors import NotFound
from app.i18n_markers import N_
from app.web import render, translator
from app.web.deps import OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)

FLOW_COOKIE = "portal_oidc_flow"
NOT_CONFIGURED = N_("Đăng nhập bằng VNeID chưa được bật trên Cổng này.")


def _private(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _require_enabled() -> None:
    if not get_settings().oidc_enabled:
        raise NotFound(NOT_CONFIGURED)


def _refused(request: Request, exc: oidc.EidRefused) -> Response:
    _ = translator(request)
    response = render(
        request,
        "accounts/eid_refused.html",
        {"message": _(exc.detail), "reason": exc.reason},
        status_code=exc.status_code,
    )
    response.delete_cookie(FLOW_COOKIE, path="/")
    return _private(response)


@router.get("/dang-nhap/vneid")
def eid_start(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    """Start the e-ID login: to the provider, with state, nonce and PKCE."""
    _require_enabled()
    try:
        url, sealed = oidc.start(safe_next(next) or "")
    except oidc.EidRefused as exc:
        return _refused(request, exc)
    response = RedirectResponse(url, status_code=303)
    set_private_cookie(response, FLOW_COOKIE, sealed, oidc.FLOW_SECONDS)
    return _private(response)


@router.get(oidc.CALLBACK_PATH)
def eid_callback(request: Request, session: SessionDep) -> Response:
    """The provider's answer: checked, then the account found, linked or created."""
    _require_enabled()
    sealed = request.cookies.get(FLOW_COOKIE)
    params = {k: v[:2000] for k, v in request.query_params.items()}
    try:
        identity = oidc.finish(sealed, params)
        with session.begin_nested():  # a refusal in sign_in leaves nothing behind
            user = oidc.sign_in(session, identity)
    except oidc.EidRefused as exc:
        audit_service.record_login(session, None, "", "vneid", reason=exc.reason)
        return _refused(request, exc)
    target = safe_next(oidc.next_path(sealed))
    second = twofactor_pages.second_step(request, session, user, target, identity.id_token)
    if second is not None:  # a staff account whose agency asks for a code: no session yet
        audit_service.record_login(session, user, user.email, "vneid", second_factor=True)
        second.delete_cookie(FLOW_COOKIE, path="/")
        return second
    response = RedirectResponse(target or service.home_path(user), status_code=303)
    response.delete_cookie(FLOW_COOKIE, path="/")
    return _private(
        twofactor_pages.log_in(
            request, session, user, response, channel="vneid", id_token=identity.id_token
        )
    )
