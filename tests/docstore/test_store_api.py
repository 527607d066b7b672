"""The personal document store through the API: what enters it and when, reuse in a new
dossier end to end (the officer sees the origin, the indicator counts it), and refusals that
write nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.docstore.models import DocumentReuse
from app.documents.models import Document
from app.dossiers.models import DossierFile
from tests.docstore.helpers import (
    STORE,
    approved,
    finish,
    received_dossier,
    reuse,
    reuse_figure,
    store,
)
from tests.dossiers.helpers import (
    CITIZEN,
    OTHER_CITIZEN,
    RECEPTION,
    attach,
    create_draft,
    headers,
    pdf_bytes,
)

OTHER_AGENCY_OFFICER = "tiepnhan.lienphuong@motcua.local"


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_accepted_components_then_the_result_enter_the_store(client: TestClient) -> None:
    citizen = headers(client, CITIZEN)
    draft = create_draft(client, citizen)
    assert attach(client, citizen, draft["id"], "TK").status_code == 201
    # A draft's files are not the agency's accepted documents: nothing in the store yet.
    assert store(client, citizen) == []

    dossier = received_dossier(client, citizen)
    items = store(client, citizen)
    assert {(i["kind"], i["component_code"]) for i in items} == {
        ("component", "TK"),
        ("component", "GCS"),
    }
    tk = next(i for i in items if i["component_code"] == "TK")
    assert tk["source"] == {
        "dossier_id": dossier["id"],
        "code": dossier["code"],
        "procedure_code": "1.001193",
    }
    assert tk["name"] == "Tờ khai đăng ký khai sinh theo mẫu"
    assert tk["kind_label"] == "Giấy tờ đã số hóa"
    assert tk["valid_until"] is None and tk["times_reused"] == 0

    finish(client, dossier["id"])
    results = store(client, citizen, kind="result")
    assert len(results) == 1
    result = results[0]
    assert result["number"].startswith("GKS-") and result["component_code"] == "GKS"
    assert result["source"]["code"] == dossier["code"]
    # The result as the citizen got it: stamped and signed, the same bytes as the dossier's.
    pdf = client.get(result["url"], headers=citizen)
    assert pdf.status_code == 200 and pdf.content.startswith(pdf_bytes("GKS"))
    # Returning the result adds nothing twice.
    assert len(store(client, citizen)) == 3


def test_reuse_end_to_end_officer_sees_origin_and_indicator_counts_it(
    client: TestClient, db: Session
) -> None:
    citizen = headers(client, CITIZEN)
    first = received_dossier(client, citizen, "lan dau")
    tk = next(i for i in store(client, citizen) if i["component_code"] == "TK")
    before = reuse_figure(client)

    draft = create_draft(client, citizen)
    reused = reuse(client, citizen, draft["id"], "TK", tk["id"])
    assert reused.status_code == 201, reused.text
    body = reused.json()
    assert body["sha256"] == tk["sha256"] and body["filename"] == tk["filename"]
    assert body["reused_from"] == {
        "document_id": tk["id"],
        "kind": "component",
        "dossier_code": first["code"],
        "result_number": None,
    }
    assert attach(client, citizen, draft["id"], "GCS", pdf_bytes("moi")).status_code == 201
    assert client.post(f"/api/v1/dossiers/{draft['id']}/submit", headers=citizen).status_code == 200

    reception = headers(client, RECEPTION)
    seen = client.get(f"/api/v1/dossiers/{draft['id']}", headers=reception).json()
    files = {f["component"]: f for f in seen["files"]}
    assert files["TK"]["reused_from"]["dossier_code"] == first["code"]
    assert files["GCS"]["reused_from"] is None
    # The officer's page says where the file came from.
    page = client.get(f"/can-bo/ho-so/{draft['id']}", headers=reception)
    assert page.status_code == 200
    assert f"tái sử dụng từ kho dữ liệu – hồ sơ {first['code']}" in page.text
    # The officer downloads the very bytes (stored once, by SHA-256).
    got = client.get(files["TK"]["url"], headers=reception)
    assert got.status_code == 200 and got.content == pdf_bytes("to khai lan dau")

    assert (
        client.post(
            f"/api/v1/dossiers/{draft['id']}/actions", json={"action": "receive"}, headers=reception
        ).status_code
        == 200
    )
    after = reuse_figure(client)
    assert after["numerator"] == before["numerator"] + 1
    assert after["denominator"] == before["denominator"] + 1
    assert after["max_points"] == 6
    assert after["label"] == "Khai thác, sử dụng lại dữ liệu số hóa"
    # The public statistics page shows the figure with its formula.
    public = client.get("/thong-ke").text
    assert "Khai thác, sử dụng lại dữ liệu số hóa" in public
    assert "lấy từ kho dữ liệu cá nhân" in public
    assert {i["id"]: i["times_reused"] for i in store(client, citizen)}[tk["id"]] == 1
    # Accepting the reused file does not put it in the store a second time.
    assert sum(1 for i in store(client, citizen) if i["sha256"] == tk["sha256"]) == 1
    assert _count(db, DocumentReuse) == 1


def test_another_citizen_and_other_officers_cannot_see_remove_or_reuse(
    client: TestClient, db: Session
) -> None:
    citizen = headers(client, CITIZEN)
    received_dossier(client, citizen)
    doc = store(client, citizen)[0]
    for email in (OTHER_CITIZEN, OTHER_AGENCY_OFFICER, RECEPTION):
        h = headers(client, email)
        assert store(client, h) == []
        for response in (
            client.get(f"{STORE}/{doc['id']}", headers=h),
            client.get(f"{STORE}/{doc['id']}/file", headers=h),
            client.delete(f"{STORE}/{doc['id']}", headers=h),
        ):
            assert response.status_code == 404, (email, response.text)
            assert response.json() == {
                "error": "not_found",
                "detail": "Không tìm thấy tài liệu trong kho dữ liệu của bạn.",
            }
    assert client.get(STORE).status_code == 401
    assert client.get(STORE).json()["error"] == "unauthorized"
    assert len(store(client, citizen)) == 2  # nobody removed anything

    # The other citizen tries the id in a draft of their own: refused, nothing written.
    other = headers(client, OTHER_CITIZEN)
    draft = create_draft(client, other)
    files_before, reuses_before = _count(db, DossierFile), _count(db, DocumentReuse)
    refused = reuse(client, other, draft["id"], "TK", doc["id"])
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
    assert (_count(db, DossierFile), _count(db, DocumentReuse)) == (files_before, reuses_before)
    assert client.get(f"/api/v1/dossiers/{draft['id']}", headers=other).json()["files"] == []


def test_removed_document_leaves_the_dossiers_files_and_cannot_be_reused(
    client: TestClient, db: Session
) -> None:
    citizen = headers(client, CITIZEN)
    first = received_dossier(client, citizen)
    tk = next(i for i in store(client, citizen) if i["component_code"] == "TK")
    draft = create_draft(client, citizen)
    assert reuse(client, citizen, draft["id"], "TK", tk["id"]).status_code == 201

    assert client.delete(f"{STORE}/{tk['id']}", headers=citizen).status_code == 204
    assert tk["id"] not in {i["id"] for i in store(client, citizen)}
    assert client.get(f"{STORE}/{tk['id']}", headers=citizen).status_code == 404

    # The files stay: the dossier it came from and the draft that reused it still have them.
    for dossier_id in (first["id"], draft["id"]):
        files = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["files"]
        row = next(f for f in files if f["component"] == "TK")
        assert client.get(row["url"], headers=citizen).content.startswith(b"%PDF")

    second = create_draft(client, citizen)
    files_before, reuses_before = _count(db, DossierFile), _count(db, DocumentReuse)
    refused = reuse(client, citizen, second["id"], "TK", tk["id"])
    assert refused.status_code == 404
    assert refused.json()["detail"] == "Không tìm thấy tài liệu trong kho dữ liệu của bạn."
    assert (_count(db, DossierFile), _count(db, DocumentReuse)) == (files_before, reuses_before)


def test_reuse_checks_like_an_upload(client: TestClient, db: Session) -> None:
    citizen = headers(client, CITIZEN)
    received_dossier(client, citizen)
    tk = next(i for i in store(client, citizen) if i["component_code"] == "TK")
    draft = create_draft(client, citizen)
    url = f"/api/v1/dossiers/{draft['id']}/files"

    neither = client.post(url, data={"component": "TK"}, headers=citizen)
    assert neither.status_code == 422 and neither.json()["error"] == "invalid_input"
    both = client.post(
        url,
        data={"component": "TK", "document_id": str(tk["id"])},
        files={"file": ("a.pdf", pdf_bytes(), "application/pdf")},
        headers=citizen,
    )
    assert both.status_code == 422
    unknown = reuse(client, citizen, draft["id"], "XX", tk["id"])
    assert unknown.status_code == 422 and unknown.json()["fields"]["component"]
    assert reuse(client, citizen, draft["id"], "TK", tk["id"]).status_code == 201
    again = reuse(client, citizen, draft["id"], "TK", tk["id"])
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    assert len(client.get(f"/api/v1/dossiers/{draft['id']}", headers=citizen).json()["files"]) == 1
    assert _count(db, DocumentReuse) == 1
    # A submitted dossier takes no more files, from the store or otherwise.
    assert attach(client, citizen, draft["id"], "GCS").status_code == 201
    assert client.post(f"/api/v1/dossiers/{draft['id']}/submit", headers=citizen).status_code == 200
    late = reuse(client, citizen, draft["id"], "UQ", tk["id"])
    assert late.status_code == 409
    assert _count(db, DocumentReuse) == 1


def test_a_supplement_is_answered_from_the_store(client: TestClient) -> None:
    citizen = headers(client, CITIZEN)
    earlier = received_dossier(client, citizen, "cu")
    gcs = next(i for i in store(client, citizen) if i["component_code"] == "GCS")
    draft = create_draft(client, citizen)
    assert attach(client, citizen, draft["id"], "TK", pdf_bytes("moi")).status_code == 201
    blurred = attach(client, citizen, draft["id"], "GCS", pdf_bytes("mo"))
    assert client.post(f"/api/v1/dossiers/{draft['id']}/submit", headers=citizen).status_code == 200
    reception = headers(client, RECEPTION)
    asked = client.post(
        f"/api/v1/dossiers/{draft['id']}/actions",
        json={
            "action": "request_supplement",
            "missing_components": ["GCS"],
            "comment": "Giấy chứng sinh bị mờ",
        },
        headers=reception,
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "supplement_requested"

    url = f"/api/v1/dossiers/{draft['id']}/files/{blurred.json()['id']}"
    assert client.delete(url, headers=citizen).status_code == 204
    assert reuse(client, citizen, draft["id"], "GCS", gcs["id"]).status_code == 201
    resubmitted = client.post(f"/api/v1/dossiers/{draft['id']}/submit", headers=citizen)
    assert resubmitted.status_code == 200, resubmitted.text
    files = client.get(f"/api/v1/dossiers/{draft['id']}", headers=reception).json()["files"]
    origin = next(f["reused_from"] for f in files if f["component"] == "GCS")
    assert origin["dossier_code"] == earlier["code"]


def test_a_result_with_a_validity_shows_it_in_the_store(client: TestClient, db: Session) -> None:
    citizen = headers(client, CITIZEN)
    dossier = received_dossier(client, citizen)
    approved(client, dossier["id"])
    reception = headers(client, RECEPTION)
    documents_before = _count(db, Document)
    expired = client.post(
        f"/api/v1/dossiers/{dossier['id']}/actions",
        data={"action": "attach_result", "valid_until": "2020-01-31"},
        files={"file": ("kq.pdf", pdf_bytes("GKS"), "application/pdf")},
        headers=reception,
    )
    assert expired.status_code == 422
    assert expired.json()["detail"] == "Ngày hết hiệu lực của kết quả không được trước ngày cấp."
    assert expired.json()["fields"] == {"valid_until": "not before today"}
    assert _count(db, Document) == documents_before
    assert (
        client.get(f"/api/v1/dossiers/{dossier['id']}", headers=citizen).json()["status"]
        == "processing"
    )

    attached = client.post(
        f"/api/v1/dossiers/{dossier['id']}/actions",
        data={"action": "attach_result", "valid_until": "2031-06-30"},
        files={"file": ("kq.pdf", pdf_bytes("GKS"), "application/pdf")},
        headers=reception,
    )
    assert attached.status_code == 200, attached.text
    returned = client.post(
        f"/api/v1/dossiers/{dossier['id']}/actions",
        json={"action": "return_result"},
        headers=reception,
    )
    assert returned.status_code == 200, returned.text
    (result,) = store(client, citizen, kind="result")
    assert result["valid_until"] == "2031-06-30"
