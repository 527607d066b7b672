"""Electronic receipts: gapless numbering per series and year, PDF content and signature,
cancel and replace, access rules, the API and the register."""

from __future__ import annotations

import io
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from fontTools.ttLib import TTFont
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies.models import Agency
from app.catalog.models import Procedure, ProcedureVersion
from app.db import begin_write, utcnow
from app.documents import service as document_service
from app.documents.models import Document
from app.dossiers.models import Dossier
from app.errors import Conflict, Forbidden, InvalidInput
from app.payments.models import Payment
from app.receipts import pdf as receipt_pdf
from app.receipts import service, stored
from app.receipts.models import Receipt, ReceiptSeries
from app.signing import service as signing_service
from tests.conftest import DEMO_PASSWORD, api_token, in_parallel

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CITIZEN = "congdan@motcua.local"
OTHER_CITIZEN = "congdan2@motcua.local"
PROVINCE_ADMIN = "quantri.tinh@motcua.local"
OTHER_CASHIER = "thuphi.phohien@motcua.local"
TAX_CODE = "0900177771"
FEES = [
    {"name": "Lệ phí cấp giấy chứng nhận", "amount": 1_000_000},
    {"name": "Phí thẩm định hồ sơ", "amount": 250_000},
]
APPLICANT = {
    "full_name": "Nguyễn Thị Lan",
    "address": "Thôn Đông, xã Thử Nghiệm, tỉnh Hưng Yên",
    "id_number": "034190001234",
    "phone": "0912345678",
}


# --- builders ----------------------------------------------------------------------------


def _user(session: Session, email: str) -> User:
    user = account_service.get_user_by_email(session, email)
    assert user is not None, email
    return user


