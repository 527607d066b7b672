"""An online dossier gets its code and look-up code when it is submitted (SPEC §3): every
notice, payment, receipt and form refers to it, reception keeps it, a resubmission keeps it
and the submission date, and no page shows the internal id instead."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import utcnow
from app.documents.models import Document
from app.dossiers.models import Dossier
from app.notifications.models import Notice, OutboxMessage
from app.workflow import service as workflow_service
from tests.conftest import DEMO_PASSWORD, csrf_from
from tests.dossiers.helpers import (
    CITIZEN,
    PHO_HIEN,
    RECEPTION,
    act,
    attach,
    headers,
    pdf_bytes,
    submit_procedure,
    submitted_dossier,
)

CASHIER = "thuphi.phohien@motcua.local"
CODE_SHAPE = re.compile(r"^000\.00\.51\.H31-(\d{6})-(\d{4})$")


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(get_settings().timezone))


def _shown(moment: datetime) -> str:
    """A moment as the pages show it."""
    return _local(moment).strftime("%H:%M %d/%m/%Y")


def _printed(moment: datetime) -> str:
    """A moment as the PDF forms print it."""
    return _local(moment).strftime("%H:%M, %d/%m/%Y")


def _log_in(client: TestClient, email: str) -> None:
    client.cookies.clear()
    form = client.get("/dang-nhap")
    done = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(form.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _document_text(client: TestClient, db: Session, dossier_id: int, kind: str) -> str:
    """The text of the dossier's latest form of ``kind``, as its owner downloads it."""
    doc = db.scalar(
        select(Document)
        .where(Document.dossier_id == dossier_id, Document.kind == kind)
        .order_by(Document.id.desc())
        .limit(1)
    )
    assert doc is not None, f"no {kind}"
    pdf = client.get(f"/ho-so/{dossier_id}/van-ban/{doc.id}")
    assert pdf.status_code == 200, pdf.text
    return _pdf_text(pdf.content)


def _no_internal_id(html: str, dossier_id: int, where: str) -> None:
    """A citizen's page names the dossier by its code, never "#<id>" or "chưa có mã"."""
    assert not re.search(rf"#\s?{dossier_id}(?![0-9A-Za-z])", html), where
    assert "Hồ sơ #" not in html and "chưa có mã" not in html, where


def _dossier(db: Session, dossier_id: int) -> Dossier:
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None
    return dossier


