"""JSON shapes of the result delivery of a dossier."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ResultDeliveryIn(BaseModel):
    method: str = Field(max_length=10, description="online (download or at the counter) | post")
    recipient_name: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=500)


class ResultDeliveryRead(BaseModel):
    method: str = Field(description="online | post")
    recipient_name: str = ""
    phone: str = ""
    address: str = ""
    fee: int = Field(default=0, description="The postal fee added to the dossier's fees (VND)")
    tracking_number: str | None = None
    handed_over_at: datetime | None = None
