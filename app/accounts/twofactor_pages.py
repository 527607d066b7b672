"""Two-factor login pages: the account's own page (/tai-khoan/xac-thuc-hai-buoc: QR code,
confirm, recovery codes once, turn off), the second step of a browser login
(/dang-nhap/ma-xac-thuc), and the admins' actions (reset of a user's, the agency setting).

A browser login whose password was right but which still needs a code, or enrolment (the
agency requires it and the user has none), is a ``PendingLogin`` held by its own cookie: no
other page takes it as a login, so a "restricted session" reaches only the second step, this
account page and cancelling. The real session starts when the code is right (or enrolment is
confirmed)."""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.accounts import login_limits, service, twofactor
from app.accounts.deps import SESSION_COOKIE, client_ip, set_private_cookie
from app.accounts.models import PendingLogin, User
from app.audit import service as audit_service
from app.errors import Conflict, DomainError, Forbidden, InvalidInput, TooManyRequests, Unauthorized
from app.i18n_markers import N_
from app.web import forms as admin_forms
from app.web import render, translator, verify_csrf
from app.web.deps import CurrentUser, OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)

PENDING_COOKIE = "portal_pending_login"
PAGE = "/tai-khoan/xac-thuc-hai-buoc"
OTP_PAGE = "/dang-nhap/ma-xac-thuc"
NEED_CODE = N_("Vui lòng nhập mã xác thực.")
EXPIRED = N_("Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.")


def _private(response: Response) -> Response:
    """Pages that show a secret (the QR code, recovery codes): sent nowhere else, kept nowhere."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def log_in(
    request: Request,
    session: Session,
    user: User,
    response: Response,
    *,
    channel: str = "web",
    id_token: str | None = None,
) -> Response:
    """The real browser session starts (a fresh one: no session fixation) and this browser
    becomes a known client of the account. Audited here, once the login is complete
    (``channel`` "vneid" for an e-ID login, whose ID token the session keeps)."""
    audit_service.record_login(session, user, user.email, channel)
    service.close_session(session, request.cookies.get(SESSION_COOKIE))
    token, lifetime = service.open_session(
        session, user, "web", client_ip(request), id_token=id_token
    )
    set_private_cookie(response, SESSION_COOKIE, token, lifetime)
    response.delete_cookie(PENDING_COOKIE, path="/")
    login_limits.remember_device(request, response, user)
    return response


def second_step(
    request: Request,
    session: Session,
    user: User,
    target: str | None,
    id_token: str | None = None,
) -> Response | None:
    """Called by the login page after the right password (or by the e-ID callback, with the
    provider's ``id_token``): a redirect to the code page (or to enrolment, when the agency
    requires it), or ``None`` when the password (or the e-ID) is enough."""
    step = twofactor.login_step(session, user)
    if step is None:
        return None
    token = twofactor.start_pending(
        session, user, step, target or "", client_ip(request), id_token=id_token
    )
    # Whoever was logged in in this browser is not any more.
    service.close_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(OTP_PAGE if step == "otp" else PAGE, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    set_private_cookie(response, PENDING_COOKIE, token, twofactor.PENDING_MINUTES[step] * 60)
    return response


# --- second step of the login -----------------------------------------------------------------


def _otp_page(
    request: Request, error: str = "", status: int = 200, expired: bool = False
) -> Response:
    context = {"error": error, "expired": expired}
    return _private(render(request, "accounts/login_otp.html", context, status_code=status))


@router.get(OTP_PAGE)
def otp_form(request: Request, session: SessionDep) -> Response:
    if twofactor.pending(session, request.cookies.get(PENDING_COOKIE), "otp") is None:
        return RedirectResponse("/dang-nhap", status_code=303)
    return _otp_page(request)


@router.post(OTP_PAGE, dependencies=[Depends(verify_csrf)])
async def otp_submit(request: Request, session: SessionDep) -> Response:
    form = await request.form()

    def work() -> Response:
        _ = translator(request)
        row = twofactor.pending(session, request.cookies.get(PENDING_COOKIE), "otp")
        if row is None:
            return _otp_page(request, _(EXPIRED), 401, expired=True)
        otp = admin_forms.text(form, "otp", 40)
        if not otp:
            return _otp_page(request, _(NEED_CODE), 422)
        user, target = row.user, row.next_path
        try:
            twofactor.verify_pending(session, row, otp, client_ip(request))
        except TooManyRequests as exc:  # returned, not raised: the failures are committed
            response = _otp_page(request, _(exc.detail), 429, expired=True)
            response.delete_cookie(PENDING_COOKIE, path="/")
            return response
        except (twofactor.OtpInvalid, twofactor.OtpUsed) as exc:
            return _otp_page(request, _(exc.detail), 401)
        id_token = row.id_token
        twofactor.end_pending(session, row)
        return log_in(
            request,
            session,
            user,
            RedirectResponse(target or service.home_path(user), status_code=303),
            channel="vneid" if id_token else "web",
            id_token=id_token,
        )

    return await admin_forms.threaded(work)


@router.post("/dang-nhap/huy", dependencies=[Depends(verify_csrf)])
def cancel_login(request: Request, session: SessionDep) -> Response:
    """Give up a half-done login (code or enrolment): back to the login page."""
    for purpose in ("otp", "enrol"):
        row = twofactor.pending(session, request.cookies.get(PENDING_COOKIE), purpose)
        if row is not None:
            twofactor.end_pending(session, row)
    response = RedirectResponse("/dang-nhap", status_code=303)
    response.delete_cookie(PENDING_COOKIE, path="/")
    return response


# --- the account's own page -------------------------------------------------------------------


def _who(request: Request, session: Session, user: User | None) -> tuple[User, PendingLogin | None]:
    """The logged-in user, or the one who must enrol before logging in (restricted)."""
    if user is not None:
        return user, None
    row = twofactor.pending(session, request.cookies.get(PENDING_COOKIE), "enrol")
    if row is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    return row.user, row


def _qr(uri: str) -> str:
    """The otpauth:// address as a QR code, an SVG data URI (the CSP allows data: images)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def _page(
    request: Request,
    session: Session,
    account: User,
    restricted: PendingLogin | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    enrolment = twofactor.pending_enrolment(session, account)
    context: dict[str, Any] = {
        "account": account,
        "restricted": restricted is not None,
        "enabled": twofactor.is_enabled(session, account.id),
        "required": twofactor.required_for(account),
        "codes_left": twofactor.recovery_codes_left(session, account.id),
        "enrolment": enrolment,
        "qr": _qr(enrolment.otpauth_uri) if enrolment else "",
        "errors": errors or {},
    }
    return _private(render(request, "accounts/two_factor.html", context, status_code=status))


