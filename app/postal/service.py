"""Results by post (issue 24 part 4; Decision 45/2016/QĐ-TTg on returning results of
administrative procedures through the public postal service, bưu chính công ích).

The applicant chooses it on the draft (``choose``) with a recipient, a phone and an address;
at submission the postal fee (``PORTAL_POSTAL_RESULT_FEE``) is frozen with the dossier's fees
as a line of its own (``fee_lines``, called by ``app.payments.service.freeze_fees``). At the
return step reception records the hand-over with the carrier's tracking number
(``record_handover``, called by the ``return_result`` action), which the applicant sees on the
dossier page and the public lookup. The national sync reports the result channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.config import get_settings
from app.db import utcnow
from app.dossiers.models import Dossier
from app.errors import Forbidden, InvalidInput
from app.i18n_markers import N_
from app.payments import fees as fee_rules
from app.postal.models import ResultDelivery
from app.text import clean_line, clean_phone

METHODS = ("online", "post")
FEE_NAME = "Cước dịch vụ trả kết quả qua bưu chính công ích"
EDITABLE = ("draft", "supplement_requested")
NO_ADDRESS = N_("Nhập địa chỉ nhận kết quả (số nhà, đường/thôn, xã/phường, tỉnh).")
NO_RECIPIENT = N_("Nhập họ tên người nhận kết quả.")
BAD_PHONE = N_("Số điện thoại người nhận không đúng định dạng (ví dụ 0912 345 678).")
BAD_METHOD = N_("Hình thức nhận kết quả không hợp lệ.")
NOT_EDITABLE = N_("Chỉ chọn được hình thức nhận kết quả khi hồ sơ đang soạn hoặc bổ sung.")
NEED_TRACKING = N_("Nhập số hiệu bưu gửi do bưu điện cấp (ví dụ EB123456785VN).")
BAD_TRACKING = N_(
    "Số hiệu bưu gửi không đúng: gồm 2 chữ cái, 9 chữ số và 2 chữ cái (ví dụ EB123456785VN), "
    "chữ số cuối là số kiểm tra."
)
NOT_POSTAL = N_("Hồ sơ không đăng ký nhận kết quả qua bưu chính: không cần số hiệu bưu gửi.")
# UPU S10: two letters, eight digits and a check digit, two letters (the country).
_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
_PHONE = re.compile(r"^(?:\+?84|0)(\d{9,10})$")


def s10_check_digit(serial: str) -> int:
    """The check digit of an 8-digit S10 serial (weights 8 6 4 2 3 5 9 7, modulo 11)."""
    total = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    return 0 if check == 10 else 5 if check == 11 else check


def valid_tracking(text: str) -> str | None:
    """The tracking number in capitals without spaces when it is a valid S10 number."""
    value = re.sub(r"\s", "", text or "").upper()
    match = _S10.match(value)
    if not match or s10_check_digit(match.group(2)) != int(match.group(3)):
        return None
    return value


def get(session: Session, dossier_id: int) -> ResultDelivery | None:
    """The dossier's postal delivery, if its result goes by post."""
    return session.scalar(select(ResultDelivery).where(ResultDelivery.dossier_id == dossier_id))


def fee() -> int:
    """What returning a result by post costs now (VND)."""
    return get_settings().postal_result_fee


def choose(
    session: Session,
    user: User,
    dossier: Dossier,
    method: str,
    *,
    recipient_name: str = "",
    phone: str = "",
    address: str = "",
) -> ResultDelivery | None:
    """The applicant's choice of how to get the result: ``online`` (download, or at the
    counter) or ``post`` with where to. All or nothing: a refusal changes nothing."""
    if dossier.applicant_id != user.id:
        raise Forbidden(N_("Bạn không có quyền với hồ sơ này."))
    if method not in METHODS:
        raise InvalidInput(BAD_METHOD, fields={"result_delivery": BAD_METHOD})
    if dossier.status not in EDITABLE:
        raise InvalidInput(NOT_EDITABLE, fields={"result_delivery": NOT_EDITABLE})
    row = get(session, dossier.id)
    if method == "online":
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    name, where = clean_line(recipient_name)[:200], clean_line(address)[:500]
    number = clean_phone(phone)
    errors: dict[str, str] = {}
    if len(where) < 10:
        errors["postal_address"] = NO_ADDRESS
    if not name:
        errors["postal_recipient"] = NO_RECIPIENT
    if not _PHONE.match(number):
        errors["postal_phone"] = BAD_PHONE
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)
    if row is None:
        row = ResultDelivery(dossier_id=dossier.id, recipient_name="", phone="", address="")
        session.add(row)
    row.recipient_name, row.phone, row.address = name, number, where
    row.fee = fee()
    row.updated_at = utcnow()
    session.flush()
    return row


def fee_lines(session: Session, dossier: Dossier) -> list[dict[str, Any]]:
    """The postal fee as a frozen fee line of the dossier (none when not by post or free)."""
    row = get(session, dossier.id)
    if row is None:
        return []
    row.fee = fee()
    if row.fee <= 0:
        return []
    return [fee_rules.line(fee_rules.FeeRule(name=FEE_NAME, amount=row.fee), None, None)]


def record_handover(
    session: Session, dossier: Dossier, user: User, tracking_number: str | None, now: datetime
) -> ResultDelivery | None:
    """Reception hands the result to the carrier: the tracking number is required for a
    postal dossier (and refused for another)."""
    row = get(session, dossier.id)
    typed = (tracking_number or "").strip()
    if row is None:
        if typed:
            raise InvalidInput(NOT_POSTAL, fields={"tracking_number": NOT_POSTAL})
        return None
    if not typed:
        raise InvalidInput(NEED_TRACKING, fields={"tracking_number": NEED_TRACKING})
    number = valid_tracking(typed)
    if number is None:
        raise InvalidInput(BAD_TRACKING, fields={"tracking_number": BAD_TRACKING})
    row.tracking_number = number
    row.handed_over_at = now
    row.handed_over_by_id = user.id
    row.updated_at = now
    return row


def count_received(
    session: Session, agency_ids: Iterable[int], start: datetime, end: datetime
) -> int:
    """Dossiers received by the agencies in [start, end) whose result goes by post."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ResultDelivery)
            .join(Dossier, Dossier.id == ResultDelivery.dossier_id)
            .where(
                Dossier.agency_id.in_(sorted(agency_ids)),
                Dossier.received_at >= start,
                Dossier.received_at < end,
            )
        )
        or 0
    )


def public_view(row: ResultDelivery | None) -> dict[str, Any] | None:
    """What anyone with the lookup secret may see: the channel and the tracking number, never
    the address or the phone."""
    if row is None:
        return None
    return {
        "method": "post",
        "tracking_number": row.tracking_number,
        "handed_over_at": row.handed_over_at,
    }
