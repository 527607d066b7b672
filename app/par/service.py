"""The PAR round (SPEC §13): criteria sets, opening, self-assessment with evidence, automatic
criteria frozen at submission, the council's adjustments, closing, approval and publication.

Who does what (docs/decisions/0033): ``par_admin`` (officers of the Department of Home
Affairs) keeps the criteria sets and runs the round; ``par_council`` (the appraisal council)
adjusts scores with a reason; a unit's ``leader`` self-assesses and submits their own unit.
Before publication only these see scores (a leader only their unit's); a published year is
public and never changes. Every step is written to the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies.models import Agency
from app.audit import service as audit
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from app.i18n_markers import N_
from app.par import criteria as criteria_rules
from app.par import figures
from app.par.models import (
    ROUND_STATUSES,
    UNIT_TYPES,
    CriteriaSet,
    Criterion,
    Evidence,
    Round,
    RoundUnit,
    Score,
)
from app.stats.dates import local_today
from app.storage import service as storage

ADMIN_ROLE = "par_admin"
COUNCIL_ROLE = "par_council"
LEADER_ROLE = "leader"
EVIDENCE_TYPES = ["pdf", "jpg", "png", "docx"]
EVIDENCE_MAX_MB = 10
MAX_YEAR = 2100
MIN_YEAR = 2015
UNIT_TYPE_OF_LEVEL = {"department": "department", "commune": "commune"}

ROUND_NOT_FOUND = N_("Chưa có kỳ đánh giá chỉ số cải cách hành chính của năm này.")
UNIT_NOT_FOUND = N_("Đơn vị không tham gia kỳ đánh giá này.")
NOT_PUBLISHED = N_("Kết quả chỉ số cải cách hành chính của năm này chưa được công bố.")
PUBLISHED_FROZEN = N_("Kết quả đã công bố không thể thay đổi.")
UNIT_TYPE_LABELS = {"department": N_("Sở, ban, ngành"), "commune": N_("Xã, phường")}
ROUND_STATUS_LABELS = {
    "open": N_("Đang tự đánh giá"),
    "appraisal": N_("Đang thẩm định"),
    "approved": N_("Đã phê duyệt"),
    "published": N_("Đã công bố"),
}
UNIT_STATUS_LABELS = {
    "draft": N_("Chưa nộp"),
    "submitted": N_("Đã nộp"),
    "not_submitted": N_("Không nộp đúng hạn"),
}
METHOD_LABELS = {
    "manual": N_("Tự chấm, có tài liệu kiểm chứng"),
    "auto": N_("Tự động từ số liệu của cổng"),
    "survey": N_("Điều tra xã hội học"),
}


# --- who may do what --------------------------------------------------------------------------


def is_par_admin(user: User | None) -> bool:
    return user is not None and user.is_active and user.has_role(ADMIN_ROLE)


def is_council(user: User | None) -> bool:
    return user is not None and user.is_active and user.has_role(COUNCIL_ROLE)


def sees_unpublished(user: User | None) -> bool:
    """The Department of Home Affairs and the council see every unit before publication."""
    return is_par_admin(user) or is_council(user)


def leads(user: User | None, unit: RoundUnit) -> bool:
    return (
        user is not None
        and user.is_active
        and user.has_role(LEADER_ROLE)
        and user.agency_id == unit.agency_id
    )


def _require(allowed: bool, user: User | None) -> None:
    if user is None:
        raise Unauthorized(N_("Vui lòng đăng nhập."))
    if not allowed:
        raise Forbidden(N_("Bạn không có quyền thực hiện thao tác này."))


def require_par_admin(user: User | None) -> User:
    _require(is_par_admin(user), user)
    assert user is not None
    return user


def require_council(user: User | None) -> User:
    _require(is_council(user), user)
    assert user is not None
    return user


def require_par_staff(user: User | None) -> User:
    _require(sees_unpublished(user), user)
    assert user is not None
    return user


def check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(N_("Năm không hợp lệ."), fields={"year": f"{MIN_YEAR}–{MAX_YEAR}"})
    return year


# --- criteria sets ------------------------------------------------------------------------------


def criteria_sets(session: Session) -> list[CriteriaSet]:
    stmt = select(CriteriaSet).order_by(
        CriteriaSet.year.desc(), CriteriaSet.unit_type, CriteriaSet.version.desc()
    )
    return list(session.scalars(stmt))


def get_set(session: Session, set_id: int) -> CriteriaSet:
    row = session.get(CriteriaSet, set_id)
    if row is None:
        raise NotFound(N_("Không tìm thấy bộ tiêu chí."))
    return row


def latest_set(session: Session, year: int, unit_type: str) -> CriteriaSet | None:
    return session.scalar(
        select(CriteriaSet)
        .where(CriteriaSet.year == year, CriteriaSet.unit_type == unit_type)
        .order_by(CriteriaSet.version.desc())
        .limit(1)
    )


def store_set(
    session: Session,
    year: int,
    unit_type: str,
    title: str,
    roots: list[criteria_rules.Node],
    user: User | None = None,
) -> CriteriaSet:
    """A checked tree stored as the next version of the year's set for the unit type."""
    if unit_type not in UNIT_TYPES:
        raise InvalidInput(N_("Loại đơn vị không hợp lệ."), fields={"unit_type": "unknown"})
    check_year(year)
    version = (
        session.scalar(
            select(func.max(CriteriaSet.version)).where(
                CriteriaSet.year == year, CriteriaSet.unit_type == unit_type
            )
        )
        or 0
    ) + 1
    row = CriteriaSet(
        year=year,
        unit_type=unit_type,
        version=version,
        title=title[:300],
        max_points=round(sum(r.max_points for r in roots), 2),
        created_by_id=user.id if user else None,
    )
    for position, node in enumerate(criteria_rules.flatten(roots)):
        row.criteria.append(
            Criterion(
                code=node.code,
                parent_code=node.parent_code,
                position=position,
                name=node.name,
                max_points=node.max_points,
                method=None if node.children else node.method,
                rule=node.rule,
            )
        )
    session.add(row)
    session.flush()
    return row


