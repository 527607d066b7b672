"""Demo feedback (phản ánh, kiến nghị): a few items in every status, one published, one
overdue, lived through the feedback service (``portal demo seed``, with the history)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.feedback import service
from app.feedback.models import FeedbackItem
from app.feedback.schemas import ActionIn, FeedbackIn, SenderIn

PHO_HIEN = "000.00.51.H31"
LIEN_PHUONG = "000.00.54.H31"


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def seed_feedback(session: Session) -> int:
    """Add the demo feedback unless some exists already; returns how many were added."""
    if session.scalar(select(func.count(FeedbackItem.id))):
        return 0
    now = utcnow()
    citizen = _user(session, "congdan@motcua.local")
    citizen2 = _user(session, "congdan2@motcua.local")
    reception = _user(session, "tiepnhan.phohien@motcua.local")
    specialist = _user(session, "chuyenvien.phohien@motcua.local")
    leader = _user(session, "lanhdao.phohien@motcua.local")

    def file(user: User | None, days_ago: int, **values: object) -> FeedbackItem:
        data = FeedbackIn.model_validate({"agency_code": PHO_HIEN, **values})
        item, _secret = service.file_feedback(
            session, user, data, client="demo", now=now - timedelta(days=days_ago)
        )
        return item

    def act(user: User, item: FeedbackItem, days_ago: int, **values: object) -> None:
        service.perform(
            session, user, item.id, ActionIn.model_validate(values), now - timedelta(days=days_ago)
        )

    published = file(
        citizen,
        9,
        category="procedure",
        subject="Thời gian chờ tại bộ phận một cửa quá lâu",
        content=(
            "Sáng thứ Hai tôi chờ hơn một tiếng mới được tiếp nhận hồ sơ đăng ký khai sinh. "
            "Đề nghị phường bố trí thêm quầy vào đầu tuần. Liên hệ tôi qua số 0912345678."
        ),
        publish_consent=True,
    )
    act(reception, published, 8, action="assign", assignee_id=specialist.id)
    act(
        specialist,
        published,
        6,
        action="answer",
        answer=(
            "UBND phường Phố Hiến cảm ơn Bà đã phản ánh. Từ tuần này, sáng thứ Hai và thứ Ba "
            "bộ phận một cửa mở thêm một quầy tiếp nhận và nhận đặt lịch hẹn trực tuyến."
        ),
        upheld=True,
    )
    act(leader, published, 5, action="approve")

    waiting = file(
        citizen2,
        3,
        category="officer",
        subject="Cán bộ hướng dẫn chưa đầy đủ",
        content=("Khi nộp hồ sơ chứng thực tôi được hướng dẫn thiếu giấy tờ, phải đi lại hai lần."),
        publish_consent=False,
    )
    act(reception, waiting, 2, action="assign", assignee_id=specialist.id)
    act(
        specialist,
        waiting,
        1,
        action="answer",
        answer="Phường đã nhắc nhở cán bộ và bổ sung bảng hướng dẫn thành phần hồ sơ tại quầy.",
        upheld=True,
    )

    assigned = file(
        None,
        2,
        category="agency",
        subject="Đề nghị niêm yết phí chứng thực",
        content="Đề nghị phường niêm yết mức phí chứng thực bản sao tại khu vực chờ.",
        sender=SenderIn(full_name="Phạm Văn Hưng", phone="0983111222"),
        publish_consent=True,
    )
    act(reception, assigned, 1, action="assign", assignee_id=reception.id)

    file(
        None,
        0,
        category="other",
        subject="Bãi đỗ xe trước trụ sở",
        content="Khu vực đỗ xe trước trụ sở UBND xã thường xuyên hết chỗ vào buổi sáng.",
        agency_code=LIEN_PHUONG,
        sender=SenderIn(full_name="Đỗ Thị Hoa", email="hoa.do@example.vn"),
    )

    rejected = file(
        citizen2,
        4,
        category="procedure",
        subject="Hỏi về thủ tục cấp hộ chiếu",
        content="Tôi muốn hỏi thủ tục cấp hộ chiếu phổ thông làm ở đâu.",
    )
    act(
        reception,
        rejected,
        3,
        action="reject",
        comment=(
            "Thủ tục cấp hộ chiếu do Công an tỉnh giải quyết; đề nghị Ông gửi phản ánh đến "
            "Công an tỉnh."
        ),
    )

    file(
        citizen,
        25,
        category="dossier",
        subject="Chưa nhận được kết quả đúng hẹn",
        content="Hồ sơ của tôi đã quá ngày hẹn trả nhưng chưa được thông báo kết quả.",
    )
    return 6
