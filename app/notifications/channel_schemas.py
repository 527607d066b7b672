"""JSON shapes of the notice channels: the caller's choice and the delivery log."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ChannelsIn(BaseModel):
    channels: list[str] = Field(
        max_length=4, description="Any of in_app, email, sms, zalo; at least one"
    )
    phone: str | None = Field(
        default=None,
        max_length=40,
        description="The mobile number for SMS and Zalo (default: the account's phone)",
    )


class ChannelsRead(BaseModel):
    channels: list[str]
    phone: str = Field(description="The mobile number notices go to (84xxxxxxxxx), or empty")
    available: list[str]
    chosen: bool = Field(description="False while the account keeps the default")


class ChannelMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    kind: str
    to_phone: str
    body_text: str
    status: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    provider_id: str
    last_error: str
    dossier_id: int | None
    created_at: datetime


class DeliveryLogRead(BaseModel):
    items: list[ChannelMessageRead]
    total: int
    counts: dict[str, int]
