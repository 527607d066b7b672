"""The procedure designer (SPEC §4): procedures and their versions, each a draft until it is
published; the draft's general information, form fields, components, fees and steps; what
blocks publishing; JSON export and import (format in ``app.catalog.schemas.ProcedureDocument``).

System admins manage every procedure; an agency admin those whose agencies (implementing
agencies and fixed step agencies) are all in their subtree. Published versions never
change: editing opens a new draft copied from them. Every change is audited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.accounts import service as account_service
from app.accounts.models import User
from app.agencies.models import Agency
from app.audit import service as audit_service
from app.calendar import service as calendar_service
from app.catalog import schemas
from app.catalog import service as catalog_service
from app.catalog.models import (
    Component,
    FeeItem,
    Procedure,
    ProcedureAgency,
    ProcedureVersion,
    ProcessStep,
)
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.formatting import format_number
from app.i18n_markers import N_
from app.payments import fees as fee_rules
from app.text import fold

Section = Literal["fields", "components", "fees", "steps"]
SECTIONS: tuple[Section, ...] = ("fields", "components", "fees", "steps")


def _audit(
    session: Session,
    actor: User,
    action: str,
    code: str,
    details: dict[str, Any] | None = None,
) -> None:
    audit_service.record(
        session, action, actor=actor, object_type="procedure", object_id=code, details=details
    )


@dataclass(frozen=True)
class Problem:
    """Something that blocks publishing a draft; ``message`` is a msgid with ``params``."""

    section: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    hint: str = ""


@dataclass
class ProcedureOverview:
    procedure: Procedure
    name: str
    published: ProcedureVersion | None
    draft: ProcedureVersion | None
    manageable: bool


def _version_agency_ids(version: ProcedureVersion) -> set[int]:
    ids = {link.agency_id for link in version.agency_links}
    ids |= {s.agency_id for s in version.steps if s.agency_id is not None}
    return ids


def can_manage_version(session: Session, user: User, version: ProcedureVersion) -> bool:
    """System admins: any; agency admins: versions whose agencies are all in their subtree."""
    ids = account_service.scope_ids(session, user)
    if ids is None:
        return True
    agencies = _version_agency_ids(version)
    return bool(agencies) and agencies <= ids


def _visible(session: Session, user: User, procedure: Procedure) -> bool:
    ids = account_service.scope_ids(session, user)
    return ids is None or any(
        {link.agency_id for link in v.agency_links} & ids for v in procedure.versions
    )


def _load_procedure(session: Session, code: str) -> Procedure:
    procedure = session.scalar(
        select(Procedure)
        .where(Procedure.code == code)
        .options(
            selectinload(Procedure.versions).selectinload(ProcedureVersion.agency_links),
            selectinload(Procedure.versions).selectinload(ProcedureVersion.steps),
        )
    )
    if procedure is None:
        raise NotFound(N_("Không tìm thấy thủ tục."))
    return procedure


def published_of(procedure: Procedure) -> ProcedureVersion | None:
    return next((v for v in procedure.versions if v.status == "published"), None)


def draft_of(procedure: Procedure) -> ProcedureVersion | None:
    return next((v for v in reversed(procedure.versions) if v.status == "draft"), None)


def _reference_version(procedure: Procedure) -> ProcedureVersion:
    """The version a procedure is known by: the published one, else the latest."""
    return published_of(procedure) or procedure.versions[-1]


def overview(session: Session, user: User, procedure: Procedure) -> ProcedureOverview:
    reference = draft_of(procedure) or _reference_version(procedure)
    return ProcedureOverview(
        procedure=procedure,
        name=_reference_version(procedure).name,
        published=published_of(procedure),
        draft=draft_of(procedure),
        manageable=can_manage_version(session, user, reference),
    )


def list_procedures(session: Session, user: User, q: str = "") -> list[ProcedureOverview]:
    """Procedures the user may see in the designer (agency admins: those of their subtree)."""
    account_service.require_admin_area(user)
    procedures = session.scalars(
        select(Procedure)
        .options(
            selectinload(Procedure.versions).selectinload(ProcedureVersion.agency_links),
            selectinload(Procedure.versions).selectinload(ProcedureVersion.steps),
        )
        .order_by(Procedure.code)
    ).all()
    terms = fold(q).split()
    out = []
    for procedure in procedures:
        if not procedure.versions or not _visible(session, user, procedure):
            continue
        item = overview(session, user, procedure)
        haystack = fold(f"{procedure.code} {item.name}")
        if all(t in haystack for t in terms):
            out.append(item)
    return out


def get_procedure(session: Session, user: User, code: str) -> ProcedureOverview:
    """One procedure with its versions, if the user may see it."""
    account_service.require_admin_area(user)
    procedure = _load_procedure(session, code)
    if not procedure.versions or not _visible(session, user, procedure):
        raise Forbidden(N_("Thủ tục này nằm ngoài phạm vi quản trị của bạn."))
    return overview(session, user, procedure)


def _require_manage(session: Session, user: User, version: ProcedureVersion) -> None:
    if not can_manage_version(session, user, version):
        raise Forbidden(N_("Thủ tục này nằm ngoài phạm vi quản trị của bạn."))


def _require_draft(version: ProcedureVersion) -> None:
    if version.status != "draft":
        raise Conflict(N_("Chỉ sửa được bản nháp; phiên bản đã công bố không thay đổi."))


def get_draft(session: Session, user: User, code: str) -> ProcedureVersion:
    """The draft version of a procedure, for editing."""
    item = get_procedure(session, user, code)
    if item.draft is None:
        raise NotFound(N_("Thủ tục chưa có bản nháp."))
    _require_manage(session, user, item.draft)
    return item.draft


def _agencies_for(
    session: Session, user: User, codes: Iterable[str], field_name: str = "agencies"
) -> dict[str, Agency]:
    codes = list(dict.fromkeys(c for c in codes if c))
    found = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(
            N_("Có mã cơ quan chưa có trong hệ thống."), fields={field_name: ", ".join(missing)}
        )
    outside = [c for c, a in found.items() if not account_service.in_scope(session, user, a.id)]
    if outside:
        raise Forbidden(N_("Cơ quan này nằm ngoài phạm vi quản trị của bạn."))
    return found


def _set_info(
    version: ProcedureVersion, info: schemas.ProcedureInfo, agencies: dict[str, Agency]
) -> None:
    for name in (
        "name",
        "field",
        "level",
        "online_level",
        "processing_days",
        "time_note",
        "result",
        "result_type_code",
        "legal_basis",
        "description",
        "fee_note",
        "payment_moment",
    ):
        setattr(version, name, getattr(info, name))
    wanted = [agencies[c].id for c in info.agencies]
    kept = {link.agency_id: link for link in version.agency_links if link.agency_id in wanted}
    for link in list(version.agency_links):
        if link.agency_id not in kept:
            version.agency_links.remove(link)
    for position, agency_id in enumerate(wanted):
        link = kept.get(agency_id) or ProcedureAgency(agency_id=agency_id)
        if link.id is None and link not in version.agency_links:
            version.agency_links.append(link)
        link.position = position
    version.agency_links.sort(key=lambda link: link.position)


def _new_version(procedure: Procedure) -> ProcedureVersion:
    number = max((v.version for v in procedure.versions), default=0) + 1
    version = ProcedureVersion(
        procedure_id=procedure.id, version=number, status="draft", form_schema={"fields": []}
    )
    version.procedure = procedure
    return version


def create_procedure(session: Session, user: User, data: schemas.NewProcedure) -> ProcedureVersion:
    """A new procedure code with its first version, a draft."""
    account_service.require_admin_area(user)
    if session.scalar(select(Procedure.id).where(Procedure.code == data.code)) is not None:
        raise Conflict(N_("Mã thủ tục này đã có trong danh mục."), fields={"code": "already used"})
    agencies = _agencies_for(session, user, data.agencies)
    procedure = Procedure(code=data.code)
    session.add(procedure)
    session.flush()
    version = _new_version(procedure)
    _set_info(version, data, agencies)
    session.add(version)
    session.flush()
    _audit(session, user, "procedure.create", procedure.code, {"version": 1})
    return version


def _fill(
    version: ProcedureVersion, doc: schemas.ProcedureDocument, agencies: dict[str, Agency]
) -> None:
    """Every part of a version from a procedure document (a copy, an import)."""
    _set_info(version, doc, agencies)
    version.form_schema = {
        "fields": [f.model_dump(exclude_none=True, exclude_defaults=False) for f in doc.form_fields]
    }
    version.components = [
        Component(position=i, **c.model_dump()) for i, c in enumerate(doc.components)
    ]
    version.fees = [FeeItem(position=i, **f.model_dump()) for i, f in enumerate(doc.fees)]
    version.steps = [
        ProcessStep(
            position=i,
            code=s.code,
            name=s.name,
            role=s.role,
            unit=s.unit,
            agency_id=agencies[s.agency].id if s.agency else None,
            duration_hours=s.duration_hours,
            actions=list(s.actions),
        )
        for i, s in enumerate(doc.steps)
    ]


def document_of(version: ProcedureVersion) -> schemas.ProcedureDocument:
    """A version as a procedure document (format motcua.procedure/1)."""
    known = set(schemas.FormFieldIn.model_fields)
    fields = [
        schemas.FormFieldIn.model_validate({k: v for k, v in f.items() if k in known})
        for f in (version.form_schema or {}).get("fields", [])
    ]
    return schemas.ProcedureDocument(
        format=schemas.FORMAT,
        code=version.code,
        version=version.version,
        status=version.status,
        exported_at=utcnow(),
        name=version.name,
        field=version.field,
        level=version.level,
        online_level=version.online_level,
        processing_days=version.processing_days,
        time_note=version.time_note,
        result=version.result,
        result_type_code=version.result_type_code,
        legal_basis=version.legal_basis,
        description=version.description,
        fee_note=version.fee_note,
        payment_moment=version.payment_moment,
        agencies=[link.agency.code for link in version.agency_links],
        form_fields=fields,
        components=[
            schemas.ComponentIn(
                code=c.code,
                name=c.name,
                required=c.required,
                copies=c.copies,
                paper_kind=c.paper_kind,
                accepted_types=list(c.accepted_types),
                max_size_mb=c.max_size_mb,
                note=c.note,
            )
            for c in version.components
        ],
        fees=[
            schemas.FeeIn(
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
        steps=[
            schemas.StepIn(
                code=s.code,
                name=s.name,
                role=s.role,
                unit=s.unit,
                agency=s.agency.code if s.agency else None,
                duration_hours=s.duration_hours,
                actions=list(s.actions),
            )
            for s in version.steps
        ],
    )


def open_draft(session: Session, user: User, code: str) -> ProcedureVersion:
    """The procedure's draft; when there is none, a new version copied from the published one
    (which stays in force, untouched, until the draft is published)."""
    item = get_procedure(session, user, code)
    if item.draft is not None:
        _require_manage(session, user, item.draft)
        return item.draft
    base = _reference_version(item.procedure)
    _require_manage(session, user, base)
    doc = document_of(base)
    agencies = {
        a.code: a
        for a in session.scalars(select(Agency).where(Agency.id.in_(_version_agency_ids(base))))
    }
    version = _new_version(item.procedure)
    _fill(version, doc, agencies)
    blank = {c.code: c for c in base.components if c.blank_form_sha256}
    for comp in version.components:  # the stored blank forms go on (not part of the document)
        if comp.code in blank:
            comp.blank_form_sha256 = blank[comp.code].blank_form_sha256
            comp.blank_form_name = blank[comp.code].blank_form_name
    session.add(version)
    session.flush()
    _audit(
        session,
        user,
        "procedure.draft_open",
        code,
        {"version": version.version, "from_version": base.version},
    )
    return version


def update_info(
    session: Session, user: User, version: ProcedureVersion, data: schemas.ProcedureInfo
) -> ProcedureVersion:
    """Save the general information of a draft."""
    _require_draft(version)
    _require_manage(session, user, version)
    agencies = _agencies_for(session, user, data.agencies)
    _set_info(version, data, agencies)
    session.flush()
    _audit(session, user, "procedure.draft_edit", version.code, {"section": "info"})
    return version


def section_items(version: ProcedureVersion, section: Section) -> list[Any]:
    if section == "fields":
        return list((version.form_schema or {}).get("fields", []))
    return list(getattr(version, section))


def item_key(section: Section, item: Any) -> str:
    """What identifies an item of a section on the page (checked before changing it)."""
    if section == "fields":
        return str(item["name"])
    if section == "fees":
        return str(item.name)
    return str(item.code)


def _item_at(version: ProcedureVersion, section: Section, index: int, key: str | None) -> Any:
    items = section_items(version, section)
    if not 0 <= index < len(items) or (key is not None and item_key(section, items[index]) != key):
        raise Conflict(N_("Danh sách vừa được thay đổi; vui lòng tải lại trang và thử lại."))
    return items[index]


def _renumber(version: ProcedureVersion, section: Section) -> None:
    if section != "fields":
        for position, item in enumerate(getattr(version, section)):
            item.position = position


def _unique_in_section(
    version: ProcedureVersion, section: Section, index: int | None, key: str, field_name: str
) -> None:
    for i, item in enumerate(section_items(version, section)):
        if i != index and item_key(section, item).lower() == key.lower():
            raise InvalidInput(
                N_("Mã (hoặc tên) này đã có trong danh sách."), fields={field_name: "duplicate"}
            )


ItemIn = schemas.FormFieldIn | schemas.ComponentIn | schemas.FeeIn | schemas.StepIn


def _check_fee(fee: schemas.FeeIn, form_fields: list[dict[str, Any]], prefix: str) -> None:
    """Refuse a fee rule its form cannot feed (app.payments.fees.rule_problems)."""
    problems = fee_rules.rule_problems(fee_rules.FeeRule.of(fee), form_fields)
    if problems:
        attr, message = problems[0]
        raise InvalidInput(message, fields={f"{prefix}{attr}": "invalid"})


def save_item(
    session: Session,
    user: User,
    version: ProcedureVersion,
    section: Section,
    data: ItemIn,
    index: int | None = None,
    key: str | None = None,
) -> None:
    """Add (``index`` None) or replace an item of a draft's form fields, components, fees or
    steps; ``key`` is the item's name/code as the page showed it."""
    _require_draft(version)
    _require_manage(session, user, version)
    if index is not None:
        _item_at(version, section, index, key)
    if isinstance(data, schemas.FormFieldIn):
        _unique_in_section(version, "fields", index, data.name, "name")
        fields = section_items(version, "fields")
        value = data.model_dump(exclude_none=True)
        if index is None:
            fields.append(value)
        else:
            fields[index] = value
        version.form_schema = {**(version.form_schema or {}), "fields": fields}
    elif isinstance(data, schemas.ComponentIn):
        _unique_in_section(version, "components", index, data.code, "code")
        if index is None:
            version.components.append(Component(**data.model_dump()))
        else:
            for name, value in data.model_dump().items():
                setattr(version.components[index], name, value)
    elif isinstance(data, schemas.FeeIn):
        _check_fee(data, section_items(version, "fields"), "")
        values = data.model_dump()
        if index is None:
            version.fees.append(FeeItem(**values))
        else:
            for name, value in values.items():
                setattr(version.fees[index], name, value)
    else:
        _unique_in_section(version, "steps", index, data.code, "code")
        agency = None
        if data.agency:
            agency = _agencies_for(session, user, [data.agency], "agency")[data.agency]
        values = data.model_dump(exclude={"agency"})
        step = ProcessStep(**values) if index is None else version.steps[index]
        for name, value in values.items():
            setattr(step, name, value)
        step.agency_id = agency.id if agency else None
        step.agency = agency
        if index is None:
            version.steps.append(step)
    _renumber(version, section)
    session.flush()
    _audit(session, user, "procedure.draft_edit", version.code, {"section": section})


