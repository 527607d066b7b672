"""Notice channels on pages: the citizen's choice under /tai-khoan/thong-bao, and the SMS/Zalo
delivery log under /quan-tri/thong-bao-gui (system administrators)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.accounts.models import User
from app.config import get_settings
from app.errors import Conflict, InvalidInput, NotFound
from app.notifications import channels
from app.web import forms as admin_forms
from app.web import render, verify_csrf
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
PREFS = "/tai-khoan/thong-bao"
LOG = "/quan-tri/thong-bao-gui"
PAGE_SIZE = 50


def _prefs_page(
    request: Request,
    user: User,
    picked: list[str],
    phone: str,
    errors: dict[str, str] | None = None,
    code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "account": user,
        "picked": picked,
        "phone": phone,
        "errors": errors or {},
        "labels": channels.CHANNEL_LABELS,
        "all_channels": channels.CHANNELS,
    }
    return render(request, "notifications/channels.html", context, status_code=code)


@router.get(PREFS)
def channels_form(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Kênh nhận thông báo: in-app, e-mail, SMS, Zalo."""
    pref = channels.preference(session, user)
    phone = channels.display_phone(pref.phone) if pref.phone else user.phone or ""
    return _prefs_page(request, user, list(pref.channels), phone)


@router.post(PREFS, dependencies=[Depends(verify_csrf)])
async def channels_submit(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        picked = [str(v)[:10] for v in form.getlist("channels")][:8]
        phone = admin_forms.text(form, "phone", 40)
        try:
            channels.set_preference(session, user, picked, phone)
        except InvalidInput as exc:
            errors = admin_forms.domain_errors(request, exc)
            return _prefs_page(request, user, picked, phone, errors, 422)
        return admin_forms.redirect("/tai-khoan", "channels_saved")

    return await admin_forms.threaded(work)


def _log_page(
    request: Request,
    session: Session,
    user: User,
    status: str,
    channel: str,
    page: int,
    errors: dict[str, str] | None = None,
    code: int = 200,
) -> Response:
    status = status if status in channels.STATUSES else ""
    channel = channel if channel in channels.PHONE_CHANNELS else ""
    found = channels.delivery_log(session, user, status, channel, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-found.total // PAGE_SIZE))
    settings = get_settings()
    context: dict[str, Any] = {
        "found": found,
        "status": status,
        "channel": channel,
        "page": min(page, pages),
        "pages": pages,
        "errors": errors or {},
        "status_labels": channels.STATUS_LABELS,
        "channel_labels": channels.CHANNEL_LABELS,
        "sms_configured": bool(settings.sms_url),
        "zalo_configured": bool(settings.zalo_url),
        "display_phone": channels.display_phone,
        "secret_kinds": channels.SECRET_KINDS,
        "scrubbed": channels.SCRUBBED,
    }
    return admin_forms.render_page(request, "notifications/deliveries.html", context, code)


@router.get(LOG)
def deliveries_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    status: str = Query("", max_length=10),
    channel: str = Query("", max_length=10),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    """Nhật ký gửi SMS và Zalo: every message, its attempts and the gateway's answer."""
    return _log_page(request, session, user, status, channel, page)


@router.post(LOG + "/gui-lai", dependencies=[Depends(verify_csrf)])
async def deliveries_retry(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    form = await admin_forms.read_form(request)

    def work() -> Response:
        raw = admin_forms.text(form, "id", 12)
        try:
            channels.retry(session, user, int(raw) if raw.isdigit() else 0)
        except (Conflict, NotFound) as exc:
            errors = admin_forms.domain_errors(request, exc)
            code = 409 if isinstance(exc, Conflict) else 422
            return _log_page(request, session, user, "", "", 1, errors, code)
        return admin_forms.redirect(LOG, "delivery_retried")

    return await admin_forms.threaded(work)
