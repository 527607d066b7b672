"""The citizen's dossier pages through the HTML forms (no JavaScript): start, save, upload,
submit, follow, withdraw; the public lookup and document verification pages."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.models import Document
from app.dossiers.models import Dossier, DossierFile
from tests.conftest import DEMO_PASSWORD, csrf_from
from tests.dossiers.helpers import (
    BIRTH,
    BIRTH_FORM,
    CITIZEN,
    OTHER_CITIZEN,
    PHO_HIEN,
    RECEPTION,
    act,
    headers,
    pdf_bytes,
    png_bytes,
)


def log_in(client: TestClient, email: str = CITIZEN) -> None:
    client.cookies.clear()
    page = client.get("/dang-nhap")
    response = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def start_draft(client: TestClient) -> int:
    page = client.get(f"/thu-tuc/{BIRTH}/nop-ho-so")
    assert page.status_code == 200
    assert '<select id="f-agency_code" name="agency_code"' in page.text
    response = client.post(
        f"/thu-tuc/{BIRTH}/nop-ho-so",
        data={"csrf_token": csrf_from(page.text), "agency_code": PHO_HIEN},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/ho-so/(\d+)/khai\?msg=created", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def draft_data(token: str, **form: Any) -> dict[str, Any]:
    """The draft form as a browser posts it: applicant block and declared fields."""
    values = {**BIRTH_FORM, **form}
    data: dict[str, Any] = {
        "csrf_token": token,
        "applicant.full_name": "Nguyễn Thị Lan",
        "applicant.phone": "0912345678",
        "applicant.id_number": "",
        "applicant.email": "congdan@motcua.local",
        "applicant.address": "Phường Phố Hiến, tỉnh Hưng Yên",
    }
    data.update({f"form.{k}": v for k, v in values.items()})
    return data


def upload(
    client: TestClient, dossier_id: int, component: str, name: str, data: bytes, token: str
) -> Any:
    return client.post(
        f"/ho-so/{dossier_id}/tep",
        data={"csrf_token": token, "component": component},
        files={"file": (name, data, "application/pdf")},
        follow_redirects=False,
    )


def block(html: str, code: str) -> str:
    """The HTML of one component block of the draft page."""
    start = html.index(f'id="c-{code}"')
    end = html.find('<li class="component', start)
    return html[start : end if end > 0 else None]


def value_of(html: str, name: str) -> str | None:
    """The value attribute of the input named ``name`` (None when there is no such input)."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def active_files(db: Session, dossier_id: int) -> list[DossierFile]:
    return list(
        db.scalars(
            select(DossierFile).where(
                DossierFile.dossier_id == dossier_id, DossierFile.removed_at.is_(None)
            )
        )
    )