@router.get(PAGE)
def two_factor_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    account, restricted = _who(request, session, user)
    return _page(request, session, account, restricted)


@router.post(PAGE + "/bat-dau", dependencies=[Depends(verify_csrf)])
def start(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """Start (or start again) setting up an app: a new secret, shown as a QR code."""
    account, restricted = _who(request, session, user)
    try:
        twofactor.enrol(session, account)
    except Conflict as exc:
        return _page(
            request, session, account, restricted, {"form": translator(request)(exc.detail)}, 409
        )
    return RedirectResponse(PAGE, status_code=303)


def _codes_page(request: Request, codes: list[str], next_path: str) -> Response:
    context = {"codes": codes, "next_path": next_path}
    return _private(render(request, "accounts/two_factor_codes.html", context))


@router.post(PAGE + "/xac-nhan", dependencies=[Depends(verify_csrf)])
async def confirm(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    form = await request.form()

    def work() -> Response:
        account, restricted = _who(request, session, user)
        otp = admin_forms.text(form, "otp", 40)
        try:
            if not otp:
                raise InvalidInput(NEED_CODE, fields={"otp": "required"})
            codes = twofactor.confirm(session, account, otp)
        except (InvalidInput, Conflict) as exc:
            errors = admin_forms.domain_errors(request, exc)
            return _page(request, session, account, restricted, errors, exc.status_code)
        if restricted is None:
            return _codes_page(request, codes, PAGE)
        # Enrolment was what the login lacked: the session starts now.
        target = restricted.next_path or service.home_path(account)
        id_token = restricted.id_token
        twofactor.end_pending(session, restricted)
        return log_in(
            request,
            session,
            account,
            _codes_page(request, codes, target),
            channel="vneid" if id_token else "web",
            id_token=id_token,
        )

    return await admin_forms.threaded(work)


@router.post(PAGE + "/ma-khoi-phuc", dependencies=[Depends(verify_csrf)])
def new_codes(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Ten new recovery codes; the old ones stop working."""
    try:
        codes = twofactor.regenerate_recovery_codes(session, user)
    except Conflict as exc:
        return _page(request, session, user, None, {"form": translator(request)(exc.detail)}, 409)
    return _codes_page(request, codes, PAGE)


@router.post(PAGE + "/tat", dependencies=[Depends(verify_csrf)])
async def turn_off(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    form = await request.form()

    def work() -> Response:
        otp = admin_forms.text(form, "otp", 40)
        password = form.get("password", "")
        try:
            twofactor.disable(
                session,
                user,
                otp=otp,
                password=password[:200] if isinstance(password, str) else "",
                ip=client_ip(request),
            )
        except DomainError as exc:  # returned, not raised: a wrong code or password counts
            _ = translator(request)
            name = "password" if "password" in exc.fields else "otp"
            if isinstance(exc, Forbidden | Conflict):
                name = "form"
            return _page(request, session, user, None, {name: _(exc.detail)}, exc.status_code)
        return RedirectResponse(PAGE + "?msg=two_factor_off", status_code=303)

    return await admin_forms.threaded(work)


# --- administration ---------------------------------------------------------------------------


@router.post(
    "/quan-tri/nguoi-dung/{user_id}/xac-thuc-hai-buoc/dat-lai", dependencies=[Depends(verify_csrf)]
)
def admin_reset(user_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """ "Đặt lại xác thực hai bước" (a lost phone): the user logs in with the password alone
    (or enrols again, if the agency requires it); their sessions end."""
    twofactor.admin_reset(session, user, user_id)
    return admin_forms.redirect(f"/quan-tri/nguoi-dung/{user_id}", "two_factor_reset")


@router.post(
    "/quan-tri/co-quan/{code}/xac-thuc-hai-buoc/yeu-cau", dependencies=[Depends(verify_csrf)]
)
async def agency_requirement(
    code: str, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        required = admin_forms.checked(form, "require_two_factor")
        agency = twofactor.set_agency_requirement(session, user, code[:35], required)
        msg = "two_factor_required" if required else "two_factor_optional"
        return admin_forms.redirect(f"/quan-tri/co-quan/{agency.code}", msg)

    return await admin_forms.threaded(work)
