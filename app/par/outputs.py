"""What a round gives out: the ranking as XLSX, the decision's annex as a PDF table (laid out
by WeasyPrint through ``app.documents.render``) and the server-rendered charts."""

from __future__ import annotations

import io
from typing import Any

from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font

from app.documents import render
from app.par import service
from app.par.models import Round
from app.par.results import RankRow
from app.stats import charts


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def ranking_xlsx(round_: Round, rows: list[RankRow], translate: Any = None) -> bytes:
    """One sheet per unit type: rank, code, unit, each field's points and the total."""
    t = translate or (lambda s: s)
    book = Workbook()
    first = True
    for unit_type in ("department", "commune"):
        part = [r for r in rows if r.unit.unit_type == unit_type]
        if not part:
            continue
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = "So ban nganh" if unit_type == "department" else "Xa phuong"
        fields = [name for name, _p, _m in part[0].fields]
        sheet.append([t("Chỉ số cải cách hành chính năm {year}").format(year=round_.year)])
        sheet["A1"].font = Font(bold=True)
        header = ["rank", "agency_code", "name", *fields, "total"]
        sheet.append(header)
        for row in part:
            sheet.append(
                [row.rank, row.unit.agency.code, row.unit.agency.name]
                + [points for _n, points, _m in row.fields]
                + [row.total]
            )
        sheet.column_dimensions["C"].width = 48
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def annex_pdf(round_: Round, rows: list[RankRow]) -> bytes:
    """The annex of the approving decision: the index per unit type as a table."""
    tables = []
    for unit_type in ("department", "commune"):
        part = [r for r in rows if r.unit.unit_type == unit_type]
        if not part:
            continue
        tables.append(
            {
                "title": service.UNIT_TYPE_LABELS[unit_type],
                "fields": [(name, maximum) for name, _p, maximum in part[0].fields],
                "max_points": part[0].unit.criteria_set.max_points,
                "rows": [
                    {
                        "rank": r.rank,
                        "name": r.unit.agency.name,
                        "points": [_num(p) for _n, p, _m in r.fields],
                        "total": _num(r.total),
                    }
                    for r in part
                ],
            }
        )
    context = {"year": round_.year, "decision": round_.decision, "tables": tables}
    return render.render_pdf("par_annex", context)


def ranking_chart(rows: list[RankRow], chart_id: str, title: str) -> Markup:
    bars = [
        charts.Bar(
            label=f"{r.rank}. {r.unit.agency.short_name or r.unit.agency.name}",
            value=r.total,
            maximum=r.unit.criteria_set.max_points,
            text=_num(r.total),
        )
        for r in rows
    ]
    return charts.bar_chart(chart_id, title, bars)


def trend_chart(
    points: list[tuple[int, float, int | None, float]], chart_id: str, title: str, name: str
) -> Markup:
    return charts.column_chart(
        chart_id,
        title,
        [str(year) for year, *_ in points],
        [charts.Series(name, [total for _y, total, *_ in points])],
    )
