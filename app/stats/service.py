"""Service indicators after Decision 766/QĐ-TTg (SPEC §7), the ranking of agencies and the
leader's dashboard. See docs/decisions/0008-indicators.md for every rule and its source.

Everything is counted in SQL (GROUP BY with conditional sums); no dossier is loaded into
Python. Counts are kept per receiving agency and are additive, so an agency's figures are the
sums over its subtree: a province includes its departments, districts and communes.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select, text
from sqlalchemy.orm import Session, aliased

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.calendar.models import RuleSetting
from app.catalog.models import (
    Component,
    FeeItem,
    ProcedureAgency,
    ProcedureVersion,
    ProcessStep,
)
from app.config import get_settings
from app.db import utcnow
from app.documents.models import Document
from app.dossiers.models import UNFINISHED_PREDICATE, Dossier, DossierFile, StepRun
from app.errors import Forbidden, InvalidInput
from app.i18n_markers import N_
from app.payments.models import ONLINE_METHODS, Payment
from app.ratings.models import Rating
from app.stats import schemas, tallies
from app.stats.models import COUNTER_NAMES, DailyTally
from app.stats.tallies import finished_condition, finished_moment

log = logging.getLogger(__name__)

# --- the groups and figures of Decision 766 --------------------------------------------------

GROUP_LABELS: dict[str, str] = {
    "transparency": N_("Công khai, minh bạch"),
    "timeliness": N_("Tiến độ, kết quả giải quyết"),
    "online_service": N_("Cung cấp dịch vụ trực tuyến"),
    "digitisation": N_("Số hóa hồ sơ"),
    "satisfaction": N_("Mức độ hài lòng"),
}


@dataclass(frozen=True)
class FigureSpec:
    key: str
    group: str
    max_points: float
    label: str
    formula: str


# Points per figure; the groups add up to 18 + 20 + 22 + 22 + 18 = 100 (SPEC §7).
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "published_rate",
        "transparency",
        12,
        N_("Thủ tục hành chính công bố, công khai đầy đủ"),
        N_(
            "Số TTHC có phiên bản đã công bố trước cuối kỳ với đủ thành phần hồ sơ, phí/lệ phí, "
            "biểu mẫu khai, căn cứ pháp lý và quy trình ÷ Tổng số TTHC cơ quan thực hiện "
            "(tính theo từng cặp cơ quan – thủ tục) × 100%"
        ),
    ),
    FigureSpec(
        "synchronised_rate",
        "transparency",
        6,
        N_("Hồ sơ sẵn sàng đồng bộ lên Cổng Dịch vụ công quốc gia"),
        N_(
            "Số hồ sơ có mã hồ sơ và mã trạng thái theo chuẩn Cổng Dịch vụ công quốc gia ÷ "
            "Tổng số hồ sơ tiếp nhận trong kỳ × 100%. Hệ thống chưa kết nối đồng bộ với "
            "Cổng Dịch vụ công quốc gia: chỉ số đo hồ sơ sẵn sàng đồng bộ."
        ),
    ),
    FigureSpec(
        "on_time_rate",
        "timeliness",
        20,
        N_("Hồ sơ giải quyết đúng hạn"),
        N_(
            "Số hồ sơ có kết quả trước hoặc đúng ngày hẹn trả ban đầu (không tính thời gian chờ "
            "bổ sung; hồ sơ yêu cầu bổ sung quá 1 lần hoặc phải gia hạn tính là quá hạn) ÷ "
            "(Số hồ sơ đã có kết quả + Số hồ sơ chưa có kết quả đã quá hạn) × 100%"
        ),
    ),
    FigureSpec(
        "online_rate",
        "online_service",
        8,
        N_("Hồ sơ nộp trực tuyến"),
        N_(
            "Số hồ sơ nộp trực tuyến ÷ Tổng số hồ sơ của các TTHC có cung cấp dịch vụ công "
            "trực tuyến (toàn trình hoặc một phần) × 100%"
        ),
    ),
    FigureSpec(
        "full_online_rate",
        "online_service",
        7,
        N_("Hồ sơ trực tuyến của TTHC trực tuyến toàn trình"),
        N_(
            "Số hồ sơ nộp trực tuyến của các TTHC trực tuyến toàn trình ÷ Tổng số hồ sơ của "
            "các TTHC trực tuyến toàn trình × 100%"
        ),
    ),
    FigureSpec(
        "online_payment_rate",
        "online_service",
        7,
        N_("Thanh toán trực tuyến"),
        N_(
            "Số giao dịch thanh toán phí, lệ phí trực tuyến thành công ÷ Tổng số giao dịch "
            "thanh toán phí, lệ phí thành công (của hồ sơ tiếp nhận trong kỳ) × 100%"
        ),
    ),
    FigureSpec(
        "digitised_rate",
        "digitisation",
        11,
        N_("Hồ sơ được số hóa"),
        N_(
            "Số hồ sơ có mọi thành phần hồ sơ ở dạng điện tử (nộp trực tuyến, hoặc được số hóa "
            "khi tiếp nhận trực tiếp) ÷ Tổng số hồ sơ tiếp nhận × 100%"
        ),
    ),
    FigureSpec(
        "electronic_result_rate",
        "digitisation",
        11,
        N_("Kết quả giải quyết điện tử"),
        N_("Số hồ sơ đã trả kết quả có kết quả điện tử ÷ Tổng số hồ sơ đã trả kết quả × 100%"),
    ),
    FigureSpec(
        "satisfaction_rate",
        "satisfaction",
        18,
        N_("Mức độ hài lòng"),
        N_(
            "100% − (Tỷ lệ hồ sơ quá hạn + Tỷ lệ hồ sơ bị phản ánh, kiến nghị hoặc đánh giá "
            "không hài lòng (1–2 sao)), trên số hồ sơ đã có kết quả hoặc đã quá hạn; "
            "không nhỏ hơn 0"
        ),
    ),
)
FIGURE_BY_KEY = {f.key: f for f in FIGURES}
# The timeliness formula when an approved extension is measured against the new date.
ON_TIME_FORMULA_EXTENDED = N_(
    "Số hồ sơ có kết quả trước hoặc đúng ngày hẹn trả (ngày hẹn mới nếu đã gia hạn; không "
    "tính thời gian chờ bổ sung; hồ sơ yêu cầu bổ sung quá 1 lần tính là quá hạn) ÷ "
    "(Số hồ sơ đã có kết quả + Số hồ sơ chưa có kết quả đã quá hạn) × 100%"
)
POINTS_RULE = N_("Điểm = Điểm tối đa × min(1; Tỷ lệ ÷ Ngưỡng đạt điểm tối đa)")
LEVEL_LABELS = {
    "province": N_("Cấp tỉnh"),
    "center": N_("Trung tâm Phục vụ hành chính công"),
    "department": N_("Sở, ban, ngành"),
    "district": N_("Cấp huyện (dữ liệu cũ)"),
    "commune": N_("Cấp xã"),
}

# --- settings ----------------------------------------------------------------------------------

# Defaults; rows of rule_settings with the same key override them (docs/decisions/0008).
DEFAULT_SETTINGS: dict[str, Any] = {
    # Rate (percent) that earns a figure's full points; points grow linearly up to it.
    "indicator_threshold_published_rate": 100,
    "indicator_threshold_synchronised_rate": 100,
    "indicator_threshold_on_time_rate": 100,
    "indicator_threshold_online_rate": 50,
    "indicator_threshold_full_online_rate": 80,
    "indicator_threshold_online_payment_rate": 50,
    "indicator_threshold_digitised_rate": 80,
    "indicator_threshold_electronic_result_rate": 80,
    "indicator_threshold_satisfaction_rate": 100,
    # SPEC §5: more than this many supplement requests makes a dossier late.
    "indicator_max_supplements": 1,
    # An extended dossier (apology, form 04) is late against its first appointment unless set.
    "indicator_extension_counts_on_time": False,
    # A rating at or below this score is negative (scale 1–5).
    "indicator_negative_score_max": 2,
}
THRESHOLD_PREFIX = "indicator_threshold_"


@dataclass(frozen=True)
class IndicatorSettings:
    thresholds: Mapping[str, float]
    max_supplements: int
    extension_counts_on_time: bool
    negative_score_max: int


def _check_setting(key: str, value: Any) -> Any:
    if key not in DEFAULT_SETTINGS:
        raise InvalidInput(N_("Không có thiết lập này."), fields={key: "unknown setting"})
    if key == "indicator_extension_counts_on_time":
        if not isinstance(value, bool):
            raise InvalidInput(N_("Giá trị thiết lập không hợp lệ."), fields={key: "true|false"})
        return value
    number_ok = (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    )
    if key.startswith(THRESHOLD_PREFIX):
        if not number_ok or not 0 < value <= 100:
            raise InvalidInput(N_("Giá trị thiết lập không hợp lệ."), fields={key: "0 < x ≤ 100"})
        return float(value)
    low, high = (0, 20) if key == "indicator_max_supplements" else (1, 4)
    if not number_ok or not float(value).is_integer() or not low <= value <= high:
        raise InvalidInput(
            N_("Giá trị thiết lập không hợp lệ."), fields={key: f"integer {low}–{high}"}
        )
    return int(value)


def indicator_settings(session: Session) -> IndicatorSettings:
    """The defaults overridden by ``indicator_*`` rows of rule_settings (bad rows ignored)."""
    values = {k: _check_setting(k, v) for k, v in DEFAULT_SETTINGS.items()}
    for row in session.scalars(
        select(RuleSetting).where(RuleSetting.key.in_(list(DEFAULT_SETTINGS)))
    ):
        try:
            values[row.key] = _check_setting(row.key, row.value)
        except InvalidInput:
            log.warning("ignoring invalid indicator setting %s=%r", row.key, row.value)
    return IndicatorSettings(
        thresholds={f.key: values[THRESHOLD_PREFIX + f.key] for f in FIGURES},
        max_supplements=values["indicator_max_supplements"],
        extension_counts_on_time=values["indicator_extension_counts_on_time"],
        negative_score_max=values["indicator_negative_score_max"],
    )


def set_indicator_setting(session: Session, key: str, value: Any) -> None:
    """Store one ``indicator_*`` setting after checking it."""
    checked = _check_setting(key, value)
    row = session.scalar(select(RuleSetting).where(RuleSetting.key == key))
    if row is None:
        session.add(RuleSetting(key=key, value=checked))
    else:
        row.value = checked
        row.updated_at = utcnow()
    session.flush()


# --- period ------------------------------------------------------------------------------------

MAX_PERIOD_DAYS = 366
MIN_YEAR, MAX_YEAR = 2000, 2100


def tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(tz()).date()


def default_period(now: datetime | None = None) -> tuple[date, date]:
    """The current year up to today."""
    today = local_today(now)
    return today.replace(month=1, day=1), today


def parse_day(value: str, name: str) -> date:
    """A ``YYYY-MM-DD`` date between 2000 and 2100; InvalidInput naming the field otherwise."""
    text = (value or "").strip()
    try:
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            N_("Ngày không hợp lệ, nhập theo dạng YYYY-MM-DD."), fields={name: "YYYY-MM-DD"}
        ) from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidInput(
            N_("Ngày nằm ngoài khoảng cho phép (2000–2100)."), fields={name: "2000–2100"}
        )
    return day


def parse_period(date_from: str | None, date_to: str | None) -> tuple[date, date]:
    """The period of the query string. Nothing given: the current year up to today; only
    ``to``: from the first of January of its year; only ``from``: up to today (at most a year).
    """
    first, last = default_period()
    end = parse_day(date_to, "to") if date_to else None
    if date_from:
        start = parse_day(date_from, "from")
    else:
        start = end.replace(month=1, day=1) if end else first
    if end is None:
        end = min(max(last, start), start + timedelta(days=MAX_PERIOD_DAYS - 1))
    if end < start:
        raise InvalidInput(
            N_("Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."), fields={"to": "before from"}
        )
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(
            N_("Kỳ thống kê dài tối đa 366 ngày."), fields={"to": f"at most {MAX_PERIOD_DAYS} days"}
        )
    return start, end


def bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the local days from ``date_from`` to ``date_to`` included."""
    zone = tz()
    start = datetime.combine(date_from, time(0), zone)
    end = datetime.combine(date_to + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


# --- raw counts per agency ----------------------------------------------------------------------


@dataclass
class RawCounts:
    """Additive counts of one agency (or, once summed, of a subtree)."""

    received: int = 0
    synchronised: int = 0
    online: int = 0
    finished: int = 0
    on_time: int = 0
    overdue_open: int = 0
    extended: int = 0
    multi_supplement: int = 0
    eligible: int = 0
    eligible_online: int = 0
    full_total: int = 0
    full_online: int = 0
    completed: int = 0
    unhappy: int = 0
    ratings: int = 0
    score_sum: int = 0
    digitised: int = 0
    electronic_results: int = 0
    paid: int = 0
    paid_online: int = 0
    procedures: int = 0
    procedures_published: int = 0

    def add(self, other: RawCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def decided(self) -> int:
        """Dossiers judged for timeliness: finished, or not finished but already overdue."""
        return self.finished + self.overdue_open

    @property
    def late(self) -> int:
        return self.decided - self.on_time


def _n(condition: ColumnElement[bool]) -> Any:
    """COUNT of rows matching a condition, as a conditional sum (0 when no row matches)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in_period(start: datetime, end: datetime, agency_ids: Collection[int] | None) -> Any:
    conditions = [
        Dossier.received_at.is_not(None),
        Dossier.received_at >= start,
        Dossier.received_at < end,
    ]
    if agency_ids is not None:
        conditions.append(Dossier.agency_id.in_(sorted(agency_ids)))
    return and_(*conditions)


def appointment(cfg: IndicatorSettings) -> Any:
    """The appointment timeliness is measured against (see docs/decisions/0008)."""
    if cfg.extension_counts_on_time:
        return Dossier.due_at
    return func.coalesce(Dossier.original_due_at, Dossier.due_at)


def on_time_condition(cfg: IndicatorSettings) -> ColumnElement[bool]:
    return and_(
        finished_condition(),
        finished_moment() <= appointment(cfg),
        Dossier.supplement_count <= cfg.max_supplements,
    )


def overdue_open_condition(cfg: IndicatorSettings, now: datetime) -> ColumnElement[bool]:
    # While a supplement is awaited the clock stops (Decree 118/2025 Art. 19): not overdue.
    return and_(
        not_(finished_condition()),
        Dossier.status.not_in(("withdrawn", "stopped", "supplement_requested")),
        appointment(cfg) < now,
    )


def _dossier_counts(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    cfg: IndicatorSettings,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    finished = finished_condition()
    eligible = ProcedureVersion.online_level.in_(("full", "partial"))
    full = ProcedureVersion.online_level == "full"
    online = Dossier.channel == "online"
    unhappy = and_(
        finished,
        or_(Rating.complaint.is_(True), Rating.score <= cfg.negative_score_max),
    )
    stmt = (
        select(
            Dossier.agency_id,
            func.count(Dossier.id),
            _n(Dossier.code.is_not(None)),
            _n(online),
            _n(finished),
            _n(on_time_condition(cfg)),
            _n(overdue_open_condition(cfg, now)),
            _n(Dossier.extension_count > 0),
            _n(Dossier.supplement_count > cfg.max_supplements),
            _n(eligible),
            _n(and_(eligible, online)),
            _n(full),
            _n(and_(full, online)),
            _n(Dossier.status == "completed"),
            _n(unhappy),
            func.count(Rating.id),
            func.coalesce(func.sum(Rating.score), 0),
        )
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.version_id)
        .outerjoin(Rating, Rating.dossier_id == Dossier.id)
        .where(_in_period(start, end, agency_ids))
        .group_by(Dossier.agency_id)
    )
    names = (
        "received",
        "synchronised",
        "online",
        "finished",
        "on_time",
        "overdue_open",
        "extended",
        "multi_supplement",
        "eligible",
        "eligible_online",
        "full_total",
        "full_online",
        "completed",
        "unhappy",
        "ratings",
        "score_sum",
    )
    for row in session.execute(stmt):
        counts = out.setdefault(row[0], RawCounts())
        for name, value in zip(names, row[1:], strict=True):
            setattr(counts, name, int(value or 0))


def _digitised_counts(
    session: Session,
    start: datetime,
    end: datetime,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    # Per dossier: its active component files and how many of them are paper-only (neither
    # uploaded online nor scanned at the counter). No component file at all: not digitised.
    per_dossier = (
        select(
            Dossier.id.label("dossier_id"),
            Dossier.agency_id.label("agency_id"),
            Dossier.channel.label("channel"),
            func.sum(case((DossierFile.digitised.is_(False), 1), else_=0)).label("paper"),
        )
        .join(
            DossierFile,
            and_(
                DossierFile.dossier_id == Dossier.id,
                DossierFile.purpose == "component",
                DossierFile.removed_at.is_(None),
            ),
        )
        .where(_in_period(start, end, agency_ids))
        .group_by(Dossier.id, Dossier.agency_id, Dossier.channel)
        .subquery()
    )
    stmt = select(
        per_dossier.c.agency_id,
        _n(or_(per_dossier.c.channel == "online", per_dossier.c.paper == 0)),
    ).group_by(per_dossier.c.agency_id)
    for agency_id, digitised in session.execute(stmt):
        out.setdefault(agency_id, RawCounts()).digitised = int(digitised or 0)


def _result_counts(
    session: Session,
    start: datetime,
    end: datetime,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    stmt = (
        select(Dossier.agency_id, func.count(func.distinct(Dossier.id)))
        .join(Document, and_(Document.dossier_id == Dossier.id, Document.kind == "result"))
        .where(_in_period(start, end, agency_ids), Dossier.status == "completed")
        .group_by(Dossier.agency_id)
    )
    for agency_id, n in session.execute(stmt):
        out.setdefault(agency_id, RawCounts()).electronic_results = int(n or 0)


def _payment_counts(
    session: Session,
    start: datetime,
    end: datetime,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    stmt = (
        select(
            Dossier.agency_id,
            func.count(Payment.id),
            _n(Payment.method.in_(ONLINE_METHODS)),
        )
        .join(Payment, Payment.dossier_id == Dossier.id)
        .where(_in_period(start, end, agency_ids), Payment.status == "paid")
        .group_by(Dossier.agency_id)
    )
    for agency_id, paid, paid_online in session.execute(stmt):
        counts = out.setdefault(agency_id, RawCounts())
        counts.paid, counts.paid_online = int(paid or 0), int(paid_online or 0)


def _form_has_fields(session: Session) -> ColumnElement[bool]:
    schema = ProcedureVersion.form_schema
    if session.get_bind().dialect.name == "postgresql":
        fields_ = schema["fields"]
        return (
            case(
                (func.jsonb_typeof(fields_) == "array", func.jsonb_array_length(fields_)),
                else_=0,
            )
            > 0
        )
    return func.coalesce(func.json_array_length(schema, "$.fields"), 0) > 0


def complete_condition(session: Session, end: datetime) -> ColumnElement[bool]:
    """Published before the end of the period with everything a citizen needs to apply."""
    version = ProcedureVersion
    return and_(
        version.status == "published",
        version.published_at.is_not(None),
        version.published_at < end,
        select(Component.id).where(Component.version_id == version.id).exists(),
        select(ProcessStep.id).where(ProcessStep.version_id == version.id).exists(),
        or_(
            select(FeeItem.id).where(FeeItem.version_id == version.id).exists(),
            func.trim(version.fee_note) != "",
        ),
        func.trim(version.legal_basis) != "",
        _form_has_fields(session),
    )


def _procedure_counts(
    session: Session,
    end: datetime,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    # One (agency, procedure) pair per procedure an agency implements: a commune procedure
    # counts once at every commune, so a province's figure is the sum of its units'.
    version = ProcedureVersion
    stmt = (
        select(
            ProcedureAgency.agency_id,
            func.count(func.distinct(version.procedure_id)),
            func.count(
                func.distinct(
                    case((complete_condition(session, end), version.procedure_id), else_=None)
                )
            ),
        )
        .join(version, version.id == ProcedureAgency.version_id)
        .where(version.status.in_(("draft", "published")))
        .group_by(ProcedureAgency.agency_id)
    )
    if agency_ids is not None:
        stmt = stmt.where(ProcedureAgency.agency_id.in_(sorted(agency_ids)))
    for agency_id, implemented, published in session.execute(stmt):
        counts = out.setdefault(agency_id, RawCounts())
        counts.procedures, counts.procedures_published = int(implemented), int(published)


def recount(
    session: Session,
    date_from: date,
    date_to: date,
    agency_ids: Collection[int] | None = None,
    now: datetime | None = None,
    cfg: IndicatorSettings | None = None,
) -> dict[int, RawCounts]:
    """Counts per receiving agency straight from the dossiers (the reference the maintained
    counters are checked against); five aggregate queries over every dossier of the period."""
    now = now or utcnow()
    cfg = cfg or indicator_settings(session)
    start, end = bounds(date_from, date_to)
    out: dict[int, RawCounts] = {}
    _dossier_counts(session, start, end, now, cfg, agency_ids, out)
    _digitised_counts(session, start, end, agency_ids, out)
    _result_counts(session, start, end, agency_ids, out)
    _payment_counts(session, start, end, agency_ids, out)
    _procedure_counts(session, end, agency_ids, out)
    return out


def _overdue_open_counts(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    cfg: IndicatorSettings,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    # Only unfinished dossiers change with the clock; ix_dossiers_unfinished keeps them apart.
    stmt = (
        select(Dossier.agency_id, func.count(Dossier.id))
        .where(
            text(UNFINISHED_PREDICATE),
            _in_period(start, end, agency_ids),
            overdue_open_condition(cfg, now),
        )
        .group_by(Dossier.agency_id)
    )
    for agency_id, n in session.execute(stmt):
        out.setdefault(agency_id, RawCounts()).overdue_open = int(n or 0)


def _tally_counts(
    session: Session,
    date_from: date,
    date_to: date,
    cfg: IndicatorSettings,
    agency_ids: Collection[int] | None,
    out: dict[int, RawCounts],
) -> None:
    daily = tallies.DAILY
    stmt = (
        select(
            daily.c.agency_id,
            daily.c.supplements,
            *(func.sum(daily.c[name]).label(name) for name in COUNTER_NAMES),
        )
        .where(daily.c.day >= date_from, daily.c.day <= date_to)
        .group_by(daily.c.agency_id, daily.c.supplements)
    )
    if agency_ids is not None:
        stmt = stmt.where(daily.c.agency_id.in_(sorted(agency_ids)))
    within = "within_due" if cfg.extension_counts_on_time else "within_original"
    unhappy = f"unhappy_{cfg.negative_score_max}"
    for row in session.execute(stmt):
        c = out.setdefault(row.agency_id, RawCounts())
        value = {name: int(getattr(row, name) or 0) for name in COUNTER_NAMES}
        allowed = row.supplements <= cfg.max_supplements
        c.received += value["received"]
        c.synchronised += value["synchronised"]
        c.online += value["online"]
        c.finished += value["finished"]
        c.on_time += value[within] if allowed else 0
        c.extended += value["extended"]
        c.multi_supplement += 0 if allowed else value["received"]
        c.eligible += value["eligible"]
        c.eligible_online += value["eligible_online"]
        c.full_total += value["full_total"]
        c.full_online += value["full_online"]
        c.completed += value["completed"]
        c.unhappy += value[unhappy]
        c.ratings += value["ratings"]
        c.score_sum += value["score_sum"]
        c.digitised += value["digitised"]
        c.electronic_results += value["electronic_results"]
        c.paid += value["paid"]
        c.paid_online += value["paid_online"]


def raw_counts(
    session: Session,
    date_from: date,
    date_to: date,
    agency_ids: Collection[int] | None = None,
    now: datetime | None = None,
    cfg: IndicatorSettings | None = None,
) -> dict[int, RawCounts]:
    """Counts per receiving agency (only the given agencies, or all) for dossiers received
    between two local dates, from the maintained day counters plus a live count of the
    unfinished dossiers already overdue; equal to :func:`recount` (tests hold it)."""
    now = now or utcnow()
    cfg = cfg or indicator_settings(session)
    tallies.apply_pending(session)
    start, end = bounds(date_from, date_to)
    out: dict[int, RawCounts] = {}
    _tally_counts(session, date_from, date_to, cfg, agency_ids, out)
    _overdue_open_counts(session, start, end, now, cfg, agency_ids, out)
    _procedure_counts(session, end, agency_ids, out)
    return out


def sum_counts(per_agency: Mapping[int, RawCounts], agency_ids: Iterable[int]) -> RawCounts:
    total = RawCounts()
    for agency_id in agency_ids:
        if agency_id in per_agency:
            total.add(per_agency[agency_id])
    return total


# --- figures and points ---------------------------------------------------------------------


def _fractions(c: RawCounts) -> dict[str, tuple[int, int]]:
    """(numerator, denominator) of every figure."""
    return {
        "published_rate": (c.procedures_published, c.procedures),
        "synchronised_rate": (c.synchronised, c.received),
        "on_time_rate": (c.on_time, c.decided),
        "online_rate": (c.eligible_online, c.eligible),
        "full_online_rate": (c.full_online, c.full_total),
        "online_payment_rate": (c.paid_online, c.paid),
        "digitised_rate": (c.digitised, c.received),
        "electronic_result_rate": (c.electronic_results, c.completed),
        # 100% − (% late + % unhappy) over the same base, floored at 0.
        "satisfaction_rate": (max(0, c.decided - c.late - c.unhappy), c.decided),
    }


def figure_points(numerator: int, denominator: int, max_points: float, threshold: float) -> float:
    """Linear up to the threshold, full points from it on; no dossier, no points."""
    if denominator <= 0:
        return 0.0
    share = 100.0 * numerator / denominator
    return max_points * min(1.0, share / threshold)


def rate(numerator: int, denominator: int) -> float:
    return round(100.0 * numerator / denominator, 2) if denominator > 0 else 0.0


def build_indicators(
    agency: Agency,
    date_from: date,
    date_to: date,
    counts: RawCounts,
    cfg: IndicatorSettings,
    translate: Any = None,
    now: datetime | None = None,
) -> schemas.IndicatorsRead:
    """The five groups with their figures and points from an agency's summed counts."""
    t = translate or (lambda s: s)
    fractions = _fractions(counts)
    groups: dict[str, schemas.Group] = {}
    total = 0.0
    for key, label in GROUP_LABELS.items():
        figures: dict[str, schemas.Figure] = {}
        points = 0.0
        max_points = 0.0
        for spec in (f for f in FIGURES if f.group == key):
            num, den = fractions[spec.key]
            threshold = cfg.thresholds[spec.key]
            earned = figure_points(num, den, spec.max_points, threshold)
            formula = spec.formula
            if spec.key == "on_time_rate" and cfg.extension_counts_on_time:
                formula = ON_TIME_FORMULA_EXTENDED
            figures[spec.key] = schemas.Figure(
                key=spec.key,
                label=t(spec.label),
                numerator=num,
                denominator=den,
                rate=rate(num, den),
                threshold=threshold,
                points=round(earned, 2),
                max_points=spec.max_points,
                formula=t(formula),
            )
            points += earned
            max_points += spec.max_points
        groups[key] = schemas.Group(
            key=key,
            label=t(label),
            points=round(points, 2),
            max_points=max_points,
            figures=figures,
        )
        total += points
    average = round(counts.score_sum / counts.ratings, 2) if counts.ratings else None
    return schemas.IndicatorsRead(
        agency=schemas.AgencyRef(code=agency.code, name=agency.name, level=agency.level),
        date_from=date_from,
        date_to=date_to,
        generated_at=now or utcnow(),
        points=round(total, 2),
        max_points=sum(f.max_points for f in FIGURES),
        groups=groups,
        counts=schemas.Counts(
            received=counts.received,
            online=counts.online,
            finished=counts.finished,
            on_time=counts.on_time,
            late=counts.late,
            overdue_open=counts.overdue_open,
            extended=counts.extended,
            supplemented_more_than_once=counts.multi_supplement,
            completed=counts.completed,
            ratings=counts.ratings,
            average_score=average,
            unhappy=counts.unhappy,
        ),
    )


def root_agency(session: Session) -> Agency:
    """The top of the tree (the province), the default agency of the statistics."""
    tree = agency_service.tree(session)
    if not tree:
        raise InvalidInput(N_("Chưa có cơ quan nào."))
    return tree[0][1]


def indicators(
    session: Session,
    agency_code: str | None,
    date_from: date,
    date_to: date,
    now: datetime | None = None,
    translate: Any = None,
) -> schemas.IndicatorsRead:
    """The indicators of an agency and everything below it, for dossiers received in a period."""
    agency = agency_service.get_by_code(session, agency_code) if agency_code else None
    agency = agency or root_agency(session)
    cfg = indicator_settings(session)
    subtree = account_service.agency_subtree_ids(session, agency.id)
    per_agency = raw_counts(session, date_from, date_to, subtree, now, cfg)
    return build_indicators(
        agency, date_from, date_to, sum_counts(per_agency, subtree), cfg, translate, now
    )


# --- ranking ----------------------------------------------------------------------------------


@dataclass
class Overview:
    """Everything the public page shows: the chosen agency's indicators and the ranking."""

    indicators: schemas.IndicatorsRead
    ranking: list[schemas.RankingRow]
    tree: list[tuple[int, Agency]] = field(default_factory=list)


def _rolled_up(
    tree: list[tuple[int, Agency]], per_agency: Mapping[int, RawCounts]
) -> dict[int, RawCounts]:
    """Counts of every agency's subtree (depth-first order: children follow their parent)."""
    totals = {a.id: RawCounts() for _depth, a in tree}
    for _depth, agency in reversed(tree):
        if agency.id in per_agency:
            totals[agency.id].add(per_agency[agency.id])
        if agency.parent_id in totals:
            totals[agency.parent_id].add(totals[agency.id])
    return totals


def ranking_rows(
    tree: list[tuple[int, Agency]],
    totals: Mapping[int, RawCounts],
    cfg: IndicatorSettings,
    date_from: date,
    date_to: date,
    level: str | None = None,
) -> list[schemas.RankingRow]:
    """Agencies by total points, best first (equal points share a rank)."""
    rows = []
    for _depth, agency in tree:
        if level and agency.level != level:
            continue
        counts = totals[agency.id]
        read = build_indicators(agency, date_from, date_to, counts, cfg)
        rows.append(
            (
                read.points,
                agency.name,
                schemas.RankingRow(
                    rank=0,
                    agency=read.agency,
                    points=read.points,
                    received=counts.received,
                    on_time_rate=read.groups["timeliness"].figures["on_time_rate"].rate,
                    online_rate=read.groups["online_service"].figures["online_rate"].rate,
                    satisfaction_rate=read.groups["satisfaction"].figures["satisfaction_rate"].rate,
                ),
            )
        )
    rows.sort(key=lambda r: (-r[0], r[1]))
    out: list[schemas.RankingRow] = []
    for i, (points, _name, row) in enumerate(rows, start=1):
        row.rank = out[-1].rank if out and out[-1].points == points else i
        out.append(row)
    return out


def ranking(
    session: Session, date_from: date, date_to: date, level: str | None = None
) -> schemas.RankingRead:
    """Every agency (or every agency of one level) by total points for the period."""
    if level and level not in LEVEL_LABELS:
        raise InvalidInput(N_("Cấp cơ quan không hợp lệ."), fields={"level": "unknown level"})
    cfg = indicator_settings(session)
    tree = agency_service.tree(session)
    totals = _rolled_up(tree, raw_counts(session, date_from, date_to, None, cfg=cfg))
    items = ranking_rows(tree, totals, cfg, date_from, date_to, level)
    return schemas.RankingRead(
        date_from=date_from, date_to=date_to, level=level or None, items=items, total=len(items)
    )


def overview(
    session: Session,
    agency_code: str | None,
    date_from: date,
    date_to: date,
    level: str | None = None,
    translate: Any = None,
) -> Overview:
    """The public statistics page: one pass of the aggregate queries over every agency."""
    if level and level not in LEVEL_LABELS:
        raise InvalidInput(N_("Cấp cơ quan không hợp lệ."), fields={"level": "unknown level"})
    agency = agency_service.get_by_code(session, agency_code) if agency_code else None
    agency = agency or root_agency(session)
    cfg = indicator_settings(session)
    tree = agency_service.tree(session)
    totals = _rolled_up(tree, raw_counts(session, date_from, date_to, None, cfg=cfg))
    read = build_indicators(
        agency, date_from, date_to, totals.get(agency.id, RawCounts()), cfg, translate
    )
    return Overview(read, ranking_rows(tree, totals, cfg, date_from, date_to, level), tree)


# --- leader's dashboard --------------------------------------------------------------------------

DASHBOARD_ROLES = ("leader", "agency_admin")
OPEN_STATUSES = ("received", "processing", "awaiting_payment")
LIST_LIMIT = 100
EXPORT_LIMIT = 10_000


def dashboard_agencies(session: Session, user: User) -> list[tuple[int, Agency]]:
    """Agencies whose dashboard the user may open: leaders their own agency, agency admins
    their subtree, system admins every agency."""
    account_service.require_role(user, *DASHBOARD_ROLES)
    if user.is_admin:
        return agency_service.tree(session)
    if user.agency_id is None:
        return []
    if user.has_role("agency_admin"):
        return agency_service.tree(session, user.agency_id)
    return [(0, user.agency)] if user.agency is not None else []


def dashboard_scope(
    session: Session, user: User, agency_code: str | None
) -> tuple[Agency, set[int]]:
    """The chosen agency (default: the user's) and its subtree, if the user may see it."""
    allowed = dashboard_agencies(session, user)
    if not allowed:
        raise Forbidden(N_("Bạn không có quyền xem bảng điều khiển của cơ quan này."))
    by_code = {a.code: a for _depth, a in allowed}
    if agency_code:
        agency = by_code.get(agency_code)
        if agency is None:
            raise Forbidden(N_("Bạn không có quyền xem bảng điều khiển của cơ quan này."))
    else:
        own = user.agency.code if user.agency is not None else None
        agency = by_code.get(own or "") or allowed[0][1]
    return agency, account_service.agency_subtree_ids(session, agency.id)


def _open_at(scope: Collection[int]) -> ColumnElement[bool]:
    """Open dossiers (no result yet) received by, or now handled at, the agencies."""
    ids = sorted(scope)
    return and_(
        Dossier.status.in_(OPEN_STATUSES),
        Dossier.result_ready_at.is_(None),
        Dossier.due_at.is_not(None),
        or_(Dossier.agency_id.in_(ids), Dossier.handling_agency_id.in_(ids)),
    )


def _dossier_list(
    session: Session, condition: ColumnElement[bool], limit: int
) -> tuple[int, list[dict[str, Any]]]:
    total = session.scalar(select(func.count(Dossier.id)).where(condition)) or 0
    assignee = aliased(User)
    rows = session.execute(
        select(
            Dossier.id,
            Dossier.code,
            ProcedureVersion.name,
            Dossier.applicant,
            Dossier.channel,
            Dossier.status,
            Dossier.received_at,
            Dossier.due_at,
            ProcessStep.name,
            assignee.full_name,
        )
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.version_id)
        .outerjoin(ProcessStep, ProcessStep.id == Dossier.current_step_id)
        .outerjoin(assignee, assignee.id == Dossier.assignee_id)
        .where(condition)
        .order_by(Dossier.due_at, Dossier.id)
        .limit(limit)
    ).all()
    items = [
        {
            "id": r[0],
            "code": r[1] or "",
            "procedure_name": r[2],
            "applicant_name": (r[3] or {}).get("full_name", ""),
            "channel": r[4],
            "status": r[5],
            "received_at": r[6],
            "due_at": r[7],
            "step_name": r[8] or "",
            "assignee": r[9] or "",
        }
        for r in rows
    ]
    return int(total), items


def _workload(
    session: Session, scope: Collection[int], now: datetime, by_officer: bool
) -> list[dict[str, Any]]:
    overdue = _n(StepRun.due_at < now)
    open_runs = and_(StepRun.finished_at.is_(None), StepRun.agency_id.in_(sorted(scope)))
    if by_officer:
        stmt = (
            select(StepRun.assignee_id, User.full_name, func.count(), overdue)
            .outerjoin(User, User.id == StepRun.assignee_id)
            .where(open_runs)
            .group_by(StepRun.assignee_id, User.full_name)
        )
        rows = [
            {"key": r[0], "name": r[1] or "", "open": int(r[2]), "overdue": int(r[3])}
            for r in session.execute(stmt)
        ]
    else:
        stmt = (
            select(StepRun.step_code, StepRun.step_name, func.count(), overdue)
            .where(open_runs)
            .group_by(StepRun.step_code, StepRun.step_name)
        )
        rows = [
            {"key": r[0], "name": r[1], "open": int(r[2]), "overdue": int(r[3])}
            for r in session.execute(stmt)
        ]
    rows.sort(key=lambda r: (-r["open"], -r["overdue"], r["name"]))
    return rows


def month_starts(today: date, months: int = 12) -> list[date]:
    """First days of the last ``months`` months (oldest first, ending with today's month),
    followed by the first day of the next month."""
    first = today.year * 12 + today.month - 1 - (months - 1)
    return [date((first + i) // 12, (first + i) % 12 + 1, 1) for i in range(months + 1)]


def trend(
    session: Session, scope: Collection[int], now: datetime, cfg: IndicatorSettings
) -> list[dict[str, Any]]:
    """Received, finished and finished-late dossiers per month, last 12 months (local time)."""
    zone = tz()
    firsts = month_starts(local_today(now))
    edges = [datetime.combine(d, time(0), zone).astimezone(UTC) for d in firsts]
    ids = sorted(scope)

    def buckets(moment: Any, extra: ColumnElement[bool] | None = None) -> list[Any]:
        cols = []
        for lo, hi in pairwise(edges):
            cond = and_(moment >= lo, moment < hi)
            cols.append(_n(cond if extra is None else and_(cond, extra)))
        return cols

    # Receptions from the day counters (kept by local day of reception, exactly these
    # dossiers: docs/decisions/0010), not a scan of the year's dossiers.
    tallies.apply_pending(session)
    received = [0] * (len(firsts) - 1)
    first_month = firsts[0].year * 12 + firsts[0].month
    for day, count in session.execute(
        select(DailyTally.day, func.sum(DailyTally.received))
        .where(
            DailyTally.agency_id.in_(ids),
            DailyTally.day >= firsts[0],
            DailyTally.day < firsts[-1],
        )
        .group_by(DailyTally.day)
    ):
        received[day.year * 12 + day.month - first_month] += int(count or 0)
    moment = finished_moment()
    late = not_(on_time_condition(cfg))
    finished_rows = session.execute(
        select(*buckets(moment), *buckets(moment, late)).where(
            Dossier.agency_id.in_(ids),
            finished_condition(),
            moment >= edges[0],
            moment < edges[-1],
        )
    ).one()
    n = len(edges) - 1
    return [
        {
            "month": firsts[i],
            "received": int(received[i]),
            "finished": int(finished_rows[i]),
            "late": int(finished_rows[n + i]),
        }
        for i in range(n)
    ]


def dashboard(
    session: Session,
    user: User,
    agency_code: str | None,
    now: datetime | None = None,
    list_limit: int = LIST_LIMIT,
) -> dict[str, Any]:
    """The leader's dashboard: overdue and due-today dossiers, workload per officer and per
    step, and the 12-month trend — all aggregates over the agency and its subtree."""
    now = now or utcnow()
    agency, scope = dashboard_scope(session, user, agency_code)
    cfg = indicator_settings(session)
    end_of_today = datetime.combine(local_today(now) + timedelta(days=1), time(0), tz())
    open_ = _open_at(scope)
    overdue_total, overdue = _dossier_list(session, and_(open_, Dossier.due_at < now), list_limit)
    today_total, due_today = _dossier_list(
        session, and_(open_, Dossier.due_at >= now, Dossier.due_at < end_of_today), list_limit
    )
    return {
        "agency": agency,
        "now": now,
        "overdue": overdue,
        "overdue_total": overdue_total,
        "due_today": due_today,
        "due_today_total": today_total,
        "officers": _workload(session, scope, now, by_officer=True),
        "steps": _workload(session, scope, now, by_officer=False),
        "trend": trend(session, scope, now, cfg),
    }


# --- XLSX exports ---------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(
    book: Workbook, title: str, heading: str, header: list[str], rows: list[list[Any]]
) -> None:
    sheet = book.create_sheet(title[:31])
    sheet.append([heading])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(row)
    for i, title_ in enumerate(header, start=1):
        width = max([len(str(title_))] + [len(str(r[i - 1])) for r in rows if len(r) >= i])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(10, width + 2))
    sheet.freeze_panes = "A4"


def workbook_bytes(sheets: list[tuple[str, str, list[str], list[list[Any]]]]) -> bytes:
    """An XLSX file with one sheet per (title, heading, header, rows)."""
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    for title, heading, header, rows in sheets:
        _sheet(book, title, heading, header, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def indicator_rows(read: schemas.IndicatorsRead) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for group in read.groups.values():
        rows.append([group.label, "", None, None, None, None, group.points, group.max_points, ""])
        for fig in group.figures.values():
            rows.append(
                [
                    group.label,
                    fig.label,
                    fig.numerator,
                    fig.denominator,
                    fig.rate,
                    fig.threshold,
                    fig.points,
                    fig.max_points,
                    fig.formula,
                ]
            )
    rows.append(["", "", None, None, None, None, read.points, read.max_points, ""])
    return rows


def ranking_table(items: list[schemas.RankingRow], level_label: Any) -> list[list[Any]]:
    return [
        [
            r.rank,
            r.agency.name,
            r.agency.code,
            level_label(r.agency.level),
            r.points,
            r.received,
            r.on_time_rate,
            r.online_rate,
            r.satisfaction_rate,
        ]
        for r in items
    ]
