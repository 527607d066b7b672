"""Statistics pages: the public indicators page (/thong-ke) and the leader's dashboard
(/can-bo/bang-dieu-khien), each table with an XLSX export. Charts are server-rendered SVG
with the same figures in a table, so everything works without JavaScript and on a phone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.accounts import service as account_service
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.dossiers import service as dossier_service
from app.errors import InvalidInput, NotFound
from app.feedback import service as feedback_service
from app.i18n_markers import N_
from app.stats import charts, dates, exports, figures, schemas
from app.stats import dashboard as dashboard_service
from app.stats import indicators as indicator_service
from app.web import content_disposition, format_date, render, request_locale, translator
from app.web.deps import CurrentUser, OptionalUser, SessionDep

router = APIRouter(include_in_schema=False)

DASHBOARD_TABLES = ("overdue", "due_today", "officers", "steps", "trend")


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type=exports.XLSX_TYPE,
        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"},
    )


def _number(locale: str) -> Any:
    def fmt(value: float | int | None, digits: int = 2) -> str:
        if value is None:
            return "—"
        pattern = "#,##0." + "#" * digits if digits else "#,##0"
        return str(format_decimal(value, format=pattern, locale=locale))

    return fmt


def _local(value: datetime | None) -> datetime | None:
    """A naive local datetime for a spreadsheet cell (Excel has no time zones)."""
    return value.astimezone(dates.tz()).replace(tzinfo=None) if value else None


# --- the public statistics page --------------------------------------------------------------


def _period_values(
    agency: str, date_from: str, date_to: str, level: str
) -> tuple[dict[str, str], dict[str, str], tuple[date, date] | None]:
    first, last = dates.default_period()
    values = {
        "agency": agency.strip(),
        "from": date_from.strip() or first.isoformat(),
        "to": date_to.strip() or last.isoformat(),
        "level": level.strip(),
    }
    errors: dict[str, str] = {}
    period = None
    try:
        period = dates.parse_period(values["from"], values["to"])
    except InvalidInput as exc:
        for name in exc.fields or {"to": ""}:
            errors[name] = exc.detail
    if values["level"] and values["level"] not in figures.LEVEL_LABELS:
        errors["level"] = N_("Cấp cơ quan không hợp lệ.")
    return values, errors, period


def _figure_bars(read: schemas.IndicatorsRead, fmt: Any) -> list[charts.Bar]:
    return [
        charts.Bar(
            label=fig.label,
            value=fig.rate,
            maximum=100,
            text=f"{fmt(fig.rate)}%",
            target=fig.threshold,
            target_text=f"{fmt(fig.threshold)}%",
        )
        for group in read.groups.values()
        for fig in group.figures.values()
    ]


def _group_bars(read: schemas.IndicatorsRead, fmt: Any) -> list[charts.Bar]:
    return [
        charts.Bar(
            label=group.label,
            value=group.points,
            maximum=group.max_points,
            text=f"{fmt(group.points)}/{fmt(group.max_points)}",
        )
        for group in read.groups.values()
    ]


def _feedback_on_time(
    session: SessionDep, agency: Agency, date_from: date, date_to: date
) -> feedback_service.OnTime:
    """Feedback to the agency's subtree filed in the period, answered on time (SPEC §12)."""
    start, end = dates.bounds(date_from, date_to)
    subtree = account_service.agency_subtree_ids(session, agency.id)
    return feedback_service.on_time_rate(session, subtree, start, end)


@router.get("/thong-ke")
def statistics_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    agency: str = Query("", max_length=35),
    date_from: str = Query("", alias="from", max_length=20),
    date_to: str = Query("", alias="to", max_length=20),
    level: str = Query("", max_length=20),
) -> Response:
    """Public statistics: the Decision 766 indicators of an agency for a period, with the
    formula of every figure, charts, tables and the ranking of agencies."""
    _ = translator(request)
    fmt = _number(request_locale(request))
    values, errors, period = _period_values(agency, date_from, date_to, level)
    tree = agency_service.tree(session)
    overview = None
    if period is not None and not errors:
        try:
            overview = indicator_service.overview(
                session, values["agency"] or None, period[0], period[1], values["level"] or None, _
            )
        except NotFound:
            errors["agency"] = _("Không tìm thấy cơ quan.")
    if overview is not None and not values["agency"]:
        values["agency"] = overview.indicators.agency.code
    query = urlencode(values)
    context: dict[str, Any] = {
        "values": values,
        "errors": {k: _(v) for k, v in errors.items()},
        "agency_options": [(a.code, "— " * depth + a.name) for depth, a in tree],
        "level_options": [(k, _(v)) for k, v in figures.LEVEL_LABELS.items()],
        "level_labels": figures.LEVEL_LABELS,
        "read": overview.indicators if overview else None,
        "ranking": overview.ranking if overview else [],
        "fmt": fmt,
        "xlsx_url": f"/thong-ke/xlsx?{query}",
        "api_url": "/api/v1/stats/indicators?"
        + urlencode({k: values[k] for k in ("agency", "from", "to")}),
        "points_rule": _(figures.POINTS_RULE),
        "is_leader": bool(
            user and (user.is_admin or user.has_role("leader") or user.has_role("agency_admin"))
        ),
    }
    if overview is not None and period is not None:
        read = overview.indicators
        chosen = agency_service.get_by_code(session, read.agency.code)
        context["feedback_on_time"] = _feedback_on_time(session, chosen, period[0], period[1])
        context["group_chart"] = charts.bar_chart(
            "chart-groups", _("Điểm theo nhóm chỉ số"), _group_bars(read, fmt)
        )
        context["figure_chart"] = charts.bar_chart(
            "chart-figures",
            _("Tỷ lệ theo chỉ số"),
            _figure_bars(read, fmt),
            target_label=_("ngưỡng đạt điểm tối đa"),
        )
    return render(request, "stats/index.html", context, status_code=422 if errors else 200)


