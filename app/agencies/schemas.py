"""Agency payloads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AgencyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    short_name: str
    level: str
    parent_code: str | None = None
    tax_code: str
    address: str
    phone: str
    email: str
