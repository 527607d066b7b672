"""Staff pages (§3–§5): the officer's queue, a dossier as staff see it with one form per
available action, counter reception, and the tracking book (form 07).

Every page works without JavaScript; a domain error re-renders the page with the message
next to the field it is about, and a success redirects (303) with a flash message.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.workflow.pages import counter, dossier_desk, home, tracking_book

router = APIRouter(include_in_schema=False)
for module in (home, dossier_desk, counter, tracking_book):
    router.include_router(module.router)
