"""The national sync outbox: one row per message for the national portal, written in the
transaction of the status change it reports (docs/decisions/0027-national-sync-outbox.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow

# pending: waits for (another) delivery; acknowledged: the national portal answered
# error_code 0; parked: given up after the configured attempts, for an administrator;
# unsendable: cannot be sent as it stands (e.g. the procedure has no national code);
# discarded: an administrator decided it is not to be sent.
STATUSES = ("pending", "acknowledged", "parked", "unsendable", "discarded")
# A message of these statuses holds back every later message of the same dossier.
OPEN_STATUSES = ("pending", "parked", "unsendable")
SERVICES = ("DongBoHoSoMC", "CapNhatTienDoHoSoMC")


class NationalMessage(Base):
    """One message for the national portal (service and its data entry).

    Messages of one dossier are delivered in ``id`` order: one is claimed only while no
    earlier message of its dossier is still open. A sender claims a row by moving
    ``claimed_until`` forward with a conditional UPDATE (as the e-mail outbox does), so two
    workers never send it at once."""

    __tablename__ = "national_messages"
    __table_args__ = (
        Index("ix_national_messages_due", "status", "next_attempt_at"),
        # The order within a dossier, and "is an earlier message still open?".
        Index("ix_national_messages_dossier", "dossier_id", "id"),
        # Decision 766's "synchronised": does the dossier have a message acknowledged in the
        # day? (the tallies' EXISTS; a small index, only acknowledged-in-day rows)
        Index(
            "ix_national_messages_in_day",
            "dossier_id",
            postgresql_where=text("in_day"),
            sqlite_where=text("in_day"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    dossier_code: Mapped[str] = mapped_column(String(60))
    service: Mapped[str] = mapped_column(String(30))
    # DongBoHoSoMC only: "isUpdating" — False for the dossier's first, True afterwards.
    is_updating: Mapped[bool | None] = mapped_column(Boolean)
    # The national status code (1–10) the message reports.
    national_status: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(30), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The partner's last answer (or why the message cannot be sent), without any secret.
    last_error: Mapped[str] = mapped_column(Text, default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Acknowledged by the end of the local day the dossier was received (Decision 766's
    # "synchronised" figure counts the received dossiers with such a message).
    in_day: Mapped[bool] = mapped_column(Boolean, default=False)
    # The administrator's last decision (retry or discard): who and when.
    handled_by: Mapped[str] = mapped_column(String(120), default="")
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The request that wrote it, for the worker's log lines (app/telemetry.py, revision 0031).
    request_id: Mapped[str] = mapped_column(String(64), default="")
