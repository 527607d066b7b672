"""Forms 02–05 as administrative documents (SPEC §3; Decree 30/2020/NĐ-CP on document formats):
their number and symbol, the issuing agency's abbreviation and place name, and who signs
(docs/decisions/0021-administrative-form-numbers.md).

- **Number.** ``Số: 12/TB-UBND``: a running number per agency, kind and year (portal time zone),
  from ``form_number_counters`` bumped with ``UPDATE … RETURNING`` in the transaction of the
  action that issues the form, as dossier codes (0005) and result numbers (0018) are: concurrent
  issues queue on the row's lock, a rolled-back action takes its number back.
- **Symbol.** What follows the number is data (``SYMBOLS``): the kind's abbreviation from
  Decree 30/2020 Appendix III where it has one, and the agency's abbreviation.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.agencies.models import Agency
from app.config import get_settings
from app.db import next_in_sequence
from app.documents import render
from app.documents.models import FormNumberCounter

# The symbol of each numbered form, ``{agency}`` being the agency's abbreviation. Decree
# 30/2020/NĐ-CP, Appendix I, part I, II.3: "<number>/<kind abbreviation>-<agency abbreviation>";
# kinds from its Appendix III where listed (Thông báo = TB). The two "phiếu" of Circular
# 03/2025/TT-VPCP are not kinds of that table (it lists only phiếu gửi PG, phiếu chuyển PC,
# phiếu báo PB): they take the initials of their names. Form 04 is a letter (công văn), which
# has no kind abbreviation: "<number>/<agency>-<drafting unit>", the unit being the one-stop
# shop (Bộ phận Một cửa, BPMC).
SYMBOLS: dict[str, str] = {
    "form_02": "PYCBS-{agency}",  # Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ
    "form_03": "PTC-{agency}",  # Phiếu từ chối tiếp nhận giải quyết hồ sơ
    "form_04": "{agency}-BPMC",  # Văn bản (công văn) xin lỗi và đề nghị gia hạn
    "form_05": "TB-{agency}",  # Thông báo dừng giải quyết hồ sơ
}
NUMBERED_KINDS = tuple(SYMBOLS)

# The title printed above the signer's name, by the role the officer acts in (first role
# the officer holds in the form's order). A one-stop shop's forms are signed by the officer
# who took the decision; the role's title at the agency is what the public sees.
ROLE_TITLES: dict[str, str] = {
    "reception": "Công chức tiếp nhận hồ sơ",
    "specialist": "Công chức xử lý hồ sơ",
    "leader": "Lãnh đạo cơ quan",
    "cashier": "Công chức thu phí, lệ phí",
    "agency_admin": "Quản trị hệ thống của cơ quan",
}
SIGNING_ROLES: dict[str, tuple[str, ...]] = {
    "form_02": ("reception", "specialist", "leader"),
    "form_03": ("reception", "specialist", "leader"),
    "form_04": ("leader", "specialist", "reception"),
    "form_05": ("leader", "reception", "specialist"),
}
# A form issued by the portal itself (the worker stops a dossier whose supplement never came).
SYSTEM_SIGNER_TITLE = "Hệ thống Một cửa điện tử"

# Words of an agency's name that its abbreviation keeps whole (customary in symbols).
_NAME_ABBREVIATIONS = (
    ("ủy ban nhân dân", "UBND"),
    ("uỷ ban nhân dân", "UBND"),
    ("hội đồng nhân dân", "HĐND"),
    ("trung tâm phục vụ hành chính công", "TTPVHCC"),
    ("công an tỉnh", "CAT"),
    ("công an thành phố", "CATP"),
    ("công an phường", "CAP"),
    ("công an xã", "CAX"),
)
# Where an agency's own name ends and its place begins ("Sở Tư pháp | tỉnh Hưng Yên").
_PLACE_WORDS = ("tỉnh", "thành phố", "phường", "xã", "đặc khu", "quận", "huyện", "thị xã")


def _initials(words: str) -> str:
    out = []
    for word in words.split():
        first = word[0]
        if first in ("đ", "Đ"):
            out.append("Đ")
        elif first.isalnum():
            base = unicodedata.normalize("NFD", first)[0]
            out.append(base.upper())
    return "".join(out)


def derived_abbreviation(name: str) -> str:
    """An abbreviation made from the agency's name when none is set: ``Ủy ban nhân dân xã Liên
    Phương`` → ``UBND``, ``Sở Tư pháp tỉnh Hưng Yên`` → ``STP``, ``Công an tỉnh`` → ``CAT``."""
    text = " ".join(unicodedata.normalize("NFC", name).split())
    lowered = text.lower()
    for words, short in _NAME_ABBREVIATIONS:
        if lowered.startswith(words):
            return short
    cuts = [at for word in _PLACE_WORDS if (at := lowered.find(f" {word} ")) > 0]
    own = text[: min(cuts)] if cuts else text
    return _initials(own)[:20] or "CQ"


def abbreviation(agency: Agency) -> str:
    """The agency's abbreviation in document symbols (set by its administrator, or derived)."""
    return (agency.abbreviation or "").strip() or derived_abbreviation(agency.name)


def place_name(agency: Agency) -> str:
    """The place of the date line: the agency's own, or the province or commune of its
    address (Decree 30/2020/NĐ-CP, Appendix I, part I, II.5)."""
    return (agency.place_name or "").strip() or render._place(agency.address)


def next_number(session: Session, agency_id: int, kind: str, at: datetime) -> int:
    """The next number of form ``kind`` of the agency for the year of ``at`` (portal time zone).

    Concurrent issues queue on the counter row's lock (PostgreSQL) or the write lock (SQLite);
    a rolled-back issue takes its number back with it."""
    year = at.astimezone(ZoneInfo(get_settings().timezone)).year
    return next_in_sequence(session, FormNumberCounter, agency_id=agency_id, kind=kind, year=year)


def document_number(kind: str, seq: int, agency_abbreviation: str) -> str:
    """``12/TB-UBND``; numbers below 10 take a leading zero (Decree 30/2020/NĐ-CP, Appendix I,
    part I, II.3.a)."""
    return f"{seq:02d}/{SYMBOLS[kind].format(agency=agency_abbreviation)}"


def signer(kind: str, officer: User | None) -> dict[str, Any]:
    """Who signs the form: the acting officer with the title of the role acted in; the portal
    itself when no officer acted."""
    if officer is None:
        return {"name": "", "title": SYSTEM_SIGNER_TITLE, "system": True}
    roles = officer.roles
    role = next((r for r in SIGNING_ROLES.get(kind, ()) if r in roles), None)
    if role is None:
        role = next((r for r in ROLE_TITLES if r in roles), None)
    title = ROLE_TITLES.get(role or "", "Công chức")
    return {"name": officer.full_name, "title": title, "system": False}


def issue_fields(
    session: Session, agency: Agency, kind: str, officer: User | None, at: datetime
) -> dict[str, Any]:
    """What an administrative form adds to its frozen context: its number, the agency's
    abbreviation and place, the signer. Takes the number (call in the issuing transaction)."""
    short = abbreviation(agency)
    seq = next_number(session, agency.id, kind, at)
    return {
        "number": document_number(kind, seq, short),
        "sequence": seq,
        "abbreviation": short,
        "place": place_name(agency),
        "signer": signer(kind, officer),
    }