@router.get("/thong-ke/xlsx")
def statistics_xlsx(
    request: Request,
    session: SessionDep,
    agency: str = Query("", max_length=35),
    date_from: str = Query("", alias="from", max_length=20),
    date_to: str = Query("", alias="to", max_length=20),
    level: str = Query("", max_length=20),
) -> Response:
    """The indicators and the ranking of the statistics page as an XLSX workbook."""
    _ = translator(request)
    values, errors, period = _period_values(agency, date_from, date_to, level)
    if errors or period is None:
        name, detail = next(iter(errors.items()))
        raise InvalidInput(detail, fields={name: "invalid"})
    ov = indicator_service.overview(
        session, values["agency"] or None, period[0], period[1], values["level"] or None, _
    )
    read = ov.indicators
    span = f"{format_date(period[0])} – {format_date(period[1])}"
    heading = f"{read.agency.name} ({read.agency.code}), {span}"
    data = exports.workbook_bytes(
        [
            (
                _("Chỉ số"),
                _("Chỉ số chất lượng phục vụ (Quyết định 766/QĐ-TTg)") + " — " + heading,
                [
                    _("Nhóm chỉ số"),
                    _("Chỉ số"),
                    _("Tử số"),
                    _("Mẫu số"),
                    _("Tỷ lệ (%)"),
                    _("Ngưỡng đạt điểm tối đa (%)"),
                    _("Điểm"),
                    _("Điểm tối đa"),
                    _("Công thức"),
                ],
                exports.indicator_rows(read),
            ),
            (
                _("Xếp hạng"),
                _("Xếp hạng cơ quan theo tổng điểm") + " — " + span,
                [
                    _("Hạng"),
                    _("Cơ quan"),
                    _("Mã cơ quan"),
                    _("Cấp"),
                    _("Tổng điểm"),
                    _("Hồ sơ tiếp nhận"),
                    _("Đúng hạn (%)"),
                    _("Trực tuyến (%)"),
                    _("Hài lòng (%)"),
                ],
                exports.ranking_table(ov.ranking, lambda lv: _(figures.LEVEL_LABELS.get(lv, lv))),
            ),
        ]
    )
    filename = f"thong-ke_{read.agency.code}_{period[0]:%Y%m%d}-{period[1]:%Y%m%d}.xlsx"
    return _xlsx(data, filename)


# --- the leader's dashboard --------------------------------------------------------------------


def _dossier_table(rows: list[dict[str, Any]], _: Any) -> list[list[Any]]:
    return [
        [
            i,
            r["code"],
            r["procedure_name"],
            r["applicant_name"],
            _(dossier_service.CHANNEL_LABELS.get(r["channel"], r["channel"])),
            _(dossier_service.STATUS_LABELS.get(r["status"], r["status"])),
            r["step_name"],
            r["assignee"],
            _local(r["received_at"]),
            _local(r["due_at"]),
        ]
        for i, r in enumerate(rows, start=1)
    ]


def _month_label(month: date) -> str:
    return f"{month.month:02d}/{month.year}"


