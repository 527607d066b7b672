"""Blank forms (tờ khai theo mẫu) attached to a procedure's document components: the designer
attaches one to a draft's component, citizens download it from the procedure page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import service as audit_service
from app.catalog import designer
from app.catalog import service as catalog_service
from app.catalog.models import Component, ProcedureVersion
from app.errors import Conflict, NotFound
from app.i18n_markers import N_
from app.storage import service as storage

# What a blank form may be: a PDF to print, or a Word file to fill in; 10 MB is plenty.
BLANK_FORM_TYPES = ["pdf", "docx"]
BLANK_FORM_MAX_MB = 10
CONTENT_TYPES = {"pdf": storage.TYPE_MIME["pdf"], "docx": storage.TYPE_MIME["docx"]}


@dataclass(frozen=True)
class BlankForm:
    filename: str
    content_type: str
    data: bytes


def _draft_component(
    session: Session, user: User, code: str, index: int, key: str
) -> tuple[ProcedureVersion, Component]:
    version = designer.get_draft(session, user, code)
    components = list(version.components)
    if not 0 <= index < len(components) or components[index].code != key:
        raise Conflict(N_("Danh sách vừa được thay đổi; vui lòng tải lại trang và thử lại."))
    return version, components[index]


def attach(
    session: Session, user: User, code: str, index: int, key: str, filename: str, data: bytes
) -> Component:
    """Attach (or replace) the blank form of a draft's component: a PDF or DOCX, checked by
    its content like every upload."""
    version, comp = _draft_component(session, user, code, index, key)
    stored = storage.check_upload(data, filename, BLANK_FORM_TYPES, BLANK_FORM_MAX_MB)
    comp.blank_form_sha256 = stored.sha256
    comp.blank_form_name = stored.filename
    session.flush()
    audit_service.record(
        session,
        "procedure.blank_form",
        actor=user,
        object_type="procedure",
        object_id=version.code,
        details={"component": comp.code, "file": stored.filename, "sha256": stored.sha256},
    )
    return comp


def remove(session: Session, user: User, code: str, index: int, key: str) -> Component:
    """Take the blank form off a draft's component."""
    version, comp = _draft_component(session, user, code, index, key)
    comp.blank_form_sha256 = None
    comp.blank_form_name = ""
    session.flush()
    audit_service.record(
        session,
        "procedure.blank_form_removed",
        actor=user,
        object_type="procedure",
        object_id=version.code,
        details={"component": comp.code},
    )
    return comp


def published_form(session: Session, code: str, component_code: str) -> BlankForm:
    """The blank form of a published procedure's component, for anyone to download."""
    version = catalog_service.get_published(session, code)
    comp = next((c for c in version.components if c.code == component_code), None)
    if comp is None or not comp.blank_form_sha256:
        raise NotFound(N_("Thủ tục này không có mẫu tờ khai cho giấy tờ này."))
    data = storage.read_bytes(comp.blank_form_sha256)
    kind = storage.sniff(data) or "pdf"
    return BlankForm(
        comp.blank_form_name or f"mau-{code}-{comp.code}.{kind}",
        CONTENT_TYPES.get(kind, storage.TYPE_MIME["pdf"]),
        data,
    )
