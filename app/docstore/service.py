"""The personal document store (kho dữ liệu cá nhân, SPEC §11; docs/decisions/0028).

What enters it, automatically (``collect``, from ``subscribers``): the components of a dossier
once its reception accepted them (``receive``), and again when the result is returned (a
supplement sent during processing is accepted by then), and the electronic results returned
to the applicant (``return_result``). Only dossiers with an applicant account have a store.
Entries point at the stored bytes by SHA-256, so neither entering the store nor reusing a
document copies a file; removing an entry only hides it (``removed_at``) — a dossier that
reused it keeps its file and its origin.

Only the owner sees, downloads, removes and reuses their documents: every other caller,
staff and administrators included, gets "not found" (the store is personal data)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.docstore.models import KINDS, DocumentReuse, PersonalDocument
from app.documents.models import Document
from app.dossiers import service as dossier_service
from app.dossiers.models import Dossier, DossierFile
from app.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)
from app.i18n_markers import N_
from app.storage import service as storage

NOT_FOUND = N_("Không tìm thấy tài liệu trong kho dữ liệu của bạn.")
KIND_LABELS = {"result": N_("Kết quả giải quyết"), "component": N_("Giấy tờ đã số hóa")}


# --- entering the store ---------------------------------------------------------------------


def _known(session: Session, owner_id: int) -> tuple[set[str], set[tuple[str, int]]]:
    """(digests active in the store, (digest, source dossier) pairs ever stored)."""
    rows = session.execute(
        select(
            PersonalDocument.sha256,
            PersonalDocument.source_dossier_id,
            PersonalDocument.removed_at,
        ).where(PersonalDocument.owner_id == owner_id)
    ).all()
    active = {r.sha256 for r in rows if r.removed_at is None}
    return active, {(r.sha256, r.source_dossier_id) for r in rows}


def _valid_until(doc: Document) -> date | None:
    value = ((doc.context or {}).get("result") or {}).get("valid_until")
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def collect(
    session: Session,
    dossier: Dossier,
    *,
    components: bool = True,
    results: bool = False,
    now: datetime | None = None,
) -> list[PersonalDocument]:
    """Put the dossier's accepted components and/or its returned results into the applicant's
    store. Idempotent: a file already in the store, or once stored from this dossier and
    removed by the owner, is not added again."""
    if dossier.applicant_id is None:
        return []  # a counter dossier of a person without an account: no store to fill
    now = now or utcnow()
    active, ever = _known(session, dossier.applicant_id)
    added: list[PersonalDocument] = []

    def add(sha256: str, **values: Any) -> None:
        if sha256 in active or (sha256, dossier.id) in ever:
            return
        active.add(sha256)
        row = PersonalDocument(
            owner_id=dossier.applicant_id,
            sha256=sha256,
            procedure_code=dossier.version.code,
            source_dossier_id=dossier.id,
            added_at=now,
            **values,
        )
        session.add(row)
        added.append(row)

    if components:
        names = {c.code: c.name for c in dossier.version.components}
        for row in dossier_service.active_files(dossier):
            add(
                row.sha256,
                kind="component",
                name=names.get(row.component_code or "", row.filename),
                component_code=row.component_code,
                filename=row.filename,
                content_type=row.content_type,
                size=row.size,
                source_file_id=row.id,
            )
    if results:
        files = {f.sha256: f for f in dossier_service.active_files(dossier, "result")}
        documents = session.scalars(
            select(Document)
            .where(Document.dossier_id == dossier.id, Document.kind == "result")
            .order_by(Document.id)
        ).all()
        for doc in documents:
            if doc.sha256 is None or doc.size is None:
                continue
            source = files.get(doc.sha256)
            add(
                doc.sha256,
                kind="result",
                name=dossier.version.result or doc.title,
                component_code=dossier.version.result_type_code or None,
                filename=source.filename if source else f"{doc.number or 'ket-qua'}.pdf",
                content_type="application/pdf",
                size=doc.size,
                source_file_id=source.id if source else None,
                source_document_id=doc.id,
                number=doc.number,
                valid_until=_valid_until(doc),
            )
    if added:
        session.flush()
    return added


# --- the owner's reads ----------------------------------------------------------------------


def _owner(user: User | None) -> User:
    if user is None:
        raise Unauthorized(N_("Bạn cần đăng nhập."))
    return user


def list_mine(
    session: Session,
    user: User | None,
    limit: int = 50,
    offset: int = 0,
    kind: str | None = None,
) -> tuple[list[PersonalDocument], int]:
    """The caller's own stored documents, newest first."""
    owner = _owner(user)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(
            N_("Loại tài liệu không hợp lệ."), fields={"kind": "one of " + ", ".join(KINDS)}
        )
    base = select(PersonalDocument).where(
        PersonalDocument.owner_id == owner.id, PersonalDocument.removed_at.is_(None)
    )
    if kind:
        base = base.where(PersonalDocument.kind == kind)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.order_by(PersonalDocument.added_at.desc(), PersonalDocument.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def get_mine(session: Session, user: User | None, document_id: int) -> PersonalDocument:
    """One of the caller's documents still in the store; anything else is "not found"."""
    owner = _owner(user)
    row = session.get(PersonalDocument, document_id)
    if row is None or row.owner_id != owner.id or row.removed_at is not None:
        raise NotFound(NOT_FOUND)
    return row


def read_bytes(
    session: Session, user: User | None, document_id: int
) -> tuple[PersonalDocument, bytes]:
    row = get_mine(session, user, document_id)
    return row, storage.read_bytes(row.sha256)


def remove(session: Session, user: User | None, document_id: int) -> PersonalDocument:
    """Take a document out of the store. Nothing is deleted: the dossiers it came from or
    that reused it keep their files (storage is content-addressed and shared)."""
    row = get_mine(session, user, document_id)
    row.removed_at = utcnow()
    session.flush()
    return row


def times_reused(session: Session, document_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(document_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(DocumentReuse.document_id, func.count())
        .where(DocumentReuse.document_id.in_(ids))
        .group_by(DocumentReuse.document_id)
    ).all()
    return {int(i): int(n) for i, n in rows}


# --- reuse in a dossier ---------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A stored document offered for a component; ``match`` when it was stored for the same
    component (same code), best first."""

    document: PersonalDocument
    match: bool


def _fits(doc: PersonalDocument, accepted: Iterable[str], max_size_mb: int) -> bool:
    kind = storage.MIME_TYPE.get(doc.content_type)
    return kind in set(accepted) and doc.size <= max_size_mb * 1024 * 1024


def choices(session: Session, user: User, dossier: Dossier) -> dict[str, list[Choice]]:
    """Per component of the dossier, the owner's documents it accepts and does not hold yet:
    those stored for the same component of the same procedure first, then the same component
    code elsewhere, then the rest (newest first within each)."""
    if not dossier_service.is_owner(user, dossier):
        return {}
    docs, _total = list_mine(session, user, limit=200)
    out: dict[str, list[Choice]] = {}
    code = dossier.version.code
    attached = dossier_service.active_files(dossier)
    for comp in dossier.version.components:
        # What the component already holds is not offered again (it would be refused).
        held = {f.sha256 for f in attached if f.component_code == comp.code}
        fitting = [
            d
            for d in docs
            if d.sha256 not in held and _fits(d, comp.accepted_types, comp.max_size_mb)
        ]
        ranked = sorted(
            fitting,
            key=lambda d: (
                0
                if d.component_code == comp.code and d.procedure_code == code
                else 1
                if d.component_code == comp.code
                else 2
            ),
        )
        out[comp.code] = [Choice(d, d.component_code == comp.code) for d in ranked]
    return out


def reuse(
    session: Session,
    user: User | None,
    dossier: Dossier,
    component_code: str,
    document_id: int,
    now: datetime | None = None,
) -> DossierFile:
    """Attach a stored document to a component instead of a new upload (the same checks of
    type and size as an upload; the bytes are not copied). Everything is checked before
    anything is written."""
    owner = _owner(user)
    if not dossier_service.may_edit(session, owner, dossier):
        raise Conflict(N_("Không thể đính kèm tệp ở trạng thái này."))
    if not dossier_service.is_owner(owner, dossier):
        raise Forbidden(N_("Chỉ người nộp hồ sơ dùng được tài liệu trong kho dữ liệu của mình."))
    comp = dossier_service.component(dossier, component_code)
    doc = get_mine(session, owner, document_id)
    if storage.MIME_TYPE.get(doc.content_type) not in comp.accepted_types:
        allowed = ", ".join(t.upper() for t in comp.accepted_types)
        raise UnsupportedMediaType(
            N_("Định dạng tệp không được chấp nhận."), fields={"file": f"accepted: {allowed}"}
        )
    if doc.size > comp.max_size_mb * 1024 * 1024:
        raise PayloadTooLarge(
            N_("Tệp vượt quá dung lượng cho phép."), fields={"file": f"max {comp.max_size_mb} MB"}
        )
    if not storage.exists(doc.sha256):
        raise NotFound(N_("Không tìm thấy tệp."))
    for attached in dossier_service.active_files(dossier):
        if attached.component_code == comp.code and attached.sha256 == doc.sha256:
            raise Conflict(
                N_("Tệp có cùng nội dung đã được đính kèm cho thành phần hồ sơ này."),
                fields={"file": attached.filename},
            )
    now = now or utcnow()
    row = DossierFile(
        dossier_id=dossier.id,
        component_code=comp.code,
        purpose="component",
        filename=doc.filename,
        content_type=doc.content_type,
        size=doc.size,
        sha256=doc.sha256,
        digitised=dossier.channel == "counter",
        uploaded_by_id=owner.id,
        uploaded_at=now,
    )
    dossier.files.append(row)
    session.flush()
    session.add(
        DocumentReuse(
            document_id=doc.id,
            dossier_id=dossier.id,
            file_id=row.id,
            reused_by_id=owner.id,
            reused_at=now,
        )
    )
    session.flush()
    return row


@dataclass(frozen=True)
class Origin:
    """Where a reused file came from: the store entry and the dossier it was stored from."""

    document_id: int
    kind: str
    dossier_id: int
    dossier_code: str | None
    number: str | None


def origins(session: Session, file_ids: Iterable[int]) -> dict[int, Origin]:
    """The origin of each of these dossier files that was taken from a store (one query)."""
    ids = sorted(set(file_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            DocumentReuse.file_id,
            PersonalDocument.id,
            PersonalDocument.kind,
            PersonalDocument.number,
            Dossier.id,
            Dossier.code,
        )
        .join(PersonalDocument, PersonalDocument.id == DocumentReuse.document_id)
        .join(Dossier, Dossier.id == PersonalDocument.source_dossier_id)
        .where(DocumentReuse.file_id.in_(ids))
    ).all()
    return {
        int(file_id): Origin(int(doc_id), str(kind), int(dossier_id), code, number)
        for file_id, doc_id, kind, number, dossier_id, code in rows
    }
