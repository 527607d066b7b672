"""The staff desk through its HTML pages (no JavaScript): queue, dossier actions, counter
reception — logged in through the login form, every POST carrying the page's CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier, DossierFile
from app.workflow.pages import home as staff_home
from tests.conftest import DEMO_PASSWORD, csrf_from
from tests.dossiers.helpers import (
    CITIZEN,
    LEADER,
    RECEPTION,
    SPECIALIST,
    act,
    headers,
    pdf_bytes,
    png_bytes,
    submitted_dossier,
)

OTHER_COMMUNE_RECEPTION = "tiepnhan.lienphuong@motcua.local"
CODE_RE = re.compile(r"000\.00\.51\.H31-\d{6}-\d{4}")
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def log_in(client: TestClient, email: str) -> None:
    client.cookies.delete("portal_session")
    form = client.get("/dang-nhap")
    response = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def page_action(
    client: TestClient,
    dossier_id: int,
    action: str,
    data: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
) -> Response:
    """Open the dossier page, check the action's form is there, and submit it."""
    page = client.get(f"/can-bo/ho-so/{dossier_id}")
    assert page.status_code == 200, page.text
    assert f'name="action" value="{action}"' in page.text, f"no {action} form"
    body = {"csrf_token": csrf_from(page.text), "action": action, **(data or {})}
    return client.post(
        f"/can-bo/ho-so/{dossier_id}/thao-tac", data=body, files=files, follow_redirects=False
    )


def done(response: Response, dossier_id: int, action: str) -> str:
    """The action succeeded: 303 back to the dossier, whose page names the action done."""
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/can-bo/ho-so/{dossier_id}?msg={action}"
    return response.headers["location"]


def card(html: str, dossier_id: int) -> str:
    """The queue card of one dossier."""
    for chunk in html.split('<li class="queue-item')[1:]:
        if f'href="/can-bo/ho-so/{dossier_id}"' in chunk:
            return chunk.split("</li>")[0]
    raise AssertionError(f"dossier {dossier_id} not in the queue")


def _documents(html: str) -> str:
    """The list of documents issued for the dossier, on its staff page."""
    return html.split('id="h-documents"')[1].split("</section>")[0]


def status_of(db: Session, dossier_id: int) -> str:
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None
    return dossier.status


def test_reception_sees_countdown_and_receives_from_the_queue(client: TestClient) -> None:
    dossier_id, _citizen = submitted_dossier(client)
    log_in(client, RECEPTION)

    desk = client.get("/can-bo")
    assert desk.status_code == 200
    item = card(desk.text, dossier_id)
    assert "Đăng ký khai sinh" in item and "Nguyễn Thị Lan" in item
    # The code given at the submission is on the card already.
    submitted_code = CODE_RE.search(item)
    assert submitted_code, "the card shows the dossier code"
    assert "Trực tuyến" in item and "Tiếp nhận hồ sơ" in item
    assert re.search(r"Còn \d+ giờ \d{2} phút làm việc để tiếp nhận", item)
    assert 'href="/can-bo/tiep-nhan"' in desk.text and 'href="/can-bo/so-theo-doi"' in desk.text

    page = client.get(f"/can-bo/ho-so/{dossier_id}")
    assert "Nội dung kê khai" in page.text and "Nguyễn Minh An" in page.text  # declared data
    assert "Họ, chữ đệm, tên của trẻ" in page.text  # labels from the form schema
    assert re.search(r"Còn \d+ giờ \d{2} phút làm việc để tiếp nhận", page.text)

    location = done(page_action(client, dossier_id, "receive"), dossier_id, "receive")
    page = client.get(location)
    assert "Đã thực hiện thao tác: Tiếp nhận hồ sơ." in page.text
    match = CODE_RE.search(page.text)
    assert match and match.group(0) == submitted_code.group(0), "reception keeps the code"
    assert f"Hồ sơ giữ mã {match.group(0)}, cấp khi nộp trực tuyến." in page.text
    assert "Đã tiếp nhận" in page.text

    # Form 01 is ready to print from the page.
    link = re.search(rf'href="(/can-bo/ho-so/{dossier_id}/van-ban/\d+)">[^<]*Mẫu số 01', page.text)
    assert link, "a link to form 01"
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    # A received dossier is at the specialist's step now: not in reception's queue.
    assert f'href="/can-bo/ho-so/{dossier_id}"' not in client.get("/can-bo").text