def remove_item(
    session: Session,
    user: User,
    version: ProcedureVersion,
    section: Section,
    index: int,
    key: str | None = None,
) -> None:
    """Remove an item from a section of a draft."""
    _require_draft(version)
    _require_manage(session, user, version)
    _item_at(version, section, index, key)
    if section == "fields":
        fields = section_items(version, "fields")
        del fields[index]
        version.form_schema = {**(version.form_schema or {}), "fields": fields}
    else:
        getattr(version, section).pop(index)
        _renumber(version, section)
    session.flush()
    _audit(session, user, "procedure.draft_edit", version.code, {"section": section})


def move_item(
    session: Session,
    user: User,
    version: ProcedureVersion,
    section: Section,
    index: int,
    offset: int,
    key: str | None = None,
) -> None:
    """Move an item of a draft's section up (-1) or down (+1)."""
    _require_draft(version)
    _require_manage(session, user, version)
    _item_at(version, section, index, key)
    target = index + offset
    items = section_items(version, section)
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    if section == "fields":
        version.form_schema = {**(version.form_schema or {}), "fields": items}
    else:
        for position, item in enumerate(items):
            item.position = position
        getattr(version, section).sort(key=lambda item: item.position)
    session.flush()


def hours_per_working_day(session: Session) -> float:
    """Working hours of an ordinary working day of the weekly schedule (7.5 by default):
    the most common day length among the weekdays with working time (shorter on a tie)."""
    schedule = calendar_service.get_rules(session).schedule
    lengths = [
        sum(
            (datetime.combine(date.min, e) - datetime.combine(date.min, s)) / timedelta(hours=1)
            for s, e in periods
        )
        for periods in schedule
        if periods
    ]
    counts = Counter(lengths)
    return min(lengths, key=lambda h: (-counts[h], h))


