"""The same file twice in one component is refused (issue 16 item 9, finding M8): a double
click or a second try, with JavaScript or without, never attaches it twice."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.dossiers.helpers import CITIZEN, attach, create_draft, headers, pdf_bytes


def test_same_content_twice_in_one_component_is_refused(client: TestClient) -> None:
    h = headers(client, CITIZEN)
    dossier = create_draft(client, h)
    first = attach(client, h, dossier["id"], "TK", pdf_bytes("to khai"), name="to_khai.pdf")
    assert first.status_code == 201

    again = attach(client, h, dossier["id"], "TK", pdf_bytes("to khai"), name="to_khai (1).pdf")
    assert again.status_code == 409
    body = again.json()
    assert body["detail"] == "Tệp có cùng nội dung đã được đính kèm cho thành phần hồ sơ này."
    assert body["fields"] == {"file": "to_khai.pdf"}
    english = client.post(
        f"/api/v1/dossiers/{dossier['id']}/files",
        data={"component": "TK"},
        files={"file": ("x.pdf", pdf_bytes("to khai"), "application/pdf")},
        headers={**h, "Accept-Language": "en"},
    )
    assert english.status_code == 409 and "already attached" in english.json()["detail"]

    # Another content, or the same content for another component, is a new document.
    assert attach(client, h, dossier["id"], "TK", pdf_bytes("trang 2")).status_code == 201
    assert attach(client, h, dossier["id"], "GCS", pdf_bytes("to khai")).status_code == 201
    files = client.get(f"/api/v1/dossiers/{dossier['id']}", headers=h).json()["files"]
    assert sorted(f["component"] for f in files) == ["GCS", "TK", "TK"]
