"""The reasons of a rejection reach the applicant (finding m14): they were only on form 03."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.dossiers.helpers import RECEPTION, act, headers, submitted_dossier

REASONS = ["Thủ tục không thuộc thẩm quyền của phường", "Tờ khai thiếu chữ ký"]


def test_rejection_reasons_are_in_the_applicants_timeline(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    done = act(client, headers(client, RECEPTION), dossier_id, "reject", reasons=REASONS)
    assert done.status_code == 200, done.text

    history = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["history"]
    assert history[-1]["action"] == "reject"
    assert history[-1]["comment"] == "; ".join(REASONS)
    page = client.get(f"/ho-so/{dossier_id}", headers=citizen)
    assert all(reason in page.text for reason in REASONS)


def test_a_written_comment_is_kept_as_it_is(client: TestClient, db: Session) -> None:
    dossier_id, citizen = submitted_dossier(client)
    done = act(
        client,
        headers(client, RECEPTION),
        dossier_id,
        "reject",
        reasons=REASONS,
        comment="Xem lý do trong phiếu từ chối.",
    )
    assert done.status_code == 200, done.text
    history = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["history"]
    assert history[-1]["comment"] == "Xem lý do trong phiếu từ chối."