def import_set(
    session: Session, user: User | None, year: int, unit_type: str, title: str, data: bytes
) -> CriteriaSet:
    """Import the year's criteria for a unit type from XLSX as a new version."""
    user = require_par_admin(user)
    if unit_type not in UNIT_TYPES:
        raise InvalidInput(N_("Loại đơn vị không hợp lệ."), fields={"unit_type": "unknown"})
    check_year(year)
    if not data:
        raise InvalidInput(N_("Chưa chọn tệp bộ tiêu chí."), fields={"file": "empty"})
    roots = criteria_rules.parse_xlsx(data)
    label = title.strip() or f"Bộ tiêu chí {year}"
    row = store_set(session, year, unit_type, label, roots, user)
    audit.record(
        session,
        "par.criteria_imported",
        actor=user,
        object_type="par_criteria_set",
        object_id=row.id,
        details={"year": year, "unit_type": unit_type, "version": row.version},
    )
    return row


def export_set(session: Session, user: User | None, set_id: int) -> tuple[CriteriaSet, bytes]:
    require_par_staff(user)
    row = get_set(session, set_id)
    rows = [(c.code, c.name, c.max_points, c.method, c.rule) for c in row.criteria]
    return row, criteria_rules.to_xlsx(rows)


def leaves(criteria_set: CriteriaSet) -> list[Criterion]:
    return [c for c in criteria_set.criteria if c.method is not None]


# --- the round ------------------------------------------------------------------------------------


def rounds(session: Session, year: int | None = None, status: str | None = None) -> list[Round]:
    stmt = select(Round).order_by(Round.year.desc())
    if year is not None:
        stmt = stmt.where(Round.year == year)
    if status is not None:
        if status not in ROUND_STATUSES:
            raise InvalidInput(
                N_("Trạng thái không hợp lệ."), fields={"status": ", ".join(ROUND_STATUSES)}
            )
        stmt = stmt.where(Round.status == status)
    return list(session.scalars(stmt))


def get_round(session: Session, year: int) -> Round:
    row = session.scalar(select(Round).where(Round.year == year))
    if row is None:
        raise NotFound(ROUND_NOT_FOUND)
    return row


def get_unit(session: Session, round_: Round, agency_code: str) -> RoundUnit:
    for unit in round_.units:
        if unit.agency.code == agency_code:
            return unit
    raise NotFound(UNIT_NOT_FOUND)