def _hours(value: float) -> str:
    return format_number(value)


def check_version(session: Session, version: ProcedureVersion) -> list[Problem]:
    """What keeps a draft from being published (empty: it may be published)."""
    problems: list[Problem] = []
    if not version.agency_links:
        problems.append(
            Problem("info", N_("Chưa chọn cơ quan thực hiện."), hint="agencies: at least one")
        )
    steps = list(version.steps)
    if not steps:
        problems.append(
            Problem("steps", N_("Quy trình chưa có bước nào."), hint="steps: at least one")
        )
        return problems
    if "receive" not in steps[0].actions:
        problems.append(
            Problem(
                "steps",
                N_("Bước đầu tiên phải cho phép tiếp nhận hồ sơ (receive)."),
                hint="steps: the first step must allow receive",
            )
        )
    if not any("return_result" in s.actions for s in steps):
        problems.append(
            Problem(
                "steps",
                N_("Phải có một bước cho phép trả kết quả (return_result)."),
                hint="steps: one step must allow return_result",
            )
        )
    form_fields = section_items(version, "fields")
    for fee in version.fees:
        for attr, message in fee_rules.rule_problems(fee_rules.FeeRule.of(fee), form_fields):
            problems.append(Problem("fees", message, hint=f"fees: {fee.name}: {attr}"))
    per_day = hours_per_working_day(session)
    # A procedure settled within the day (0 days) has one working day for its steps.
    limit = max(version.processing_days, 1) * per_day
    total = sum(s.duration_hours for s in steps)
    if total > limit + 1e-9:
        params = {
            "total": _hours(total),
            "limit": _hours(limit),
            "days": _hours(version.processing_days),
            "per_day": _hours(per_day),
        }
        problems.append(
            Problem(
                "steps",
                N_(
                    "Tổng thời gian các bước (%(total)s giờ) vượt quá thời hạn giải quyết "
                    "(%(days)s ngày × %(per_day)s giờ = %(limit)s giờ làm việc)."
                ),
                params,
                hint=f"steps: durations {params['total']} h > {params['limit']} h "
                f"({params['days']} days x {params['per_day']} h)",
            )
        )
    return problems


