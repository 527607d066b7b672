"""Electronic results (issue 16 item 5, findings M9, m17, M4): the citizen's download is
numbered, stamped with its verification QR code and signed with the agency's certificate; a
file signed before upload keeps its signature; numbers name no one; form 06 speaks Vietnamese."""

from __future__ import annotations

import concurrent.futures
import io
import re
from datetime import UTC, datetime
from typing import Any

import pypdfium2
import zxingcpp
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pypdf import PdfReader, PdfWriter
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from app.agencies.models import Agency
from app.cli import ROOT
from app.db import begin_write, utcnow
from app.documents import results
from app.documents.models import Document
from app.dossiers.models import Dossier, DossierFile
from app.signing import service as signing_service
from app.signing.models import SigningCertificate
from tests.conftest import in_parallel
from tests.dossiers.helpers import (
    BIRTH_FORM,
    CITIZEN,
    LEADER,
    PHO_HIEN,
    RECEPTION,
    SPECIALIST,
    act,
    headers,
    pdf_bytes,
    png_bytes,
    submitted_dossier,
)
from tests.workflow.test_staff_pages import log_in

ID_NUMBER = BIRTH_FORM["applicant_id_number"]


def _ready_for_result(client: TestClient) -> tuple[int, dict[str, str], dict[str, str]]:
    """A birth registration received, examined and approved: reception may attach."""
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    assert act(client, reception, dossier_id, "receive").status_code == 200
    assert act(client, headers(client, SPECIALIST), dossier_id, "forward").status_code == 200
    assert act(client, headers(client, LEADER), dossier_id, "approve").status_code == 200
    return dossier_id, citizen, reception


def _attach(
    client: TestClient, reception: dict[str, str], dossier_id: int, data: bytes, name: str
) -> Any:
    return client.post(
        f"/api/v1/dossiers/{dossier_id}/actions",
        data={"action": "attach_result", "comment": "Giấy khai sinh bản chính"},
        files={"file": (name, data, "application/pdf")},
        headers=reception,
    )


def _result(client: TestClient, citizen: dict[str, str], dossier_id: int) -> dict[str, Any]:
    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=citizen).json()
    return next(d for d in docs["items"] if d["kind"] == "result")


def _agency_id(db: Session, code: str = PHO_HIEN) -> int:
    return db.scalars(select(Agency.id).where(Agency.code == code)).one()


def _seen(pdf: bytes) -> tuple[list[str], str]:
    """What a reader of the first page sees: the QR codes it decodes and the text, with the
    signature's appearance drawn as a viewer draws it."""
    document = pypdfium2.PdfDocument(pdf)
    document.init_forms()
    page = document[0]
    image = page.render(scale=4, may_draw_forms=True).to_pil()
    codes = [found.text for found in zxingcpp.read_barcodes(image)]
    page.flatten()
    page = document[0]
    text = page.get_textpage().get_text_range()
    document.close()
    return codes, text