def _agency(session: Session, code: str, parent: Agency | None, name: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        agency = Agency(
            code=code,
            name=name,
            short_name=name,
            level="commune",
            parent_id=parent.id if parent else None,
            tax_code=TAX_CODE,
            address="Xã Thử Nghiệm, tỉnh Hưng Yên",
        )
        session.add(agency)
        session.flush()
    return agency


def _version(session: Session) -> ProcedureVersion:
    version = session.scalar(
        select(ProcedureVersion)
        .join(Procedure)
        .where(Procedure.code == "1.001193", ProcedureVersion.status == "published")
        .order_by(ProcedureVersion.version.desc())
        .limit(1)
    )
    assert version is not None
    return version


def _dossier(session: Session, agency: Agency, owner: User | None) -> Dossier:
    now = utcnow()
    dossier = Dossier(
        version_id=_version(session).id,
        agency_id=agency.id,
        handling_agency_id=agency.id,
        applicant_id=owner.id if owner else None,
        channel="counter",
        status="received",
        applicant=dict(APPLICANT),
        code=f"{agency.code}-{now.astimezone(VN):%y%m%d}-{uuid.uuid4().hex[:8].upper()}",
        submitted_at=now,
        received_at=now,
    )
    session.add(dossier)
    session.flush()
    return dossier


def _payment(
    session: Session, dossier: Dossier, items: list[dict[str, Any]] | None = None
) -> Payment:
    lines = [dict(i) for i in (items or FEES)]
    payment = Payment(
        dossier_id=dossier.id,
        method="cash",
        amount=sum(i["amount"] for i in lines),
        items=lines,
        status="paid",
        txn_ref=f"rc-{uuid.uuid4().hex[:24]}",
        paid_at=utcnow(),
    )
    session.add(payment)
    session.flush()
    return payment


@pytest.fixture
def agency(db: Session) -> Agency:
    """A commune of its own (rolled back with the test), so its series start empty."""
    province = db.scalar(select(Agency).where(Agency.code == "000.00.00.H31"))
    return _agency(db, "000.00.90.H31", province, "Ủy ban nhân dân xã Thử Nghiệm")


@pytest.fixture
def cashier(db: Session, agency: Agency) -> User:
    return account_service.create_user(
        db,
        email="thuphi.thunghiem@motcua.local",
        password=DEMO_PASSWORD,
        full_name="Đỗ Thị Thu",
        agency_code=agency.code,
        roles=["cashier"],
    )


@pytest.fixture
def owner(db: Session) -> User:
    return _user(db, CITIZEN)


@pytest.fixture
def dossier(db: Session, agency: Agency, owner: User) -> Dossier:
    return _dossier(db, agency, owner)


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _stored_pdf(db: Session, receipt: Receipt) -> bytes:
    doc = db.get(Document, receipt.document_id)
    assert doc is not None
    return document_service.pdf_bytes(db, doc)


# --- numbering ---------------------------------------------------------------------------


def test_numbers_start_at_one_in_a_new_series(
    db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    year = datetime.now(VN).year
    first = service.issue_receipt(db, _payment(db, dossier), cashier)
    second = service.issue_receipt(db, _payment(db, dossier), cashier)
    assert (first.number, second.number) == (1, 2)
    assert first.series_id == second.series_id
    assert first.template_symbol == "01BLP0-001"
    assert first.series == f"AA-{year % 100:02d}E"
    series = db.get(ReceiptSeries, first.series_id)
    assert series is not None and series.year == year and series.last_number == 2
    assert first.amount == 1_250_000 and first.items == FEES
    assert first.amount_in_words == "Một triệu hai trăm năm mươi nghìn đồng"
    assert (first.payer_name, first.payer_address, first.payer_id_number) == (
        APPLICANT["full_name"],
        APPLICANT["address"],
        APPLICANT["id_number"],
    )
    assert (first.agency_name, first.agency_tax_code) == (agency.name, TAX_CODE)
    assert first.collector_name == "Đỗ Thị Thu" and first.payment_method == "cash"


def test_a_payment_gets_one_receipt_and_only_when_paid(
    db: Session, dossier: Dossier, cashier: User
) -> None:
    payment = _payment(db, dossier)
    first = service.issue_receipt(db, payment, cashier)
    assert service.issue_receipt(db, payment, cashier).id == first.id
    pending = _payment(db, dossier)
    pending.status = "pending"
    with pytest.raises(Conflict):
        service.issue_receipt(db, pending, cashier)
    wrong = _payment(db, dossier)
    wrong.amount += 1  # the fee lines no longer add up to what was paid
    with pytest.raises(InvalidInput):
        service.issue_receipt(db, wrong, cashier)


def test_rolled_back_issue_leaves_no_gap(db: Session, dossier: Dossier, cashier: User) -> None:
    first = service.issue_receipt(db, _payment(db, dossier), cashier)
    failed = _payment(db, dossier)
    with pytest.raises(RuntimeError), db.begin_nested():
        drawn = service.issue_receipt(db, failed, cashier)
        assert drawn.number == first.number + 1
        raise RuntimeError("the payment's transaction fails after the number was drawn")
    assert db.scalar(select(Receipt).where(Receipt.payment_id == failed.id)) is None
    again = service.issue_receipt(db, _payment(db, dossier), cashier)
    assert again.number == first.number + 1


def test_a_new_calendar_year_restarts_at_one(
    db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    year = datetime.now(VN).year
    this_year = service.issue_receipt(db, _payment(db, dossier), cashier)
    service.issue_receipt(db, _payment(db, dossier), cashier)
    created = service.ensure_series(db, agency, year + 1)
    assert created.last_number == 0 and created.series == f"AA-{(year + 1) % 100:02d}E"
    assert service.ensure_series(db, agency, year + 1).id == created.id
    new_year = datetime(year + 1, 1, 1, 0, 5, tzinfo=VN)  # 17:05 UTC on 31 December
    first = service.issue_receipt(db, _payment(db, dossier), cashier, now=new_year)
    assert first.series_id == created.id and first.number == 1
    assert first.series == f"AA-{(year + 1) % 100:02d}E" != this_year.series
    following = service.issue_receipt(db, _payment(db, dossier), cashier, now=new_year)
    assert following.number == 2


# --- the PDF -------------------------------------------------------------------------------


def test_pdf_carries_the_mandatory_content(
    db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    doc = db.get(Document, receipt.document_id)
    assert doc is not None and doc.kind == "receipt" and doc.dossier_id == dossier.id
    assert doc.verify_token and doc.agency_id == agency.id
    assert doc.sha256 is None  # not committed: the PDF is made on first read (ADR 0014)
    data = _stored_pdf(db, receipt)
    assert doc.sha256 and data.startswith(b"%PDF") and doc.size == len(data)
    text = _pdf_text(data)
    for expected in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "01BLP0-001",
        receipt.series,
        f"{receipt.number:07d}",
        "Một triệu hai trăm năm mươi nghìn đồng",
        "1.250.000 đồng",
        "1.000.000 đồng",
        "Phí thẩm định hồ sơ",
        TAX_CODE,
        str(dossier.code),
        "Nguyễn Thị Lan",
        "034190001234",
        "Tiền mặt",
        "Đỗ Thị Thu",
        "NGƯỜI THU TIỀN",
    ):
        assert expected in text, expected
    # The verification URL under the QR code (wrapped over lines).
    assert doc.verify_token in text.replace(" ", "")
    assert "Ngày " in text and " tháng " in text and " năm " in text
    # Only the bundled font, embedded (no standard PDF font the reader would substitute).
    fonts = [
        font.get_object()
        for page in PdfReader(io.BytesIO(data)).pages
        for font in page["/Resources"]["/Font"].values()
    ]
    assert fonts
    for font in fonts:
        assert str(font["/BaseFont"]).split("+")[-1].startswith("DejaVuSerif"), font
        descriptor = font["/FontDescriptor"].get_object()
        program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        assert str(program["name"].getDebugName(6)).startswith("DejaVuSerif")


def test_online_payment_is_signed_for_by_the_agency(
    db: Session, agency: Agency, dossier: Dossier
) -> None:
    payment = _payment(db, dossier)
    payment.method = "vnpay"
    receipt = service.issue_receipt(db, payment, None)
    assert receipt.collector_id is None and receipt.collector_name == ""
    text = _pdf_text(_stored_pdf(db, receipt))
    assert "Thanh toán trực tuyến qua VNPay" in text
    assert agency.name in text  # under "NGƯỜI THU TIỀN" (the header is in capitals)


def _text_at(data: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    """Each piece of text on a page with where it starts (points, origin bottom-left)."""
    found: list[tuple[str, float, float]] = []

    def visit(text: str, cm: Any, tm: Any, _font: Any, _size: Any) -> None:
        if text.strip():  # the text matrix's origin, mapped by the current transformation
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), float(x), float(y)))

    PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return found


def test_signature_box_is_where_the_layout_leaves_room(
    db: Session, dossier: Dossier, cashier: User
) -> None:
    """The box lies inside the A5 page between the hint and the collector's name, the stamp's
    lines are inside it, and no other text enters it — also when the fees run onto page 2."""
    x1, y1, x2, y2 = receipt_pdf.SIGNATURE_BOX
    assert 0 < x1 < x2 <= 595.3 and 0 < y1 < y2 <= 419.6  # inside an A5 landscape page
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    signature = {"agency": "UBND xã", "signer": cashier.full_name, "signed_at": "10:00:00"}
    for fees, pages in ((list(receipt.items), 1), (_many_fees(15), 2)):
        receipt.items = fees
        context = service.pdf_context(db, receipt, "https://motcua.example/xac-minh/x")
        rendered = receipt_pdf.render_receipt({**context, "signature": signature})
        assert rendered.pages == pages
        placed = _text_at(rendered.pdf)
        inside = [t for t, x, y in placed if x1 <= x <= x2 and y1 <= y <= y2]
        assert [t.split(":")[0] for t in inside] == ["Ký bởi", "Người ký", "Thời gian"]
        hint = [y for t, _x, y in placed if t.startswith("(Ký số")]
        name = [y for t, _x, y in placed if t == cashier.full_name]
        assert hint and hint[0] > y2 and name and name[0] < y1


def _many_fees(count: int) -> list[dict[str, Any]]:
    return [{"name": f"Khoản thu số {i}", "amount": 1000} for i in range(1, count + 1)]


def _test_certificate(agency: Agency) -> tuple[bytes, str]:
    """A throw-away root and an agency signing certificate, as a PKCS#12 bundle."""
    now = utcnow()
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Receipt tests root CA")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, agency.name)]))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    bundle = pkcs12.serialize_key_and_certificates(
        None, key, leaf, [root], serialization.NoEncryption()
    )
    return bundle, root.public_bytes(serialization.Encoding.PEM).decode("ascii")