def time_budget(session: Session, version: ProcedureVersion) -> tuple[float, float]:
    """(sum of step durations, legal time in working hours) of a version."""
    total = sum(s.duration_hours for s in version.steps)
    return total, max(version.processing_days, 1) * hours_per_working_day(session)


def publish(session: Session, user: User, version: ProcedureVersion) -> ProcedureVersion:
    """Publish a draft: it accepts dossiers from now on and the previous published version is
    retired (dossiers keep the version they were submitted under)."""
    _require_draft(version)
    _require_manage(session, user, version)
    problems = check_version(session, version)
    if problems:
        raise InvalidInput(
            N_("Bản nháp chưa đủ điều kiện công bố; hãy sửa các lỗi được liệt kê."),
            fields={p.section: p.hint for p in problems},
        )
    previous = session.scalars(
        select(ProcedureVersion).where(
            ProcedureVersion.procedure_id == version.procedure_id,
            ProcedureVersion.status == "published",
        )
    ).all()
    for old in previous:
        old.status = "retired"
    # The old row goes first: never two published versions, even for a moment.
    session.flush()
    version.status = "published"
    version.published_at = utcnow()
    version.search_text = catalog_service.search_text_for(version, version.code)
    session.flush()
    _audit(
        session,
        user,
        "procedure.publish",
        version.code,
        {"version": version.version, "retired": [v.version for v in previous]},
    )
    return version


