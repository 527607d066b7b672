"""The demo feedback: every status, one published item on the public page, one overdue item
flagged, escalated once by the worker's periodic pass; seeding twice adds nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo.feedback import seed_feedback
from app.feedback import service
from app.feedback.models import FeedbackItem


def test_demo_feedback(client: TestClient, db: Session) -> None:
    assert seed_feedback(db) == 6
    assert seed_feedback(db) == 0
    db.commit()
    statuses = set(db.scalars(select(FeedbackItem.status)))
    assert statuses == {"new", "assigned", "answered", "published", "rejected"}
    page = client.get("/phan-anh")
    assert "Thời gian chờ tại bộ phận một cửa quá lâu" in page.text
    assert "0912345678" not in page.text and "[số điện thoại]" in page.text
    assert service.escalate_overdue(db)["feedback_escalated"] == 1
