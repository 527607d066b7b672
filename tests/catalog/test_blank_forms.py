"""Finding m24: the procedure page lists every implementing agency (no-JS <details>) and
offers the blank form (tờ khai theo mẫu) a designer attached to a component."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.admin.helpers import ADMIN, log_in, post_form
from tests.dossiers.helpers import pdf_bytes

CODE = "1.001193"
SECTION = f"/quan-tri/thu-tuc/{CODE}/ban-nhap/thanh-phan"


def test_every_agency_can_be_shown_without_javascript(client: TestClient) -> None:
    body = client.get(f"/api/v1/procedures/{CODE}").json()
    names = [a["name"] for a in body["agencies"]]
    assert len(names) > 5
    page = client.get(f"/thu-tuc/{CODE}").text
    details = page[page.index('<details class="agency-list">') :]
    details = details[: details.index("</details>")]
    assert f"và {len(names) - 5} cơ quan khác" in details
    assert all(f"<li>{name}</li>" in details for name in names)


def test_designer_attaches_a_blank_form_that_citizens_download(client: TestClient) -> None:
    assert client.get(f"/thu-tuc/{CODE}/mau/TK").status_code == 404
    log_in(client, ADMIN)
    opened = post_form(client, f"/quan-tri/thu-tuc/{CODE}/sua", page=f"/quan-tri/thu-tuc/{CODE}")
    assert opened.status_code == 303
    page = client.get(SECTION).text
    match = re.search(
        rf'action="{re.escape(SECTION)}/(\d+)/mau"[^>]*>\s*<input[^>]*>\s*'
        r'<input type="hidden" name="key" value="TK">',
        page,
    )
    assert match, "an upload form for the TK component"
    index = match.group(1)

    # Not a PDF or DOCX: refused, named at the field, nothing attached.
    refused = post_form(
        client,
        f"{SECTION}/{index}/mau",
        {"key": "TK"},
        page=SECTION,
        files={"blank_form": ("to-khai.pdf", b"MZ\x90\x00" + b"\x00" * 600, "application/pdf")},
    )
    assert refused.status_code == 415
    assert f'id="f-i{index}-blank_form-error"' in refused.text
    assert "Định dạng tệp không được chấp nhận." in refused.text

    blank = pdf_bytes("TO KHAI DANG KY KHAI SINH")
    attached = post_form(
        client,
        f"{SECTION}/{index}/mau",
        {"key": "TK"},
        page=SECTION,
        files={"blank_form": ("To khai dang ky khai sinh.pdf", blank, "application/pdf")},
    )
    assert attached.status_code == 303, attached.text
    assert "Đang có: To khai dang ky khai sinh.pdf" in client.get(SECTION).text
    # Not offered to citizens before the draft is published.
    assert client.get(f"/thu-tuc/{CODE}/mau/TK").status_code == 404

    published = post_form(
        client, f"/quan-tri/thu-tuc/{CODE}/ban-nhap/cong-bo", page=f"/quan-tri/thu-tuc/{CODE}"
    )
    assert published.status_code == 303, published.text
    client.cookies.clear()
    procedure = client.get(f"/thu-tuc/{CODE}").text
    assert f'<a href="/thu-tuc/{CODE}/mau/TK" download>Tải mẫu tờ khai' in procedure
    download = client.get(f"/thu-tuc/{CODE}/mau/TK")
    assert download.status_code == 200 and download.content == blank
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    components = client.get(f"/api/v1/procedures/{CODE}").json()["components"]
    tk = next(c for c in components if c["code"] == "TK")
    assert tk["blank_form_url"] == f"/thu-tuc/{CODE}/mau/TK"
    assert client.get(f"/thu-tuc/{CODE}/mau/GCS").status_code == 404
