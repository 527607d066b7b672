"""Named portal figures an automatic criterion may use, each a percentage computed for a set
of agencies over a period. The registry is open: a domain merged later registers its own
figure (``register_figure``) from ``app/wiring.py`` — see ``FEEDBACK_ON_TIME``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.i18n_markers import N_
from app.stats.counts import RawCounts, raw_counts, sum_counts


@dataclass(frozen=True)
class FigureValue:
    """A figure's value: ``rate`` in percent; the fraction behind it when there is one."""

    rate: float
    numerator: int | None = None
    denominator: int | None = None


FigureFn = Callable[[Session, Sequence[int], date, date], "FigureValue | float | None"]


@dataclass(frozen=True)
class PortalFigure:
    name: str
    label: str
    fn: FigureFn


_REGISTRY: dict[str, PortalFigure] = {}

# "Feedback answered on time" (SPEC §12–13) comes from app/feedback, which this package does
# not import: app/wiring.py registers it at start-up.
FEEDBACK_ON_TIME = "feedback_on_time_rate"
FEEDBACK_ON_TIME_LABEL = N_("Tỷ lệ phản ánh, kiến nghị được trả lời đúng hạn")


def register_figure(name: str, label: str, fn: FigureFn) -> None:
    """Make a figure usable in criteria sets (registering a name again replaces it)."""
    _REGISTRY[name] = PortalFigure(name, label, fn)


def get(name: str) -> PortalFigure | None:
    return _REGISTRY.get(name)


def registered() -> list[PortalFigure]:
    return sorted(_REGISTRY.values(), key=lambda f: f.name)


def measure(
    session: Session, name: str, agency_ids: Sequence[int], start: date, end: date
) -> FigureValue:
    """The figure's value now (a figure that has no data gives 0%)."""
    spec = _REGISTRY[name]
    value = spec.fn(session, agency_ids, start, end)
    if value is None:
        return FigureValue(0.0, 0, 0)
    if isinstance(value, FigureValue):
        return value
    if isinstance(value, tuple):  # (numerator, denominator)
        num, den = int(value[0]), int(value[1])
        return FigureValue(round(100.0 * num / den, 2) if den else 0.0, num, den)
    return FigureValue(round(float(value), 2))


# --- the figures of the service indicators (app/stats, Decision 766) -------------------------


def _from_counts(pick: Callable[[RawCounts], tuple[int, int]]) -> FigureFn:
    def figure(session: Session, agency_ids: Sequence[int], start: date, end: date) -> FigureValue:
        counts = sum_counts(raw_counts(session, start, end, list(agency_ids)), agency_ids)
        num, den = pick(counts)
        return FigureValue(round(100.0 * num / den, 2) if den else 0.0, num, den)

    return figure


# The same fractions as the indicators page (app/stats/indicators.py, docs/decisions/0008).
register_figure(
    "on_time_rate",
    N_("Tỷ lệ hồ sơ giải quyết đúng hạn"),
    _from_counts(lambda c: (c.on_time, c.decided)),
)
register_figure(
    "online_rate",
    N_("Tỷ lệ hồ sơ nộp trực tuyến"),
    _from_counts(lambda c: (c.eligible_online, c.eligible)),
)
register_figure(
    "online_payment_rate",
    N_("Tỷ lệ hồ sơ thanh toán trực tuyến"),
    _from_counts(lambda c: (c.paid_online, c.paid)),
)
register_figure(
    "digitised_rate",
    N_("Tỷ lệ hồ sơ được số hóa"),
    _from_counts(lambda c: (c.digitised, c.received)),
)
register_figure(
    "synchronised_rate",
    N_("Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia"),
    _from_counts(lambda c: (c.synchronised, c.received)),
)
