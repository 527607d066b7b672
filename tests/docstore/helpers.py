"""Steps shared by the document-store tests: a finished dossier whose components and result
entered the citizen's store."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.dossiers.helpers import (
    LEADER,
    PHO_HIEN,
    RECEPTION,
    SPECIALIST,
    act,
    attach,
    create_draft,
    headers,
    pdf_bytes,
)

STORE = "/api/v1/me/documents"


def received_dossier(client: TestClient, h: dict[str, str], text: str = "cccd") -> dict[str, Any]:
    """A birth-registration dossier of the citizen ``h``, submitted and received."""
    dossier = create_draft(client, h)
    assert attach(client, h, dossier["id"], "TK", pdf_bytes(f"to khai {text}")).status_code == 201
    assert (
        attach(client, h, dossier["id"], "GCS", pdf_bytes(f"chung sinh {text}")).status_code == 201
    )
    assert client.post(f"/api/v1/dossiers/{dossier['id']}/submit", headers=h).status_code == 200
    received = act(client, headers(client, RECEPTION), dossier["id"], "receive")
    assert received.status_code == 200, received.text
    body: dict[str, Any] = received.json()
    return body


def approved(client: TestClient, dossier_id: int) -> None:
    """Forward and approve a received dossier: it waits for its result."""
    assert act(client, headers(client, SPECIALIST), dossier_id, "forward").status_code == 200
    assert act(client, headers(client, LEADER), dossier_id, "approve").status_code == 200


def finish(client: TestClient, dossier_id: int, valid_until: str = "") -> dict[str, Any]:
    """Take a received dossier through its steps to a returned, signed result."""
    reception = headers(client, RECEPTION)
    approved(client, dossier_id)
    attached = client.post(
        f"/api/v1/dossiers/{dossier_id}/actions",
        data={"action": "attach_result", "comment": "Giấy khai sinh", "valid_until": valid_until},
        files={"file": ("giay-khai-sinh.pdf", pdf_bytes("GKS"), "application/pdf")},
        headers=reception,
    )
    assert attached.status_code == 200, attached.text
    done = act(client, reception, dossier_id, "return_result")
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


def store(client: TestClient, h: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get(STORE, headers=h, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def reuse(client: TestClient, h: dict[str, str], dossier_id: int, component: str, doc: int) -> Any:
    return client.post(
        f"/api/v1/dossiers/{dossier_id}/files",
        data={"component": component, "document_id": str(doc)},
        headers=h,
    )


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()


def reuse_figure(client: TestClient) -> dict[str, Any]:
    """The reuse figure of Phố Hiến for dossiers received today."""
    response = client.get(
        "/api/v1/stats/indicators", params={"agency": PHO_HIEN, "from": today(), "to": today()}
    )
    assert response.status_code == 200, response.text
    figure: dict[str, Any] = response.json()["groups"]["digitisation"]["figures"]["reuse_rate"]
    return figure
