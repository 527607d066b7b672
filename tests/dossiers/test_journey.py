"""The whole journey through the API: submit → receive → steps → result → download."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.signing import service as signing_service
from tests.dossiers.helpers import (
    LEADER,
    RECEPTION,
    SPECIALIST,
    act,
    headers,
    pdf_bytes,
    submitted_dossier,
)


def test_full_journey(client: TestClient) -> None:
    dossier_id, citizen = submitted_dossier(client)
    body = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()
    # The code and the lookup secret come with the submission (SPEC §3).
    assert body["status"] == "submitted" and body["code"].startswith("000.00.51.H31-")
    code, secret = body["code"], body["lookup_secret"]
    assert secret and len(secret) == 8
    assert body["available_actions"] == ["withdraw"]

    reception = headers(client, RECEPTION)
    queue = client.get("/api/v1/queue", headers=reception).json()["items"]
    item = next(i for i in queue if i["id"] == dossier_id)
    assert item["available_actions"] == ["receive", "request_supplement", "reject"]
    assert item["answer_hours_left"] is not None and 0 <= item["answer_hours_left"] <= 8

    received = act(client, reception, dossier_id, "receive")
    assert received.status_code == 200, received.text
    body = received.json()
    assert body["status"] == "received"
    assert (body["code"], body["lookup_secret"]) == (code, secret)  # reception keeps them
    assert body["due_at"]
    assert body["current_step"] == "XL"

    specialist = headers(client, SPECIALIST)
    assert act(client, specialist, dossier_id, "forward").json()["current_step"] == "PD"
    leader = headers(client, LEADER)
    approved = act(client, leader, dossier_id, "approve").json()
    assert approved["current_step"] == "TKQ" and approved["status"] == "processing"
    assert (
        "withdraw"
        not in client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()[
            "available_actions"
        ]
    )

    attached = client.post(
        f"/api/v1/dossiers/{dossier_id}/actions",
        data={"action": "attach_result", "comment": "Giấy khai sinh đã ký số"},
        files={"file": ("giay-khai-sinh.pdf", pdf_bytes("GKS"), "application/pdf")},
        headers=reception,
    )
    assert attached.status_code == 200, attached.text
    assert attached.json()["status"] == "result_ready"
    done = act(client, reception, dossier_id, "return_result").json()
    assert done["status"] == "completed"
    assert (done["national_status"], done["national_channel"]) == (10, 2)

    history = [(h["action"], h["to_status"]) for h in done["history"]]
    assert history == [
        ("create", "draft"),
        ("submit", "submitted"),
        ("receive", "received"),
        ("forward", "processing"),
        ("approve", "processing"),
        ("attach_result", "result_ready"),
        ("return_result", "completed"),
    ]
    assert all(s["finished_at"] for s in done["steps"])

    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=citizen).json()
    kinds = [d["kind"] for d in docs["items"]]
    assert kinds == ["form_01", "result", "form_06"]
    result = next(d for d in docs["items"] if d["kind"] == "result")
    pdf = client.get(result["pdf_url"], headers=citizen)
    # The uploaded file, followed by the portal's stamp and signature (an incremental update).
    assert pdf.status_code == 200 and pdf.content.startswith(pdf_bytes("GKS"))
    assert signing_service.validate_pdf(pdf.content)["ok"]
