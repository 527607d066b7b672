"""Generated documents (forms 01–07, receipts, results), stored once, verifiable by QR."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow

KINDS = (
    "form_01",
    "form_02",
    "form_03",
    "form_04",
    "form_05",
    "form_06",
    "form_07",
    "receipt",
    "result",
)


class Document(Base):
    """A document as issued. Its content is frozen in ``context`` at issue time; the PDF is
    rendered once, on first request, and then stored by SHA-256."""

    __tablename__ = "documents"
    __table_args__ = (
        Index(
            "ix_documents_result",
            "dossier_id",
            postgresql_where=text("kind = 'result'"),
            sqlite_where=text("kind = 'result'"),
        ),
        # Receipts whose PDF is still to be made: the worker's sweep (revision 0031).
        Index(
            "ix_documents_receipt_pending",
            "id",
            postgresql_where=text("kind = 'receipt' AND sha256 IS NULL"),
            sqlite_where=text("kind = 'receipt' AND sha256 IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(255))
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    # Random token in the QR code of the PDF; opens the public verification page.
    verify_token: Mapped[str] = mapped_column(String(43), unique=True)
    # An electronic result's number (``GKS-26-000123``), unique across the portal; None for
    # the other kinds (docs/decisions/0017-result-signing-and-numbers.md).
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ResultNumberCounter(Base):
    """Last result number issued per result-type code and year; incremented in the attaching
    transaction, so concurrent attachments queue on the row and never share a number."""

    __tablename__ = "result_number_counters"
    __table_args__ = (UniqueConstraint("type_code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type_code: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


class FormNumberCounter(Base):
    """Last number of an administrative form (02–05) issued per agency, kind and year; bumped
    in the transaction of the action that issues the form, so concurrent issues queue on the
    row and a rolled-back action takes its number back (no gaps)."""

    __tablename__ = "form_number_counters"
    __table_args__ = (UniqueConstraint("agency_id", "kind", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    kind: Mapped[str] = mapped_column(String(12))
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)
