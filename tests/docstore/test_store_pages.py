"""The "Kho dữ liệu" page and "use from my store" in the draft form, without JavaScript."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.docstore.models import DocumentReuse
from app.dossiers.models import DossierFile
from tests.conftest import csrf_from
from tests.docstore.helpers import approved, received_dossier, store
from tests.dossiers.helpers import CITIZEN, OTHER_CITIZEN, RECEPTION, headers, pdf_bytes
from tests.dossiers.test_citizen_pages import draft_data, log_in, start_draft


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_store_page_lists_downloads_and_removes(client: TestClient) -> None:
    citizen = headers(client, CITIZEN)
    dossier = received_dossier(client, citizen, "trang kho")
    log_in(client)
    home = client.get("/tai-khoan")
    assert 'href="/tai-khoan/kho-du-lieu"' in home.text
    page = client.get("/tai-khoan/kho-du-lieu")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Tờ khai đăng ký khai sinh theo mẫu" in text
    assert dossier["code"] in text and "Giấy tờ đã số hóa" in text
    tk = next(i for i in store(client, citizen) if i["component_code"] == "TK")
    got = client.get(f"/tai-khoan/kho-du-lieu/{tk['id']}/tai-ve")
    assert got.status_code == 200 and got.content == pdf_bytes("to khai trang kho")

    removed = client.post(
        f"/tai-khoan/kho-du-lieu/{tk['id']}/xoa",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    after = client.get(removed.headers["location"])
    assert "Đã xóa tài liệu khỏi kho dữ liệu" in html.unescape(after.text)
    assert "Tờ khai đăng ký khai sinh theo mẫu" not in html.unescape(after.text)
    assert client.get(f"/tai-khoan/kho-du-lieu/{tk['id']}/tai-ve").status_code == 404

    # Without the CSRF token nothing is removed.
    gcs = store(client, citizen)[0]
    refused = client.post(f"/tai-khoan/kho-du-lieu/{gcs['id']}/xoa", follow_redirects=False)
    assert refused.status_code == 403
    assert len(store(client, citizen)) == 1


def test_another_citizen_gets_not_found(client: TestClient) -> None:
    received_dossier(client, headers(client, CITIZEN))
    doc = store(client, headers(client, CITIZEN))[0]
    log_in(client, OTHER_CITIZEN)
    page = client.get("/tai-khoan/kho-du-lieu")
    assert page.status_code == 200 and "chưa có tài liệu nào" in html.unescape(page.text)
    assert client.get(f"/tai-khoan/kho-du-lieu/{doc['id']}/tai-ve").status_code == 404
    removed = client.post(
        f"/tai-khoan/kho-du-lieu/{doc['id']}/xoa", data={"csrf_token": csrf_from(page.text)}
    )
    assert removed.status_code == 404
    assert len(store(client, headers(client, CITIZEN))) == 2


def test_draft_form_offers_the_store_and_reuses_without_javascript(
    client: TestClient, db: Session
) -> None:
    citizen = headers(client, CITIZEN)
    first = received_dossier(client, citizen, "dung lai")
    tk = next(i for i in store(client, citizen) if i["component_code"] == "TK")
    log_in(client)
    dossier_id = start_draft(client)
    page = client.get(f"/ho-so/{dossier_id}/khai")
    assert '<label for="f-reuse-TK">' in page.text
    assert '<select id="f-reuse-TK" name="reuse_TK"' in page.text
    # The same component of the same procedure comes first, in its own group.
    tk_select = page.text.split('name="reuse_TK"', 1)[1].split("</select>", 1)[0]
    assert tk_select.index(f'value="{tk["id"]}"') < tk_select.index("Tài liệu khác trong kho")
    assert first["code"] in tk_select

    response = client.post(
        f"/ho-so/{dossier_id}/tep",
        data={
            **draft_data(csrf_from(page.text)),
            "component": "TK",
            "reuse_TK": str(tk["id"]),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    again = client.get(response.headers["location"])
    assert "Từ kho dữ liệu" in html.unescape(again.text)
    # The component holds it now: it is not offered there again.
    tk_select = again.text.split('name="reuse_TK"', 1)[1].split("</select>", 1)[0]
    assert f'value="{tk["id"]}"' not in tk_select
    files = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["files"]
    assert [(f["component"], f["reused_from"]["dossier_code"]) for f in files] == [
        ("TK", first["code"])
    ]


def test_a_foreign_document_in_the_form_is_refused_next_to_its_component(
    client: TestClient, db: Session
) -> None:
    received_dossier(client, headers(client, CITIZEN))
    foreign = store(client, headers(client, CITIZEN))[0]
    log_in(client, OTHER_CITIZEN)
    dossier_id = start_draft(client)
    page = client.get(f"/ho-so/{dossier_id}/khai")
    assert 'name="reuse_TK"' not in page.text  # an empty store offers nothing
    files_before, reuses_before = _count(db, DossierFile), _count(db, DocumentReuse)
    response = client.post(
        f"/ho-so/{dossier_id}/tep",
        data={
            **draft_data(csrf_from(page.text)),
            "component": "TK",
            "reuse_TK": str(foreign["id"]),
        },
    )
    assert response.status_code == 404
    text = html.unescape(response.text)
    assert "Tài liệu từ kho dữ liệu: Không tìm thấy tài liệu trong kho dữ liệu của bạn." in text
    assert 'id="f-file-TK-error"' in response.text
    assert (_count(db, DossierFile), _count(db, DocumentReuse)) == (files_before, reuses_before)


def test_the_officer_sets_a_results_validity_and_the_citizen_sees_it(client: TestClient) -> None:
    citizen = headers(client, CITIZEN)
    dossier = received_dossier(client, citizen)
    approved(client, dossier["id"])
    log_in(client, RECEPTION)
    page = client.get(f"/can-bo/ho-so/{dossier['id']}")
    assert 'name="valid_until"' in page.text
    form = {"csrf_token": csrf_from(page.text), "action": "attach_result"}
    pdf = {"file": ("kq.pdf", pdf_bytes("GKS"), "application/pdf")}
    url = f"/can-bo/ho-so/{dossier['id']}/thao-tac"
    wrong = client.post(url, data={**form, "valid_until": "31/02/2031"}, files=pdf)
    assert wrong.status_code == 422
    # The message is next to the field and tied to it.
    described = "f-attach_result-valid_until-hint f-attach_result-valid_until-error"
    assert f'aria-describedby="{described}"' in wrong.text
    error = wrong.text.split('id="f-attach_result-valid_until-error">', 1)[1].split("<", 1)[0]
    assert html.unescape(error) == "Nhập ngày theo dạng dd/mm/yyyy."
    done = client.post(
        url,
        data={**form, "valid_until": "30/06/2031"},
        files=pdf,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    returned = client.post(
        f"/api/v1/dossiers/{dossier['id']}/actions",
        json={"action": "return_result"},
        headers=headers(client, RECEPTION),
    )
    assert returned.status_code == 200, returned.text
    log_in(client)
    text = html.unescape(client.get("/tai-khoan/kho-du-lieu").text)
    assert "Hiệu lực" in text and "đến hết ngày 30/06/2031" in text
