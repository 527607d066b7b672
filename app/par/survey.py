"""Scores of the sociological survey, imported from XLSX or CSV: every row checked (the unit
is in the round, the criterion is one of its ``survey`` criteria, the score within its
maximum), shown for preview, and applied only once confirmed. A file with any bad row is
refused whole, with each row and reason."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import service as audit
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.i18n_markers import N_
from app.par import criteria as criteria_rules
from app.par import service
from app.par.criteria import ImportRefused
from app.par.models import SurveyImport

COLUMNS = ("agency_code", "criterion_code", "score")
MAX_BYTES = 5 * 1024 * 1024
REFUSED = N_("Tệp điểm điều tra xã hội học bị từ chối, không có điểm nào được nhập.")


def _rows(data: bytes, filename: str) -> list[dict[str, Any]]:
    if data[:2] == b"PK":  # an XLSX file is a zip archive
        return criteria_rules.read_rows_any(data, COLUMNS, REFUSED)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(REFUSED, [(1, "tệp CSV phải dùng bảng mã UTF-8")]) from exc
    dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=dialect)
    table = list(reader)
    if not table:
        raise ImportRefused(REFUSED, [(1, "không có dòng tiêu đề")])
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportRefused(REFUSED, [(1, "thiếu cột: " + ", ".join(missing))])
    out = []
    for number, values in enumerate(table[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        item: dict[str, Any] = {header[i]: v for i, v in enumerate(values) if i < len(header)}
        item["_row"] = number
        out.append(item)
    return out


def preview(
    session: Session, user: User | None, year: int, data: bytes, filename: str
) -> SurveyImport:
    """Read and check a survey file; nothing is applied until ``apply``."""
    user = service.require_par_admin(user)
    round_ = service.get_round(session, year)
    service.check_not_frozen(round_)
    if not data:
        raise InvalidInput(N_("Chưa chọn tệp điểm điều tra."), fields={"file": "empty"})
    if len(data) > MAX_BYTES:
        raise InvalidInput(N_("Tệp quá lớn."), fields={"file": "max 5 MB"})
    units = {u.agency.code: u for u in round_.units}
    problems: list[tuple[int, str]] = []
    checked: list[list[Any]] = []
    seen: set[tuple[str, str]] = set()
    for item in _rows(data, filename):
        row = int(item["_row"])
        code = criteria_rules.cell_text(item.get("agency_code"))
        criterion_code = criteria_rules.cell_text(item.get("criterion_code"))
        points = criteria_rules.cell_number(item.get("score"))
        unit = units.get(code)
        if unit is None:
            problems.append((row, f"đơn vị “{code}” không tham gia kỳ đánh giá {year}"))
            continue
        criterion = next((c for c in unit.criteria_set.criteria if c.code == criterion_code), None)
        if criterion is None or criterion.method != "survey":
            problems.append(
                (row, f"“{criterion_code}” không phải tiêu chí điều tra xã hội học của {code}")
            )
            continue
        if points is None:
            problems.append((row, f"điểm “{item.get('score')}” không phải là số"))
            continue
        if not 0 <= points <= criterion.max_points:
            given = criteria_rules.points_text(points)
            maximum = criteria_rules.points_text(criterion.max_points)
            reason = f"điểm {given} vượt quá điểm tối đa {maximum} của tiêu chí {criterion_code}"
            problems.append((row, reason))
            continue
        if (code, criterion_code) in seen:
            problems.append((row, f"{code} – {criterion_code} có ở hai dòng"))
            continue
        seen.add((code, criterion_code))
        checked.append([code, criterion_code, round(points, 2), unit.agency.name, criterion.name])
    if problems:
        raise ImportRefused(REFUSED, problems)
    if not checked:
        raise ImportRefused(REFUSED, [(2, "tệp không có dòng điểm nào")])
    pending = SurveyImport(
        round_id=round_.id, filename=filename[:255], rows=checked, created_by_id=user.id
    )
    session.add(pending)
    session.flush()
    return pending


def get_import(session: Session, user: User | None, year: int, import_id: int) -> SurveyImport:
    service.require_par_admin(user)
    round_ = service.get_round(session, year)
    row = session.get(SurveyImport, import_id)
    if row is None or row.round_id != round_.id:
        raise NotFound(N_("Không tìm thấy lần nhập điểm điều tra."))
    return row


def apply(
    session: Session, user: User | None, year: int, import_id: int, now: datetime | None = None
) -> int:
    """Apply a previewed survey import; returns the number of scores written."""
    row = get_import(session, user, year, import_id)
    round_ = service.get_round(session, year)
    service.check_not_frozen(round_)
    if row.applied_at is not None:
        raise Conflict(N_("Tệp điểm điều tra này đã được nhập."))
    units = {u.agency.code: u for u in round_.units}
    for code, criterion_code, points, *_ in row.rows:
        unit = units[code]
        criterion = next(c for c in unit.criteria_set.criteria if c.code == criterion_code)
        service.scores_of(session, unit)[criterion.id].score = float(points)
    row.applied_at = now or utcnow()
    session.flush()
    audit.record(
        session,
        "par.survey_imported",
        actor=user,
        object_type="par_round",
        object_id=year,
        details={"file": row.filename, "rows": len(row.rows)},
    )
    return len(row.rows)
