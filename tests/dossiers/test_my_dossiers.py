""" "Hồ sơ của tôi" as a citizen uses it (no JavaScript): reachable from the header, filtered by
group with plain links, a draft deleted after a confirmation page, a dossier copied as a new
draft; the JSON API does the same, and nobody touches another citizen's dossier."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.dossiers.models import Dossier, DossierEvent, DossierFile
from tests.conftest import DEMO_PASSWORD, csrf_from
from tests.dossiers.helpers import (
    CITIZEN,
    OTHER_CITIZEN,
    RECEPTION,
    act,
    attach,
    create_draft,
    headers,
    submitted_dossier,
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


def header(html: str) -> str:
    return html.split('<header class="site-header">')[1].split("</header>")[0]


def card_ids(html: str) -> set[int]:
    """The dossiers listed on a "Hồ sơ của tôi" page."""
    listed = (
        html.split('<ul class="dossier-list">')[1].split("</ul>")[0]
        if "dossier-list" in html
        else ""
    )
    return {int(m) for m in re.findall(r'<h2><a href="/ho-so/(\d+)">', listed)}


def test_lookup_is_in_everyones_header_and_my_dossiers_in_a_citizens(client: TestClient) -> None:
    home = client.get("/")
    assert 'href="/tra-cuu"' in header(home.text)
    hero = home.text.split('<section class="hero">')[1].split("</section>")[0]
    assert '<a class="button" href="/tra-cuu">Tra cứu hồ sơ</a>' in hero
    assert 'href="/ho-so"' not in header(home.text)

    log_in(client, CITIZEN)
    account = client.get("/tai-khoan")
    assert '<a href="/ho-so">Hồ sơ của tôi</a>' in header(account.text)
    assert 'href="/tra-cuu"' in header(account.text)
    mine = client.get("/ho-so")
    assert '<a href="/ho-so" aria-current="page">Hồ sơ của tôi</a>' in header(mine.text)

    log_in(client, RECEPTION)
    desk = client.get("/can-bo")
    assert 'href="/ho-so"' not in header(desk.text)  # staff have a desk, not "my dossiers"
    assert 'href="/tra-cuu"' in header(desk.text)


def test_groups_filter_my_dossiers_with_plain_links(client: TestClient) -> None:
    citizen = headers(client, CITIZEN)
    reception = headers(client, RECEPTION)
    draft = create_draft(client, citizen)["id"]
    in_progress, _h = submitted_dossier(client)
    supplement, _h = submitted_dossier(client)
    asked = act(
        client,
        reception,
        supplement,
        "request_supplement",
        missing_components=["GCS"],
        comment="Giấy chứng sinh bị mờ",
    )
    assert asked.status_code == 200, asked.text
    done, _h = submitted_dossier(client)
    withdrawn = act(client, citizen, done, "withdraw", comment="Nộp nhầm thủ tục")
    assert withdrawn.status_code == 200, withdrawn.text

    log_in(client)
    everything = client.get("/ho-so")
    assert everything.status_code == 200
    assert card_ids(everything.text) == {draft, in_progress, supplement, done}
    filters = everything.text.split('class="dossier-filters"')[1].split("</nav>")[0]
    assert '<a href="/ho-so" aria-current="page"><strong>Tất cả (4)</strong></a>' in filters
    for group, label in (
        ("draft", "Hồ sơ nháp"),
        ("in_progress", "Đang giải quyết"),
        ("supplement", "Cần bổ sung"),
        ("done", "Đã kết thúc"),
    ):
        assert f'<a href="/ho-so?group={group}">{label} (1)</a>' in filters

    expected = {"draft": draft, "in_progress": in_progress, "supplement": supplement, "done": done}
    for group, dossier_id in expected.items():
        page = client.get(f"/ho-so?group={group}")
        assert page.status_code == 200
        assert card_ids(page.text) == {dossier_id}, group
        assert f'href="/ho-so?group={group}" aria-current="page"' in page.text
        listed = client.get(f"/api/v1/dossiers?group={group}", headers=citizen).json()
        assert [item["id"] for item in listed["items"]] == [dossier_id]
        assert listed["total"] == 1

    # Only a draft offers deletion, only a dossier waiting for a supplement its answer.
    drafts = client.get("/ho-so?group=draft").text
    assert f'href="/ho-so/{draft}/xoa"' in drafts
    assert f'href="/ho-so/{supplement}/xoa"' not in everything.text
    assert f'href="/ho-so/{supplement}/khai"' in everything.text

    # A group nobody offers shows everything; the API refuses it.
    assert card_ids(client.get("/ho-so?group=whatever").text) == set(expected.values())
    assert client.get("/api/v1/dossiers?group=whatever", headers=citizen).status_code == 422


def test_a_citizen_deletes_a_draft_after_confirming(client: TestClient, db: Session) -> None:
    citizen = headers(client, CITIZEN)
    draft = create_draft(client, citizen)["id"]
    assert attach(client, citizen, draft, "TK").status_code == 201
    log_in(client)

    # From the list, the draft page and the dossier page, a link leads to the confirmation.
    for url in ("/ho-so", f"/ho-so/{draft}/khai", f"/ho-so/{draft}"):
        assert f'href="/ho-so/{draft}/xoa"' in client.get(url).text, url
    confirm = client.get(f"/ho-so/{draft}/xoa")
    assert confirm.status_code == 200
    assert "Xóa hồ sơ nháp?" in confirm.text
    assert f'<form method="post" action="/ho-so/{draft}/xoa"' in confirm.text
    assert f'href="/ho-so/{draft}/khai">Không xóa, quay lại hồ sơ</a>' in confirm.text

    # Without the page's CSRF token nothing happens.
    refused = client.post(f"/ho-so/{draft}/xoa", follow_redirects=False)
    assert refused.status_code == 403
    assert db.get(Dossier, draft) is not None

    deleted = client.post(
        f"/ho-so/{draft}/xoa", data={"csrf_token": csrf_from(confirm.text)}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/ho-so?group=draft&msg=draft_deleted"
    landing = client.get(deleted.headers["location"])
    assert "Đã xóa hồ sơ nháp." in landing.text
    assert draft not in card_ids(landing.text)

    db.expire_all()
    assert db.get(Dossier, draft) is None
    assert db.scalar(select(func.count()).where(DossierFile.dossier_id == draft)) == 0
    assert db.scalar(select(func.count()).where(DossierEvent.dossier_id == draft)) == 0
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "dossier.draft_deleted", AuditEntry.object_id == str(draft)
        )
    )
    assert entry is not None and entry.actor == CITIZEN
    assert client.get(f"/ho-so/{draft}").status_code == 404


def test_only_ones_own_draft_can_be_deleted(client: TestClient, db: Session) -> None:
    citizen = headers(client, CITIZEN)
    draft = create_draft(client, citizen)["id"]
    submitted, _h = submitted_dossier(client)

    # Another citizen: not found, whichever way.
    log_in(client, OTHER_CITIZEN)
    assert client.get(f"/ho-so/{draft}/xoa").status_code == 404
    token = csrf_from(client.get("/ho-so").text)
    gone = client.post(f"/ho-so/{draft}/xoa", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 404
    other = headers(client, OTHER_CITIZEN)
    assert client.delete(f"/api/v1/dossiers/{draft}", headers=other).status_code == 404
    # Staff who may see a submitted dossier may not delete it either.
    reception = headers(client, RECEPTION)
    assert client.delete(f"/api/v1/dossiers/{submitted}", headers=reception).status_code == 404
    db.expire_all()
    assert db.get(Dossier, draft) is not None

    # The owner: a submitted dossier is withdrawn, not deleted.
    conflict = client.delete(f"/api/v1/dossiers/{submitted}", headers=citizen)
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "conflict"
    log_in(client)
    back = client.get(f"/ho-so/{submitted}/xoa", follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/ho-so/{submitted}"
    assert f'href="/ho-so/{submitted}/xoa"' not in client.get(f"/ho-so/{submitted}").text

    assert client.delete(f"/api/v1/dossiers/{draft}", headers=citizen).status_code == 204
    db.expire_all()
    assert db.get(Dossier, draft) is None
    assert client.delete(f"/api/v1/dossiers/{draft}", headers=citizen).status_code == 404


def test_a_dossier_is_copied_as_a_new_draft_without_its_files(
    client: TestClient, db: Session
) -> None:
    source_id, citizen = submitted_dossier(client)
    source = db.get(Dossier, source_id)
    assert source is not None
    log_in(client)
    page = client.get(f"/ho-so/{source_id}")
    assert f'<form method="post" action="/ho-so/{source_id}/sao-chep">' in page.text
    copied = client.post(
        f"/ho-so/{source_id}/sao-chep",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert copied.status_code == 303
    match = re.fullmatch(r"/ho-so/(\d+)/khai\?msg=copied", copied.headers["location"])
    assert match, copied.headers["location"]
    new_id = int(match.group(1))
    draft_page = client.get(copied.headers["location"])
    assert "thông tin đã khai được chép lại" in draft_page.text
    assert 'value="Nguyễn Minh An"' in draft_page.text

    db.expire_all()
    new = db.get(Dossier, new_id)
    assert new is not None and new.id != source_id
    assert new.status == "draft" and new.code is None and new.channel == "online"
    assert new.version.code == source.version.code
    assert new.agency_id == source.agency_id
    assert new.applicant_id == source.applicant_id
    assert new.form_data == source.form_data
    assert new.applicant == source.applicant
    assert [f for f in new.files if f.removed_at is None] == []
    assert new.events[0].action == "create" and new.events[0].data == {"copied_from": source_id}

    # The API does the same; another citizen gets "not found".
    again = client.post(f"/api/v1/dossiers/{source_id}/copy", headers=citizen)
    assert again.status_code == 201, again.text
    body = again.json()
    assert body["status"] == "draft" and body["files"] == []
    assert body["form_data"] == source.form_data
    other = headers(client, OTHER_CITIZEN)
    assert client.post(f"/api/v1/dossiers/{source_id}/copy", headers=other).status_code == 404
    log_in(client, OTHER_CITIZEN)
    token = csrf_from(client.get("/ho-so").text)
    refused = client.post(
        f"/ho-so/{source_id}/sao-chep", data={"csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 404


def test_a_supplement_page_is_not_called_a_draft(client: TestClient) -> None:
    dossier_id, _citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    asked = act(
        client,
        reception,
        dossier_id,
        "request_supplement",
        missing_components=["GCS"],
        comment="Giấy chứng sinh bị mờ",
    )
    assert asked.status_code == 200, asked.text
    log_in(client)
    page = client.get(f"/ho-so/{dossier_id}/khai")
    crumb = page.text.split('class="breadcrumb">')[1].split("</nav>")[0]
    assert "Hồ sơ nháp" not in crumb
    assert f'<a href="/ho-so/{dossier_id}">' in crumb and "Bổ sung hồ sơ" in crumb
    assert f'href="/ho-so/{dossier_id}/xoa"' not in page.text
