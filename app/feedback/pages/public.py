"""Public feedback pages: the published list (/phan-anh), the filing form (/phan-anh/gui) and
the lookup (/phan-anh/tra-cuu). The filing form keeps bots out without a third-party service:
a field people do not see must stay empty, and a signed time token must be neither too fresh
(filled in by a machine) nor too old."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Query, Request
from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from app.accounts.deps import client_ip
from app.agencies import service as agency_service
from app.config import get_settings
from app.errors import DomainError
from app.feedback import schemas, service
from app.feedback.models import CATEGORIES
from app.i18n_markers import N_
from app.ratelimit import LimitReached, lookup_limiter
from app.web import render, translator, verify_csrf
from app.web.deps import OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 10
HONEYPOT = "website"
TIME_FIELD = "form_token"
TOKEN_MAX_AGE = 2 * 3600
BOT = N_("Biểu mẫu chưa gửi được (gửi quá nhanh hoặc đã mở quá lâu). Vui lòng kiểm tra và gửi lại.")
LOOKUP_TOO_MANY = N_("Tra cứu quá nhiều lần, vui lòng thử lại sau ít phút.")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="feedback-form")


def form_token() -> str:
    return str(_serializer().dumps("feedback"))


def token_ok(token: str) -> bool:
    """Signed by us, shown at least the minimum fill time ago and at most two hours ago."""
    try:
        _value, signed_at = _serializer().loads(token, max_age=TOKEN_MAX_AGE, return_timestamp=True)
    except BadData:
        return False
    return time.time() - signed_at.timestamp() >= get_settings().feedback_min_fill_seconds


@router.get("/phan-anh")
def public_list(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    q: str = Query("", max_length=100),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    """Answered feedback published with consent, searchable; personal data masked."""
    rows, total = service.public_items(session, q, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "feedback/public_list.html",
        {
            "items": rows,
            "total": total,
            "q": q,
            "page": page,
            "pages": pages,
            "category_labels": service.CATEGORY_LABELS,
        },
    )


def _form_page(
    request: Request,
    session: SessionDep,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "feedback/file.html",
        {
            "values": values,
            "errors": errors or {},
            "message": message,
            "agencies": agency_service.list_agencies(session),
            "categories": [(c, service.CATEGORY_LABELS[c]) for c in CATEGORIES],
            "form_token": form_token(),
            "honeypot": HONEYPOT,
            "token_field": TIME_FIELD,
        },
        status_code,
    )


@router.get("/phan-anh/gui")
def file_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    ma_ho_so: str = Query("", max_length=60),
) -> Response:
    """The filing form (``?ma_ho_so=`` fills in a dossier code)."""
    return _form_page(request, session, {"dossier_code": ma_ho_so, "category": "other"})


FIELDS = (
    "subject",
    "content",
    "category",
    "agency_code",
    "dossier_code",
    "dossier_secret",
    "full_name",
    "phone",
    "email",
)


@router.post("/phan-anh/gui", dependencies=[Depends(verify_csrf)])
async def file_submit(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """File feedback from the form (attachments checked by content and size)."""
    _ = translator(request)
    form = await request.form()
    values = {k: str(form.get(k, ""))[:5000].strip() for k in FIELDS}
    values["publish_consent"] = "on" if form.get("publish_consent") == "on" else ""
    uploads = []
    for f in form.getlist("files"):
        if isinstance(f, UploadFile) and f.filename:
            uploads.append(service.Upload(await f.read(), f.filename))
    trap = str(form.get(HONEYPOT, ""))
    token = str(form.get(TIME_FIELD, ""))
    if user is None and (trap or not token_ok(token)):
        return _form_page(request, session, values, message=_(BOT), status_code=422)
    if values["category"] not in CATEGORIES:
        values["category"] = "other"
    data = schemas.FeedbackIn(
        subject=values["subject"][:200],
        content=values["content"],
        category=values["category"],
        agency_code=values["agency_code"][:35] or None,
        dossier_code=values["dossier_code"][:60] or None,
        dossier_secret=values["dossier_secret"][:20] or None,
        sender=schemas.SenderIn(
            full_name=values["full_name"][:120],
            phone=values["phone"][:20],
            email=values["email"][:254],
        ),
        publish_consent=bool(values["publish_consent"]),
    )

    def work() -> Response:
        try:
            item, secret = service.file_feedback(
                session, user, data, uploads, client=client_ip(request)
            )
        except DomainError as exc:
            if isinstance(exc, LimitReached | service.Duplicate):
                text = exc.message(_)
            else:
                text = _(exc.detail)
            errors = {k.replace(".", "-"): _(v) for k, v in exc.fields.items()}
            if "file" in errors:
                errors = {"files": text + " (" + exc.fields["file"] + ")"}
            return _form_page(request, session, values, errors, text, exc.status_code)
        session.commit()
        return render(
            request, "feedback/filed.html", {"item": item, "secret": secret}, status_code=201
        )

    return await run_in_threadpool(work)


def _lookup_page(
    request: Request,
    code: str,
    *,
    item: object = None,
    message: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "feedback/lookup.html",
        {
            "code": code,
            "item": item,
            "message": message,
            "errors": errors or {},
            "status_labels": service.STATUS_LABELS,
        },
        status_code,
    )


@router.get("/phan-anh/tra-cuu")
def lookup_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    code: str = Query("", max_length=30),
) -> Response:
    """The lookup form; the sender's own item shows at once when they are logged in."""
    item = None
    if user is not None and code:
        try:
            item = service.lookup(session, code, "", user)
        except DomainError:
            item = None
    return _lookup_page(request, code, item=item)


@router.post("/phan-anh/tra-cuu", dependencies=[Depends(verify_csrf)])
async def lookup_submit(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """Status and answer by code and lookup secret; never the sender's data."""
    _ = translator(request)
    form = await request.form()
    code = str(form.get("code", "")).strip()[:30]
    secret = str(form.get("secret", "")).strip()[:20]
    errors = {}
    if not code:
        errors["code"] = _("Vui lòng nhập mã phản ánh.")
    if not secret:
        errors["secret"] = _("Vui lòng nhập mã tra cứu.")
    if errors:
        return _lookup_page(request, code, errors=errors, status_code=422)

    def work() -> Response:
        try:
            lookup_limiter.hit(
                f"feedback-lookup:{client_ip(request)}",
                get_settings().lookup_rate_limit,
                LOOKUP_TOO_MANY,
            )
            item = service.lookup(session, code, secret, user)
        except DomainError as exc:
            return _lookup_page(request, code, message=_(exc.detail), status_code=exc.status_code)
        return _lookup_page(request, code, item=item)

    return await run_in_threadpool(work)
