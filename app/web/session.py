"""The database session of one request (one transaction per request, ADR 0001)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.db import get_sessionmaker, request_session


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: commit on success, roll back on any error."""
    yield from request_session(request.method, get_sessionmaker())


# Scope "function" ends the transaction when the route returns, before the response is sent,
# so a client never sees work that is not committed yet.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
