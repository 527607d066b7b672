"""The groups and figures of the service indicators after Decision 766/QĐ-TTg (SPEC §7), the
points of each, and the settings that tune them (thresholds, the supplement and extension
rules, what counts as a negative rating). See docs/decisions/0008-indicators.md for every rule
and its source.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar.models import RuleSetting
from app.db import utcnow
from app.errors import InvalidInput
from app.i18n_markers import N_

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
        N_("Hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia trong ngày"),
        N_(
            "Số hồ sơ tiếp nhận trong kỳ được Cổng Dịch vụ công quốc gia xác nhận đã nhận "
            "(error_code 0) trong ngày tiếp nhận ÷ Tổng số hồ sơ tiếp nhận trong kỳ × 100%"
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
        8,
        N_("Hồ sơ được số hóa"),
        N_(
            "Số hồ sơ có mọi thành phần hồ sơ ở dạng điện tử (nộp trực tuyến, hoặc được số hóa "
            "khi tiếp nhận trực tiếp) ÷ Tổng số hồ sơ tiếp nhận × 100%"
        ),
    ),
    FigureSpec(
        "electronic_result_rate",
        "digitisation",
        8,
        N_("Kết quả giải quyết điện tử"),
        N_("Số hồ sơ đã trả kết quả có kết quả điện tử ÷ Tổng số hồ sơ đã trả kết quả × 100%"),
    ),
    FigureSpec(
        "reuse_rate",
        "digitisation",
        6,
        N_("Khai thác, sử dụng lại dữ liệu số hóa"),
        N_(
            "Số hồ sơ có ít nhất một thành phần lấy từ kho dữ liệu cá nhân (kết quả hoặc giấy "
            "tờ đã số hóa của hồ sơ trước) thay vì tải lên lại ÷ Tổng số hồ sơ tiếp nhận × 100%"
        ),
    ),
    FigureSpec(
        "satisfaction_rate",
        "satisfaction",
        18,
        N_("Mức độ hài lòng"),
        N_(
            "100% − (Tỷ lệ hồ sơ quá hạn + Tỷ lệ hồ sơ bị phản ánh, kiến nghị đúng hoặc đánh "
            "giá không hài lòng (1–2 sao)), trên số hồ sơ đã có kết quả hoặc đã quá hạn, mỗi "
            "hồ sơ tính một lần; không nhỏ hơn 0"
        ),
    ),
)
FIGURE_BY_KEY = {f.key: f for f in FIGURES}
# The satisfaction group's three ratios, shown with its figure: (label, formula).
SATISFACTION_PARTS = (
    (
        N_("Tỷ lệ hồ sơ quá hạn"),
        N_("Số hồ sơ quá hạn ÷ (Số hồ sơ đã có kết quả + Số hồ sơ chưa có kết quả đã quá hạn)"),
    ),
    (
        N_("Tỷ lệ hồ sơ bị phản ánh, kiến nghị đúng"),
        N_(
            "Số hồ sơ có phản ánh, kiến nghị được cơ quan kết luận là đúng ÷ (Số hồ sơ đã có "
            "kết quả + Số hồ sơ chưa có kết quả đã quá hạn)"
        ),
    ),
    (
        N_("Tỷ lệ hồ sơ bị đánh giá không hài lòng"),
        N_(
            "Số hồ sơ đã có kết quả bị đánh giá không hài lòng (1–2 sao hoặc có khiếu nại) ÷ "
            "(Số hồ sơ đã có kết quả + Số hồ sơ chưa có kết quả đã quá hạn)"
        ),
    ),
)
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
    "indicator_threshold_reuse_rate": 50,
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
