"""The procedure designer through the /quan-tri pages: a new procedure with declared fields,
a component, a fee and four steps; the legal-time check; preview; publishing; a citizen's
dossier under it; and a new version made by editing, while the dossier keeps its own."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.catalog.models import Procedure, ProcedureVersion
from app.dossiers.models import Dossier
from tests.admin.helpers import ADMIN, JUSTICE, PHO_HIEN, PHO_HIEN_ADMIN, log_in, post_form
from tests.dossiers.helpers import submit_procedure

CODE = "9.900001"
DRAFT = f"/quan-tri/thu-tuc/{CODE}/ban-nhap"
INFO: dict[str, Any] = {
    "code": CODE,
    "name": "Xác nhận thông tin về cư trú (thử nghiệm)",
    "field": "Cư trú",
    "level": "commune",
    "online_level": "full",
    "processing_days": "2",
    "agencies": PHO_HIEN,
    "time_note": "",
    "result": "Giấy xác nhận thông tin về cư trú",
    "result_type_code": "XNCT",
    "legal_basis": "Luật Cư trú 2020",
    "description": "",
    "fee_note": "",
    "payment_moment": "none",
}
FIELDS = [
    {
        "label": "Họ và tên người đề nghị",
        "name": "ho_ten",
        "type": "text",
        "required": "on",
        "prefill": "full_name",
    },
    {"label": "Ngày sinh", "name": "ngay_sinh", "type": "date", "required": "on"},
    {
        "label": "Mục đích xác nhận",
        "name": "muc_dich",
        "type": "select",
        "required": "on",
        "options": "Bổ sung hồ sơ xin việc\nThủ tục ngân hàng\n",
    },
]
COMPONENT = {
    "code": "DON",
    "name": "Tờ khai đề nghị xác nhận thông tin về cư trú",
    "required": "on",
    "copies": "1",
    "paper_kind": "original",
    "accepted_types": ["pdf", "png"],
    "max_size_mb": "5",
    "note": "",
}
FEE = {
    "name": "Lệ phí xác nhận",
    "amount": "10.000",
    "kind": "charge",
    "unit": "bản",
    "channel": "",
    "note": "",
}
RECEIVE = ["receive", "request_supplement", "reject", "forward"]
STEPS = [
    ("TN", "Tiếp nhận hồ sơ", "reception", "Bộ phận Một cửa", "1", RECEIVE),
    ("XL", "Xác minh, xử lý", "specialist", "Công an phường", "8", ["forward", "send_back"]),
    ("PD", "Phê duyệt", "leader", "Lãnh đạo Công an phường", "4", ["approve", "send_back"]),
    ("TKQ", "Trả kết quả", "reception", "Bộ phận Một cửa", "2", ["attach_result", "return_result"]),
]


def _items(data: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            out.append((key, one))
    return out


def _step(code: str, name: str, role: str, unit: str, hours: str, actions: list[str]) -> Any:
    return _items(
        {
            "code": code,
            "name": name,
            "role": role,
            "unit": unit,
            "agency": "",
            "duration_hours": hours,
            "actions": actions,
        }
    )


def _add(client: TestClient, slug: str, data: Any) -> Any:
    response = post_form(
        client,
        f"{DRAFT}/{slug}/them",
        data if isinstance(data, list) else _items(data),
        page=f"{DRAFT}/{slug}",
    )
    assert response.status_code == 303, response.text
    return response


def design(client: TestClient) -> None:
    """Create the procedure and fill every section through the pages."""
    created = post_form(client, "/quan-tri/thu-tuc/moi", _items(INFO), page="/quan-tri/thu-tuc/moi")
    assert created.status_code == 303, created.text
    assert created.headers["location"] == f"{DRAFT}?msg=procedure_created"
    for field in FIELDS:
        _add(client, "truong", field)
    _add(client, "thanh-phan", COMPONENT)
    _add(client, "phi", FEE)
    for step in STEPS:
        _add(client, "quy-trinh", _step(*step))


def _version(db: Session, number: int) -> ProcedureVersion:
    version = db.scalar(
        select(ProcedureVersion)
        .join(Procedure)
        .where(Procedure.code == CODE, ProcedureVersion.version == number)
    )
    assert version is not None
    db.refresh(version)
    return version


def test_designed_procedure_is_published_and_accepts_a_dossier_at_once(
    client: TestClient, db: Session
) -> None:
    log_in(client, ADMIN)
    design(client)
    draft = _version(db, 1)
    assert draft.status == "draft"
    assert [f["name"] for f in draft.form_schema["fields"]] == ["ho_ten", "ngay_sinh", "muc_dich"]
    assert draft.form_schema["fields"][2]["options"] == [
        "Bổ sung hồ sơ xin việc",
        "Thủ tục ngân hàng",
    ]
    assert draft.components[0].accepted_types == ["pdf", "png"]
    assert draft.components[0].max_size_mb == 5
    assert draft.fees[0].amount == 10000 and draft.fees[0].channel is None
    assert [s.code for s in draft.steps] == ["TN", "XL", "PD", "TKQ"]
    assert sum(s.duration_hours for s in draft.steps) == 15  # = 2 days x 7.5 h
    # Not in the catalogue while it is a draft.
    assert client.get(f"/api/v1/procedures/{CODE}").status_code == 404

    preview = client.get(f"{DRAFT}/xem-truoc")
    assert preview.status_code == 200
    html = preview.text
    assert "Giấy xác nhận thông tin về cư trú" in html and "10.000 ₫" in html
    assert 'id="preview-muc_dich"' in html and "Thủ tục ngân hàng" in html
    assert "Công bố phiên bản 1" in html and "Cần hoàn thiện" not in html

    published = post_form(client, f"{DRAFT}/cong-bo", page=f"{DRAFT}/xem-truoc")
    assert published.status_code == 303
    assert published.headers["location"] == f"/quan-tri/thu-tuc/{CODE}?msg=published"
    version = _version(db, 1)
    assert version.status == "published" and version.published_at is not None
    assert "xac nhan thong tin ve cu tru" in version.search_text
    found = client.get("/api/v1/procedures", params={"q": "xac nhan cu tru thu nghiem"}).json()
    assert [i["code"] for i in found["items"]] == [CODE]

    dossier, _h = submit_procedure(client, CODE, agency=PHO_HIEN)
    assert dossier["status"] == "submitted"
    row = db.get(Dossier, dossier["id"])
    assert row is not None and row.version_id == version.id
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"procedure.create", "procedure.draft_edit", "procedure.publish"} <= actions


def test_steps_longer_than_the_legal_time_block_publishing(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    design(client)
    # Specialist review 8 h → 20 h: 27 h of steps for 2 days of 7.5 h.
    longer = post_form(
        client,
        f"{DRAFT}/quy-trinh/1/luu",
        [*_step(*STEPS[1][:4], "20", STEPS[1][5]), ("key", "XL")],
        page=f"{DRAFT}/quy-trinh",
    )
    assert longer.status_code == 303
    steps_page = client.get(f"{DRAFT}/quy-trinh").text
    assert "Tổng thời gian các bước (27 giờ) vượt quá thời hạn giải quyết" in steps_page
    assert "2 ngày × 7,5 giờ = 15 giờ" in steps_page
    preview = client.get(f"{DRAFT}/xem-truoc").text
    assert "Công bố phiên bản" not in preview
    refused = post_form(client, f"{DRAFT}/cong-bo", page=f"{DRAFT}/xem-truoc")
    assert refused.status_code == 422
    assert "chưa đủ điều kiện công bố" in refused.text
    assert _version(db, 1).status == "draft"
    # Other checks: the first step must receive, one step must return the result.
    moved = post_form(
        client, f"{DRAFT}/quy-trinh/0/xuong", {"key": "TN"}, page=f"{DRAFT}/quy-trinh"
    )
    assert moved.status_code == 303
    removed = post_form(
        client, f"{DRAFT}/quy-trinh/3/xoa", {"key": "TKQ"}, page=f"{DRAFT}/quy-trinh"
    )
    assert removed.status_code == 303
    assert [s.code for s in _version(db, 1).steps] == ["XL", "TN", "PD"]
    page = client.get(f"{DRAFT}/xem-truoc").text
    assert "Bước đầu tiên phải cho phép tiếp nhận hồ sơ" in page
    assert "Phải có một bước cho phép trả kết quả" in page
    api = client.post(
        f"/api/v1/admin/procedures/{CODE}/publish",
        headers={"X-CSRF-Token": _csrf_cookie_token(client)},
    )
    assert api.status_code == 422 and "steps" in api.json()["fields"]


def _csrf_cookie_token(client: TestClient) -> str:
    from tests.conftest import csrf_from

    return csrf_from(client.get(f"{DRAFT}/xem-truoc").text)


def test_item_forms_validate_and_keep_what_was_typed(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    created = post_form(client, "/quan-tri/thu-tuc/moi", _items(INFO), page="/quan-tri/thu-tuc/moi")
    assert created.status_code == 303
    bad_field = post_form(
        client,
        f"{DRAFT}/truong/them",
        {"label": "Mục đích", "name": "Mục đích", "type": "select", "options": ""},
        page=f"{DRAFT}/truong",
    )
    assert bad_field.status_code == 422
    assert 'id="f-new-name-error"' in bad_field.text and 'value="Mục đích"' in bad_field.text
    bad_component = post_form(
        client,
        f"{DRAFT}/thanh-phan/them",
        {**COMPONENT, "max_size_mb": "80", "accepted_types": []},
        page=f"{DRAFT}/thanh-phan",
    )
    assert bad_component.status_code == 422
    assert "Dung lượng tối đa từ 1 đến 50 MB" in bad_component.text
    assert "Chọn ít nhất một định dạng tệp" in bad_component.text
    bad_fee = post_form(client, f"{DRAFT}/phi/them", {**FEE, "amount": "-5"}, page=f"{DRAFT}/phi")
    assert bad_fee.status_code == 422 and "không âm" in bad_fee.text
    bad_step = post_form(
        client,
        f"{DRAFT}/quy-trinh/them",
        _step("TN", "Tiếp nhận", "agency_admin", "", "0", ["withdraw"]),
        page=f"{DRAFT}/quy-trinh",
    )
    assert bad_step.status_code == 422
    assert "Chọn vai trò xử lý" in bad_step.text and "lớn hơn 0" in bad_step.text
    _add(client, "thanh-phan", COMPONENT)
    duplicate = post_form(
        client, f"{DRAFT}/thanh-phan/them", _items(COMPONENT), page=f"{DRAFT}/thanh-phan"
    )
    assert duplicate.status_code == 422 and "đã có trong danh sách" in duplicate.text
    draft = _version(db, 1)
    assert draft.form_schema["fields"] == [] and len(draft.components) == 1
    assert draft.fees == [] and draft.steps == []


def test_editing_a_published_procedure_makes_version_2_and_dossiers_keep_version_1(
    client: TestClient, db: Session
) -> None:
    log_in(client, ADMIN)
    design(client)
    assert post_form(client, f"{DRAFT}/cong-bo").status_code == 303
    dossier, _h = submit_procedure(client, CODE, agency=PHO_HIEN)
    v1 = _version(db, 1)

    opened = post_form(client, f"/quan-tri/thu-tuc/{CODE}/sua", page=f"/quan-tri/thu-tuc/{CODE}")
    assert opened.status_code == 303
    v2 = _version(db, 2)
    assert v2.status == "draft" and [s.code for s in v2.steps] == ["TN", "XL", "PD", "TKQ"]
    assert v2.form_schema == v1.form_schema and v2.components[0].code == "DON"
    assert v2.steps[0].id != v1.steps[0].id  # a copy, not the same rows
    # Opening again returns the same draft.
    assert post_form(client, f"/quan-tri/thu-tuc/{CODE}/sua").status_code == 303
    assert (
        db.scalar(
            select(func.count())
            .select_from(ProcedureVersion)
            .join(Procedure)
            .where(Procedure.code == CODE)
        )
        == 2
    )

    renamed = post_form(
        client,
        DRAFT,
        _items({**INFO, "name": "Xác nhận thông tin về cư trú (bản 2)", "processing_days": "3"}),
        page=DRAFT,
    )
    assert renamed.status_code == 303
    # The published version is untouched until the draft is published.
    assert client.get(f"/api/v1/procedures/{CODE}").json()["version"] == 1
    assert _version(db, 1).name == INFO["name"]

    assert post_form(client, f"{DRAFT}/cong-bo").status_code == 303
    detail = client.get(f"/api/v1/procedures/{CODE}").json()
    assert detail["version"] == 2 and detail["processing_days"] == 3
    assert _version(db, 1).status == "retired" and _version(db, 2).status == "published"
    kept = db.get(Dossier, dossier["id"])
    assert kept is not None
    db.refresh(kept)
    assert kept.version_id == v1.id
    overview = client.get(f"/quan-tri/thu-tuc/{CODE}").text
    assert "Hết hiệu lực" in overview and "Đang áp dụng" in overview

    # A new dossier goes under version 2.
    second, _h = submit_procedure(client, CODE, agency=PHO_HIEN)
    new_row = db.get(Dossier, second["id"])
    assert new_row is not None and new_row.version_id == _version(db, 2).id


def test_discarding_a_draft_keeps_the_published_version(client: TestClient, db: Session) -> None:
    log_in(client, ADMIN)
    post_form(client, "/quan-tri/thu-tuc/1.001193/sua")
    versions = list(
        db.scalars(select(ProcedureVersion).join(Procedure).where(Procedure.code == "1.001193"))
    )
    assert [v.status for v in versions] == ["published", "draft"]
    discarded = post_form(client, "/quan-tri/thu-tuc/1.001193/ban-nhap/huy")
    assert discarded.status_code == 303
    db.expire_all()
    versions = list(
        db.scalars(select(ProcedureVersion).join(Procedure).where(Procedure.code == "1.001193"))
    )
    assert [v.status for v in versions] == ["published"]


def test_agency_admin_designs_only_within_their_subtree(client: TestClient, db: Session) -> None:
    log_in(client, PHO_HIEN_ADMIN)
    # Birth registration is implemented by every commune: visible, not editable.
    overview = client.get("/quan-tri/thu-tuc/1.001193")
    assert overview.status_code == 200 and "chỉ xem, không sửa" in overview.text
    assert post_form(client, "/quan-tri/thu-tuc/1.001193/sua").status_code == 403
    assert (
        db.scalar(
            select(func.count())
            .select_from(ProcedureVersion)
            .join(Procedure)
            .where(Procedure.code == "1.001193")
        )
        == 1
    )
    # A province procedure (no commune implements it) is not even visible.
    province_code = db.scalar(
        select(Procedure.code)
        .join(ProcedureVersion)
        .where(ProcedureVersion.status == "published", ProcedureVersion.level == "province")
        .limit(1)
    )
    assert province_code is not None
    assert client.get(f"/quan-tri/thu-tuc/{province_code}").status_code == 403
    assert client.get(f"/api/v1/admin/procedures/{province_code}/export").status_code == 403
    outside = post_form(
        client,
        "/quan-tri/thu-tuc/moi",
        _items({**INFO, "agencies": JUSTICE}),
        page="/quan-tri/thu-tuc/moi",
    )
    assert outside.status_code == 403
    assert db.scalar(select(Procedure).where(Procedure.code == CODE)) is None
    # Within the commune: allowed, end to end.
    design(client)
    assert post_form(client, f"{DRAFT}/cong-bo").status_code == 303
    assert _version(db, 1).status == "published"
