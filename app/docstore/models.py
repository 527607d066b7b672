"""Stored documents of a citizen (kho dữ liệu) and the record of each reuse in a dossier."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow
from app.dossiers.models import Dossier

KINDS = ("result", "component")
ACTIVE = "removed_at IS NULL"


class PersonalDocument(Base):
    """One document of a citizen's store: an electronic result returned to them or a component
    the agency accepted, pointing at the stored bytes (by SHA-256) and at where it came from.
    Removing it from the store only hides it: a dossier that reused it keeps its file."""

    __tablename__ = "personal_documents"
    __table_args__ = (
        Index(
            "ix_personal_documents_owner",
            "owner_id",
            "added_at",
            postgresql_where=text(ACTIVE),
            sqlite_where=text(ACTIVE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(12))  # result | component
    name: Mapped[str] = mapped_column(String(500))
    # The component's code in its procedure, or the result-type code (GKS …) of a result.
    component_code: Mapped[str | None] = mapped_column(String(40))
    procedure_code: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    source_dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    source_file_id: Mapped[int | None] = mapped_column(ForeignKey("dossier_files.id"))
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    number: Mapped[str | None] = mapped_column(String(40))  # an electronic result's number
    valid_until: Mapped[date | None] = mapped_column(Date)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    source_dossier: Mapped[Dossier] = relationship(lazy="joined")


class DocumentReuse(Base):
    """A dossier file taken from the store instead of a new upload: the officer sees where it
    came from and the digitisation indicators count the dossier (docs/decisions/0028)."""

    __tablename__ = "document_reuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("personal_documents.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("dossier_files.id"), unique=True)
    reused_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reused_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[PersonalDocument] = relationship(lazy="joined")
