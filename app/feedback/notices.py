"""What the sender and the leaders are told about a feedback item (``app/notifications``): an
in-app notice for an account, an e-mail through the outbox to the address given."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.feedback.models import FeedbackItem
from app.notifications import service as notification_service


def tell_sender(session: Session, item: FeedbackItem, kind: str, extra: dict[str, Any]) -> None:
    """The sender: their account's notice and their e-mail (the account's, or the one given)."""
    user = session.get(User, item.sender_user_id) if item.sender_user_id else None
    context = {
        "name": item.sender_name,
        "code": item.code,
        "subject_text": item.subject,
        "agency_name": item.agency.name,
        "answer": item.answer,
        "reason": item.reject_reason,
        "due_at": item.due_at,
        **extra,
    }
    notification_service.feedback_notice(
        session,
        kind,
        user=user,
        address=item.sender_email,
        context=context,
        link=f"/phan-anh/tra-cuu?code={item.code}",
    )


def tell_leaders(session: Session, item: FeedbackItem, agency_id: int) -> None:
    """The leaders of the agency an overdue item was escalated to: an in-app notice."""
    leaders = [
        u
        for u in session.scalars(
            select(User).where(User.agency_id == agency_id, User.is_active)
        ).all()
        if u.has_role("leader")
    ]
    for leader in leaders:
        notification_service.feedback_notice(
            session,
            "feedback_escalated",
            user=leader,
            address="",
            context={
                "name": leader.full_name,
                "code": item.code,
                "subject_text": item.subject,
                "agency_name": item.agency.name,
                "due_at": item.due_at,
            },
            link=f"/can-bo/phan-anh/{item.id}",
            mail=False,
        )