def test_queue_pages_with_a_cursor(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff_home, "QUEUE_PAGE_SIZE", 1)
    first_id, _citizen = submitted_dossier(client)
    second_id, _citizen = submitted_dossier(client)
    log_in(client, RECEPTION)
    first = client.get("/can-bo")
    assert f'href="/can-bo/ho-so/{first_id}"' in first.text
    assert f'href="/can-bo/ho-so/{second_id}"' not in first.text
    match = re.search(r'href="(/can-bo\?cursor=[^"]+)" rel="next"', first.text)
    assert match, "a link to the next page"
    second = client.get(match.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert f'href="/can-bo/ho-so/{second_id}"' in second.text
    assert f'href="/can-bo/ho-so/{first_id}"' not in second.text
    assert 'rel="next"' not in second.text and 'href="/can-bo">' in second.text
    # A cursor that makes no sense starts from the top again.
    assert f'href="/can-bo/ho-so/{first_id}"' in client.get("/can-bo?cursor=nonsense").text


def test_whole_process_through_the_pages(client: TestClient, db: Session) -> None:
    dossier_id, _citizen = submitted_dossier(client)
    log_in(client, RECEPTION)
    done(page_action(client, dossier_id, "receive"), dossier_id, "receive")

    log_in(client, SPECIALIST)
    assert f'href="/can-bo/ho-so/{dossier_id}"' in client.get("/can-bo").text
    page = client.get(f"/can-bo/ho-so/{dossier_id}")
    select_html = page.text.split('id="f-forward-assignee_id"')[1].split("</select>")[0]
    assert "Trịnh Văn Chủ" in select_html  # the leaders of the next step may be chosen
    assert "Đinh Thị Nhận" not in select_html
    location = done(
        page_action(client, dossier_id, "forward", {"comment": "Hồ sơ hợp lệ"}),
        dossier_id,
        "forward",
    )
    assert "Đã thực hiện thao tác: Chuyển bước tiếp theo." in client.get(location).text

    log_in(client, LEADER)
    done(page_action(client, dossier_id, "approve"), dossier_id, "approve")

    log_in(client, RECEPTION)
    attached = page_action(
        client,
        dossier_id,
        "attach_result",
        {"comment": "Giấy khai sinh đã ký số"},
        files={"file": ("giay-khai-sinh.pdf", pdf_bytes("GKS"), "application/pdf")},
    )
    page = client.get(done(attached, dossier_id, "attach_result"))
    assert "Có kết quả, chờ trả" in page.text and "giay-khai-sinh.pdf" in page.text
    page = client.get(
        done(page_action(client, dossier_id, "return_result"), dossier_id, "return_result")
    )
    assert "Đã trả kết quả" in page.text
    assert "Bạn không có thao tác nào" in page.text

    # The history and the control slip rows are on the page.
    for label in ("Tiếp nhận hồ sơ", "Chuyển bước tiếp theo", "Phê duyệt", "Trả kết quả"):
        assert label in page.text
    assert "Hồ sơ hợp lệ" in page.text
    assert page.text.count("Đúng hạn") + page.text.count("Trễ hạn") >= 4
    assert status_of(db, dossier_id) == "completed"

    # The result file downloads from the staff page.
    result_link = re.search(
        rf'href="(/can-bo/ho-so/{dossier_id}/tep/\d+)">giay-khai-sinh.pdf', page.text
    )
    assert result_link
    # It is the signed one: the upload followed by the portal's stamp and signature.
    downloaded = client.get(result_link.group(1)).content
    assert downloaded.startswith(pdf_bytes("GKS")) and len(downloaded) > len(pdf_bytes("GKS"))


def test_request_supplement_with_two_components(client: TestClient, db: Session) -> None:
    dossier_id, _citizen = submitted_dossier(client)
    log_in(client, RECEPTION)
    response = page_action(
        client,
        dossier_id,
        "request_supplement",
        {"missing_components": ["TK", "GCS"], "comment": "Bản quét mờ, không đọc được."},
    )
    page = client.get(done(response, dossier_id, "request_supplement"))
    assert "Chờ bổ sung" in page.text
    section = page.text.split('id="h-supplement"')[1].split("</section>")[0]
    assert "Tờ khai đăng ký khai sinh theo mẫu" in section
    assert "Giấy chứng sinh" in section
    assert "Bản quét mờ, không đọc được." in section
    assert "Mẫu số 02" in _documents(page.text)
    assert status_of(db, dossier_id) == "supplement_requested"


def test_request_supplement_needs_a_reason(client: TestClient, db: Session) -> None:
    dossier_id, _citizen = submitted_dossier(client)
    log_in(client, RECEPTION)
    response = page_action(client, dossier_id, "request_supplement", {"missing_components": ["TK"]})
    assert response.status_code == 422
    assert 'id="f-request_supplement-comment-error"' in response.text
    # The ticked component stays ticked.
    assert re.search(r'value="TK" checked', response.text)
    assert status_of(db, dossier_id) == "submitted"


def test_reject_without_reason_is_refused_next_to_the_field(
    client: TestClient, db: Session
) -> None:
    dossier_id, _citizen = submitted_dossier(client)
    log_in(client, RECEPTION)
    response = page_action(client, dossier_id, "reject", {"reasons": "  "})
    assert response.status_code == 422
    html = response.text
    field = re.search(r'<textarea id="f-reject-reasons"[^>]*>', html)
    assert field and 'aria-invalid="true"' in field.group(0)
    assert "f-reject-reasons-error" in field.group(0)
    error = re.search(r'<p class="error-text" id="f-reject-reasons-error">([^<]+)</p>', html)
    assert error and error.group(1) == "Nêu rõ lý do từ chối."
    assert 'href="#f-reject-reasons"' in html  # the summary links to the field
    assert status_of(db, dossier_id) == "submitted"
    assert "Mẫu số 03" not in _documents(html)

    # With a reason it works, and form 03 is issued.
    response = page_action(client, dossier_id, "reject", {"reasons": "Không thuộc thẩm quyền"})
    page = client.get(done(response, dossier_id, "reject"))
    assert "Từ chối" in page.text and "Mẫu số 03" in _documents(page.text)


def test_someone_else_acted_first_gives_409(client: TestClient, db: Session) -> None:
    dossier_id, _citizen = submitted_dossier(client)
    log_in(client, RECEPTION)
    page = client.get(f"/can-bo/ho-so/{dossier_id}")
    # Meanwhile the dossier is received elsewhere (another tab, the API).
    assert act(client, headers(client, RECEPTION), dossier_id, "receive").status_code == 200
    response = client.post(
        f"/can-bo/ho-so/{dossier_id}/thao-tac",
        data={"csrf_token": csrf_from(page.text), "action": "request_supplement", "comment": "x"},
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert "Hồ sơ vừa được người khác xử lý" in response.text
    assert CODE_RE.search(response.text)  # the page shows the latest state
    assert status_of(db, dossier_id) == "received"


def test_other_commune_gets_404_and_citizen_gets_403(client: TestClient) -> None:
    dossier_id, citizen = submitted_dossier(client)
    files = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["files"]
    file_id = files[0]["id"]

    log_in(client, RECEPTION)
    own = client.get(f"/can-bo/ho-so/{dossier_id}/tep/{file_id}")
    assert own.status_code == 200 and own.content == pdf_bytes()
    assert "attachment" in own.headers["content-disposition"]

    log_in(client, OTHER_COMMUNE_RECEPTION)
    assert client.get(f"/can-bo/ho-so/{dossier_id}").status_code == 404
    assert client.get(f"/can-bo/ho-so/{dossier_id}/tep/{file_id}").status_code == 404
    desk = client.get("/can-bo")
    assert desk.status_code == 200 and f"/can-bo/ho-so/{dossier_id}" not in desk.text
    token = csrf_from(desk.text)
    refused = client.post(
        f"/can-bo/ho-so/{dossier_id}/thao-tac",
        data={"csrf_token": token, "action": "receive"},
        follow_redirects=False,
    )
    assert refused.status_code == 404

    log_in(client, CITIZEN)
    forbidden = client.get("/can-bo")
    assert forbidden.status_code == 403 and "Không có quyền truy cập" in forbidden.text
    assert client.get(f"/can-bo/ho-so/{dossier_id}").status_code == 403
    assert client.get("/can-bo/tiep-nhan").status_code == 403


def test_post_without_csrf_token_is_refused(client: TestClient, db: Session) -> None:
    dossier_id, _citizen = submitted_dossier(client)
    log_in(client, RECEPTION)
    response = client.post(
        f"/can-bo/ho-so/{dossier_id}/thao-tac", data={"action": "receive"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert status_of(db, dossier_id) == "submitted"


def _counter_form(client: TestClient, code: str) -> str:
    chooser = client.get("/can-bo/tiep-nhan", params={"q": "khai sinh"})
    assert chooser.status_code == 200
    assert f'value="{code}"' in chooser.text
    page = client.get("/can-bo/tiep-nhan", params={"thu_tuc": code})
    assert page.status_code == 200 and 'name="procedure_code"' in page.text
    return page.text


BIRTH_COUNTER = {
    "applicant_full_name": "Phạm Thị Hạnh",
    "applicant_id_number": "034190009876",
    "applicant_phone": "0977 123 456",
    "applicant_email": "hanh@example.vn",
    "applicant_address": "Số 5, phố Điện Biên, phường Phố Hiến, tỉnh Hưng Yên",
    "fd-child_name": "Phạm Gia Bảo",
    "fd-child_birth_date": "2026-11-02",
    "fd-child_sex": "Nam",
    "fd-birth_place": "Bệnh viện Sản Nhi Hưng Yên",
    "fd-relationship": "Mẹ",
}


def test_counter_reception_end_to_end(client: TestClient, db: Session) -> None:
    log_in(client, RECEPTION)
    html = _counter_form(client, "1.001193")

    # A bad phone number: nothing is created, everything typed is kept.
    bad = client.post(
        "/can-bo/tiep-nhan",
        data={
            "csrf_token": csrf_from(html),
            "procedure_code": "1.001193",
            **BIRTH_COUNTER,
            "applicant_phone": "12",
        },
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert 'id="f-applicant_phone-error"' in bad.text
    assert 'value="Phạm Gia Bảo"' in bad.text and 'value="12"' in bad.text

    created = client.post(
        "/can-bo/tiep-nhan",
        data={"csrf_token": csrf_from(html), "procedure_code": "1.001193", **BIRTH_COUNTER},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    match = re.fullmatch(r"/can-bo/tiep-nhan/(\d+)\?msg=created", created.headers["location"])
    assert match
    dossier_id = int(match.group(1))
    page = client.get(created.headers["location"])
    assert "Quét giấy tờ" in page.text
    token = csrf_from(page.text)

    # Receiving before scanning: the missing components are named, nothing is lost.
    early = client.post(
        f"/can-bo/tiep-nhan/{dossier_id}/tiep-nhan",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert early.status_code == 422
    assert 'id="f-file-TK-error"' in early.text and 'id="f-file-GCS-error"' in early.text
    assert 'id="f-file-UQ-error"' not in early.text
    assert 'value="Phạm Gia Bảo"' in early.text

    # A file of the wrong type is refused at its component.
    wrong = client.post(
        f"/can-bo/tiep-nhan/{dossier_id}/tep",
        data={"csrf_token": token, "component": "TK"},
        files={"file": ("to-khai.txt", b"plain text", "text/plain")},
        follow_redirects=False,
    )
    assert wrong.status_code == 415 and 'id="f-file-TK-error"' in wrong.text

    for component, name, data, mime in (
        ("TK", "to-khai.pdf", pdf_bytes("TK"), "application/pdf"),
        ("GCS", "giay-chung-sinh.png", png_bytes(), "image/png"),
    ):
        uploaded = client.post(
            f"/can-bo/tiep-nhan/{dossier_id}/tep",
            data={"csrf_token": token, "component": component},
            files={"file": (name, data, mime)},
            follow_redirects=False,
        )
        assert uploaded.status_code == 303, uploaded.text
    page = client.get(f"/can-bo/tiep-nhan/{dossier_id}")
    assert "to-khai.pdf" in page.text and "giay-chung-sinh.png" in page.text

    # A scan uploaded to the wrong component is removed again.
    client.post(
        f"/can-bo/tiep-nhan/{dossier_id}/tep",
        data={"csrf_token": token, "component": "UQ"},
        files={"file": ("nham.pdf", pdf_bytes("UQ"), "application/pdf")},
    )
    page = client.get(f"/can-bo/tiep-nhan/{dossier_id}")
    remove = re.search(
        r'action="(/can-bo/tiep-nhan/\d+/tep/\d+/xoa)"[^<]*<input[^>]*>\s*'
        r'<button[^>]*>Xóa<span class="visually-hidden"> nham.pdf',
        page.text,
    )
    assert remove, "a remove button for the scan"
    removed = client.post(remove.group(1), data={"csrf_token": token}, follow_redirects=False)
    assert removed.status_code == 303
    assert "nham.pdf" not in client.get(f"/can-bo/tiep-nhan/{dossier_id}").text

    received = client.post(
        f"/can-bo/tiep-nhan/{dossier_id}/tiep-nhan",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert received.status_code == 303, received.text
    assert received.headers["location"] == f"/can-bo/ho-so/{dossier_id}?msg=receive"
    page = client.get(received.headers["location"])
    code = CODE_RE.search(page.text)
    assert code
    assert "Trực tiếp" in page.text and "Số hóa tại quầy" in page.text
    assert "Mẫu số 01" in _documents(page.text)

    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None
    assert dossier.code == code.group(0) and dossier.channel == "counter"
    assert dossier.status == "received"
    assert dossier.applicant["phone"] == "0977 123 456"
    assert dossier.form_data["applicant_name"] == "Phạm Thị Hạnh"  # prefilled from applicant
    rows = db.scalars(
        select(DossierFile).where(
            DossierFile.dossier_id == dossier_id, DossierFile.removed_at.is_(None)
        )
    ).all()
    assert {r.component_code for r in rows} == {"TK", "GCS"}
    assert all(r.digitised for r in rows)

    # The counter page of a received dossier leads to the dossier itself.
    back = client.get(f"/can-bo/tiep-nhan/{dossier_id}", follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/can-bo/ho-so/{dossier_id}"


def test_only_reception_enters_counter_dossiers(client: TestClient) -> None:
    log_in(client, SPECIALIST)
    assert client.get("/can-bo/tiep-nhan").status_code == 403
    assert "/can-bo/tiep-nhan" not in client.get("/can-bo").text


def received_passport_check(client: TestClient) -> int:
    """A 7-day procedure entered and received at the counter of Phố Hiến; its id."""
    log_in(client, RECEPTION)
    html = client.get("/can-bo/tiep-nhan", params={"thu_tuc": "1.014061"}).text
    created = client.post(
        "/can-bo/tiep-nhan",
        data={
            "csrf_token": csrf_from(html),
            "procedure_code": "1.014061",
            "applicant_full_name": "Đỗ Văn Nam",
            "applicant_id_number": "034095001122",
            "applicant_phone": "0912000111",
            "applicant_address": "Phường Phố Hiến, tỉnh Hưng Yên",
            "fd-birth_date": "1995-04-02",
            "fd-delivery": "Nhận tại nơi làm thủ tục",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    dossier_id = int(created.headers["location"].split("/")[3].split("?")[0])
    token = csrf_from(client.get(created.headers["location"]).text)
    client.post(
        f"/can-bo/tiep-nhan/{dossier_id}/tep",
        data={"csrf_token": token, "component": "DC02"},
        files={"file": ("dc02.pdf", pdf_bytes("DC02"), "application/pdf")},
    )
    received = client.post(
        f"/can-bo/tiep-nhan/{dossier_id}/tiep-nhan",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert received.status_code == 303, received.text
    return dossier_id


def test_extend_once_with_reason_through_the_page(client: TestClient, db: Session) -> None:
    """A 7-day procedure: the specialist moves the appointment once, with an apology."""
    dossier_id = received_passport_check(client)

    log_in(client, SPECIALIST)
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.due_at is not None
    new_due = (dossier.due_at + timedelta(days=3)).astimezone(VN)
    missing_reason = page_action(
        client,
        dossier_id,
        "extend",
        {"new_due_date": f"{new_due:%d/%m/%Y}", "new_due_time": "16:30"},
    )
    assert missing_reason.status_code == 422
    assert 'id="f-extend-comment-error"' in missing_reason.text
    assert f'value="{new_due:%d/%m/%Y}"' in missing_reason.text  # kept, typed dd/mm/yyyy

    extended = page_action(
        client,
        dossier_id,
        "extend",
        {
            "new_due_date": new_due.date().isoformat(),
            "new_due_time": "16:30",
            "comment": "Chờ kết quả xác minh",
        },
    )
    page = client.get(done(extended, dossier_id, "extend"))
    assert "Mẫu số 04" in _documents(page.text) and "đã gia hạn" in page.text
    assert 'name="action" value="extend"' not in page.text  # only once
    db.expire_all()
    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None and dossier.extension_count == 1
    assert dossier.due_at is not None
    assert dossier.due_at.astimezone(VN).strftime("%Y-%m-%d %H:%M") == (
        f"{new_due.date().isoformat()} 16:30"
    )
