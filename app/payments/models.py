"""Fee payments of a dossier: counter (cash, transfer) and online (sandbox, VNPay)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow

METHODS = ("cash", "transfer", "sandbox", "vnpay")
ONLINE_METHODS = ("sandbox", "vnpay")
PAYMENT_STATUSES = ("pending", "paid", "failed", "cancelled")


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index(
            "ix_payments_paid",
            "dossier_id",
            "method",
            postgresql_where=text("status = 'paid'"),
            sqlite_where=text("status = 'paid'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int]  # VND, always computed by the server from the fee items
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    # Merchant transaction reference sent to a gateway (vnp_TxnRef); unique.
    txn_ref: Mapped[str] = mapped_column(String(40), unique=True)
    gateway_txn: Mapped[str] = mapped_column(String(60), default="")
    gateway_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
