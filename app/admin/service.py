"""The administration home: figures and the agency tree of what the admin looks after.

The screens themselves live with the domain whose rules they edit (agencies, accounts, the
procedure designer in catalog, calendar, receipt series, signing certificates); who may
administer what is decided in ``app.accounts.service``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.calendar import admin as calendar_admin
from app.catalog import designer as designer_service
from app.national import service as national_service


@dataclass(frozen=True)
class Dashboard:
    tree: list[tuple[int, Agency]]
    agencies: int
    users: int
    procedures: int
    drafts: int
    system_admin: bool
    # This year and the next when their holidays are not confirmed (a warning for the admin).
    unconfirmed_years: list[int] = field(default_factory=list)
    # National sync messages parked or not sendable (system admins only).
    national_problems: int = 0


def dashboard(session: Session, user: User) -> Dashboard:
    """Figures and the agency tree for the administration home."""
    tree = agency_service.agency_tree(session, user)
    ids = account_service.scope_ids(session, user)
    users = select(func.count()).select_from(User).where(User.is_active.is_(True))
    if ids is None:
        users = users.where(or_(User.agency_id.is_not(None), User.is_admin.is_(True)))
    else:
        users = users.where(User.agency_id.in_(ids))
    procedures = designer_service.list_procedures(session, user)
    return Dashboard(
        tree=tree,
        agencies=sum(1 for _d, a in tree if a.is_active),
        users=session.scalar(users) or 0,
        procedures=sum(1 for p in procedures if p.published is not None),
        drafts=sum(1 for p in procedures if p.draft is not None),
        system_admin=user.is_admin,
        unconfirmed_years=calendar_admin.unconfirmed_years(session) if user.is_admin else [],
        national_problems=national_service.problems(session) if user.is_admin else 0,
    )
