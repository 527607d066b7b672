"""Criteria sets as data: the tree of fields, criteria and sub-criteria, the rule of an
automatic criterion (one portal figure and its point bands — a table, never code), and the
XLSX form the Department of Home Affairs pastes the year's official table into.

A set is checked whole before anything is stored: every problem is reported with its row and
reason, and a set with any problem imports nothing."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook

from app.errors import InvalidInput
from app.i18n_markers import N_
from app.par import figures
from app.par.models import METHODS

COLUMNS = ("code", "name", "max_points", "method", "figure", "bands")
REQUIRED_COLUMNS = ("code", "name", "max_points", "method")
CODE = re.compile(r"^[1-9][0-9]*(\.[1-9][0-9]*)*$")
MAX_ROWS = 2000
EPSILON = 0.001
SET_REFUSED = N_("Bộ tiêu chí bị từ chối, không có dữ liệu nào được nhập.")


class ImportRefused(InvalidInput):
    """A file refused whole: ``problems`` lists (row, reason), row 1 being the header."""

    def __init__(self, detail: str, problems: list[tuple[int, str]]) -> None:
        shown = "; ".join(f"dòng {row}: {reason}" for row, reason in problems[:20])
        super().__init__(f"{detail} {shown}", fields={"file": shown})
        self.summary = detail
        self.problems = problems


@dataclass
class Node:
    """One row of a criteria set as read, before it is stored."""

    row: int
    code: str
    name: str
    max_points: float
    method: str | None
    rule: dict[str, Any] | None
    children: list[Node] = field(default_factory=list)

    @property
    def parent_code(self) -> str | None:
        return self.code.rpartition(".")[0] or None


# --- rules of automatic criteria ---------------------------------------------------------------


def parse_bands(text: str) -> list[list[float]]:
    """``"98=2; 90=1; 0=0"`` → ``[[98, 2], [90, 1], [0, 0]]`` (from this rate on, these points),
    highest threshold first."""
    bands: list[list[float]] = []
    for part in re.split(r"[;\n]", text or ""):
        part = part.strip()
        if not part:
            continue
        left, sep, right = part.partition("=")
        if not sep:
            raise ValueError(part)
        bands.append(
            [float(left.strip().replace(",", ".")), float(right.strip().replace(",", "."))]
        )
    if not bands:
        raise ValueError(text)
    bands.sort(key=lambda b: -b[0])
    return bands


def bands_text(bands: list[list[float]]) -> str:
    return "; ".join(f"{points_text(low)}={points_text(points)}" for low, points in bands)


def band_points(bands: list[list[float]], rate: float) -> float:
    """The points of the first band whose threshold the rate reaches; below every band, 0."""
    for low, points in bands:
        if rate >= low:
            return float(points)
    return 0.0


def formula_text(rule: dict[str, Any], translate: Any = None) -> str:
    """The rule in words: "Tỷ lệ …: từ 98% → 2 điểm; từ 90% → 1 điểm; dưới 90% → 0 điểm"."""
    t = translate or (lambda s: s)
    spec = figures.get(rule.get("figure", ""))
    label = t(spec.label) if spec else rule.get("figure", "")
    parts = [
        t(N_("từ {rate}% → {points} điểm")).format(
            rate=points_text(low), points=points_text(points)
        )
        for low, points in rule.get("bands", [])
    ]
    lowest = rule.get("bands", [[0, 0]])[-1][0]
    if lowest > 0:
        parts.append(t(N_("dưới {rate}% → 0 điểm")).format(rate=points_text(lowest)))
    return f"{label}: " + "; ".join(parts)


def points_text(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


# --- reading and checking a set -----------------------------------------------------------------


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def cell_number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(cell_text(value).replace(",", "."))
    except ValueError:
        return None


def read_rows_any(data: bytes, required: tuple[str, ...], refused: str) -> list[dict[str, Any]]:
    """The rows of an XLSX file's first sheet as dicts by header (lower-cased), each with its
    row number; a file without the ``required`` columns is refused."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
        raise ImportRefused(refused, [(1, "không đọc được tệp XLSX")]) from exc
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1))
    book.close()
    if not rows:
        raise ImportRefused(refused, [(1, "không có dòng tiêu đề")])
    header = [cell_text(h).lower() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRefused(refused, [(1, "thiếu cột: " + ", ".join(missing))])
    out = []
    for number, values in enumerate(rows[1:], start=2):
        if all(cell_text(v) == "" for v in values):
            continue
        item = {header[i]: v for i, v in enumerate(values) if i < len(header) and header[i]}
        item["_row"] = number
        out.append(item)
    return out


def read_rows(data: bytes) -> list[dict[str, Any]]:
    return read_rows_any(data, REQUIRED_COLUMNS, SET_REFUSED)


def check_tree(rows: list[dict[str, Any]]) -> list[Node]:
    """The fields of a set from its rows, every problem reported (``ImportRefused``)."""
    problems: list[tuple[int, str]] = []
    nodes: dict[str, Node] = {}
    roots: list[Node] = []
    for item in rows:
        row = int(item["_row"])
        code = cell_text(item.get("code"))
        name = cell_text(item.get("name"))
        points = cell_number(item.get("max_points"))
        method = cell_text(item.get("method")).lower() or None
        if not CODE.match(code):
            problems.append((row, f"mã tiêu chí không hợp lệ: “{code}” (dạng 1, 1.2, 1.2.3)"))
            continue
        if code in nodes:
            problems.append((row, f"mã tiêu chí {code} bị trùng"))
            continue
        if not name:
            problems.append((row, f"tiêu chí {code} thiếu tên"))
        if points is None or points <= 0 or points > 1000:
            problems.append((row, f"điểm tối đa của {code} không hợp lệ"))
            points = 0.0
        if method is not None and method not in METHODS:
            problems.append(
                (row, f"phương pháp chấm “{method}” không hợp lệ (manual, auto hoặc survey)")
            )
        rule = None
        if method == "auto":
            rule = _rule(item, row, code, points, problems)
        node = Node(row, code, name[:500], points, method, rule)
        parent = node.parent_code
        if parent is None:
            roots.append(node)
        elif parent not in nodes:
            problems.append((row, f"tiêu chí {code} không có tiêu chí cha {parent} ở dòng trên"))
            continue
        else:
            nodes[parent].children.append(node)
        nodes[code] = node
    if not roots and not problems:
        problems.append((2, "bộ tiêu chí không có lĩnh vực nào"))
    for node in nodes.values():
        if node.children:
            if node.method is not None:
                problems.append(
                    (node.row, f"{node.code} có tiêu chí con nên không ghi phương pháp chấm")
                )
            total = sum(c.max_points for c in node.children)
            if abs(total - node.max_points) > EPSILON:
                problems.append(
                    (
                        node.row,
                        f"tổng điểm các tiêu chí con của {node.code} là {points_text(total)}, "
                        f"khác điểm tối đa {points_text(node.max_points)}",
                    )
                )
        elif node.method is None:
            problems.append((node.row, f"tiêu chí {node.code} thiếu phương pháp chấm"))
    if problems:
        raise ImportRefused(SET_REFUSED, sorted(problems))
    return roots


def _rule(
    item: dict[str, Any], row: int, code: str, points: float, problems: list[tuple[int, str]]
) -> dict[str, Any] | None:
    name = cell_text(item.get("figure"))
    if figures.get(name) is None:
        known = ", ".join(f.name for f in figures.registered())
        problems.append((row, f"số liệu “{name}” của {code} không có trên cổng (có: {known})"))
        return None
    try:
        bands = parse_bands(cell_text(item.get("bands")))
    except ValueError:
        problems.append((row, f"khung điểm của {code} không hợp lệ (ví dụ: 98=2; 90=1; 0=0)"))
        return None
    for low, earned in bands:
        if not 0 <= low <= 100 or earned < 0 or earned > points + EPSILON:
            problems.append(
                (row, f"khung điểm của {code}: ngưỡng 0–100%, điểm từ 0 đến {points_text(points)}")
            )
            return None
    return {"figure": name, "bands": bands}


def flatten(roots: list[Node]) -> list[Node]:
    out: list[Node] = []

    def walk(node: Node) -> None:
        out.append(node)
        for child in node.children:
            walk(child)

    for root in roots:
        walk(root)
    return out


def parse_xlsx(data: bytes) -> list[Node]:
    """A criteria set from an XLSX file, checked whole."""
    return check_tree(read_rows(data))


def to_xlsx(rows: list[tuple[str, str, float, str | None, dict[str, Any] | None]]) -> bytes:
    """A criteria set as XLSX, in the columns ``parse_xlsx`` reads back."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Bo tieu chi"
    sheet.append(list(COLUMNS))
    for code, name, points, method, rule in rows:
        sheet.append(
            [
                code,
                name,
                points,
                method or "",
                (rule or {}).get("figure", ""),
                bands_text((rule or {}).get("bands", [])) if rule else "",
            ]
        )
    sheet.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
