"""Every staff role reaches its work from the desk (/can-bo): the cashier's counter and
receipt register, the leader's dashboard; a dossier waiting for fees offers the cashier
"Thu phí" instead of "no action"."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi.testclient import TestClient

from tests.conftest import DEMO_PASSWORD, csrf_from
from tests.dossiers.helpers import LEADER, RECEPTION, SPECIALIST, submit_procedure

CASHIER = "thuphi.phohien@motcua.local"
AGENCY_ADMIN = "quantri.phohien@motcua.local"
OTHER_CASHIER = "tiepnhan.lienphuong@motcua.local"  # reception + specialist + cashier elsewhere
FEE_AT_SUBMISSION = "1.004873"  # marital status certificate: 5.000 ₫ when submitting
NO_ACTION = "Bạn không có thao tác nào với hồ sơ ở trạng thái hiện tại."


def log_in(client: TestClient, email: str) -> None:
    client.cookies.delete("portal_session")
    form = client.get("/dang-nhap")
    response = client.post(
        "/dang-nhap",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_from(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def desk_links(client: TestClient) -> str:
    page = client.get("/can-bo")
    assert page.status_code == 200, page.text
    return page.text.split('class="staff-links"')[1].split("</ul>")[0]


def test_each_role_finds_its_pages_on_the_desk(client: TestClient) -> None:
    expected = {
        CASHIER: {"/can-bo/thu-phi", "/can-bo/bien-lai", "/can-bo/so-theo-doi"},
        LEADER: {"/can-bo/bang-dieu-khien", "/can-bo/bien-lai", "/can-bo/so-theo-doi"},
        RECEPTION: {"/can-bo/tiep-nhan", "/can-bo/so-theo-doi"},
        SPECIALIST: {"/can-bo/so-theo-doi"},
        AGENCY_ADMIN: {"/can-bo/bang-dieu-khien", "/can-bo/bien-lai", "/can-bo/so-theo-doi"},
    }
    every = {"/can-bo/thu-phi", "/can-bo/bien-lai", "/can-bo/bang-dieu-khien", "/can-bo/tiep-nhan"}
    for email, links in expected.items():
        log_in(client, email)
        html = desk_links(client)
        for link in links:
            assert f'href="{link}"' in html, (email, link)
            assert client.get(link).status_code == 200, (email, link)
        for link in every - links:
            assert f'href="{link}"' not in html, (email, link)


def test_the_cashier_opens_a_dossier_waiting_for_fees_and_goes_to_collect(
    client: TestClient,
) -> None:
    dossier, _citizen = submit_procedure(client, FEE_AT_SUBMISSION)
    assert dossier["status"] == "awaiting_payment"
    dossier_id = dossier["id"]

    log_in(client, CASHIER)
    queue = client.get("/can-bo").text
    assert f'href="/can-bo/ho-so/{dossier_id}"' in queue
    page = client.get(f"/can-bo/ho-so/{dossier_id}")
    assert page.status_code == 200
    counter = "/can-bo/thu-phi"
    if dossier["code"]:
        counter += "?" + urlencode({"code": dossier["code"]})
    assert f'<a class="button" href="{counter.replace("&", "&amp;")}">Thu phí</a>' in page.text
    assert NO_ACTION not in page.text
    # The link leads to the counter, where this dossier's fees are collected.
    at_counter = client.get(counter)
    assert at_counter.status_code == 200
    assert f'action="/can-bo/thu-phi/{dossier_id}"' in at_counter.text

    # Nobody else is offered to collect: reception of the unit, a cashier of another unit.
    log_in(client, RECEPTION)
    page = client.get(f"/can-bo/ho-so/{dossier_id}")
    assert "Thu phí</a>" not in page.text
    log_in(client, OTHER_CASHIER)
    assert client.get(f"/can-bo/ho-so/{dossier_id}").status_code == 404
