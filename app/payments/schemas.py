"""Payment payloads (§9)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class PaymentCreate(BaseModel):
    method: Literal["cash", "transfer", "sandbox", "vnpay"]


class PaymentItem(BaseModel):
    name: str
    amount: int


class PaymentRead(BaseModel):
    payment_id: int
    dossier_id: int
    method: str
    status: str
    amount: int
    items: list[PaymentItem]
    redirect_url: str | None
    receipt_id: int | None
    created_at: datetime
    paid_at: datetime | None


class PaymentList(BaseModel):
    items: list[PaymentRead]
    outstanding: int
    refund_due: int = Field(
        description="What is owed back to the applicant after a rejection, stop or withdrawal"
    )


class RefundCreate(BaseModel):
    method: Literal["cash", "transfer", "gateway"]
    reason: str = Field(max_length=1000)


class RefundRead(BaseModel):
    refund_id: int
    dossier_id: int
    payment_id: int
    receipt_id: int | None = Field(description="The receipt cancelled by the refund")
    amount: int
    method: str
    status: str = Field(description="refunded | failed | pending")
    reason: str
    message: str = Field(description="The gateway's answer when it refused the refund")
    gateway_ref: str
    created_at: datetime
    refunded_at: datetime | None


class IpnAnswer(BaseModel):
    RspCode: str
    Message: str
