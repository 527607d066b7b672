"""Feedback pages: the public ones under /phan-anh (file, look up, the published list) and the
staff's queue and item under /can-bo/phan-anh."""

from __future__ import annotations

from fastapi import APIRouter

from app.feedback.pages import public, staff

router = APIRouter(include_in_schema=False)
for module in (public, staff):
    router.include_router(module.router)
