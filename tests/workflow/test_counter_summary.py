"""Finding m16: the counter-intake error summary names each field, like the citizen form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import csrf_from
from tests.dossiers.helpers import RECEPTION
from tests.workflow.test_staff_pages import BIRTH_COUNTER, log_in


def _summary_items(html: str) -> list[str]:
    block = html[html.index('id="error-summary"') :]
    block = block[: block.index("</div>")]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", block)]


def test_empty_counter_form_names_every_missing_field(client: TestClient) -> None:
    log_in(client, RECEPTION)
    page = client.get("/can-bo/tiep-nhan", params={"thu_tuc": "1.001193"})
    empty = {key: "" for key in BIRTH_COUNTER}
    response = client.post(
        "/can-bo/tiep-nhan",
        data={"csrf_token": csrf_from(page.text), "procedure_code": "1.001193", **empty},
    )
    assert response.status_code == 422
    items = _summary_items(response.text)
    assert "Họ và tên: Vui lòng nhập họ tên người nộp." in items
    assert any(i.startswith("Số điện thoại: Số điện thoại không hợp lệ") for i in items)
    assert "Họ, chữ đệm, tên của trẻ: Vui lòng nhập thông tin này." in items
    assert "Ngày sinh của trẻ: Vui lòng nhập thông tin này." in items
    # every item says which field it is about, and links to it
    assert all(": " in i for i in items) and len(items) >= 7
    assert 'href="#f-fd-child_birth_date"' in response.text


def test_counter_refuses_a_birth_in_the_future_and_keeps_the_form(client: TestClient) -> None:
    log_in(client, RECEPTION)
    page = client.get("/can-bo/tiep-nhan", params={"thu_tuc": "1.001193"})
    response = client.post(
        "/can-bo/tiep-nhan",
        data={
            "csrf_token": csrf_from(page.text),
            "procedure_code": "1.001193",
            **BIRTH_COUNTER,
            "fd-child_birth_date": "2030-01-01",
            "applicant_email": "khong-phai-email",
        },
    )
    assert response.status_code == 422
    items = _summary_items(response.text)
    assert "Ngày sinh của trẻ: Ngày này không được sau ngày hôm nay." in items
    assert "Email: Email không hợp lệ (ví dụ ten@example.com)." in items
    assert 'value="01/01/2030"' in response.text and 'value="Phạm Gia Bảo"' in response.text