def test_unsigned_result_reaches_the_citizen_numbered_stamped_and_signed(
    client: TestClient, db: Session
) -> None:
    dossier_id, citizen, reception = _ready_for_result(client)
    log_in(client, RECEPTION)
    desk = client.get(f"/can-bo/ho-so/{dossier_id}").text
    assert "đóng dấu mã QR xác minh và ký số bằng chứng thư của cơ quan" in desk
    assert "Cơ quan chưa có chứng thư số còn hiệu lực" not in desk
    client.cookies.delete("portal_session")
    attached = _attach(client, reception, dossier_id, pdf_bytes("GKS"), "giay-khai-sinh.pdf")
    assert attached.status_code == 200, attached.text
    assert attached.json()["status"] == "result_ready"

    result = _result(client, citizen, dossier_id)
    number = result["number"]
    assert re.fullmatch(r"GKS-\d{2}-\d{6}", number)
    assert result["title"] == f"Giấy khai sinh (bản chính) — số {number}"
    assert ID_NUMBER not in result["title"]

    pdf = client.get(result["pdf_url"], headers=citizen).content
    report = signing_service.validate_pdf(pdf, signing_service.trust_roots_pem(db))
    assert report["ok"], report
    (signature,) = report["signatures"]
    assert signature["intact"] and signature["whole_document"]
    active = signing_service.active_certificate(db, _agency_id(db))
    assert signature["signer_fingerprint"] == active.fingerprint_sha256

    codes, text = _seen(pdf)
    assert codes == [result["verify_url"]]
    lines = [line.strip() for line in text.splitlines()]
    token = result["verify_url"].rsplit("/", 1)[1]
    assert token in lines  # the token on a line of its own, never cut at a hyphen
    assert f"Kết quả điện tử số: {number}" in lines
    agency = db.get(Agency, _agency_id(db))
    assert agency is not None and f"Ký số bởi: {agency.name}" in lines
    assert ID_NUMBER not in text

    # The citizen's dossier page shows the numbered result among the documents.
    log_in(client, CITIZEN)
    assert f"Giấy khai sinh (bản chính) — số {number}" in client.get(f"/ho-so/{dossier_id}").text
    # The verification page (the QR code's target): title, number, agency, who signed.
    client.cookies.delete("portal_session")
    verify = client.get(_path(result["verify_url"]))
    assert verify.status_code == 200
    assert number in verify.text and agency.name in verify.text
    assert "Có. Chữ ký số hợp lệ" in verify.text
    assert f"Người ký: {agency.name}" in verify.text
    assert "Cổng đã đóng dấu mã QR xác minh" in verify.text
    assert ID_NUMBER not in verify.text and BIRTH_FORM["applicant_name"] not in verify.text


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_result_signed_before_upload_keeps_its_signature(client: TestClient, db: Session) -> None:
    dossier_id, citizen, reception = _ready_for_result(client)
    # Signed by another agency's certificate before it reached the portal.
    other = db.scalars(select(Agency.id).where(Agency.code != PHO_HIEN).order_by(Agency.id)).first()
    assert other is not None
    original = signing_service.sign_pdf(
        db,
        other,
        pdf_bytes("GKS"),
        field_name="ChuKyGoc",
        reason="Ký kết quả",
        location="Hưng Yên",
        signer_name="Lãnh đạo",
    )
    attached = _attach(client, reception, dossier_id, original, "gks-da-ky.pdf")
    assert attached.status_code == 200, attached.text

    result = _result(client, citizen, dossier_id)
    pdf = client.get(result["pdf_url"], headers=citizen).content
    assert pdf.startswith(original)  # not one byte of the signed file rewritten
    report = signing_service.validate_pdf(pdf, signing_service.trust_roots_pem(db))
    assert report["ok"], report
    first, portal = report["signatures"]
    assert first["field"] == "ChuKyGoc" and first["intact"] and first["valid"]
    assert first["changes_allowed"]
    active = signing_service.active_certificate(db, _agency_id(db))
    assert portal["signer_fingerprint"] == active.fingerprint_sha256
    assert _seen(pdf)[0] == [result["verify_url"]]

    verify = client.get(_path(result["verify_url"]))
    assert "Tệp kết quả đã được ký số trước khi tải lên" in verify.text


def test_result_certified_against_changes_is_stored_as_uploaded(
    client: TestClient, db: Session
) -> None:
    dossier_id, citizen, reception = _ready_for_result(client)
    other = db.scalars(select(Agency.id).where(Agency.code != PHO_HIEN).order_by(Agency.id)).first()
    assert other is not None
    signer = signing_service.signer_for(signing_service.active_certificate(db, other))
    meta = signers.PdfSignatureMetadata(
        field_name="ChungNhan",
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes("GKS")))
    # pyHanko runs asyncio.run: in a thread of its own, whatever loop a browser test left here
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        signed = pool.submit(signers.PdfSigner(meta, signer=signer).sign_pdf, writer).result()
    certified = signed.getvalue()

    assert _attach(client, reception, dossier_id, certified, "gks.pdf").status_code == 200
    result = _result(client, citizen, dossier_id)
    assert client.get(result["pdf_url"], headers=citizen).content == certified
    report = signing_service.validate_pdf(certified, signing_service.trust_roots_pem(db))
    assert report["ok"]
    assert re.fullmatch(r"GKS-\d{2}-\d{6}", result["number"])


