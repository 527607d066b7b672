"""Demo data of the PAR index (app/par): the criteria set of the current and previous year for
departments and communes (40 scored criteria over the usual eight fields, the administrative
procedure ones filled from the portal), last year's round published (so a unit's trend shows)
and this year's round open, two departments having already submitted."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.par import criteria as criteria_rules
from app.par import results
from app.par import service as par_service
from app.par.models import Round
from app.stats.dates import local_today

A = "auto"
M = "manual"
S = "survey"

# (code, name, max points, method, figure, bands) — a group has no method.
CRITERIA: list[tuple[str, str, float, str | None, str, str]] = [
    ("1", "Công tác chỉ đạo, điều hành cải cách hành chính", 12, None, "", ""),
    ("1.1", "Kế hoạch cải cách hành chính năm", 3, None, "", ""),
    ("1.1.1", "Ban hành kế hoạch cải cách hành chính năm kịp thời", 1, M, "", ""),
    ("1.1.2", "Mức độ hoàn thành kế hoạch cải cách hành chính", 2, M, "", ""),
    ("1.2", "Báo cáo cải cách hành chính định kỳ đầy đủ, đúng hạn", 1, M, "", ""),
    ("1.3", "Kiểm tra công tác cải cách hành chính", 2, None, "", ""),
    ("1.3.1", "Tỷ lệ đơn vị trực thuộc được kiểm tra trong năm", 1, M, "", ""),
    ("1.3.2", "Xử lý các vấn đề phát hiện qua kiểm tra", 1, M, "", ""),
    ("1.4", "Tuyên truyền cải cách hành chính", 2, M, "", ""),
    ("1.5", "Sáng kiến, giải pháp mới trong cải cách hành chính", 2, M, "", ""),
    ("1.6", "Thực hiện nhiệm vụ Ủy ban nhân dân tỉnh giao", 2, M, "", ""),
    ("2", "Cải cách thể chế", 10, None, "", ""),
    ("2.1", "Tham mưu xây dựng, ban hành văn bản quy phạm pháp luật", 3, M, "", ""),
    ("2.2", "Rà soát, hệ thống hóa văn bản quy phạm pháp luật", 3, M, "", ""),
    ("2.3", "Theo dõi tình hình thi hành pháp luật", 2, M, "", ""),
    ("2.4", "Kiểm tra, xử lý văn bản quy phạm pháp luật", 2, M, "", ""),
    ("3", "Cải cách thủ tục hành chính", 22, None, "", ""),
    ("3.1", "Công bố, công khai thủ tục hành chính", 2, M, "", ""),
    ("3.2", "Kết quả giải quyết thủ tục hành chính", 8, None, "", ""),
    ("3.2.1", "Tỷ lệ hồ sơ giải quyết đúng hạn", 3, A, "on_time_rate", "98=3; 95=2; 90=1"),
    (
        "3.2.2",
        "Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia",
        2,
        A,
        "synchronised_rate",
        "95=2; 80=1",
    ),
    ("3.2.3", "Thực hiện xin lỗi tổ chức, cá nhân khi trễ hẹn", 1, M, "", ""),
    ("3.2.4", "Tỷ lệ hồ sơ được số hóa khi tiếp nhận", 2, A, "digitised_rate", "90=2; 70=1"),
    ("3.3", "Cung cấp dịch vụ công trực tuyến", 6, None, "", ""),
    ("3.3.1", "Tỷ lệ hồ sơ nộp trực tuyến", 3, A, "online_rate", "80=3; 60=2; 40=1"),
    ("3.3.2", "Tỷ lệ hồ sơ thanh toán trực tuyến", 3, A, "online_payment_rate", "70=3; 50=2; 30=1"),
    ("3.4", "Tiếp nhận, xử lý phản ánh, kiến nghị về thủ tục hành chính", 2, M, "", ""),
    ("3.5", "Rà soát, đơn giản hóa thủ tục hành chính", 4, None, "", ""),
    ("3.5.1", "Ban hành kế hoạch rà soát, đánh giá thủ tục hành chính", 1, M, "", ""),
    ("3.5.2", "Phương án đơn giản hóa được cấp có thẩm quyền thông qua", 3, M, "", ""),
    ("4", "Cải cách tổ chức bộ máy hành chính nhà nước", 8, None, "", ""),
    ("4.1", "Sắp xếp, kiện toàn tổ chức bộ máy theo quy định", 3, M, "", ""),
    ("4.2", "Quy định chức năng, nhiệm vụ, quy chế làm việc", 2, M, "", ""),
    ("4.3", "Thực hiện quy định về quản lý biên chế", 3, M, "", ""),
    ("5", "Cải cách chế độ công vụ", 10, None, "", ""),
    ("5.1", "Vị trí việc làm và cơ cấu ngạch công chức", 2, M, "", ""),
    ("5.2", "Tuyển dụng, bố trí, sử dụng công chức, viên chức", 2, M, "", ""),
    ("5.3", "Đánh giá, xếp loại chất lượng công chức, viên chức", 2, M, "", ""),
    ("5.4", "Đào tạo, bồi dưỡng công chức, viên chức", 2, M, "", ""),
    ("5.5", "Chấp hành kỷ luật, kỷ cương hành chính", 2, M, "", ""),
    ("6", "Cải cách tài chính công", 8, None, "", ""),
    ("6.1", "Tỷ lệ giải ngân kế hoạch vốn đầu tư công", 3, M, "", ""),
    ("6.2", "Quy chế chi tiêu nội bộ, thực hiện cơ chế tự chủ tài chính", 3, M, "", ""),
    ("6.3", "Quản lý, sử dụng tài sản công", 2, M, "", ""),
    ("7", "Xây dựng, phát triển chính quyền điện tử, chính quyền số", 12, None, "", ""),
    ("7.1", "Quản lý văn bản và gửi, nhận văn bản điện tử", 3, M, "", ""),
    ("7.2", "Sử dụng chữ ký số chuyên dùng", 2, M, "", ""),
    ("7.3", "Kết nối, chia sẻ dữ liệu; cung cấp dữ liệu mở", 2, M, "", ""),
    ("7.4", "Bảo đảm an toàn thông tin mạng", 2, M, "", ""),
    ("7.5", "Họp trực tuyến, ứng dụng công nghệ thông tin trong điều hành", 3, M, "", ""),
    ("8", "Tác động của cải cách hành chính đến người dân, tổ chức", 18, None, "", ""),
    (
        "8.1",
        "Mức độ hài lòng của người dân, tổ chức về giải quyết thủ tục hành chính",
        10,
        S,
        "",
        "",
    ),
    (
        "8.2",
        "Đánh giá của đại biểu Hội đồng nhân dân, lãnh đạo về cải cách hành chính",
        8,
        S,
        "",
        "",
    ),
]

TITLES = {
    "department": "Bộ tiêu chí chỉ số cải cách hành chính các sở, ban, ngành năm {year}",
    "commune": "Bộ tiêu chí chỉ số cải cách hành chính Ủy ban nhân dân xã, phường năm {year}",
}
SUBMITTED_IN_DEMO = ("lanhdao.xaydung@motcua.local", "lanhdao.taichinh@motcua.local")
ADMIN_EMAIL = "cchc.noivu@motcua.local"
COUNCIL_EMAIL = "hoidong.cchc@motcua.local"


def criteria_rows() -> list[dict[str, Any]]:
    """The demo set as the rows an XLSX import gives."""
    return [
        {
            "_row": i,
            "code": code,
            "name": name,
            "max_points": points,
            "method": method or "",
            "figure": figure,
            "bands": bands,
        }
        for i, (code, name, points, method, figure, bands) in enumerate(CRITERIA, start=2)
    ]


def share(key: str) -> float:
    """A stable pseudo-random share from 0.6 to 1 (the demo's self-assessed scores)."""
    digest = hashlib.sha256(key.encode()).digest()
    return 0.6 + 0.4 * digest[0] / 255


def demo_points(key: str, maximum: float) -> float:
    """Points in steps of 0.25, from 60% of the maximum up."""
    return round(round(maximum * share(key) * 4) / 4, 2)


def _seed_sets(session: Session, year: int) -> int:
    added = 0
    for unit_type, title in TITLES.items():
        if par_service.latest_set(session, year, unit_type) is None:
            roots = criteria_rules.check_tree(criteria_rows())
            par_service.store_set(session, year, unit_type, title.format(year=year), roots)
            added += 1
    return added


def _fill(session: Session, round_: Round, unit: Any) -> None:
    scores = par_service.scores_of(session, unit)
    for criterion in par_service.leaves(unit.criteria_set):
        score = scores[criterion.id]
        key = f"{round_.year}-{unit.agency.code}-{criterion.code}"
        if criterion.method in ("manual", "survey"):
            score.score = demo_points(key, criterion.max_points)
            if criterion.method == "manual":
                score.note = "Báo cáo kết quả thực hiện, văn bản kèm theo lưu tại đơn vị."
    session.flush()


def refill_demo_submissions(session: Session) -> None:
    """Compute again the automatic criteria of this year's demo submissions, made while the
    seed ran, so that they read the demo history seeded after them (demo seeding only)."""
    current = session.scalar(select(Round).where(Round.year == local_today().year))
    if current is None or current.status != "open":
        return
    for unit in current.units:
        if unit.status == "submitted":
            par_service.fill_auto(session, unit)


def seed_par(session: Session) -> dict[str, int]:
    """Last year's published round and this year's open one; nothing added twice."""
    admin = account_service.get_user_by_email(session, ADMIN_EMAIL)
    if admin is None:
        return {"par_sets": 0, "par_rounds": 0}
    today = local_today()
    this_year = today.year
    sets = _seed_sets(session, this_year - 1) + _seed_sets(session, this_year)
    added_rounds = 0
    last = session.scalar(select(Round).where(Round.year == this_year - 1))
    if last is None:
        last = par_service.open_round(session, admin, this_year - 1, today)
        for unit in last.units:
            _fill(session, last, unit)
            unit.status = "submitted"
        par_service.close_self_assessment(session, admin, this_year - 1)
        results.approve(
            session,
            admin,
            this_year - 1,
            f"Quyết định số 215/QĐ-UBND ngày 20/01/{this_year} của Ủy ban nhân dân tỉnh",
        )
        results.publish(session, admin, this_year - 1)
        added_rounds += 1
    if session.scalar(select(Round).where(Round.year == this_year)) is None:
        current = par_service.open_round(
            session, admin, this_year, max(today + timedelta(days=30), today.replace(day=28))
        )
        for email in SUBMITTED_IN_DEMO:
            leader = account_service.get_user_by_email(session, email)
            if leader is None:
                continue
            unit = par_service.my_unit(session, leader, this_year)
            scores = par_service.scores_of(session, unit)
            values = {
                c.id: (
                    demo_points(f"{this_year}-{unit.agency.code}-{c.code}", c.max_points),
                    "Báo cáo kết quả thực hiện năm kèm văn bản chứng minh.",
                )
                for c in par_service.leaves(unit.criteria_set)
                if c.method == "manual" and scores[c.id].score is None
            }
            par_service.self_assess(session, leader, this_year, values)
            par_service.submit(session, leader, this_year)
        added_rounds += 1 if current else 0
    return {"par_sets": sets, "par_rounds": added_rounds}
