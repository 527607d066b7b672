"""Results by post (issue 24 part 4): chosen on the draft with an address, the postal fee is
added to what the citizen pays, reception records the carrier's tracking number at the return
step, and the citizen sees it on the dossier and in the public lookup; post without an
address, or a bad tracking number, is refused and changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from app.national import messages as national_messages
from app.postal.models import ResultDelivery
from tests.dossiers.helpers import (
    CITIZEN,
    LEADER,
    RECEPTION,
    SPECIALIST,
    act,
    attach,
    create_draft,
    headers,
    pdf_bytes,
)

ADDRESS = "Số 12 đường Nguyễn Văn Linh, phường Phố Hiến, tỉnh Hưng Yên"
TRACKING = "EB123456785VN"


def test_post_with_fee_tracking_number_shown_to_the_citizen(
    client: TestClient, db: Session
) -> None:
    citizen = headers(client, CITIZEN)
    draft = create_draft(client, citizen)
    dossier_id = draft["id"]
    url = f"/api/v1/dossiers/{dossier_id}/result-delivery"

    # Post without an address: refused, nothing stored.
    refused = client.put(
        url,
        json={"method": "post", "recipient_name": "Nguyễn Thị Lan", "phone": "0912345678"},
        headers=citizen,
    )
    assert refused.status_code == 422
    assert "Nhập địa chỉ nhận kết quả" in refused.json()["detail"]
    assert client.get(url, headers=citizen).json()["method"] == "online"
    assert db.scalar(select(ResultDelivery)) is None

    chosen = client.put(
        url,
        json={
            "method": "post",
            "recipient_name": "Nguyễn Thị Lan",
            "phone": "0912 345 678",
            "address": ADDRESS,
        },
        headers=citizen,
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["fee"] == 25000

    for comp in ("TK", "GCS"):
        assert attach(client, citizen, dossier_id, comp).status_code == 201
    assert client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen).status_code == 200
    # The postal fee is owed with the dossier's fees, as a line of its own.
    payments = client.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=citizen).json()
    assert payments["outstanding"] == 25000
    # Once submitted the choice is fixed.
    late = client.put(url, json={"method": "online"}, headers=citizen)
    assert late.status_code == 422

    reception = headers(client, RECEPTION)
    assert act(client, reception, dossier_id, "receive").status_code == 200
    assert act(client, headers(client, SPECIALIST), dossier_id, "forward").status_code == 200
    assert act(client, headers(client, LEADER), dossier_id, "approve").status_code == 200
    attached = client.post(
        f"/api/v1/dossiers/{dossier_id}/actions",
        data={"action": "attach_result", "comment": "Giấy khai sinh"},
        files={"file": ("gks.pdf", pdf_bytes(), "application/pdf")},
        headers=reception,
    )
    assert attached.status_code == 200, attached.text
    status_before = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["status"]

    # The return by post needs a valid tracking number.
    for number, message in (
        (None, "Nhập số hiệu bưu gửi"),
        ("EB123456789VN", "Số hiệu bưu gửi không đúng"),
    ):
        fields = {"tracking_number": number} if number else {}
        bad = act(client, reception, dossier_id, "return_result", **fields)
        assert bad.status_code == 422, bad.text
        assert message in bad.json()["detail"]
        assert (
            client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["status"]
            == status_before
        )
    returned = act(
        client, reception, dossier_id, "return_result", tracking_number="eb 123456785 vn"
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "completed"

    seen = client.get(url, headers=citizen).json()
    assert seen["tracking_number"] == TRACKING and seen["handed_over_at"]
    page = client.get(f"/ho-so/{dossier_id}", headers=citizen)
    assert TRACKING in page.text

    dossier = db.get(Dossier, dossier_id)
    assert dossier is not None
    found = client.get(f"/api/v1/lookup?code={dossier.code}&secret={dossier.lookup_secret}").json()
    assert found["result_by_post"] is True and found["result_tracking_number"] == TRACKING
    assert ADDRESS not in str(found)
    assert national_messages.dossier_entry(db, dossier)["HinhThucTraKetQua"] == "3"


def test_a_tracking_number_for_a_dossier_not_by_post_is_refused(client: TestClient) -> None:
    citizen = headers(client, CITIZEN)
    draft = create_draft(client, citizen)
    for comp in ("TK", "GCS"):
        assert attach(client, citizen, draft["id"], comp).status_code == 201
    assert client.post(f"/api/v1/dossiers/{draft['id']}/submit", headers=citizen).status_code == 200
    payments = client.get(f"/api/v1/dossiers/{draft['id']}/payments", headers=citizen).json()
    assert payments["outstanding"] == 0


def test_the_draft_page_refuses_post_without_address_and_keeps_what_was_typed(
    client: TestClient, db: Session
) -> None:
    from tests.admin.helpers import log_in
    from tests.conftest import csrf_from

    citizen = headers(client, CITIZEN)
    draft = create_draft(client, citizen)
    dossier_id = draft["id"]
    for comp in ("TK", "GCS"):
        assert attach(client, citizen, dossier_id, comp).status_code == 201
    log_in(client, CITIZEN)
    page = client.get(f"/ho-so/{dossier_id}/khai")
    assert 'name="result_delivery"' in page.text
    token = csrf_from(page.text)
    fields = {
        "csrf_token": token,
        "result_delivery": "post",
        "postal_recipient": "Nguyễn Thị Lan",
        "postal_phone": "0912345678",
        "postal_address": "",
    }
    refused = client.post(f"/ho-so/{dossier_id}/nop", data=fields)
    assert refused.status_code == 422
    assert 'id="f-postal_address-error"' in refused.text
    assert "Nhập địa chỉ nhận kết quả" in refused.text
    assert 'value="Nguyễn Thị Lan"' in refused.text
    assert client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["status"] == "draft"
    assert db.scalar(select(ResultDelivery)) is None

    done = client.post(
        f"/ho-so/{dossier_id}/nop",
        data={**fields, "postal_address": ADDRESS},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert (
        client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["status"]
        == "submitted"
    )
    assert db.scalar(select(ResultDelivery)) is not None, "no row"
    detail = client.get(f"/ho-so/{dossier_id}")
    assert "Nhận kết quả qua bưu chính công ích" in detail.text and "25.000" in detail.text


def test_the_indicators_count_results_by_post(client: TestClient) -> None:
    citizen = headers(client, CITIZEN)
    draft = create_draft(client, citizen)
    put = client.put(
        f"/api/v1/dossiers/{draft['id']}/result-delivery",
        json={
            "method": "post",
            "recipient_name": "Nguyễn Thị Lan",
            "phone": "0912345678",
            "address": ADDRESS,
        },
        headers=citizen,
    )
    assert put.status_code == 200
    for comp in ("TK", "GCS"):
        assert attach(client, citizen, draft["id"], comp).status_code == 201
    assert client.post(f"/api/v1/dossiers/{draft['id']}/submit", headers=citizen).status_code == 200
    before = client.get("/api/v1/stats/indicators").json()["counts"]["results_by_post"]
    assert act(client, headers(client, RECEPTION), draft["id"], "receive").status_code == 200
    after = client.get("/api/v1/stats/indicators").json()["counts"]["results_by_post"]
    assert after == before + 1
    assert "Trả kết quả qua bưu chính công ích" in client.get("/thong-ke").text
