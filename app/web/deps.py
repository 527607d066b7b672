"""Request dependencies as annotated types, defined once: ``session: SessionDep``,
``user: CurrentUser``, ``user: OptionalUser``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.accounts.deps import current_user, current_user_optional
from app.accounts.models import User
from app.web.session import SessionDep as SessionDep  # the request's transaction

# The logged-in user (401 for the API, a redirect to the login page for pages).
CurrentUser = Annotated[User, Depends(current_user)]
# The logged-in user or None.
OptionalUser = Annotated[User | None, Depends(current_user_optional)]
