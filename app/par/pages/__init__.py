"""The PAR index's pages under /chi-so-cchc: public results and unit pages (``public``), the
unit leader's self-assessment (``unit``), the Department's and the council's work
(``manage``)."""

from fastapi import APIRouter

from app.par.pages import manage, public, unit

router = APIRouter(include_in_schema=False)
router.include_router(manage.router)
router.include_router(unit.router)
router.include_router(public.router)
