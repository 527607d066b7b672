"""Forms 02–05 as administrative documents (issue 19 item 4, SPEC §3): numbered per agency, kind
and year without gaps, with the agency's place and date, the dossier code and the signer, and
signed with the agency's certificate so that pyHanko's validator finds them intact."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service as account_service
from app.agencies.models import Agency
from app.db import begin_write
from app.documents import numbering
from app.documents.models import Document
from app.dossiers.models import Dossier
from app.signing import service as signing_service
from tests.conftest import in_parallel
from tests.dossiers.helpers import (
    PHO_HIEN,
    RECEPTION,
    act,
    headers,
    submitted_dossier,
)

LIEN_PHUONG = "000.00.54.H31"
LIEN_PHUONG_OFFICER = "tiepnhan.lienphuong@motcua.local"  # reception, specialist and cashier
SIGNATURE_PROCEDURE = "2.000884"  # signature certification at Liên Phương


def _agency(db: Session, code: str) -> Agency:
    return db.scalars(select(Agency).where(Agency.code == code)).one()


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def _form(client: TestClient, h: dict[str, str], dossier_id: int, kind: str) -> dict[str, Any]:
    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=h).json()["items"]
    return next(d for d in docs if d["kind"] == kind)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# --- what a citizen reads --------------------------------------------------------------------


def test_refusal_is_numbered_dated_at_the_agency_signed_and_verifiable(
    client: TestClient, db: Session
) -> None:
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    refused = act(client, reception, dossier_id, "reject", reasons=["Tờ khai thiếu chữ ký."])
    assert refused.status_code == 200, refused.text
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.code
    form = _form(client, citizen, dossier_id, "form_03")
    pdf = client.get(form["pdf_url"], headers=citizen).content
    text = _text(pdf)
    flat = " ".join(text.split())

    number = re.search(r"Số: (\d+)/PTC-UBND", flat)
    assert number, flat[:600]
    assert len(number.group(1)) >= 2  # numbers below 10 with a leading zero (Decree 30)
    assert re.search(r"Phố Hiến, ngày \d{2} tháng \d{1,2} năm 20\d{2}", flat), flat[:600]
    assert dossier.code in flat
    assert "Đinh Thị Nhận" in flat  # the reception officer who refused
    assert "CÔNG CHỨC TIẾP NHẬN HỒ SƠ" in flat.upper()
    assert "Đã ký số bằng chứng thư số của Ủy ban nhân dân phường Phố Hiến" in flat
    assert "Nơi nhận" in flat
    # A commune's people's committee heads its own header: no provincial line above it.
    assert "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN" not in flat.upper()

    report = signing_service.validate_pdf(pdf, signing_service.trust_roots_pem(db))
    assert report["ok"], report
    (signature,) = report["signatures"]
    assert signature["intact"] and signature["whole_document"]
    active = signing_service.active_certificate(db, _agency(db, PHO_HIEN).id)
    assert signature["signer_fingerprint"] == active.fingerprint_sha256

    # A copy with one byte of its text changed no longer validates.
    at = pdf.index(b"/PTC-UBND") if b"/PTC-UBND" in pdf else len(pdf) // 3
    tampered = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]
    bad = signing_service.validate_pdf(tampered, signing_service.trust_roots_pem(db))
    assert not bad["ok"]

    assert form["number"] == f"{number.group(1)}/PTC-UBND"  # the API lists it too
    # The verification page (the QR code's target) shows the number and a valid signature.
    client.cookies.delete("portal_session")
    verify = client.get(_path(form["verify_url"]))
    assert verify.status_code == 200
    assert f"{number.group(1)}/PTC-UBND" in verify.text
    assert "Có. Chữ ký số hợp lệ" in verify.text


def test_supplement_request_and_refusal_count_separately(client: TestClient, db: Session) -> None:
    reception = headers(client, RECEPTION)
    first, _ = submitted_dossier(client)
    second, _ = submitted_dossier(client)
    third, _ = submitted_dossier(client)
    assert act(client, reception, first, "reject", reasons=["Sai mẫu."]).status_code == 200
    asked = act(client, reception, second, "request_supplement", comment="Thiếu bản sao.")
    assert asked.status_code == 200, asked.text
    assert act(client, reception, third, "reject", reasons=["Sai mẫu."]).status_code == 200

    def number(dossier_id: int, kind: str) -> str:
        doc = db.scalars(
            select(Document).where(Document.dossier_id == dossier_id, Document.kind == kind)
        ).one()
        return str(doc.context["doc"]["number"])

    refused = [number(first, "form_03"), number(third, "form_03")]
    seqs = [int(n.split("/")[0]) for n in refused]
    assert seqs[1] == seqs[0] + 1 and all(n.endswith("/PTC-UBND") for n in refused)
    assert re.fullmatch(r"\d{2,}/PYCBS-UBND", number(second, "form_02"))


# --- the counter -------------------------------------------------------------------------------


def test_counters_run_per_agency_kind_and_year(db: Session) -> None:
    pho_hien, lien_phuong = _agency(db, PHO_HIEN), _agency(db, LIEN_PHUONG)
    at = datetime(2031, 3, 2, 3, 0, tzinfo=UTC)
    assert [numbering.next_number(db, pho_hien.id, "form_05", at) for _ in range(3)] == [1, 2, 3]
    assert numbering.next_number(db, lien_phuong.id, "form_05", at) == 1
    assert numbering.next_number(db, pho_hien.id, "form_04", at) == 1
    # 31 December 2031, 17:30 UTC is already 1 January 2032 in Vietnam: a new year, number 1.
    new_year = datetime(2031, 12, 31, 17, 30, tzinfo=UTC)
    assert numbering.next_number(db, pho_hien.id, "form_05", new_year) == 1
    assert numbering.next_number(db, pho_hien.id, "form_05", at) == 4
    assert numbering.document_number("form_05", 4, "UBND") == "04/TB-UBND"
    assert numbering.document_number("form_04", 12, "STP") == "12/STP-BPMC"
    # The worker's stop (no officer) is signed by the portal on the agency's behalf.
    assert numbering.signer("form_05", None)["title"] == numbering.SYSTEM_SIGNER_TITLE


def test_agencies_without_an_abbreviation_get_one_from_their_name() -> None:
    derived = numbering.derived_abbreviation
    assert derived("Ủy ban nhân dân xã Tân Tiến") == "UBND"
    assert derived("Sở Nội vụ tỉnh Hưng Yên") == "SNV"
    assert derived("Công an tỉnh Hưng Yên") == "CAT"
    assert derived("Sở Nông nghiệp và Môi trường tỉnh Hưng Yên") == "SNNVMT"
    assert derived("Đài Phát thanh") == "ĐPT"


# --- gapless under concurrency -----------------------------------------------------------------


def _submitted(factory: sessionmaker, count: int) -> list[int]:  # type: ignore[type-arg]
    from app.dossiers import service as dossier_service
    from app.dossiers.schemas import ActionIn, DossierCreate
    from app.workflow import service as workflow
    from tests.dossiers.helpers import pdf_bytes
    from tests.payments.declared import FORM

    ids = []
    with factory.begin() as session:
        citizen = account_service.get_user_by_email(session, "congdan2@motcua.local")
        assert citizen is not None
        for _ in range(count):
            dossier = dossier_service.create_draft(
                session,
                citizen,
                DossierCreate(
                    procedure_code=SIGNATURE_PROCEDURE, agency_code=LIEN_PHUONG, form_data=FORM
                ),
            )
            for comp in dossier.version.components:
                if comp.required:
                    dossier_service.add_file(
                        session, citizen, dossier, comp.code, "a.pdf", pdf_bytes()
                    )
            workflow.perform(session, dossier, citizen, ActionIn(action="submit"))
            ids.append(dossier.id)
    return ids


def _refuse(factory: sessionmaker, dossier_id: int) -> str:  # type: ignore[type-arg]
    from app.dossiers.schemas import ActionIn
    from app.workflow import service as workflow

    with factory() as session, session.begin():
        begin_write(session)
        officer = account_service.get_user_by_email(session, LIEN_PHUONG_OFFICER)
        dossier = session.get(Dossier, dossier_id)
        assert officer is not None and dossier is not None
        workflow.perform(
            session, dossier, officer, ActionIn(action="reject", reasons=["Không đúng thẩm quyền."])
        )
        doc = session.scalars(
            select(Document).where(Document.dossier_id == dossier_id, Document.kind == "form_03")
        ).one()
        return str(doc.context["doc"]["number"])


def test_twenty_parallel_refusals_get_numbers_one_to_twenty(fresh_database: Engine) -> None:
    factory = sessionmaker(bind=fresh_database, expire_on_commit=False)
    ids = _submitted(factory, 20)
    results = in_parallel([(lambda d=d: _refuse(factory, d)) for d in ids])
    numbers = [r for r in results if isinstance(r, str)]
    assert len(numbers) == 20, results
    assert all(n.endswith("/PTC-UBND") for n in numbers), numbers
    assert sorted(int(n.split("/")[0]) for n in numbers) == list(range(1, 21))
    assert len(set(numbers)) == 20


# --- the templates -------------------------------------------------------------------------------


def test_administrative_frame_uses_only_the_documented_context(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Forms 02–05 with their administrative header and signature block, signed or not."""
    from app.documents.render import render_html
    from tests.documents.test_render import _context

    with caplog.at_level(logging.WARNING, logger="app.documents.render"):
        for kind in numbering.NUMBERED_KINDS:
            context = _context(kind)
            context["doc"].update(number=f"07/{numbering.SYMBOLS[kind]}", administrative=True)
            context["agency"].update(place="Tân Tiến", abbreviation="UBND", parent_name=None)
            context["officer"] = {"name": "Lê Thị Hoa", "title": "Công chức tiếp nhận hồ sơ"}
            for signed in (None, {"digital": True}):
                html = render_html(kind, {**context, "signature": signed})
                assert "Số: 07/" in html and "Tân Tiến, ngày 05 tháng 3 năm 2025" in html
                assert "Nơi nhận" in html and "Lê Thị Hoa" in html
                assert ("Đã ký số" in html) == bool(signed)
    assert caplog.records == []