@router.get("/can-bo/bang-dieu-khien")
def dashboard_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    agency: str = Query("", max_length=35),
) -> Response:
    """The leader's dashboard: overdue and due-today dossiers, workload per officer and per
    step, the 12-month trend, each with an XLSX export."""
    _ = translator(request)
    fmt = _number(request_locale(request))
    data = dashboard_service.dashboard(session, user, agency or None)
    allowed = dashboard_service.dashboard_agencies(session, user)
    code = data["agency"].code
    today = dates.local_today(data["now"])
    trend = data["trend"]
    trend_chart = charts.column_chart(
        "chart-trend",
        _("Hồ sơ theo tháng (12 tháng gần nhất)"),
        [f"{m['month'].month}/{m['month'].year % 100:02d}" for m in trend],
        [
            charts.Series(_("Tiếp nhận"), [m["received"] for m in trend]),
            charts.Series(_("Có kết quả"), [m["finished"] for m in trend]),
            charts.Series(_("Quá hạn"), [m["late"] for m in trend]),
        ],
    )
    officers = data["officers"]
    unassigned = _("Chưa phân công")
    workload_chart = charts.bar_chart(
        "chart-officers",
        _("Hồ sơ đang xử lý theo cán bộ"),
        [
            charts.Bar(
                label=o["name"] or unassigned,
                value=o["open"],
                maximum=max([x["open"] for x in officers] + [1]),
                text=fmt(o["open"], 0),
            )
            for o in officers[:12]
        ],
    )
    book_query = urlencode(
        {"agency": code, "from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    )
    return render(
        request,
        "stats/dashboard.html",
        {
            "data": data,
            "agency_options": [(a.code, "— " * depth + a.name) for depth, a in allowed],
            "code": code,
            "fmt": fmt,
            "trend_chart": trend_chart,
            "workload_chart": workload_chart if officers else None,
            "month_label": _month_label,
            "unassigned": unassigned,
            "status_labels": dossier_service.STATUS_LABELS,
            "channel_labels": dossier_service.CHANNEL_LABELS,
            "xlsx": {
                t: "/can-bo/bang-dieu-khien/xlsx?" + urlencode({"agency": code, "table": t})
                for t in DASHBOARD_TABLES
            },
            "book_url": f"/can-bo/so-theo-doi?{book_query}",
            "book_xlsx_url": f"/api/v1/reports/tracking-book?{book_query}&format=xlsx",
            "limit": dashboard_service.LIST_LIMIT,
            "feedback_on_time": _feedback_on_time(
                session, data["agency"], today - timedelta(days=365), today
            ),
        },
    )


@router.get("/can-bo/bang-dieu-khien/xlsx")
def dashboard_xlsx(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    agency: str = Query("", max_length=35),
    table: str = Query("overdue", max_length=20),
) -> Response:
    """One table of the leader's dashboard as XLSX."""
    _ = translator(request)
    if table not in DASHBOARD_TABLES:
        raise InvalidInput(N_("Bảng không hợp lệ."), fields={"table": "|".join(DASHBOARD_TABLES)})
    data = dashboard_service.dashboard(
        session, user, agency or None, list_limit=dashboard_service.EXPORT_LIMIT
    )
    name = f"{data['agency'].name} ({data['agency'].code})"
    dossier_header = [
        _("STT"),
        _("Mã hồ sơ"),
        _("Thủ tục"),
        _("Người nộp"),
        _("Hình thức nộp"),
        _("Trạng thái"),
        _("Bước hiện tại"),
        _("Cán bộ"),
        _("Ngày tiếp nhận"),
        _("Hẹn trả"),
    ]
    load_header = [_("Đang xử lý"), _("Quá hạn")]
    sheets: dict[str, tuple[str, str, list[str], list[list[Any]]]] = {
        "overdue": (
            _("Quá hạn"),
            _("Hồ sơ quá hạn") + " — " + name,
            dossier_header,
            _dossier_table(data["overdue"], _),
        ),
        "due_today": (
            _("Đến hạn hôm nay"),
            _("Hồ sơ đến hạn hôm nay") + " — " + name,
            dossier_header,
            _dossier_table(data["due_today"], _),
        ),
        "officers": (
            _("Theo cán bộ"),
            _("Hồ sơ đang xử lý theo cán bộ") + " — " + name,
            [_("Cán bộ"), *load_header],
            [[o["name"] or _("Chưa phân công"), o["open"], o["overdue"]] for o in data["officers"]],
        ),
        "steps": (
            _("Theo bước"),
            _("Hồ sơ đang xử lý theo bước") + " — " + name,
            [_("Mã bước"), _("Bước xử lý"), *load_header],
            [[s["key"], s["name"], s["open"], s["overdue"]] for s in data["steps"]],
        ),
        "trend": (
            _("Theo tháng"),
            _("Hồ sơ theo tháng (12 tháng gần nhất)") + " — " + name,
            [_("Tháng"), _("Tiếp nhận"), _("Có kết quả"), _("Quá hạn")],
            [
                [_month_label(m["month"]), m["received"], m["finished"], m["late"]]
                for m in data["trend"]
            ],
        ),
    }
    today = dates.local_today(data["now"])
    filename = f"bang-dieu-khien_{table}_{data['agency'].code}_{today:%Y%m%d}.xlsx"
    return _xlsx(exports.workbook_bytes([sheets[table]]), filename)
