"""The supplement request told once and completely (Decree 118/2025, Art. 19), and the rules
that hold an otherwise possible action back while a supplement is concerned: at most
``max_supplement_requests`` requests per dossier, and no stop before the supplement limit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.calendar import service as calendar_service
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier
from app.dossiers.schemas import ActionIn
from app.dossiers.state import DossierState
from app.errors import Conflict, DomainError, InvalidInput
from app.i18n_markers import N_

LIMIT_REACHED = N_(
    "Hồ sơ đã được yêu cầu bổ sung đủ số lần cho phép: không yêu cầu bổ sung thêm được. Mọi "
    "nội dung cần bổ sung, hoàn thiện phải được nêu đầy đủ trong một lần yêu cầu (Nghị định "
    "118/2025/NĐ-CP)."
)
STOP_TOO_EARLY = N_(
    "Hồ sơ đang chờ người nộp bổ sung: chưa được dừng xử lý trước khi hết thời hạn bổ sung "
    "(Nghị định 118/2025/NĐ-CP, Điều 19). Quá hạn mà không bổ sung, hệ thống tự dừng xử lý hồ sơ."
)


def held_back(
    session: Session, action: str, dossier: DossierState, now: datetime
) -> DomainError | None:
    """The rule that keeps ``action`` from being taken now on a dossier where it would
    otherwise be possible, as the error to answer with; None when no such rule applies."""
    if action == "request_supplement":
        limit = calendar_service.get_calendar(session).rules.max_supplement_requests
        # Decree 118/2025: the applicant is guided once — every gap in one request.
        if dossier.supplement_count >= limit:
            return Conflict(
                LIMIT_REACHED,
                fields={
                    "supplement_count": str(dossier.supplement_count),
                    "max_supplement_requests": str(limit),
                },
            )
    if action == "stop" and dossier.status == "supplement_requested":
        due = dossier.supplement_due_at
        # Decree 118/2025 Art. 19: the applicant has the whole supplement limit.
        if due is not None and now <= due:
            return Conflict(STOP_TOO_EARLY, fields={"supplement_due_at": due.isoformat()})
    return None


def requested_items(dossier: Dossier, inp: ActionIn) -> list[dict[str, Any]]:
    """The missing components of a supplement request, each with the officer's reason."""
    items = []
    for code in dict.fromkeys(inp.missing_components):
        comp = dossier_service.component(dossier, code)
        items.append({"code": comp.code, "name": comp.name, "reason": inp.comment.strip()})
    return items


def data_problems(dossier: Dossier, inp: ActionIn) -> list[dict[str, str]]:
    """The problems in the declared data, each naming a field of the procedure's form (its
    label as the applicant read it); an unknown field or a problem left blank is refused."""
    fields = {
        f["name"]: str(f.get("label") or f["name"])
        for f in (dossier.version.form_schema or {}).get("fields", [])
        if isinstance(f, dict) and f.get("name")
    }
    problems: list[dict[str, str]] = []
    for item in inp.data_problems:
        if item.field not in fields:
            raise InvalidInput(
                N_("Tờ khai của thủ tục không có trường này."),
                fields={"data_problems": f"unknown field: {item.field}"},
            )
        if not item.problem:
            raise InvalidInput(
                N_("Nêu rõ thông tin kê khai cần sửa, bổ sung."),
                fields={"data_problems": f"problem required: {item.field}"},
            )
        entry = {"field": item.field, "label": fields[item.field], "problem": item.problem}
        if entry not in problems:
            problems.append(entry)
    return problems
