"""The public catalogue: search, filters and reading published procedure versions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from app.agencies.models import Agency
from app.catalog import schemas
from app.catalog.models import Procedure, ProcedureAgency, ProcedureVersion
from app.errors import InvalidInput, NotFound
from app.i18n_markers import N_
from app.text import fold, loose, matched_terms, search_terms


@dataclass(frozen=True)
class CatalogFilter:
    q: str = ""
    agency: str = ""
    field: str = ""
    online_level: str = ""
    level: str = ""


def search_text_for(version: ProcedureVersion, code: str) -> str:
    return fold(f"{code} {version.name} {version.field} {version.result}")


def _published() -> Select[ProcedureVersion]:
    return select(ProcedureVersion).where(ProcedureVersion.status == "published")


def _filtered(session: Session, flt: CatalogFilter) -> Select[ProcedureVersion]:
    stmt = _published()
    if flt.field:
        stmt = stmt.where(ProcedureVersion.field == flt.field)
    if flt.online_level:
        if flt.online_level not in ("full", "partial"):
            raise InvalidInput(
                N_("online_level phải là full hoặc partial."),
                fields={"online_level": "full|partial"},
            )
        stmt = stmt.where(ProcedureVersion.online_level == flt.online_level)
    if flt.level:
        stmt = stmt.where(ProcedureVersion.level == flt.level)
    if flt.agency:
        stmt = stmt.where(
            exists().where(
                ProcedureAgency.version_id == ProcedureVersion.id,
                ProcedureAgency.agency_id == Agency.id,
                Agency.code == flt.agency,
            )
        )
    return stmt


def _relevance(terms: list[str], name: str, text: str) -> tuple[int, int, float] | None:
    """How well a procedure answers the query's words, or None when it holds fewer than half
    of them. Words found anywhere count first, then words found in the name, then how much of
    the name they cover ("khai sinh" is more "Đăng ký khai sinh" than "… bản sao Giấy khai
    sinh")."""
    hits = matched_terms(terms, text)
    if len(hits) < (len(terms) + 1) // 2:
        return None
    in_name = matched_terms(terms, name)
    return len(hits), len(in_name), sum(map(len, in_name)) / max(len(loose(fold(name))), 1)


def _ranked_ids(session: Session, stmt: Select[ProcedureVersion], q: str) -> list[int]:
    """The ids of the versions matching the query, best first, then by name: those holding
    every word of it; when none does, those holding at least half of them ("khai sinh cho
    con" finds "Đăng ký khai sinh", which says nothing of "cho con")."""
    terms = search_terms(q)
    rows = session.execute(
        stmt.with_only_columns(
            ProcedureVersion.id, ProcedureVersion.name, ProcedureVersion.search_text
        )
    ).all()
    scored = []
    for version_id, name, text in rows:
        score = _relevance(terms, name, text)
        if score is not None:
            scored.append(((-score[0], -score[1], -score[2], name, version_id), version_id))
    if any(-key[0] == len(terms) for key, _id in scored):
        scored = [(key, i) for key, i in scored if -key[0] == len(terms)]
    return [version_id for _key, version_id in sorted(scored)]


def list_procedures(
    session: Session, flt: CatalogFilter, limit: int = 20, offset: int = 0
) -> tuple[list[ProcedureVersion], int]:
    """Published procedures matching the filter with the total count: by name, or for a
    search the best matches first (``_ranked_ids``)."""
    if not 1 <= limit <= 100:
        raise InvalidInput(N_("limit phải từ 1 đến 100."), fields={"limit": "1..100"})
    if offset < 0:
        raise InvalidInput(N_("offset không được âm."), fields={"offset": ">= 0"})
    stmt = _filtered(session, flt)
    if search_terms(flt.q):
        ranked = _ranked_ids(session, stmt, flt.q)
        page_ids = ranked[offset : offset + limit]
        found = {
            v.id: v
            for v in session.scalars(
                select(ProcedureVersion)
                .where(ProcedureVersion.id.in_(page_ids))
                .options(selectinload(ProcedureVersion.agency_links))
            )
        }
        return [found[i] for i in page_ids], len(ranked)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.options(selectinload(ProcedureVersion.agency_links))
        .order_by(ProcedureVersion.name, ProcedureVersion.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def get_published(session: Session, code: str) -> ProcedureVersion:
    """The published version of a procedure by its national code."""
    version = session.scalar(
        _published()
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .where(Procedure.code == code)
        .options(
            selectinload(ProcedureVersion.agency_links),
            selectinload(ProcedureVersion.fees),
            selectinload(ProcedureVersion.components),
            selectinload(ProcedureVersion.steps),
        )
    )
    if version is None:
        raise NotFound(N_("Không tìm thấy thủ tục."))
    return version


def fields_in_use(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(ProcedureVersion.field)
            .where(ProcedureVersion.status == "published")
            .distinct()
            .order_by(ProcedureVersion.field)
        )
    )


def agencies_in_use(session: Session) -> list[Agency]:
    return list(
        session.scalars(
            select(Agency)
            .where(
                exists().where(
                    ProcedureAgency.agency_id == Agency.id,
                    ProcedureAgency.version_id == ProcedureVersion.id,
                    ProcedureVersion.status == "published",
                )
            )
            .order_by(Agency.level, Agency.name)
        )
    )


def main_agency(version: ProcedureVersion) -> Agency | None:
    return version.agency_links[0].agency if version.agency_links else None


def summary(version: ProcedureVersion) -> schemas.ProcedureSummary:
    agency = main_agency(version)
    return schemas.ProcedureSummary(
        code=version.code,
        name=version.name,
        field=version.field,
        level=version.level,
        agency_code=agency.code if agency else "",
        agency_name=agency.name if agency else "",
        online_level=version.online_level,
        processing_days=version.processing_days,
        version=version.version,
    )


def detail(version: ProcedureVersion) -> schemas.ProcedureRead:
    return schemas.ProcedureRead(
        **summary(version).model_dump(),
        agencies=[schemas.AgencyRef(code=a.code, name=a.name) for a in version.agencies],
        time_note=version.time_note,
        result=version.result,
        legal_basis=version.legal_basis,
        description=version.description,
        fee_note=version.fee_note,
        fees=[
            schemas.FeeRead(
                name=f.name,
                amount=f.amount,
                kind=f.kind,
                unit=f.unit,
                channel=f.channel,
                note=f.note,
                quantity_field=f.quantity_field,
                tiers=[schemas.FeeTier.model_validate(t) for t in f.tiers or []],
                cap=f.cap,
                multiplier_field=f.multiplier_field,
                multiplier_unit=f.multiplier_unit,
            )
            for f in version.fees
        ],
        components=[
            schemas.ComponentRead(
                code=c.code,
                name=c.name,
                required=c.required,
                copies=c.copies,
                paper_kind=c.paper_kind,
                accepted_types=list(c.accepted_types),
                max_size_mb=c.max_size_mb,
                note=c.note,
                blank_form_url=(
                    f"/thu-tuc/{version.code}/mau/{c.code}" if c.blank_form_sha256 else None
                ),
            )
            for c in version.components
        ],
        form_schema=schemas.FormSchema.model_validate(version.form_schema or {"fields": []}),
        steps=[
            schemas.StepRead(
                code=s.code,
                name=s.name,
                role=s.role,
                unit=s.unit,
                duration_hours=s.duration_hours,
                actions=list(s.actions),
            )
            for s in version.steps
        ],
        published_at=version.published_at,
    )
