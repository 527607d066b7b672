"""Fee payments of a dossier: counter (cash, transfer) and online (sandbox, VNPay); refunds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
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
    # When the gateway last answered a status query (VNPay's querydr) about this payment.
    last_queried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


REFUND_METHODS = ("cash", "transfer", "gateway")
REFUND_STATUSES = ("pending", "refunded", "failed")


class Refund(Base):
    """Money paid back for a dossier that was rejected, stopped or withdrawn (SPEC §6): one
    settled payment, in full. At most one refund per payment that is not ``failed`` (the
    partial unique index), so a second refund of the same money is refused by the database
    even when two cashiers press at once; a failed gateway refund may be tried again."""

    __tablename__ = "refunds"
    __table_args__ = (
        Index(
            "uq_refunds_payment_active",
            "payment_id",
            unique=True,
            postgresql_where=text("status <> 'failed'"),
            sqlite_where=text("status <> 'failed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    # The receipt cancelled by this refund (set by the receipts' subscriber).
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    amount: Mapped[int]  # VND, the payment's amount
    method: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # What the gateway answered when it refused (shown to the cashier), or "".
    message: Mapped[str] = mapped_column(Text, default="")
    gateway_ref: Mapped[str] = mapped_column(String(60), default="")
    gateway_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