def test_control_slip_tells_early_on_time_and_late_apart() -> None:
    """Form 06, column "Kết quả giải quyết hồ sơ (trước hạn/đúng hạn/quá hạn)"."""
    from datetime import timedelta

    from app.documents.render import render_html
    from tests.documents.test_render import _context

    context = _context("form_06")
    early = dict(context["extra"]["rows"][0])
    early.update(planned_at=early["planned_at"] + timedelta(days=2), step_name="Ký duyệt")
    context["extra"]["rows"].append(early)
    html = " ".join(render_html("form_06", context).split())
    assert html.count("Trước hạn") == 1 and "Đúng hạn" in html and "Quá hạn" in html
    assert "Cơ quan (bộ phận) giải quyết hồ sơ: Bộ phận Một cửa; Phòng Tư pháp" in html
    assert "Kèm theo hồ sơ của: <strong>Nguyễn Thị Lan</strong>" in html


# --- the agency's data ---------------------------------------------------------------------------


def test_abbreviation_and_place_are_edited_on_the_agency_page_and_api(
    client: TestClient, db: Session
) -> None:
    from tests.admin.helpers import ADMIN, log_in, post_form
    from tests.conftest import api_token

    agency = _agency(db, PHO_HIEN)
    values = {
        "name": agency.name,
        "short_name": agency.short_name,
        "level": agency.level,
        "tax_code": agency.tax_code,
        "address": agency.address,
        "phone": agency.phone,
        "email": agency.email,
    }
    log_in(client, ADMIN)
    page = client.get(f"/quan-tri/co-quan/{PHO_HIEN}")
    assert 'name="abbreviation"' in page.text and 'value="UBND"' in page.text
    assert 'value="Phố Hiến"' in page.text
    bad = post_form(
        client,
        f"/quan-tri/co-quan/{PHO_HIEN}",
        {**values, "abbreviation": "UB ND", "place_name": "Phố Hiến mới"},
    )
    assert bad.status_code == 422
    assert "Chữ viết tắt trong ký hiệu văn bản gồm chữ in hoa" in bad.text
    assert 'id="f-abbreviation-error"' in bad.text
    db.refresh(agency)
    assert (agency.abbreviation, agency.place_name) == ("UBND", "Phố Hiến")  # nothing written
    saved = post_form(
        client,
        f"/quan-tri/co-quan/{PHO_HIEN}",
        {**values, "abbreviation": "ubnd-ph", "place_name": "Phố Hiến"},
    )
    assert saved.status_code == 422  # a hyphen would split the symbol's groups
    saved = post_form(client, f"/quan-tri/co-quan/{PHO_HIEN}", {**values, "abbreviation": "ubndph"})
    assert saved.status_code == 303, saved.text
    db.refresh(agency)
    assert agency.abbreviation == "UBNDPH"  # written in capitals

    client.cookies.delete("portal_session")
    h = api_token(client, ADMIN)
    patched = client.patch(
        f"/api/v1/admin/agencies/{PHO_HIEN}",
        headers=h,
        json={"abbreviation": "", "place_name": "Hưng Yên"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["abbreviation"] == "" and patched.json()["place_name"] == "Hưng Yên"
    db.refresh(agency)
    assert numbering.abbreviation(agency) == "UBND"  # empty: derived from the name
    refused = client.patch(
        f"/api/v1/admin/agencies/{PHO_HIEN}", headers=h, json={"abbreviation": "x" * 21}
    )
    assert refused.status_code == 422 and "error" in refused.json()
