"""Receipt payloads with the field names of SPEC §9."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class Payer(BaseModel):
    name: str
    address: str
    id_number: str
    tax_code: str = Field(default="", description="An organisation's tax code (mã số thuế)")


class ReceiptItem(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    amount: int = Field(ge=0, le=10**15)


class CollectingAgency(BaseModel):
    id: int
    name: str
    tax_code: str
    address: str


class ReceiptRead(BaseModel):
    id: int
    receipt_name: str = Field(description="Tên biên lai, as the series names it")
    template_symbol: str = Field(description="Ký hiệu mẫu biên lai, e.g. 01BLP0-001")
    series: str = Field(description="Ký hiệu biên lai: two letters, year's last two digits, E")
    number: int = Field(description="1 … 9 999 999, from 1 each calendar year in the series")
    number_text: str = Field(description="The number as printed: 7 digits, zero-padded")
    issued_at: datetime
    payer: Payer
    items: list[ReceiptItem]
    amount: int
    amount_in_words: str
    payment_method: str = Field(description="cash | transfer | sandbox | vnpay")
    payment_method_label: str
    status: str = Field(description="issued | cancelled | replaced")
    status_label: str
    agency: CollectingAgency
    collector_name: str
    dossier_id: int | None
    dossier_code: str | None
    payment_id: int | None
    replaces_id: int | None
    replaced_by_id: int | None
    cancelled_at: datetime | None
    cancel_reason: str
    refund_id: int | None = Field(
        default=None, description="The refund that cancelled the receipt (fees paid back)"
    )
    signed: bool
    pdf_pending: bool = Field(
        description="The signed PDF is still being made just after the payment (a few seconds)"
    )
    pdf_url: str
    verify_url: str | None


class ReceiptPage(BaseModel):
    items: list[ReceiptRead]
    total: int
    limit: int
    offset: int
    amount_issued: int = Field(description="Sum of the receipts still valid (status issued)")


class CancelIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class ReplaceIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)
    payer_name: str | None = Field(default=None, min_length=1, max_length=120)
    payer_address: str | None = Field(default=None, max_length=255)
    payer_id_number: str | None = Field(default=None, max_length=20)
    payer_tax_code: str | None = Field(
        default=None,
        max_length=14,
        pattern=r"^(\d{10}(-\d{3})?)?$",
        description="An organisation's tax code; empty to take it off",
    )
    items: list[ReceiptItem] | None = Field(
        default=None,
        max_length=50,
        description="Corrected fee names; the total must stay the amount collected",
    )


class SeriesUsage(BaseModel):
    receipt_name: str = ""
    template_symbol: str
    series: str
    from_number: int
    to_number: int
    used: int = Field(description="Numbers issued in the period (none is ever deleted)")
    valid: int = Field(description="Of them, still valid (status issued)")
    cancelled: int
    cancelled_numbers: list[int]
    replaced: int
    replaced_numbers: list[int]


class UsageReport(BaseModel):
    agency_code: str
    agency_name: str
    tax_code: str
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    series: list[SeriesUsage]
