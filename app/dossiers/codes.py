"""Dossier codes (mã hồ sơ) and lookup secrets (docs/decisions/0005-dossier-codes-and-
concurrency.md).

An online dossier gets both when it is first submitted (the portal's electronic
acknowledgement of receipt); a counter dossier when the officer takes it in. They never change
afterwards: reception's decision, a supplement and a resubmission keep them.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.agencies.models import Agency
from app.config import get_settings
from app.db import next_in_sequence
from app.dossiers.models import Dossier, DossierCodeCounter
from app.errors import Conflict
from app.i18n_markers import N_

SECRET_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "0O1IL")
MAX_PER_DAY = 9999


def issue_code(session: Session, agency: Agency, at: datetime) -> str:
    """Next dossier code of the unit for the day of ``at`` (Decree 118/2025 Art. 28, structure
    of Circular 01/2018/TT-VPCP: ``<unit code>-YYMMDD-NNNN``).

    The counter row is incremented inside the caller's transaction: concurrent submissions and
    intakes of one unit queue on its row lock, and a rolled-back one takes its number back."""
    day = at.astimezone(ZoneInfo(get_settings().timezone)).date()
    seq = next_in_sequence(session, DossierCodeCounter, agency_code=agency.code, day=day)
    if seq > MAX_PER_DAY:
        raise Conflict(N_("Đã hết số hồ sơ trong ngày của đơn vị."))
    return f"{agency.code}-{day:%y%m%d}-{seq:04d}"


def new_secret() -> str:
    """A random lookup secret of 8 characters that cannot be misread (no 0/O, 1/I/L)."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(8))


def give_code(session: Session, dossier: Dossier, at: datetime) -> None:
    """Give the dossier its code and lookup secret, unless it already has them."""
    if dossier.code is None:
        dossier.code = issue_code(session, dossier.agency, at)
    if dossier.lookup_secret is None:
        dossier.lookup_secret = new_secret()