def test_submission_gives_the_code_and_every_notice_and_page_uses_it(
    client: TestClient, db: Session
) -> None:
    before = utcnow()
    body, _citizen = submit_procedure(client, "1.004873")  # 5.000 ₫ due at submission
    after = utcnow()
    dossier_id, code = body["id"], body["code"]
    # The submission's answer carries the code: unit, day of submission, 4-digit sequence.
    match = CODE_SHAPE.match(code or "")
    assert match, code
    assert match.group(1) in {f"{_local(t):%y%m%d}" for t in (before, after)}
    assert body["status"] == "awaiting_payment" and len(body["lookup_secret"]) == 8
    secret = body["lookup_secret"]

    # The submission notice (in-app and e-mail) carries the code; the e-mail also the secret.
    notice = db.scalar(
        select(Notice).where(Notice.dossier_id == dossier_id, Notice.kind == "submitted")
    )
    assert notice is not None and code in notice.title and code in notice.body
    mail = db.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dossier_id == dossier_id, OutboxMessage.kind == "submitted"
        )
    )
    assert mail is not None and code in mail.subject
    assert f"Mã hồ sơ: {code} — mã tra cứu: {secret}." in mail.body_text
    assert secret in mail.body_html

    # The payment page and the sandbox bank name the dossier by its code.
    _log_in(client, CITIZEN)
    page = client.get(f"/ho-so/{dossier_id}/thanh-toan")
    assert page.status_code == 200 and f"Mã hồ sơ: <strong>{code}</strong>" in page.text
    _no_internal_id(page.text, dossier_id, "payment page")
    start = client.post(
        f"/ho-so/{dossier_id}/thanh-toan",
        data={"method": "sandbox", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert start.status_code == 303, start.text
    bank = client.get(start.headers["location"])
    assert f"Thanh toán phí, lệ phí hồ sơ {code}" in bank.text
    _no_internal_id(bank.text, dossier_id, "sandbox bank")
    paid = client.post(
        start.headers["location"], data={"decision": "confirm", "csrf_token": csrf_from(bank.text)}
    )
    assert paid.status_code == 200 and "Thanh toán thành công" in paid.text
    receipt = re.search(r'href="/bien-lai/(\d+)"', paid.text)
    assert receipt, "a link to the receipt"

    # The receipt of a payment made at submission, before any reception, has the code.
    view = client.get(f"/bien-lai/{receipt.group(1)}")
    assert view.status_code == 200 and f"<dd>{code}</dd>" in view.text
    printed = client.get(f"/bien-lai/{receipt.group(1)}/pdf")
    assert printed.status_code == 200
    assert f"Mã hồ sơ: {code}" in _pdf_text(printed.content)

    # Every page the citizen sees names it by its code.
    for path in ("/ho-so", f"/ho-so/{dossier_id}", "/thong-bao", f"/bien-lai/{receipt.group(1)}"):
        shown = client.get(path)
        assert shown.status_code == 200, path
        assert code in shown.text, path
        _no_internal_id(shown.text, dossier_id, path)

    # Reception keeps both codes.
    received = act(client, headers(client, RECEPTION), dossier_id, "receive")
    assert received.status_code == 200, received.text
    assert (received.json()["code"], received.json()["lookup_secret"]) == (code, secret)
    assert f"Mã hồ sơ: {code}" in _document_text(client, db, dossier_id, "form_01")


def test_lookup_and_the_cashier_find_a_dossier_from_its_submission(
    client: TestClient, db: Session
) -> None:
    body, _citizen = submit_procedure(client, "1.004873")
    code, secret = body["code"], body["lookup_secret"]
    assert body["status"] == "awaiting_payment"

    found = client.get("/api/v1/lookup", params={"code": code, "secret": secret})
    assert found.status_code == 200, found.text
    assert found.json()["code"] == code and found.json()["submitted_at"]
    assert [e["action"] for e in found.json()["timeline"]] == ["submit"]
    wrong = client.get("/api/v1/lookup", params={"code": code, "secret": "ABCDEFGH"})
    assert wrong.status_code == 404 and wrong.json()["error"] == "not_found"

    client.cookies.clear()
    token = csrf_from(client.get("/tra-cuu").text)
    page = client.post("/tra-cuu", data={"csrf_token": token, "code": code, "secret": secret})
    assert page.status_code == 200 and f"Hồ sơ {code}" in page.text
    dossier = _dossier(db, body["id"])
    assert dossier.submitted_at is not None
    assert f"<dt>Ngày nộp</dt><dd>{_shown(dossier.submitted_at)}</dd>" in page.text
    _no_internal_id(page.text, body["id"], "lookup")

    # The cashier finds it by its code before any reception, from the dossier's page too.
    _log_in(client, CASHIER)
    desk = client.get(f"/can-bo/ho-so/{body['id']}")
    assert desk.status_code == 200 and f"Mã hồ sơ: <strong>{code}</strong>" in desk.text
    assert f'href="/can-bo/thu-phi?{urlencode({"code": code})}"' in desk.text
    counter = client.get("/can-bo/thu-phi", params={"code": code})
    assert counter.status_code == 200
    assert f"<h3>{code} — " in counter.text and "5.000 ₫" in counter.text
    assert f'action="/can-bo/thu-phi/{body["id"]}"' in counter.text


def test_supplement_sends_the_citizen_to_the_dossier_page_and_keeps_code_and_date(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Submitted a quarter of an hour ago, so that the resubmission's time differs.
    first = (utcnow() - timedelta(minutes=15)).replace(microsecond=0)
    monkeypatch.setattr(workflow_service, "utcnow", lambda: first)
    dossier_id, citizen = submitted_dossier(client)
    monkeypatch.undo()
    dossier = _dossier(db, dossier_id)
    code, secret = dossier.code, dossier.lookup_secret
    assert code and CODE_SHAPE.match(code) and dossier.submitted_at == first

    reception = headers(client, RECEPTION)
    asked = act(
        client,
        reception,
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="Giấy chứng sinh bị mờ, không đọc được.",
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["code"] == code

    # Form 02 has the code and sends the citizen to the dossier's own page.
    _log_in(client, CITIZEN)
    form_02 = _document_text(client, db, dossier_id, "form_02")
    page_url = f"http://127.0.0.1:8000/ho-so/{dossier_id}"
    assert f"Mã hồ sơ: {code}" in form_02
    assert f"bổ sung trực tuyến tại trang hồ sơ {page_url}" in form_02
    assert "/tra-cuu" not in form_02
    assert f"Thời gian nộp hồ sơ: {_printed(first)}" in form_02
    # So do the notice and the e-mail.
    notice = db.scalar(
        select(Notice).where(Notice.dossier_id == dossier_id, Notice.kind == "supplement_requested")
    )
    assert notice is not None and notice.link == f"/ho-so/{dossier_id}" and code in notice.title
    mail = db.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dossier_id == dossier_id, OutboxMessage.kind == "supplement_requested"
        )
    )
    assert mail is not None and f"mở trang hồ sơ {page_url}, bấm" in mail.body_text
    assert "/tra-cuu" not in mail.body_text
    # That page is where the supplement is made.
    dossier_page = client.get(f"/ho-so/{dossier_id}")
    assert f'href="/ho-so/{dossier_id}/khai">Bổ sung hồ sơ</a>' in dossier_page.text
    supplement_page = client.get(f"/ho-so/{dossier_id}/khai")
    assert supplement_page.status_code == 200
    assert f'<a href="/ho-so/{dossier_id}">{code}</a> › Bổ sung hồ sơ' in supplement_page.text
    _no_internal_id(supplement_page.text, dossier_id, "supplement page")

    attached = attach(client, citizen, dossier_id, "GCS", pdf_bytes("Giấy chứng sinh rõ nét"))
    assert attached.status_code == 201, attached.text
    again = client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen)
    assert again.status_code == 200, again.text
    assert (again.json()["code"], again.json()["lookup_secret"]) == (code, secret)
    assert datetime.fromisoformat(again.json()["submitted_at"].replace("Z", "+00:00")) == first
    dossier = _dossier(db, dossier_id)
    resubmitted = dossier.resubmitted_at
    assert dossier.submitted_at == first and resubmitted is not None and resubmitted > first
    resubmit_mail = db.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.dossier_id == dossier_id, OutboxMessage.kind == "submitted")
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    assert resubmit_mail is not None and f"Đã nhận hồ sơ bổ sung {code}" in resubmit_mail.subject
    assert f"lúc {_shown(resubmitted)}" in resubmit_mail.body_text

    # "Ngày nộp" is the first submission on the citizen's page, the staff page and the
    # timeline; the resubmission is shown beside it.
    citizen_page = client.get(f"/ho-so/{dossier_id}").text
    assert f"<dt>Ngày nộp</dt><dd>{_shown(first)}</dd>" in citizen_page
    assert f"<dt>Ngày nộp bổ sung</dt><dd>{_shown(resubmitted)}</dd>" in citizen_page
    assert f'<time datetime="{first.isoformat()}">{_shown(first)}</time> — <strong>Nộp hồ sơ' in (
        citizen_page
    )
    _no_internal_id(citizen_page, dossier_id, "dossier page")
    _log_in(client, RECEPTION)
    staff_page = client.get(f"/can-bo/ho-so/{dossier_id}").text
    assert f"<dt>Ngày nộp</dt><dd>{_shown(first)}</dd>" in staff_page
    assert f"<dt>Ngày nộp bổ sung</dt><dd>{_shown(resubmitted)}</dd>" in staff_page

    # Reception keeps the code; form 01 gives the first submission, then the supplement.
    received = act(client, reception, dossier_id, "receive")
    assert received.status_code == 200 and received.json()["code"] == code
    _log_in(client, CITIZEN)
    form_01 = _document_text(client, db, dossier_id, "form_01")
    assert f"Mã hồ sơ: {code}" in form_01
    assert f"thời gian nộp: {_printed(first)}, nộp bổ sung: {_printed(resubmitted)}" in form_01