def open_round(
    session: Session, user: User | None, year: int, deadline: date, now: datetime | None = None
) -> Round:
    """Open the year's round for every department and commune, each bound to the latest
    version of its criteria set."""
    user = require_par_admin(user)
    check_year(year)
    if deadline < local_today(now):
        raise InvalidInput(N_("Hạn tự đánh giá đã qua."), fields={"deadline": "past"})
    if session.scalar(select(Round.id).where(Round.year == year)) is not None:
        raise Conflict(N_("Kỳ đánh giá của năm này đã được mở."))
    agencies = list(
        session.scalars(
            select(Agency).where(Agency.level.in_(UNIT_TYPE_OF_LEVEL)).order_by(Agency.code)
        )
    )
    sets: dict[str, CriteriaSet] = {}
    for unit_type in {UNIT_TYPE_OF_LEVEL[a.level] for a in agencies}:
        found = latest_set(session, year, unit_type)
        if found is None:
            raise InvalidInput(
                N_("Chưa có bộ tiêu chí của năm này cho loại đơn vị: {kind}.").format(
                    kind=UNIT_TYPE_LABELS[unit_type]
                ),
                fields={"year": f"no criteria set for {unit_type}"},
            )
        sets[unit_type] = found
    row = Round(year=year, status="open", deadline=deadline, opened_by_id=user.id)
    session.add(row)
    session.flush()
    for agency in agencies:
        add_unit(session, row, agency, sets[UNIT_TYPE_OF_LEVEL[agency.level]])
    audit.record(
        session,
        "par.round_opened",
        actor=user,
        object_type="par_round",
        object_id=year,
        details={"deadline": deadline.isoformat(), "units": len(agencies)},
    )
    return row


def add_unit(session: Session, round_: Round, agency: Agency, cset: CriteriaSet) -> RoundUnit:
    unit = RoundUnit(
        round_id=round_.id, agency_id=agency.id, unit_type=cset.unit_type, set_id=cset.id
    )
    session.add(unit)
    session.flush()
    for criterion in leaves(cset):
        session.add(Score(unit_id=unit.id, criterion_id=criterion.id))
    session.flush()
    session.refresh(round_)
    return unit


def scores_of(session: Session, unit: RoundUnit) -> dict[int, Score]:
    """The unit's scores by criterion id."""
    rows = session.scalars(select(Score).where(Score.unit_id == unit.id))
    return {s.criterion_id: s for s in rows}


def evidence_of(session: Session, unit: RoundUnit) -> dict[int, list[Evidence]]:
    out: dict[int, list[Evidence]] = {}
    stmt = select(Evidence).where(Evidence.unit_id == unit.id).order_by(Evidence.id)
    for row in session.scalars(stmt):
        out.setdefault(row.criterion_id, []).append(row)
    return out


def check_not_frozen(round_: Round) -> None:
    if round_.status in ("approved", "published"):
        raise Conflict(
            PUBLISHED_FROZEN
            if round_.status == "published"
            else N_("Kết quả đã được phê duyệt, không thể thay đổi.")
        )


# --- the unit's self-assessment ---------------------------------------------------------------


def my_unit(session: Session, user: User | None, year: int) -> RoundUnit:
    """The unit the caller leads in the year's round."""
    if user is None:
        raise Unauthorized(N_("Vui lòng đăng nhập."))
    round_ = get_round(session, year)
    for unit in round_.units:
        if leads(user, unit):
            return unit
    raise Forbidden(N_("Chỉ lãnh đạo đơn vị được đánh giá mới tự đánh giá."))


def _editable(unit: RoundUnit, now: datetime | None) -> None:
    if unit.round.status != "open":
        check_not_frozen(unit.round)
        raise Conflict(N_("Kỳ tự đánh giá đã kết thúc."))
    if unit.status != "draft":
        raise Conflict(N_("Đơn vị đã nộp kết quả tự đánh giá."))
    if local_today(now) > unit.round.deadline:
        raise Conflict(N_("Đã quá hạn tự đánh giá."))


