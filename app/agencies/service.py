"""Agencies: lookups and the tree."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.agencies.models import Agency
from app.agencies.schemas import AgencyRead
from app.errors import NotFound
from app.i18n_markers import N_


def get_by_code(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(N_("Không tìm thấy cơ quan."))
    return agency


def list_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).where(Agency.is_active).order_by(Agency.code)))


def tree(session: Session, root_id: int | None = None) -> list[tuple[int, Agency]]:
    """Agencies in depth-first order with their depth, from a root (or from every top agency)."""
    agencies = list(session.scalars(select(Agency).order_by(Agency.level, Agency.name)))
    children: dict[int | None, list[Agency]] = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency)
    out: list[tuple[int, Agency]] = []

    def walk(node: Agency, depth: int) -> None:
        out.append((depth, node))
        for child in children.get(node.id, []):
            walk(child, depth + 1)

    roots = [a for a in agencies if a.id == root_id] if root_id else children.get(None, [])
    for root in roots:
        walk(root, 0)
    return out


def read(agency: Agency, parent_code: str | None) -> AgencyRead:
    data = AgencyRead.model_validate(agency)
    data.parent_code = parent_code
    return data
