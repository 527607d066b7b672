"""The procedure catalogue (danh mục TTHC): procedures and their immutable published versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.agencies.models import Agency
from app.db import Base, JSONType, UTCDateTime, utcnow

ONLINE_LEVELS = ("full", "partial")
VERSION_STATUSES = ("draft", "published", "retired")
FIELD_TYPES = (
    "text",
    "textarea",
    "date",
    "number",
    "select",
    "checkbox",
    "email",
    "phone",
    "id_number",
)
# Bounds every declared number and date keeps, whatever the designer set (finding L3): a number
# is finite and below a thousand billion in size, a date between 1900 and 2100.
NUMBER_LIMIT = 10**12
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)
STANDARD_ACTIONS = (
    "receive",
    "request_supplement",
    "reject",
    "forward",
    "send_back",
    "approve",
    "request_payment",
    "attach_result",
    "return_result",
    "withdraw",
    "stop",
    "extend",
)


class Procedure(Base):
    """A national procedure code; what it says lives in its versions."""

    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[ProcedureVersion]] = relationship(
        back_populates="procedure", order_by="ProcedureVersion.version"
    )


class ProcedureVersion(Base):
    """One version of a procedure and its process; published versions are never edited."""

    __tablename__ = "procedure_versions"
    __table_args__ = (
        UniqueConstraint("procedure_id", "version"),
        Index("ix_procedure_versions_status_name", "status", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="draft")
    name: Mapped[str] = mapped_column(String(500))
    field: Mapped[str] = mapped_column(String(120), index=True)
    level: Mapped[str] = mapped_column(String(20))  # province | commune
    online_level: Mapped[str] = mapped_column(String(10))
    processing_days: Mapped[float] = mapped_column(Float)
    time_note: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    result_type_code: Mapped[str] = mapped_column(String(20), default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    fee_note: Mapped[str] = mapped_column(Text, default="")
    form_schema: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    payment_moment: Mapped[str] = mapped_column(String(20), default="none")
    # Accent-free lower-case text, so "dang ky khai sinh" finds "Đăng ký khai sinh".
    search_text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    procedure: Mapped[Procedure] = relationship(back_populates="versions", lazy="joined")
    agency_links: Mapped[list[ProcedureAgency]] = relationship(
        cascade="all, delete-orphan", order_by="ProcedureAgency.position"
    )
    fees: Mapped[list[FeeItem]] = relationship(
        cascade="all, delete-orphan", order_by="FeeItem.position"
    )
    components: Mapped[list[Component]] = relationship(
        cascade="all, delete-orphan", order_by="Component.position"
    )
    steps: Mapped[list[ProcessStep]] = relationship(
        cascade="all, delete-orphan", order_by="ProcessStep.position"
    )

    @property
    def code(self) -> str:
        return self.procedure.code

    @property
    def agencies(self) -> list[Agency]:
        return [link.agency for link in self.agency_links]


class ProcedureAgency(Base):
    """An agency that implements a procedure version (commune procedures: every commune)."""

    __tablename__ = "procedure_agencies"
    __table_args__ = (UniqueConstraint("version_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("procedure_versions.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    agency: Mapped[Agency] = relationship(lazy="joined")


class FeeItem(Base):
    __tablename__ = "fee_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("procedure_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10), default="fee")  # fee (phí) | charge (lệ phí)
    name: Mapped[str] = mapped_column(String(255))
    amount: Mapped[int]  # VND
    unit: Mapped[str] = mapped_column(String(60), default="")
    channel: Mapped[str | None] = mapped_column(String(10))  # None = any channel
    note: Mapped[str] = mapped_column(Text, default="")
    # Per unit of a declared number field (per copy, page, case); None = a flat amount.
    # The calculation is app.payments.fees.
    quantity_field: Mapped[str | None] = mapped_column(String(40))
    # [{"from": n, "amount": vnd}] ascending from 1: the unit price from unit n on.
    tiers: Mapped[list[dict[str, int]]] = mapped_column(JSONType, default=list)
    cap: Mapped[int | None]  # the most one multiplier unit (e.g. one copy) pays, VND
    # A second number field (e.g. the number of copies) that multiplies the capped amount.
    multiplier_field: Mapped[str | None] = mapped_column(String(40))
    multiplier_unit: Mapped[str] = mapped_column(String(60), default="")  # e.g. "bản"


class Component(Base):
    """A document component (thành phần hồ sơ) the applicant provides."""

    __tablename__ = "components"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("procedure_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(500))
    required: Mapped[bool] = mapped_column(default=True)
    copies: Mapped[int] = mapped_column(default=1)
    paper_kind: Mapped[str] = mapped_column(String(10), default="copy")  # original | copy | either
    accepted_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    max_size_mb: Mapped[int] = mapped_column(default=10)
    note: Mapped[str] = mapped_column(Text, default="")
    # The blank form (tờ khai theo mẫu) citizens download from the procedure page, in storage.
    blank_form_sha256: Mapped[str | None] = mapped_column(String(64))
    blank_form_name: Mapped[str] = mapped_column(String(255), default="")


class ProcessStep(Base):
    """One step of the ISO process (quy trình) of a procedure version."""

    __tablename__ = "process_steps"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("procedure_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(255), default="")
    # None: the dossier's receiving agency; otherwise a fixed unit (e.g. a department).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    duration_hours: Mapped[float] = mapped_column(Float)
    actions: Mapped[list[str]] = mapped_column(JSONType, default=list)

    agency: Mapped[Agency | None] = relationship(lazy="joined")