def test_unsigned_without_certificate_signed_with_one(
    db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    unsigned = service.issue_receipt(db, _payment(db, dossier), cashier)
    doc = db.get(Document, unsigned.document_id)
    assert signing_service.validate_pdf(_stored_pdf(db, unsigned))["signatures"] == []
    assert doc is not None and doc.context["signed"] is False

    bundle, root_pem = _test_certificate(agency)
    signing_service.import_pkcs12(db, agency, bundle, None, is_demo=True)
    signed = service.issue_receipt(db, _payment(db, dossier), cashier)
    doc = db.get(Document, signed.document_id)
    data = _stored_pdf(db, signed)
    assert doc is not None and doc.context["signed"] is True
    result = signing_service.validate_pdf(data, [root_pem])
    assert result["ok"], result
    assert [s["field"] for s in result["signatures"]] == [stored.FIELD_NAME]
    widgets = [
        annot.get_object()
        for annot in PdfReader(io.BytesIO(data)).pages[0]["/Annots"]
        if annot.get_object().get("/T") == stored.FIELD_NAME
    ]
    assert len(widgets) == 1
    rect = [float(v) for v in widgets[0]["/Rect"]]
    assert rect == pytest.approx(list(receipt_pdf.SIGNATURE_BOX), abs=1.0)
    # The box shows who signed, as whom and when; the unsigned receipt claims nothing.
    text = _pdf_text(data)
    assert f"Ký bởi: {agency.name}" in text and f"Người ký: {cashier.full_name}" in text
    signed_at = datetime.fromisoformat(result["signatures"][0]["signing_time"])
    shown = text.split("Thời gian: ", 1)[1][:19]
    moment = datetime.strptime(shown, "%H:%M:%S %d/%m/%Y")
    assert abs(moment - signed_at.replace(tzinfo=None)) <= timedelta(seconds=5)
    assert "Ký bởi" not in _pdf_text(_stored_pdf(db, unsigned))


def test_unusable_certificate_leaves_an_unsigned_receipt_that_claims_no_signature(
    db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    bundle, _ = _test_certificate(agency)
    cert = signing_service.import_pkcs12(db, agency, bundle, None, is_demo=True)
    cert.pkcs12_encrypted = b"\x01" + bytes(64)  # damaged: cannot be decrypted
    db.flush()
    signing_service.clear_signer_cache()
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    data = _stored_pdf(db, receipt)
    doc = db.get(Document, receipt.document_id)
    assert doc is not None and doc.context["signed"] is False
    assert signing_service.validate_pdf(data)["signatures"] == []
    text = _pdf_text(data)
    assert "Ký bởi" not in text and f"{receipt.number:07d}" in text


def test_expired_certificate_leaves_an_unsigned_receipt_and_says_so_in_the_log(
    db: Session,
    agency: Agency,
    dossier: Dossier,
    cashier: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bundle, _ = _test_certificate(agency)
    cert = signing_service.import_pkcs12(db, agency, bundle, None, is_demo=True)
    cert.not_after = utcnow() - timedelta(minutes=1)
    db.flush()
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    with caplog.at_level("WARNING", logger="app.receipts.stored"):
        data = _stored_pdf(db, receipt)
    assert signing_service.validate_pdf(data)["signatures"] == []
    assert "Ký bởi" not in _pdf_text(data)
    assert f"receipt of agency {agency.id} stored unsigned" in caplog.text


def test_text_is_printed_as_typed_never_as_markup(
    db: Session, dossier: Dossier, cashier: User
) -> None:
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    # Decomposed input (as some keyboards send it) prints as the precomposed letters.
    receipt.payer_name = "Nguye\u0302\u0303n <b>Va\u0306n</b> & A"
    receipt.payer_address = 'Số 1 <font size="40">phố</font> Huế'
    receipt.items = [
        {"name": f"Khoản thu số {i} <i>không</i> in nghiêng", "amount": 1000} for i in range(16)
    ]
    data = receipt_pdf.render_pdf(service.pdf_context(db, receipt, "https://motcua.example/x"))
    text = _pdf_text(data)
    assert "Nguyễn <b>Văn</b> & A" in text
    assert 'Số 1 <font size="40">phố</font> Huế' in text
    assert "Khoản thu số 15 <i>không</i> in nghiêng" in text
    # The second page repeats the table's header and names the receipt.
    second = " ".join((PdfReader(io.BytesIO(data)).pages[1].extract_text() or "").split())
    assert f"Ký hiệu: {receipt.series} Số: {receipt.number:07d} - Trang 2/2" in second
    assert "STT Tên loại phí, lệ phí Số tiền" in second


# --- cancel and replace --------------------------------------------------------------------


def test_cancel_needs_a_reason_and_keeps_the_receipt(
    db: Session, dossier: Dossier, cashier: User
) -> None:
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    with pytest.raises(InvalidInput) as error:
        service.cancel_receipt(db, receipt, cashier, "   ")
    assert error.value.fields == {"reason": "required"}
    assert receipt.status == "issued"
    service.cancel_receipt(db, receipt, cashier, "Lập nhầm biên lai")
    db.expire_all()
    kept = db.get(Receipt, receipt.id)
    assert kept is not None and kept.status == "cancelled" and kept.number == receipt.number
    assert kept.cancel_reason == "Lập nhầm biên lai" and kept.cancelled_at is not None
    with pytest.raises(Conflict):
        service.cancel_receipt(db, kept, cashier, "lần nữa")
    # The cancelled number is never reused.
    following = service.issue_receipt(db, _payment(db, dossier), cashier)
    assert following.number == receipt.number + 1
    stamped = _pdf_text(service.pdf_bytes(db, kept))
    assert "ĐÃ HỦY" in stamped and "Lập nhầm biên lai" in stamped
    assert "ĐÃ HỦY" not in _pdf_text(service.pdf_bytes(db, kept, original=True))


def test_replace_issues_a_new_number_that_refers_to_the_original(
    db: Session, dossier: Dossier, cashier: User
) -> None:
    original = service.issue_receipt(db, _payment(db, dossier), cashier)
    with pytest.raises(InvalidInput):
        service.replace_receipt(
            db, original, cashier, "Sai số tiền", items=[{"name": "Lệ phí", "amount": 1}]
        )
    new = service.replace_receipt(
        db,
        original,
        cashier,
        "Sai họ tên người nộp",
        payer_name="Nguyễn Thị Lành",
        items=[
            {"name": "Lệ phí cấp giấy chứng nhận (bản chính)", "amount": 1_000_000},
            *FEES[1:],
        ],
    )
    assert new.id != original.id and new.number == original.number + 1
    assert new.series_id == original.series_id and new.replaces_id == original.id
    assert new.payer_name == "Nguyễn Thị Lành" and new.payer_id_number == "034190001234"
    assert new.amount == original.amount and new.payment_id == original.payment_id
    assert original.status == "replaced" and original.cancel_reason == "Sai họ tên người nộp"
    text = _pdf_text(_stored_pdf(db, new))
    assert "thay thế biên lai" in text and f"{original.number:07d}" in text
    assert "Nguyễn Thị Lành" in text
    assert "ĐÃ BỊ THAY THẾ" in _pdf_text(service.pdf_bytes(db, original))
    with pytest.raises(Conflict):
        service.replace_receipt(db, original, cashier, "lần hai")
    # The replacement is the payment's valid receipt now.
    payment = db.get(Payment, original.payment_id)
    assert payment is not None and service.issue_receipt(db, payment, cashier).id == new.id


def test_who_may_cancel(db: Session, agency: Agency, dossier: Dossier, cashier: User) -> None:
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    for email in (CITIZEN, OTHER_CASHIER):
        with pytest.raises(Forbidden):
            service.cancel_receipt(db, receipt, _user(db, email), "không được")
    reception = account_service.create_user(
        db,
        email="tiepnhan.thunghiem@motcua.local",
        password=DEMO_PASSWORD,
        full_name="Cán bộ tiếp nhận",
        agency_code=agency.code,
        roles=["reception"],
    )
    with pytest.raises(Forbidden):
        service.cancel_receipt(db, receipt, reception, "không phải thu phí")
    assert receipt.status == "issued"
    # The province's agency admin acts for the communes below it.
    service.cancel_receipt(db, receipt, _user(db, PROVINCE_ADMIN), "Quản trị hủy")
    assert receipt.status == "cancelled"


# --- API -----------------------------------------------------------------------------------


def test_api_read_as_owner_staff_and_stranger(
    client: TestClient, db: Session, dossier: Dossier, cashier: User
) -> None:
    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    owner = api_token(client, CITIZEN)
    body = client.get(f"/api/v1/receipts/{receipt.id}", headers=owner).json()
    assert body["id"] == receipt.id and body["number"] == receipt.number
    assert body["number_text"] == f"{receipt.number:07d}"
    assert body["template_symbol"] == "01BLP0-001" and body["series"] == receipt.series
    assert body["payer"] == {
        "name": "Nguyễn Thị Lan",
        "address": APPLICANT["address"],
        "id_number": "034190001234",
        "tax_code": "",  # a person: no tax code on the receipt
    }
    assert body["items"] == FEES and body["amount"] == 1_250_000
    assert body["amount_in_words"] == "Một triệu hai trăm năm mươi nghìn đồng"
    assert body["payment_method"] == "cash" and body["status"] == "issued"
    assert body["dossier_id"] == dossier.id and body["dossier_code"] == dossier.code
    assert body["replaces_id"] is None and body["agency"]["tax_code"] == TAX_CODE
    assert body["pdf_url"] == f"/api/v1/receipts/{receipt.id}/pdf"
    assert "/xac-minh/" in body["verify_url"] and body["issued_at"]
    pdf = client.get(body["pdf_url"], headers=owner)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == _stored_pdf(db, receipt)

    stranger = api_token(client, OTHER_CITIZEN)
    for path in (f"/api/v1/receipts/{receipt.id}", f"/api/v1/receipts/{receipt.id}/pdf"):
        response = client.get(path, headers=stranger)
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    staff = api_token(client, "thuphi.thunghiem@motcua.local")
    assert client.get(f"/api/v1/receipts/{receipt.id}", headers=staff).status_code == 200
    other_agency = api_token(client, OTHER_CASHIER)
    assert client.get(f"/api/v1/receipts/{receipt.id}", headers=other_agency).status_code == 404
    admin = api_token(client, "admin@motcua.local")
    assert client.get(f"/api/v1/receipts/{receipt.id}", headers=admin).status_code == 200
    assert client.get(f"/api/v1/receipts/{receipt.id}").status_code == 401
    assert client.get("/api/v1/receipts/0", headers=admin).status_code == 422
    assert client.get("/api/v1/receipts/99999999", headers=admin).status_code == 404


def test_api_cancel_and_replace(
    client: TestClient, db: Session, dossier: Dossier, cashier: User
) -> None:
    first = service.issue_receipt(db, _payment(db, dossier), cashier)
    second = service.issue_receipt(db, _payment(db, dossier), cashier)
    owner = api_token(client, CITIZEN)
    response = client.post(
        f"/api/v1/receipts/{first.id}/cancel", json={"reason": "tự hủy"}, headers=owner
    )
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    stranger = api_token(client, OTHER_CITIZEN)
    response = client.post(
        f"/api/v1/receipts/{first.id}/cancel", json={"reason": "x"}, headers=stranger
    )
    assert response.status_code == 404

    staff = api_token(client, "thuphi.thunghiem@motcua.local")
    for bad in ({}, {"reason": ""}, {"reason": 5}, {"reason": "x" * 1001}):
        response = client.post(f"/api/v1/receipts/{first.id}/cancel", json=bad, headers=staff)
        assert response.status_code == 422, bad
    response = client.post(
        f"/api/v1/receipts/{first.id}/cancel", json={"reason": "   "}, headers=staff
    )
    assert response.status_code == 422 and response.json()["fields"] == {"reason": "required"}
    response = client.post(
        f"/api/v1/receipts/{first.id}/cancel", json={"reason": "Thu trùng"}, headers=staff
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "Thu trùng"
    assert body["number"] == first.number and body["cancelled_at"]
    again = client.post(
        f"/api/v1/receipts/{first.id}/cancel", json={"reason": "Thu trùng"}, headers=staff
    )
    assert again.status_code == 409
    stamped = client.get(f"/api/v1/receipts/{first.id}/pdf", headers=staff)
    assert stamped.status_code == 200 and "ĐÃ HỦY" in _pdf_text(stamped.content)

    response = client.post(
        f"/api/v1/receipts/{second.id}/replace",
        json={"reason": "Sai địa chỉ", "payer_address": "Thôn Tây, xã Thử Nghiệm"},
        headers=staff,
    )
    assert response.status_code == 201, response.text
    new = response.json()
    assert new["replaces_id"] == second.id and new["number"] == second.number + 1
    assert new["payer"]["address"] == "Thôn Tây, xã Thử Nghiệm"
    assert new["amount"] == second.amount and new["status"] == "issued"
    old = client.get(f"/api/v1/receipts/{second.id}", headers=owner).json()
    assert old["status"] == "replaced" and old["replaced_by_id"] == new["id"]
    response = client.post(
        f"/api/v1/receipts/{new['id']}/replace",
        json={"reason": "Sai tiền", "items": [{"name": "Lệ phí", "amount": 10}]},
        headers=staff,
    )
    assert response.status_code == 422


def test_api_register_json_and_xlsx(
    client: TestClient, db: Session, agency: Agency, dossier: Dossier, cashier: User
) -> None:
    receipts = [service.issue_receipt(db, _payment(db, dossier), cashier) for _ in range(3)]
    service.cancel_receipt(db, receipts[1], cashier, "Lập nhầm")
    today = datetime.now(VN).date()
    params = {"agency": agency.code, "from": today.isoformat(), "to": today.isoformat()}
    staff = api_token(client, "thuphi.thunghiem@motcua.local")
    body = client.get("/api/v1/receipts", params=params, headers=staff).json()
    assert body["total"] == 3 and [r["id"] for r in body["items"]] == [r.id for r in receipts]
    assert body["amount_issued"] == 2 * 1_250_000
    # Default agency and period: the caller's agency, this month.
    assert client.get("/api/v1/receipts", headers=staff).json()["total"] == 3
    admin = api_token(client, PROVINCE_ADMIN)
    response = client.get("/api/v1/receipts", params={**params, "format": "xlsx"}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [
        [cell for cell in row]
        for row in sheet.iter_rows(min_row=7, values_only=True)
        if isinstance(row[0], int)
    ]
    assert [row[3] for row in rows] == [f"{r.number:07d}" for r in receipts]
    assert {row[2] for row in rows} == {receipts[0].series}
    assert rows[0][5] == "Nguyễn Thị Lan" and rows[0][6] == dossier.code
    assert "Phí thẩm định hồ sơ" in str(rows[0][7]) and rows[0][8] == 1_250_000
    assert rows[0][9] == "Tiền mặt" and rows[1][10] == "Đã hủy" and rows[1][11] == "Lập nhầm"
    assert isinstance(rows[0][4], datetime)

    citizen = api_token(client, CITIZEN)
    assert client.get("/api/v1/receipts", params=params, headers=citizen).status_code == 403
    assert client.get("/api/v1/receipts", headers=citizen).status_code == 403
    system_admin = api_token(client, "admin@motcua.local")
    response = client.get("/api/v1/receipts", headers=system_admin)  # which agency?
    assert response.status_code == 422 and response.json()["fields"] == {"agency": "required"}
    assert client.get("/api/v1/receipts", params=params, headers=system_admin).json()["total"] == 3
    other = api_token(client, OTHER_CASHIER)
    assert client.get("/api/v1/receipts", params=params, headers=other).status_code == 403
    for bad in (
        {"from": "2026-13-01"},
        {"from": "hôm nay"},
        {"format": "pdf"},
        {"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()},
        {"from": "2020-01-01", "to": "2026-01-01"},
        {"limit": 0},
    ):
        response = client.get("/api/v1/receipts", params=params | bad, headers=staff)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"] == "invalid_input"
    response = client.get("/api/v1/receipts", params=params | {"agency": "nope"}, headers=staff)
    assert response.status_code == 404


# --- concurrency (commits for real) -----------------------------------------------------------

PARALLEL_AGENCY = "000.00.98.H31"


def _issue_in_own_transaction(
    factory: sessionmaker[Session], payment_id: int, fail: bool = False
) -> tuple[int, int]:
    with factory() as session, session.begin():
        begin_write(session)
        payment = session.get(Payment, payment_id)
        assert payment is not None
        receipt = service.issue_receipt(session, payment, None)
        if fail:
            raise RuntimeError("simulated failure after the number was drawn")
        return receipt.series_id, receipt.number


def test_parallel_issues_get_consecutive_numbers(fresh_database: Engine) -> None:
    factory = sessionmaker(bind=fresh_database, expire_on_commit=False)
    with factory.begin() as session:
        agency = _agency(session, PARALLEL_AGENCY, None, "Đơn vị kiểm thử biên lai song song")
        dossier = _dossier(session, agency, None)
        payments = [
            _payment(session, dossier, [{"name": "Lệ phí", "amount": 10_000 + i}])
            for i in range(22)
        ]
        ids = [p.id for p in payments]
    failing = {ids[5], ids[13]}
    results = in_parallel(
        [(lambda p=p: _issue_in_own_transaction(factory, p, fail=p in failing)) for p in ids]
    )
    errors = [r for r in results if isinstance(r, Exception)]
    done = [r for r in results if isinstance(r, tuple)]
    assert len(errors) == 2 and all(isinstance(e, RuntimeError) for e in errors), results
    assert len(done) == 20 and len({series for series, _ in done}) == 1
    numbers = sorted(number for _, number in done)
    assert numbers == list(range(numbers[0], numbers[0] + 20)), numbers
    with factory() as session:
        series = session.get(ReceiptSeries, done[0][0])
        assert series is not None and series.last_number == numbers[-1]
        stored = session.scalars(
            select(Receipt.number).where(Receipt.payment_id.in_(ids)).order_by(Receipt.number)
        ).all()
        assert list(stored) == numbers
        assert session.scalar(select(Receipt).where(Receipt.payment_id.in_(failing))) is None


def test_the_printed_qr_code_scans_to_the_verification_address(
    db: Session, dossier: Dossier, cashier: User
) -> None:
    """Rasterised at 150 dpi (a phone camera sees at least that) and decoded by ZXing, on every
    page of a long receipt, for several addresses."""
    import pypdfium2
    import zxingcpp

    receipt = service.issue_receipt(db, _payment(db, dossier), cashier)
    receipt.items = [{"name": f"Khoản thu số {i}", "amount": 1000} for i in range(16)]
    for _ in range(3):
        url = document_service.verify_url(secrets.token_urlsafe(32))
        data = receipt_pdf.render_pdf(service.pdf_context(db, receipt, url))
        document = pypdfium2.PdfDocument(data)
        assert len(document) == 2
        for page in document:
            image = page.render(scale=150 / 72).to_pil()
            found = [r.text for r in zxingcpp.read_barcodes(image)]
            assert found == [url]