def submitted(client: TestClient) -> int:
    """A complete birth-registration dossier submitted through the pages."""
    dossier_id = start_draft(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}/khai").text)
    for code in ("TK", "GCS"):
        assert upload(client, dossier_id, code, f"{code}.pdf", pdf_bytes(code), token).status_code
    response = client.post(
        f"/ho-so/{dossier_id}/nop", data=draft_data(token), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return dossier_id


def test_procedure_page_offers_online_submission_with_expected_date(client: TestClient) -> None:
    page = client.get(f"/thu-tuc/{BIRTH}")
    assert f'href="/thu-tuc/{BIRTH}/nop-ho-so"' in page.text
    assert "Nộp hồ sơ trực tuyến" in page.text
    assert re.search(r"dự kiến có kết quả vào: <strong>\d\d:\d\d \d\d/\d\d/\d{4}", page.text)


def test_starting_needs_login_and_prefills_from_profile(client: TestClient) -> None:
    anonymous = client.get(f"/thu-tuc/{BIRTH}/nop-ho-so", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/dang-nhap?next=")

    log_in(client)
    page = client.get(f"/thu-tuc/{BIRTH}/nop-ho-so")
    missing = client.post(
        f"/thu-tuc/{BIRTH}/nop-ho-so",
        data={"csrf_token": csrf_from(page.text), "agency_code": ""},
    )
    assert missing.status_code == 422
    assert 'id="f-agency_code-error"' in missing.text

    dossier_id = start_draft(client)
    draft = client.get(f"/ho-so/{dossier_id}/khai")
    assert draft.status_code == 200
    assert "Đã tạo hồ sơ nháp" not in draft.text  # the flash comes with ?msg=created only
    assert value_of(draft.text, "form.applicant_name") == "Nguyễn Thị Lan"
    assert value_of(draft.text, "form.applicant_phone") == "0912345678"
    assert value_of(draft.text, "applicant.full_name") == "Nguyễn Thị Lan"
    assert 'placeholder="dd/mm/yyyy"' in draft.text and 'type="tel"' in draft.text
    assert 'inputmode="numeric"' in draft.text


def test_save_draft_keeps_invalid_values(client: TestClient) -> None:
    log_in(client)
    dossier_id = start_draft(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}/khai").text)
    data = draft_data(token, applicant_phone="12ab", child_birth_date="")
    data["applicant.phone"] = "09-không-rõ"
    saved = client.post(f"/ho-so/{dossier_id}/khai", data=data, follow_redirects=False)
    # Saved, with a warning naming what submission would refuse (finding m2).
    assert saved.status_code == 200
    assert "Đã lưu nháp. Các thông tin sau chưa hợp lệ" in saved.text
    page = client.get(f"/ho-so/{dossier_id}/khai")
    assert value_of(page.text, "form.applicant_phone") == "12ab"
    assert value_of(page.text, "applicant.phone") == "09-không-rõ"
    assert value_of(page.text, "form.birth_place") == "Bệnh viện Đa khoa tỉnh Hưng Yên"


def test_too_long_applicant_value_is_shown_again_not_lost(client: TestClient) -> None:
    log_in(client)
    dossier_id = start_draft(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}/khai").text)
    data = draft_data(token, child_name="Lê Văn Tâm")
    data["applicant.id_number"] = "0341900012345678"
    page = client.post(f"/ho-so/{dossier_id}/khai", data=data)
    assert page.status_code == 422
    assert 'id="f-applicant-id_number-error"' in page.text
    assert value_of(page.text, "applicant.id_number") == "0341900012345678"
    # The rest was saved.
    assert value_of(client.get(f"/ho-so/{dossier_id}/khai").text, "form.child_name") == "Lê Văn Tâm"


def test_refused_files_are_explained_next_to_their_component(
    client: TestClient, db: Session
) -> None:
    log_in(client)
    dossier_id = start_draft(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}/khai").text)

    exe = upload(client, dossier_id, "TK", "to-khai.pdf", b"MZ\x90\x00" + b"\x00" * 512, token)
    assert exe.status_code == 415
    tk = block(exe.text, "TK")
    assert 'id="f-file-TK-error"' in tk
    assert "Định dạng tệp không được chấp nhận. Chỉ chấp nhận tệp PDF, JPG, PNG." in tk
    assert 'aria-invalid="true"' in tk
    assert 'href="#f-file-TK"' in exe.text  # the error summary links to the file input
    assert "f-file-TK-error" not in block(exe.text, "GCS")

    empty = upload(client, dossier_id, "GCS", "giay-chung-sinh.pdf", b"", token)
    assert empty.status_code == 422
    assert "Tệp rỗng." in block(empty.text, "GCS")

    nothing = client.post(
        f"/ho-so/{dossier_id}/tep", data={"csrf_token": token, "component": "GCS"}
    )
    assert nothing.status_code == 422
    assert "Vui lòng chọn tệp cần tải lên." in block(nothing.text, "GCS")
    assert active_files(db, dossier_id) == []

    ok = upload(client, dossier_id, "GCS", "giay-chung-sinh.png", png_bytes(), token)
    assert ok.status_code == 303
    assert ok.headers["location"] == f"/ho-so/{dossier_id}/khai?msg=file_added#c-GCS"
    assert [f.component_code for f in active_files(db, dossier_id)] == ["GCS"]


def test_remove_file_saves_typed_values(client: TestClient, db: Session) -> None:
    log_in(client)
    dossier_id = start_draft(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}/khai").text)
    assert upload(client, dossier_id, "TK", "tk.pdf", pdf_bytes(), token).status_code == 303
    (row,) = active_files(db, dossier_id)
    page = client.get(f"/ho-so/{dossier_id}/khai")
    assert f'formaction="/ho-so/{dossier_id}/tep/{row.id}/xoa"' in page.text
    removed = client.post(
        f"/ho-so/{dossier_id}/tep/{row.id}/xoa",
        data=draft_data(token, child_name="Trần An"),
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert active_files(db, dossier_id) == []
    assert value_of(client.get(f"/ho-so/{dossier_id}/khai").text, "form.child_name") == "Trần An"


def test_incomplete_submission_shows_every_error_and_keeps_input(client: TestClient) -> None:
    log_in(client)
    dossier_id = start_draft(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}/khai").text)
    assert upload(client, dossier_id, "TK", "tk.pdf", pdf_bytes(), token).status_code == 303
    data = draft_data(token, child_name="", birth_place="Trạm y tế phường Phố Hiến")
    response = client.post(f"/ho-so/{dossier_id}/nop", data=data)
    assert response.status_code == 422
    html = response.text
    assert 'id="error-summary"' in html
    assert 'href="#f-child_name"' in html and 'href="#f-file-GCS"' in html
    assert 'id="f-child_name-error"' in html
    assert "Vui lòng nhập thông tin này." in html
    assert "Chưa đính kèm thành phần hồ sơ bắt buộc." in block(html, "GCS")
    assert "f-file-TK-error" not in html
    assert value_of(html, "form.birth_place") == "Trạm y tế phường Phố Hiến"
    assert value_of(html, "form.child_birth_date") == "20/11/2026"
    assert value_of(html, "form.child_name") == ""
    assert '<option value="Mẹ" selected>' in html
    # Still a draft, and what was typed is stored.
    again = client.get(f"/ho-so/{dossier_id}/khai").text
    assert value_of(again, "form.birth_place") == "Trạm y tế phường Phố Hiến"


def test_complete_submission_then_follow_the_dossier(client: TestClient, db: Session) -> None:
    log_in(client)
    dossier_id = start_draft(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}/khai").text)
    assert upload(client, dossier_id, "TK", "tk.pdf", pdf_bytes(), token).status_code == 303
    # A file chosen for another component is attached by the submission itself.
    data = draft_data(token)
    response = client.post(
        f"/ho-so/{dossier_id}/nop",
        data=data,
        files={"file_GCS": ("giay-chung-sinh.pdf", pdf_bytes("GCS"), "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/ho-so/{dossier_id}?msg=submitted"
    page = client.get(response.headers["location"])
    assert "Chờ tiếp nhận" in page.text
    # The code and the lookup secret come with the submission.
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.code and dossier.lookup_secret
    assert f"Đã nộp hồ sơ với mã hồ sơ {dossier.code}." in page.text
    assert f"<dt>Mã hồ sơ</dt><dd>{dossier.code}</dd>" in page.text
    assert dossier.lookup_secret in page.text
    assert f"<title>{dossier.code} — Đăng ký khai sinh" in page.text
    assert "Nộp hồ sơ" in page.text  # the timeline
    assert f'action="/ho-so/{dossier_id}/rut"' in page.text

    # The draft page is closed now.
    closed = client.get(f"/ho-so/{dossier_id}/khai", follow_redirects=False)
    assert closed.status_code == 303 and closed.headers["location"] == f"/ho-so/{dossier_id}"

    mine = client.get("/ho-so")
    assert f'href="/ho-so/{dossier_id}"' in mine.text and "Chờ tiếp nhận" in mine.text

    row = next(f for f in active_files(db, dossier_id) if f.component_code == "GCS")
    download = client.get(f"/ho-so/{dossier_id}/tep/{row.id}")
    assert download.status_code == 200 and download.content == pdf_bytes("GCS")
    assert download.headers["content-disposition"].startswith("attachment;")

    # Another citizen sees nothing; an anonymous visitor is sent to log in.
    log_in(client, OTHER_CITIZEN)
    assert client.get(f"/ho-so/{dossier_id}").status_code == 404
    assert client.get(f"/ho-so/{dossier_id}/tep/{row.id}").status_code == 404
    assert client.get(f"/ho-so/{dossier_id}/khai").status_code == 404
    assert f'href="/ho-so/{dossier_id}"' not in client.get("/ho-so").text
    client.cookies.clear()
    for path in (f"/ho-so/{dossier_id}", f"/ho-so/{dossier_id}/tep/{row.id}", "/ho-so"):
        anonymous = client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/dang-nhap?next=")


def test_staff_are_sent_to_their_own_page(client: TestClient) -> None:
    log_in(client)
    dossier_id = submitted(client)
    log_in(client, RECEPTION)
    response = client.get(f"/ho-so/{dossier_id}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/can-bo/ho-so/{dossier_id}"


def test_withdraw_needs_reason_and_confirmation(client: TestClient) -> None:
    log_in(client)
    dossier_id = submitted(client)
    token = csrf_from(client.get(f"/ho-so/{dossier_id}").text)
    refused = client.post(f"/ho-so/{dossier_id}/rut", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 422
    assert 'id="f-reason-error"' in refused.text and 'id="f-confirm-error"' in refused.text
    kept = client.post(
        f"/ho-so/{dossier_id}/rut", data={"csrf_token": token, "reason": "Nộp nhầm thủ tục"}
    )
    assert kept.status_code == 422 and "Nộp nhầm thủ tục</textarea>" in kept.text

    done = client.post(
        f"/ho-so/{dossier_id}/rut",
        data={"csrf_token": token, "reason": "Nộp nhầm thủ tục", "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Đã rút" in page.text and "Nộp nhầm thủ tục" in page.text
    assert f'action="/ho-so/{dossier_id}/rut"' not in page.text


def test_posts_without_csrf_token_are_refused(client: TestClient) -> None:
    log_in(client)
    dossier_id = start_draft(client)
    response = client.post(f"/ho-so/{dossier_id}/nop", data={"form.child_name": "X"})
    assert response.status_code == 403


def test_supplement_request_is_shown_and_answered(client: TestClient) -> None:
    log_in(client)
    dossier_id = submitted(client)
    reception = headers(client, RECEPTION)
    answer = act(
        client,
        reception,
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="Giấy chứng sinh bị mờ",
    )
    assert answer.status_code == 200, answer.text

    page = client.get(f"/ho-so/{dossier_id}")
    assert "Chờ bổ sung" in page.text and f'href="/ho-so/{dossier_id}/khai"' in page.text
    draft = client.get(f"/ho-so/{dossier_id}/khai")
    assert draft.status_code == 200
    assert "Cơ quan yêu cầu bổ sung, hoàn thiện hồ sơ" in draft.text
    assert "Giấy chứng sinh bị mờ" in draft.text and "Hạn bổ sung" in draft.text
    assert "Cần bổ sung" in block(draft.text, "GCS")
    token = csrf_from(draft.text)
    assert upload(client, dossier_id, "GCS", "gcs-ro.png", png_bytes(), token).status_code == 303
    response = client.post(
        f"/ho-so/{dossier_id}/nop", data=draft_data(token), follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/ho-so/{dossier_id}?msg=resubmitted"
    assert "Chờ tiếp nhận" in client.get(response.headers["location"]).text


def received(client: TestClient) -> tuple[int, dict[str, Any]]:
    dossier_id = submitted(client)
    body = act(client, headers(client, RECEPTION), dossier_id, "receive").json()
    assert body["status"] == "received", body
    return dossier_id, body


def test_received_dossier_shows_code_secret_and_documents(client: TestClient, db: Session) -> None:
    log_in(client)
    dossier_id, body = received(client)
    page = client.get(f"/ho-so/{dossier_id}").text
    assert body["code"] in page and body["lookup_secret"] in page
    assert "Đã tiếp nhận" in page
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in page
    doc = db.scalar(select(Document).where(Document.dossier_id == dossier_id))
    assert doc is not None
    assert f'href="/ho-so/{dossier_id}/van-ban/{doc.id}"' in page

    pdf = client.get(f"/ho-so/{dossier_id}/van-ban/{doc.id}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    verify = client.get(f"/xac-minh/{doc.verify_token}")
    assert verify.status_code == 200
    assert "Văn bản hợp lệ, do hệ thống Một cửa phát hành." in verify.text
    assert hashlib.sha256(pdf.content).hexdigest() in verify.text
    assert body["code"] in verify.text
    assert client.get("/xac-minh/khong-co-ma-nay").status_code == 404

    log_in(client, OTHER_CITIZEN)
    assert client.get(f"/ho-so/{dossier_id}/van-ban/{doc.id}").status_code == 404


def _look_up(client: TestClient, code: str, secret: str) -> Any:
    """Fill in the lookup form and send it, as a browser does (POST, with the form's token)."""
    form = client.get("/tra-cuu")
    return client.post(
        "/tra-cuu", data={"csrf_token": csrf_from(form.text), "code": code, "secret": secret}
    )


def test_public_lookup(client: TestClient) -> None:
    log_in(client)
    _dossier_id, body = received(client)
    client.cookies.clear()
    empty = client.get("/tra-cuu")
    assert empty.status_code == 200 and 'id="f-code"' in empty.text
    assert '<form method="post" action="/tra-cuu"' in empty.text

    found = _look_up(client, body["code"], body["lookup_secret"])
    assert found.status_code == 200
    assert "Đã tiếp nhận" in found.text and "Đăng ký khai sinh" in found.text
    assert "Tiếp nhận hồ sơ" in found.text  # the timeline
    for personal in ("Nguyễn Thị Lan", "0912345678", "congdan@motcua.local", "Nguyễn Minh An"):
        assert personal not in found.text
    # The answer is not cached nor passed on; the secret is not written back into the page.
    assert found.headers["cache-control"] == "no-store"
    assert found.headers["referrer-policy"] == "no-referrer"
    assert body["lookup_secret"] not in found.text

    generic = "Không tìm thấy hồ sơ với mã và mã tra cứu đã nhập."
    wrong = _look_up(client, body["code"], "SAIMA123")
    unknown = _look_up(client, "000.00.51.H31-000101-9999", "X")
    # A phone number is no secret (SPEC §3), written either way.
    by_phone = _look_up(client, body["code"], "0912 345 678")
    by_plus = _look_up(client, body["code"], "+84912345678")
    for response in (wrong, unknown, by_phone, by_plus):
        assert response.status_code == 404 and generic in response.text
        assert "Đã tiếp nhận" not in response.text
    missing = _look_up(client, body["code"], "")
    assert missing.status_code == 422 and 'id="f-secret-error"' in missing.text
    assert "Vui lòng nhập mã tra cứu." in missing.text

    # The secret in the address (old links, history) is not read: only the code is filled in.
    via_get = client.get("/tra-cuu", params={"code": body["code"], "secret": body["lookup_secret"]})
    assert via_get.status_code == 200 and "Đã tiếp nhận" not in via_get.text
    assert f'value="{body["code"]}"' in via_get.text
    # Without the form's token the lookup is refused.
    assert client.post("/tra-cuu", data={"code": body["code"], "secret": "X"}).status_code == 403


def test_lookup_is_rate_limited(client: TestClient) -> None:
    token = csrf_from(client.get("/tra-cuu").text)
    # A different code each time: the limit per client address, not the one per code.
    statuses = [
        client.post(
            "/tra-cuu", data={"csrf_token": token, "code": f"X-{n}", "secret": "SAIMA123"}
        ).status_code
        for n in range(31)
    ]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429


def test_my_dossiers_paginates(client: TestClient, db: Session) -> None:
    log_in(client)
    first = start_draft(client)
    ids = [first]
    for _ in range(20):
        clone = Dossier(
            version_id=db.get(Dossier, first).version_id,  # type: ignore[union-attr]
            agency_id=db.get(Dossier, first).agency_id,  # type: ignore[union-attr]
            applicant_id=db.get(Dossier, first).applicant_id,  # type: ignore[union-attr]
            channel="online",
            status="draft",
            applicant={},
            form_data={},
        )
        db.add(clone)
        db.flush()
        ids.append(clone.id)
    page_one = client.get("/ho-so").text
    assert 'href="/ho-so?page=2"' in page_one
    # A draft has no code yet: it is named by the day it was made, never by its id.
    assert "Bản nháp tạo ngày " in page_one and "chưa có mã" not in page_one
    page_two = client.get("/ho-so?page=2").text
    assert 'aria-current="page"' in page_two
    assert page_one.count('class="dossier-card"') == 20
    assert page_two.count('class="dossier-card"') >= 1
