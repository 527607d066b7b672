"""Request dependencies as annotated types, defined once: ``session: SessionDep``,
``user: CurrentUser``, ``user: OptionalUser``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from app.accounts.deps import current_user, current_user_optional
from app.accounts.models import User
from app.db import get_session

# The request's transaction: committed when the route returns, rolled back on error. Scope
# "function" ends it before the response is sent, so a client never sees uncommitted work.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# The logged-in user (401 for the API, a redirect to the login page for pages).
CurrentUser = Annotated[User, Depends(current_user)]
# The logged-in user or None.
OptionalUser = Annotated[User | None, Depends(current_user_optional)]
