"""What the national portal is told, in its adapter's field names (SPEC §11, as provincial
systems use it, after OpenCPS's integration): the dossier (``DongBoHoSoMC``) and one progress
entry (``CapNhatTienDoHoSoMC``), written when the change happens and sent as written."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.config import get_settings
from app.documents import numbering
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier, DossierEvent
from app.i18n_markers import N_
from app.payments import service as payment_service
from app.postal import service as postal_service
from app.workflow.labels import ACTION_LABELS

DOSSIER = "DongBoHoSoMC"
PROGRESS = "CapNhatTienDoHoSoMC"
# A national procedure code as the national database of procedures writes it: the level
# digit, a dot and six digits (1.001193, 2.000635). A code made up locally is not one.
NATIONAL_CODE_RE = re.compile(r"^[0-9]\.[0-9]{6}$")
NO_NATIONAL_CODE = N_(
    "Thủ tục %(code)s không có mã TTHC quốc gia (dạng 1.001193): hồ sơ không gửi được lên "
    "Cổng Dịch vụ công quốc gia."
)
# Actions that move the appointment without changing the status: the dossier is sent again.
RESEND_DOSSIER = frozenset({"extend"})


def national_time(value: datetime | None) -> str:
    """``yyyyMMddHHmmss`` in the portal's time zone (Asia/Ho_Chi_Minh); empty for none."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y%m%d%H%M%S")


def national_code(dossier: Dossier) -> str | None:
    """The procedure's national code (MaTTHC): the catalogue's procedure code is the national
    one (SPEC §2); a locally made code is none (docs/decisions/0027)."""
    code = dossier.version.procedure.code
    return code if NATIONAL_CODE_RE.fullmatch(code) else None


def national_status(dossier: Dossier) -> int | None:
    return dossier_service.NATIONAL_STATUS.get(dossier.status)


def _applicant(dossier: Dossier) -> dict[str, str]:
    applicant = dossier.applicant or {}
    tax_code = str(applicant.get("tax_code") or "")
    return {
        "ChuHoSo": str(applicant.get("full_name") or ""),
        # 1 a citizen, 2 an organisation (it has a tax code).
        "LoaiDoiTuong": "2" if tax_code else "1",
        "MaDoiTuong": tax_code or str(applicant.get("id_number") or ""),
        "SoDienThoai": str(applicant.get("phone") or ""),
        "Email": str(applicant.get("email") or ""),
    }


def _files(dossier: Dossier) -> list[dict[str, str]]:
    base = get_settings().base_url.rstrip("/")
    return [
        {
            "TenTepDinhKem": f.filename,
            "DuongDanTaiTepTin": f"{base}/ho-so/{dossier.id}/tep/{f.id}",
        }
        for f in dossier.files
        if f.purpose == "component" and f.removed_at is None
    ]


def _results(session: Session, dossier: Dossier) -> list[dict[str, str]]:
    base = get_settings().base_url.rstrip("/")
    rows = session.scalars(
        select(Document)
        .where(Document.dossier_id == dossier.id, Document.kind == "result")
        .order_by(Document.id)
    )
    return [
        {
            "TenGiayTo": doc.title,
            "MaKyHieu": doc.number or "",
            "DuongDanTepTinKetQua": f"{base}/xac-minh/{doc.verify_token}",
        }
        for doc in rows
    ]


def dossier_entry(session: Session, dossier: Dossier) -> dict[str, Any]:
    """The ``DongBoHoSoMC`` data entry of the dossier as it stands now."""
    version = dossier.version
    handling = dossier.handling_agency or dossier.agency
    received = dossier.received_at or dossier.submitted_at
    returned = dossier.finished_at if dossier.status == "completed" else None
    return {
        "MaHoSo": dossier.code or "",
        "MaTTHC": national_code(dossier) or "",
        "TenTTHC": version.name,
        # The catalogue keeps fields by name; their national codes are not recorded.
        "MaLinhVuc": "",
        "TenLinhVuc": version.field,
        "KenhThucHien": str(dossier_service.NATIONAL_CHANNEL.get(dossier.channel, 2)),
        # How the result reaches the applicant, coded like the channels (1 counter, 2 online,
        # 3 postal): by post when chosen (issue 24), else the submission channel's own way.
        "HinhThucTraKetQua": "3"
        if postal_service.get(session, dossier.id) is not None
        else str(dossier_service.NATIONAL_CHANNEL.get(dossier.channel, 2)),
        **_applicant(dossier),
        "TrichYeuHoSo": f"{version.name} — {(dossier.applicant or {}).get('full_name', '')}",
        "NgayTiepNhan": national_time(received),
        "NgayHenTra": national_time(dossier.due_at),
        "TrangThaiHoSo": str(national_status(dossier) or ""),
        "NgayTra": national_time(returned),
        "DonViXuLy": handling.name,
        "TaiLieuNop": _files(dossier),
        "DanhSachLePhi": [
            {"TenPhiLePhi": item["name"], "Gia": int(item["amount"])}
            for item in payment_service.fee_items(dossier)
        ],
        "DanhSachGiayToKetQua": _results(session, dossier),
    }


def _last_event(session: Session, dossier: Dossier) -> DossierEvent | None:
    return session.scalar(
        select(DossierEvent)
        .where(DossierEvent.dossier_id == dossier.id)
        .order_by(DossierEvent.id.desc())
        .limit(1)
    )


def progress_entry(
    session: Session, dossier: Dossier, actor: User | None, action: str, comment: str
) -> dict[str, Any]:
    """The ``CapNhatTienDoHoSoMC`` data entry of one action: who, when, where, what."""
    event = _last_event(session, dossier)
    at = event.at if event is not None and event.action == action else None
    run = next((r for r in reversed(dossier.step_runs) if r.finished_at is None), None)
    if actor is None:
        title = "Hệ thống"
    elif actor.is_staff:
        title = numbering.signer("", actor)["title"]
    else:
        title = "Người nộp hồ sơ"
    agency = dossier.handling_agency or dossier.agency
    label = ACTION_LABELS.get(action, action)
    return {
        "MaHoSo": dossier.code or "",
        "NguoiXuLy": actor.full_name if actor is not None else "Hệ thống",
        "ChucDanh": title,
        "ThoiDiemXuLy": national_time(at or dossier.updated_at),
        "PhongBanXuLy": agency.name,
        "NoiDungXuLy": f"{label}: {comment}" if comment else label,
        "TrangThai": str(national_status(dossier) or ""),
        "NgayBatDau": national_time(run.started_at if run else at or dossier.updated_at),
        "NgayKetThucTheoQuyDinh": national_time(run.due_at if run else dossier.due_at),
    }
