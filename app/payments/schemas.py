"""Payment payloads (§9)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


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


class IpnAnswer(BaseModel):
    RspCode: str
    Message: str