def test_rejection_before_reception_prints_the_code_on_form_03(
    client: TestClient, db: Session
) -> None:
    dossier_id, _citizen = submitted_dossier(client)
    code = _dossier(db, dossier_id).code
    assert code
    rejected = act(
        client,
        headers(client, RECEPTION),
        dossier_id,
        "reject",
        reasons=["Thủ tục không thuộc thẩm quyền của xã."],
    )
    assert rejected.status_code == 200 and rejected.json()["code"] == code
    _log_in(client, CITIZEN)
    form_03 = _document_text(client, db, dossier_id, "form_03")
    assert f"Mã hồ sơ: {code}" in form_03
    mail = db.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dossier_id == dossier_id, OutboxMessage.kind == "rejected"
        )
    )
    assert mail is not None and mail.subject == f"[Một cửa] Hồ sơ {code} bị từ chối giải quyết"
    assert f"Mã hồ sơ: {code}" in mail.body_text
    _no_internal_id(client.get(f"/ho-so/{dossier_id}").text, dossier_id, "rejected dossier")


def test_a_draft_has_no_code_and_is_named_by_its_day(client: TestClient, db: Session) -> None:
    h = headers(client, CITIZEN)
    created = client.post(
        "/api/v1/dossiers",
        headers=h,
        json={"procedure_code": "1.001193", "agency_code": PHO_HIEN, "form_data": {}},
    )
    assert created.status_code == 201 and created.json()["code"] is None
    dossier_id = created.json()["id"]
    made = _dossier(db, dossier_id).created_at
    _log_in(client, CITIZEN)
    page = client.get(f"/ho-so/{dossier_id}").text
    day = _local(made).strftime("%d/%m/%Y")
    assert f"Bản nháp tạo ngày {day}" in page
    assert f"<title>Bản nháp tạo ngày {day} — Đăng ký khai sinh" in page
    _no_internal_id(page, dossier_id, "draft page")
    draft = client.get(f"/ho-so/{dossier_id}/khai").text
    assert f"Bản nháp tạo ngày {day}</nav>" in draft
    _no_internal_id(draft, dossier_id, "draft form")


def test_the_vnpay_order_names_the_dossier_by_its_code(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "vnpay_tmn_code", "DEMO0001")
    monkeypatch.setattr(settings, "vnpay_hash_secret", "TESTSECRETKEY0123456789")
    monkeypatch.setattr(settings, "vnpay_url", "https://pay.example.vn/paymentv2/vpcpay.html")
    body, _citizen = submit_procedure(client, "1.004873")
    _log_in(client, CITIZEN)
    page = client.get(f"/ho-so/{body['id']}/thanh-toan")
    start = client.post(
        f"/ho-so/{body['id']}/thanh-toan",
        data={"method": "vnpay", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert start.status_code == 303, start.text
    order = dict(parse_qsl(urlsplit(start.headers["location"]).query))
    assert order["vnp_OrderInfo"] == f"Thanh toan phi ho so {body['code']}"