def _points(value: str | float | None, criterion: Criterion, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        points = float(str(value).strip().replace(",", "."))
    except ValueError:
        points = -1.0
    if not 0 <= points <= criterion.max_points or points != points:
        raise InvalidInput(
            N_("Điểm của tiêu chí {code} phải từ 0 đến {max}.").format(
                code=criterion.code, max=criteria_rules.points_text(criterion.max_points)
            ),
            fields={name: f"0–{criterion.max_points}"},
        )
    return round(points, 2)


def self_assess(
    session: Session,
    user: User | None,
    year: int,
    values: Mapping[int, tuple[str | float | None, str]],
    now: datetime | None = None,
) -> RoundUnit:
    """Save the leader's scores and explanations of manual criteria (by criterion id)."""
    unit = my_unit(session, user, year)
    _editable(unit, now)
    by_id = {c.id: c for c in leaves(unit.criteria_set)}
    scores = scores_of(session, unit)
    changed: list[str] = []
    pending: list[tuple[Score, float | None, str]] = []
    for criterion_id, (raw, note) in values.items():
        criterion = by_id.get(criterion_id)
        if criterion is None or criterion.method != "manual":
            raise InvalidInput(N_("Tiêu chí không tự chấm được."), fields={"criterion": "manual"})
        pending.append(
            (scores[criterion_id], _points(raw, criterion, f"score_{criterion_id}"), note)
        )
    for score, points, note in pending:
        if score.score != points or score.note != note.strip():
            changed.append(by_id[score.criterion_id].code)
        score.score = points
        score.note = note.strip()[:4000]
    session.flush()
    if changed:
        audit.record(
            session,
            "par.self_assessed",
            actor=user,
            object_type="par_unit",
            object_id=unit.id,
            details={"year": year, "agency": unit.agency.code, "criteria": changed[:100]},
        )
    return unit


def add_evidence(
    session: Session,
    user: User | None,
    year: int,
    criterion_id: int,
    data: bytes,
    filename: str,
    now: datetime | None = None,
) -> Evidence:
    """Attach a document to one of the unit's manual criteria (checked like any upload)."""
    unit = my_unit(session, user, year)
    _editable(unit, now)
    criterion = next((c for c in leaves(unit.criteria_set) if c.id == criterion_id), None)
    if criterion is None or criterion.method != "manual":
        raise InvalidInput(N_("Tiêu chí không tự chấm được."), fields={"criterion": "manual"})
    stored = storage.check_upload(data, filename, EVIDENCE_TYPES, EVIDENCE_MAX_MB)
    row = Evidence(
        unit_id=unit.id,
        criterion_id=criterion.id,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=user.id if user else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "par.evidence_added",
        actor=user,
        object_type="par_unit",
        object_id=unit.id,
        details={"criterion": criterion.code, "sha256": stored.sha256},
    )
    return row


def evidence_file(session: Session, user: User | None, evidence_id: int) -> tuple[Evidence, bytes]:
    """An evidence document: for the council, the Department and the unit's leader."""
    row = session.get(Evidence, evidence_id)
    unit = session.get(RoundUnit, row.unit_id) if row else None
    if row is None or unit is None or not (sees_unpublished(user) or leads(user, unit)):
        if user is None:
            raise Unauthorized(N_("Vui lòng đăng nhập."))
        raise NotFound(N_("Không tìm thấy tài liệu kiểm chứng."))
    return row, storage.read_bytes(row.sha256)


def period_of(year: int, now: datetime | None = None) -> tuple[date, date]:
    """The year assessed: 1 January to 31 December, or to today while the year runs."""
    end = min(date(year, 12, 31), local_today(now))
    return date(year, 1, 1), max(end, date(year, 1, 1))


def fill_auto(session: Session, unit: RoundUnit, now: datetime | None = None) -> None:
    """Compute the unit's automatic criteria and freeze the figures used: recomputing later
    never changes them."""
    scores = scores_of(session, unit)
    start, end = period_of(unit.round.year, now)
    subtree = sorted(account_service.agency_subtree_ids(session, unit.agency_id))
    at = (now or utcnow()).isoformat()
    for criterion in leaves(unit.criteria_set):
        if criterion.method != "auto" or not criterion.rule:
            continue
        name = criterion.rule["figure"]
        value = figures.measure(session, name, subtree, start, end)
        score = scores[criterion.id]
        score.score = criteria_rules.band_points(criterion.rule["bands"], value.rate)
        score.snapshot = {
            "figure": name,
            "rate": value.rate,
            "numerator": value.numerator,
            "denominator": value.denominator,
            "period_from": start.isoformat(),
            "period_to": end.isoformat(),
            "computed_at": at,
            "bands": criterion.rule["bands"],
        }
    session.flush()


def submit(
    session: Session, user: User | None, year: int, now: datetime | None = None
) -> RoundUnit:
    """Submit the self-assessment: every manual criterion scored, points backed by evidence;
    the automatic criteria are filled and frozen now."""
    unit = my_unit(session, user, year)
    _editable(unit, now)
    scores = scores_of(session, unit)
    evidence = evidence_of(session, unit)
    missing: list[str] = []
    unsupported: list[str] = []
    first: dict[str, int] = {}
    for criterion in leaves(unit.criteria_set):
        if criterion.method != "manual":
            continue
        score = scores[criterion.id]
        if score.score is None:
            missing.append(criterion.code)
            first.setdefault("missing", criterion.id)
        elif score.score > 0 and not score.note and not evidence.get(criterion.id):
            unsupported.append(criterion.code)
            first.setdefault("unsupported", criterion.id)
    if missing:
        raise InvalidInput(
            N_("Chưa chấm điểm các tiêu chí: {codes}.").format(codes=", ".join(missing)),
            fields={f"score_{first['missing']}": ", ".join(missing)},
        )
    if unsupported:
        raise InvalidInput(
            N_("Các tiêu chí có điểm cần tài liệu kiểm chứng hoặc giải trình: {codes}.").format(
                codes=", ".join(unsupported)
            ),
            fields={f"score_{first['unsupported']}": ", ".join(unsupported)},
        )
    fill_auto(session, unit, now)
    unit.status = "submitted"
    unit.submitted_at = now or utcnow()
    unit.submitted_by_id = user.id if user else None
    session.flush()
    audit.record(
        session,
        "par.submitted",
        actor=user,
        object_type="par_unit",
        object_id=unit.id,
        details={"year": year, "agency": unit.agency.code},
    )
    return unit


# --- the Department and the council --------------------------------------------------------------


def close_self_assessment(
    session: Session, user: User | None, year: int, now: datetime | None = None
) -> Round:
    """End self-assessment: units that did not submit are marked, their automatic criteria
    filled and their missing manual scores counted as 0."""
    user = require_par_admin(user)
    round_ = get_round(session, year)
    if round_.status != "open":
        check_not_frozen(round_)
        raise Conflict(N_("Kỳ tự đánh giá đã kết thúc."))
    late = []
    for unit in round_.units:
        if unit.status == "draft":
            fill_auto(session, unit, now)
            unit.status = "not_submitted"
            late.append(unit.agency.code)
    round_.status = "appraisal"
    session.flush()
    audit.record(
        session,
        "par.self_assessment_closed",
        actor=user,
        object_type="par_round",
        object_id=year,
        details={"not_submitted": late},
    )
    return round_


def adjust(
    session: Session,
    user: User | None,
    year: int,
    agency_code: str,
    criterion_id: int,
    value: str | float | None,
    reason: str,
    now: datetime | None = None,
) -> Score:
    """The council's score for a criterion, replacing the unit's, with its reason."""
    user = require_council(user)
    round_ = get_round(session, year)
    check_not_frozen(round_)
    unit = get_unit(session, round_, agency_code)
    if unit.status == "draft":
        raise Conflict(N_("Đơn vị chưa nộp kết quả tự đánh giá."))
    criterion = next((c for c in leaves(unit.criteria_set) if c.id == criterion_id), None)
    if criterion is None:
        raise InvalidInput(N_("Không tìm thấy tiêu chí."), fields={"criterion": "unknown"})
    points = _points(value, criterion, "score")
    if points is None:
        raise InvalidInput(N_("Nhập điểm thẩm định."), fields={"score": "required"})
    reason = reason.strip()
    if not reason:
        raise InvalidInput(N_("Nhập lý do điều chỉnh điểm."), fields={"reason": "required"})
    score = scores_of(session, unit)[criterion.id]
    before = score.final
    score.adjusted_score = points
    score.adjust_reason = reason[:2000]
    score.adjusted_by_id = user.id
    score.adjusted_at = now or utcnow()
    session.flush()
    audit.record(
        session,
        "par.score_adjusted",
        actor=user,
        object_type="par_unit",
        object_id=unit.id,
        details={
            "year": year,
            "agency": agency_code,
            "criterion": criterion.code,
            "from": before,
            "to": points,
            "reason": reason[:500],
        },
    )
    return score
