"""Agencies (cơ quan): a tree of any depth with electronic identification codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow

LEVELS = ("province", "center", "department", "commune", "district")


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Electronic identification code, QCVN 102:2016 / Decision 20/2020/QĐ-TTg.
    code: Mapped[str] = mapped_column(String(35), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str] = mapped_column(String(120), default="")
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    tax_code: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    # What the agency's administrative documents print (Decree 30/2020/NĐ-CP, Appendix I):
    # its abbreviation in document symbols ("UBND" in "Số: 12/TB-UBND") and the place name of
    # the date line ("Hưng Yên"); empty means derived from the name and the address.
    abbreviation: Mapped[str] = mapped_column(String(20), default="", server_default="")
    place_name: Mapped[str] = mapped_column(String(60), default="", server_default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Every staff member of this agency logs in with a code from an authenticator app too.
    require_two_factor: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Agency | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Agency]] = relationship(back_populates="parent")
