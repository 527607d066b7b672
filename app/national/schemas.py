"""The national sync queue as the JSON API shows it (without the messages' personal data)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NationalMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dossier_id: int
    dossier_code: str
    service: str = Field(description="DongBoHoSoMC (the dossier) or CapNhatTienDoHoSoMC")
    is_updating: bool | None = Field(description="DongBoHoSoMC's isUpdating")
    national_status: int | None = Field(description="National status code 1–10 reported")
    action: str
    status: str = Field(description="pending | acknowledged | parked | unsendable | discarded")
    attempts: int
    next_attempt_at: datetime
    last_error: str = Field(description="The national portal's last answer, or why not sendable")
    acknowledged_at: datetime | None
    created_at: datetime
    handled_by: str
    handled_at: datetime | None


class NationalQueueRead(BaseModel):
    items: list[NationalMessageRead]
    total: int
    counts: dict[str, int] = Field(description="Messages per status")
    configured: bool = Field(description="PORTAL_NATIONAL_URL is set (messages are being sent)")


class NationalIdsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(min_length=1, max_length=100, description="Message ids")


class NationalChangedRead(BaseModel):
    items: list[NationalMessageRead]