def discard_draft(session: Session, user: User, version: ProcedureVersion) -> bool:
    """Delete a draft; returns whether the procedure itself went too (it had nothing else)."""
    _require_draft(version)
    _require_manage(session, user, version)
    procedure = version.procedure
    code, number = procedure.code, version.version
    others = [v for v in procedure.versions if v.id != version.id]
    session.delete(version)
    session.flush()
    gone = not others
    if gone:
        session.expire(procedure, ["versions"])
        session.delete(procedure)
        session.flush()
    _audit(session, user, "procedure.draft_discard", code, {"version": number})
    return gone


def export_document(session: Session, user: User, code: str) -> dict[str, Any]:
    """The published (else the latest) version of a procedure as a JSON document."""
    item = get_procedure(session, user, code)
    version = _reference_version(item.procedure)
    return document_of(version).model_dump(mode="json")


def import_document(
    session: Session, user: User, doc: schemas.ProcedureDocument, code: str | None = None
) -> ProcedureVersion:
    """A new draft from a procedure document: a new procedure, or the next version of an
    existing one (which must not have a draft already). ``code`` imports under another code."""
    account_service.require_admin_area(user)
    if code is not None:
        if not schemas.PROCEDURE_CODE_RE.match(code) or code.lower() in schemas.RESERVED_CODES:
            raise InvalidInput(N_("Mã thủ tục không hợp lệ."), fields={"code": "invalid"})
        doc = doc.model_copy(update={"code": code})
    for section, keys in (
        ("form_fields", [f.name for f in doc.form_fields]),
        ("components", [c.code for c in doc.components]),
        ("steps", [s.code for s in doc.steps]),
    ):
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise InvalidInput(
                N_("Tệp nhập có mã trùng nhau trong cùng một danh sách."),
                fields={section: ", ".join(duplicates)},
            )
    form_fields = [f.model_dump() for f in doc.form_fields]
    for i, fee in enumerate(doc.fees):
        _check_fee(fee, form_fields, f"fees.{i}.")
    agencies = _agencies_for(
        session, user, [*doc.agencies, *(s.agency for s in doc.steps if s.agency)]
    )
    procedure = session.scalar(
        select(Procedure)
        .where(Procedure.code == doc.code)
        .options(selectinload(Procedure.versions).selectinload(ProcedureVersion.agency_links))
    )
    if procedure is None:
        procedure = Procedure(code=doc.code)
        session.add(procedure)
        session.flush()
    else:
        if draft_of(procedure) is not None:
            raise Conflict(
                N_("Thủ tục đã có bản nháp; hãy công bố hoặc hủy bản nháp trước khi nhập."),
                fields={"code": "draft exists"},
            )
        if procedure.versions:
            _require_manage(session, user, _reference_version(procedure))
    version = _new_version(procedure)
    _fill(version, doc, agencies)
    session.add(version)
    session.flush()
    _audit(
        session,
        user,
        "procedure.import",
        procedure.code,
        {"version": version.version, "source_version": doc.version},
    )
    return version


def version_read(version: ProcedureVersion) -> schemas.VersionRead:
    return schemas.VersionRead(
        code=version.code,
        version=version.version,
        status=version.status,
        name=version.name,
        published_at=version.published_at,
        created_at=version.created_at,
    )
