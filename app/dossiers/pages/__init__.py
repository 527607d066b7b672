"""Citizen dossier pages: start, fill, attach files and submit a dossier; follow and withdraw
it; the public lookup (/tra-cuu) and the public document verification (/xac-minh/{token}).

The draft page is one multipart form: saving, uploading, removing a file and submitting all
post every field, so nothing typed is lost whichever button is pressed (with or without
JavaScript; app/static/js/uploads.js only adds uploads without a page reload).
"""

from __future__ import annotations

from fastapi import APIRouter

from app.dossiers.pages import detail, draft, public

router = APIRouter(include_in_schema=False)
for module in (draft, detail, public):
    router.include_router(module.router)
