"""Electronic fee receipts (biên lai điện tử, Decree 123/2020 Art. 32) and their series."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, JSONType, UTCDateTime, utcnow

RECEIPT_STATUSES = ("issued", "cancelled", "replaced")
# Decree 123/2020 Art. 32: the receipt's name as printed; an agency's series may name it otherwise.
DEFAULT_RECEIPT_NAME = "Biên lai thu phí, lệ phí"


class ReceiptSeries(Base):
    """A receipt template symbol + series of an agency for one calendar year; ``last_number``
    is bumped in the issuing transaction, so numbers run from 1 without gaps."""

    __tablename__ = "receipt_series"
    __table_args__ = (UniqueConstraint("agency_id", "template_symbol", "series"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    template_symbol: Mapped[str] = mapped_column(String(20))  # ký hiệu mẫu
    series: Mapped[str] = mapped_column(String(20))  # ký hiệu: letters + last two year digits
    receipt_name: Mapped[str] = mapped_column(String(100), default=DEFAULT_RECEIPT_NAME)
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("series_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("receipt_series.id"), index=True)
    number: Mapped[int]
    template_symbol: Mapped[str] = mapped_column(String(20))
    series: Mapped[str] = mapped_column(String(20))
    receipt_name: Mapped[str] = mapped_column(String(100), default=DEFAULT_RECEIPT_NAME)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    agency_name: Mapped[str] = mapped_column(String(255))
    agency_tax_code: Mapped[str] = mapped_column(String(20))
    agency_address: Mapped[str] = mapped_column(String(255), default="")
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    payer_name: Mapped[str] = mapped_column(String(120))
    payer_address: Mapped[str] = mapped_column(String(255), default="")
    payer_id_number: Mapped[str] = mapped_column(String(20), default="")
    payer_tax_code: Mapped[str] = mapped_column(String(14), default="")  # organisations only
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    amount: Mapped[int]
    amount_in_words: Mapped[str] = mapped_column(String(500))
    payment_method: Mapped[str] = mapped_column(String(12))
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collector_name: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(10), default="issued")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    replaces: Mapped[Receipt | None] = relationship(remote_side=[id])
