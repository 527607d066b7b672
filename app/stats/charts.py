"""Server-rendered SVG charts: no JavaScript, readable on a 360px-wide phone.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and summarised in words by its
``<desc>`` (every value is in it); pages put the same figures in a data table next to the
chart. Only SVG presentation attributes are used (no inline CSS), so the strict
Content-Security-Policy (``style-src 'self'``) holds; sizing comes from app/static/css/stats.css.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 340
INK = "#1b1b1f"
MUTED = "#4a4a55"
TRACK = "#e4e4ea"
BAR = "#0b4f9c"
TARGET = "#a4161a"
SERIES_COLOURS = ("#0b4f9c", "#1e6b34", "#a4161a", "#6b4500")
MAX_LABEL = 46


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: ``value`` out of ``maximum``, shown as ``text``; ``target`` (same
    unit) draws the threshold that earns full points."""

    label: str
    value: float
    maximum: float
    text: str
    target: float | None = None
    target_text: str = ""


@dataclass(frozen=True)
class Series:
    """One series of a column chart: a value per category, in one colour."""

    name: str
    values: Sequence[float]


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _frame(chart_id: str, title: str, desc: str, height: float, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
        f'viewBox="0 0 {WIDTH} {_num(height)}" width="{WIDTH}" height="{_num(height)}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 (every text is escaped)


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], target_label: str = "") -> Markup:
    """Horizontal bars, one row each: the label, then the bar with its value at the end."""
    row = 46
    track_width = WIDTH - 76
    top = 4
    body: list[str] = []
    parts: list[str] = []
    for i, bar in enumerate(bars):
        y = top + i * row
        share = 0.0 if bar.maximum <= 0 else max(0.0, min(1.0, bar.value / bar.maximum))
        body.append(
            f'<text x="0" y="{_num(y + 14)}" font-size="14" fill="{INK}">'
            f"{escape(_short(bar.label))}</text>"
            f'<rect x="0" y="{_num(y + 20)}" width="{track_width}" height="16" rx="2" '
            f'fill="{TRACK}"/>'
            f'<rect x="0" y="{_num(y + 20)}" width="{_num(track_width * share)}" height="16" '
            f'rx="2" fill="{BAR}"/>'
            f'<text x="{WIDTH}" y="{_num(y + 33)}" font-size="13" font-weight="bold" '
            f'text-anchor="end" fill="{INK}">{escape(bar.text)}</text>'
        )
        if bar.target is not None and bar.maximum > 0:
            x = track_width * max(0.0, min(1.0, bar.target / bar.maximum))
            body.append(
                f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{_num(y + 17)}" y2="{_num(y + 39)}" '
                f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="3 2"/>'
            )
        described = f"{bar.label}: {bar.text}"
        if bar.target_text:
            described += f" ({target_label} {bar.target_text})"
        parts.append(described)
    height = top + max(1, len(bars)) * row
    return _frame(chart_id, title, "; ".join(parts) + ".", height, body)


def column_chart(
    chart_id: str, title: str, categories: Sequence[str], series: Sequence[Series]
) -> Markup:
    """Grouped vertical columns (e.g. received / finished / late per month) with a legend."""
    legend_height = 22
    plot_top = legend_height + 14
    plot_height = 150
    axis_label = 18
    left = 30
    plot_width = WIDTH - left
    peak = max([v for s in series for v in s.values] + [0])
    scale_max = max(1.0, float(peak))
    body: list[str] = []
    x = 0.0
    for k, s in enumerate(series):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        body.append(
            f'<rect x="{_num(x)}" y="4" width="12" height="12" fill="{colour}"/>'
            f'<text x="{_num(x + 16)}" y="15" font-size="12" fill="{INK}">{escape(s.name)}</text>'
        )
        x += 16 + 7.2 * len(s.name) + 14
    base = plot_top + plot_height
    body.append(
        f'<line x1="{left}" x2="{WIDTH}" y1="{base}" y2="{base}" stroke="{MUTED}" '
        f'stroke-width="1"/>'
        f'<text x="{left - 4}" y="{plot_top + 4}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">{_num(scale_max)}</text>'
        f'<text x="{left - 4}" y="{base}" font-size="11" text-anchor="end" fill="{MUTED}">0</text>'
    )
    groups = max(1, len(categories))
    slot = plot_width / groups
    gap = 3.0
    column = max(1.0, (slot - gap) / max(1, len(series)))
    for i, category in enumerate(categories):
        x0 = left + i * slot + gap / 2
        for k, s in enumerate(series):
            value = float(s.values[i]) if i < len(s.values) else 0.0
            h = plot_height * value / scale_max
            colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
            body.append(
                f'<rect x="{_num(x0 + k * column)}" y="{_num(base - h)}" '
                f'width="{_num(column - 0.5)}" height="{_num(h)}" fill="{colour}"/>'
            )
        body.append(
            f'<text x="{_num(left + i * slot + slot / 2)}" y="{base + 14}" font-size="10" '
            f'text-anchor="middle" fill="{INK}">{escape(category)}</text>'
        )
    parts = []
    for i, category in enumerate(categories):
        values = ", ".join(
            f"{s.name} {_num(float(s.values[i]) if i < len(s.values) else 0.0)}" for s in series
        )
        parts.append(f"{category}: {values}")
    height = base + axis_label
    return _frame(chart_id, title, "; ".join(parts) + ".", height, body)