def test_two_results_of_one_applicant_get_different_numbers(client: TestClient) -> None:
    numbers = []
    for _ in range(2):
        dossier_id, citizen, reception = _ready_for_result(client)
        attached = _attach(client, reception, dossier_id, pdf_bytes("GKS"), "gks.pdf")
        assert attached.status_code == 200, attached.text
        numbers.append(_result(client, citizen, dossier_id)["number"])
    first, second = numbers
    assert first != second
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1
    assert all(ID_NUMBER not in number for number in numbers)


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes("GKS"))))
    writer.encrypt(user_password="", owner_password="chu-so-huu", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _nothing_attached(db: Session, dossier_id: int) -> None:
    assert db.scalar(select(Dossier.status).where(Dossier.id == dossier_id)) == "processing"
    count = db.scalar(
        select(func.count())
        .select_from(Document)
        .where(Document.dossier_id == dossier_id, Document.kind == "result")
    )
    files = db.scalar(
        select(func.count())
        .select_from(DossierFile)
        .where(DossierFile.dossier_id == dossier_id, DossierFile.purpose == "result")
    )
    assert (count, files) == (0, 0)


def test_a_file_that_is_not_a_usable_pdf_is_refused(client: TestClient, db: Session) -> None:
    dossier_id, _citizen, reception = _ready_for_result(client)
    cases = [
        (png_bytes(), "anh.pdf", 415, "Tệp kết quả phải là tệp PDF."),
        (_encrypted_pdf(), "mat-khau.pdf", 422, "Tệp PDF được đặt mật khẩu hoặc mã hóa"),
        (b"%PDF-1.7\n" + b"x" * 200, "hong.pdf", 422, "Tệp PDF bị hỏng hoặc không đọc được"),
    ]
    for data, name, status, message in cases:
        refused = _attach(client, reception, dossier_id, data, name)
        assert refused.status_code == status, refused.text
        body = refused.json()
        assert message in body["detail"]
        assert "file" in body.get("fields", {"file": ""})
        _nothing_attached(db, dossier_id)


def test_without_a_certificate_an_unsigned_result_is_refused(
    client: TestClient, db: Session
) -> None:
    dossier_id, _citizen, reception = _ready_for_result(client)
    db.execute(
        update(SigningCertificate)
        .where(SigningCertificate.agency_id == _agency_id(db))
        .values(is_active=False)
    )
    db.flush()
    # The desk says so above the upload field before anyone tries.
    log_in(client, RECEPTION)
    desk = client.get(f"/can-bo/ho-so/{dossier_id}").text
    assert "Cơ quan chưa có chứng thư số còn hiệu lực" in desk
    client.cookies.delete("portal_session")
    refused = _attach(client, reception, dossier_id, pdf_bytes("GKS"), "gks.pdf")
    assert refused.status_code == 409
    assert (
        "Cơ quan chưa có chứng thư số nên cổng không ký số được kết quả" in refused.json()["detail"]
    )
    _nothing_attached(db, dossier_id)


def test_form_06_names_actions_in_vietnamese_with_the_comments(client: TestClient) -> None:
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    assert act(client, reception, dossier_id, "receive").status_code == 200
    specialist = headers(client, SPECIALIST)
    asked = act(
        client,
        specialist,
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="Giấy chứng sinh mờ, nộp lại bản rõ",
    )
    assert asked.status_code == 200, asked.text
    assert client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen).status_code == 200
    forwarded = act(
        client,
        specialist,
        dossier_id,
        "forward",
        comment="Hồ sơ hợp lệ, đủ điều kiện giải quyết. Kính trình lãnh đạo ký.",
    )
    assert forwarded.status_code == 200, forwarded.text
    assert act(client, headers(client, LEADER), dossier_id, "approve").status_code == 200
    assert _attach(client, reception, dossier_id, pdf_bytes(), "gks.pdf").status_code == 200
    returned = act(client, reception, dossier_id, "return_result", comment="Trả tại quầy")
    assert returned.status_code == 200, returned.text

    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=citizen).json()
    form_06 = next(d for d in docs["items"] if d["kind"] == "form_06")
    reader = PdfReader(io.BytesIO(client.get(form_06["pdf_url"], headers=citizen).content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for label in (
        "Tiếp nhận hồ sơ",
        "Yêu cầu bổ sung hồ sơ: Giấy chứng sinh mờ, nộp lại bản rõ",
        "Chuyển bước tiếp theo: Hồ sơ hợp lệ, đủ điều kiện giải quyết. Kính trình lãnh đạo ký.",
        "Phê duyệt",
        "Đính kèm kết quả: Giấy khai sinh bản chính",
        "Trả kết quả: Trả tại quầy",
    ):
        assert label in text, label
    for code in ("request_supplement", "receive", "forward", "attach_result", "return_result"):
        assert code not in text
    # The signature block is never alone on the last page.
    last_page = " ".join((reader.pages[-1].extract_text() or "").split())
    assert "Trả kết quả: Trả tại quầy" in last_page


def _draw_number(factory: sessionmaker[Session], fail: bool) -> str:
    with factory() as session, session.begin():
        begin_write(session)
        number = results.next_number(session, "songsong", utcnow())
        if fail:
            raise RuntimeError("simulated failure after the number was drawn")
        return number


def test_parallel_attachments_never_share_a_number(engine: Engine) -> None:
    """Real commits from parallel threads (own connections); a rolled-back attachment gives
    its number back. A type code no other test uses."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    jobs = [(lambda f=(i in (2, 5)): _draw_number(factory, f)) for i in range(8)]
    drawn = in_parallel(jobs)
    numbers = [n for n in drawn if isinstance(n, str)]
    assert len(numbers) == 6 and len(set(numbers)) == 6, drawn
    assert all(re.fullmatch(r"SONGSONG-\d{2}-\d{6}", n) for n in numbers)
    sequence = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequence == list(range(sequence[0], sequence[0] + 6))


def test_upgrade_takes_the_id_number_out_of_earlier_result_titles(fresh_database: Engine) -> None:
    """Results attached before revision 0014 were titled "… — số <CCCD>.<code>"."""
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    config.attributes["database_url"] = fresh_database.url.render_as_string(hide_password=False)
    command.downgrade(config, "0014-1")
    old_title = f"Giấy khai sinh (bản chính) — số {ID_NUMBER}.GKS"
    with fresh_database.begin() as connection:
        for index, day in enumerate(("2025-12-30", "2026-01-02", "2026-03-02")):
            connection.execute(
                text(
                    "INSERT INTO documents (kind, title, context, verify_token, created_at) "
                    "VALUES ('result', :title, '{}', :token, :at)"
                ),
                {"title": old_title, "token": f"old-{index}", "at": f"{day} 03:00:00+00:00"},
            )
    command.upgrade(config, "head")
    with fresh_database.connect() as connection:
        rows = connection.execute(
            text("SELECT number, title FROM documents WHERE kind = 'result' ORDER BY id")
        ).all()
    assert [number for number, _ in rows] == ["GKS-25-000001", "GKS-26-000001", "GKS-26-000002"]
    assert [title for _, title in rows] == [
        f"Giấy khai sinh (bản chính) — số {number}" for number, _ in rows
    ]
    # The next result of the year continues the sequence.
    with Session(fresh_database) as session, session.begin():
        assert results.next_number(session, "GKS", datetime(2026, 6, 1, tzinfo=UTC)) == (
            "GKS-26-000003"
        )
