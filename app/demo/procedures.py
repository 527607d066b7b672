"""Demo catalogue: common procedures of Hưng Yên at commune and province level.

Facts (codes, times, fees, components) come from shared/reference/procedures.md, i.e. the
national catalogue on dichvucong.gov.vn; where the province sets the amount and no Hưng Yên
figure was found, the amount is marked as a demo value in ``fee_note``.
"""

from __future__ import annotations

from typing import Any

from app.demo.agencies import CENTER_CODE, COMMUNE_CODES

COMMUNE_STEPS_1_DAY: list[dict[str, Any]] = [
    {
        "code": "TN",
        "name": "Tiếp nhận hồ sơ",
        "role": "reception",
        "unit": "Bộ phận Một cửa UBND cấp xã",
        "agency": None,
        "duration_hours": 0.5,
        "actions": ["receive", "request_supplement", "reject", "forward"],
    },
    {
        "code": "XL",
        "name": "Thẩm định, xử lý hồ sơ",
        "role": "specialist",
        "unit": "Công chức Tư pháp - Hộ tịch",
        "agency": None,
        "duration_hours": 4,
        "actions": ["forward", "send_back", "request_supplement", "extend", "stop"],
    },
    {
        "code": "PD",
        "name": "Phê duyệt, ký kết quả",
        "role": "leader",
        "unit": "Lãnh đạo UBND cấp xã",
        "agency": None,
        "duration_hours": 2.5,
        "actions": ["approve", "send_back"],
    },
    {
        "code": "TKQ",
        "name": "Trả kết quả",
        "role": "reception",
        "unit": "Bộ phận Một cửa UBND cấp xã",
        "agency": None,
        "duration_hours": 0.5,
        "actions": ["attach_result", "return_result"],
    },
]

PROCEDURES: list[dict[str, Any]] = [
    {
        "code": "1.001193",
        "name": "Đăng ký khai sinh",
        "field": "Hộ tịch",
        "level": "commune",
        "agencies": COMMUNE_CODES,
        "online_level": "full",
        "processing_days": 1,
        "time_note": "Ngay trong ngày tiếp nhận; hồ sơ nhận sau 15 giờ thì trả kết quả "
        "trong ngày làm việc tiếp theo.",
        "result": "Giấy khai sinh (bản chính)",
        "result_type_code": "GKS",
        "legal_basis": "Luật Hộ tịch năm 2014;\nNghị định 123/2015/NĐ-CP;\n"
        "Thông tư 04/2020/TT-BTP;\nQuyết định 163/QĐ-BTP",
        "fee_note": "",
        "payment_moment": "none",
        "fees": [
            {
                "name": "Lệ phí đăng ký khai sinh",
                "amount": 0,
                "kind": "charge",
                "unit": "trường hợp",
                "note": "Miễn lệ phí đăng ký khai sinh đúng hạn",
            }
        ],
        "components": [
            {
                "code": "TK",
                "name": "Tờ khai đăng ký khai sinh theo mẫu",
                "required": True,
                "copies": 1,
                "paper_kind": "original",
                "accepted_types": ["pdf", "jpg", "png"],
                "max_size_mb": 10,
            },
            {
                "code": "GCS",
                "name": "Giấy chứng sinh (hoặc văn bản của người làm chứng, "
                "giấy cam đoan về việc sinh)",
                "required": True,
                "copies": 1,
                "paper_kind": "original",
                "accepted_types": ["pdf", "jpg", "png"],
                "max_size_mb": 10,
            },
            {
                "code": "UQ",
                "name": "Văn bản ủy quyền (nếu nộp thay)",
                "required": False,
                "copies": 1,
                "paper_kind": "either",
                "accepted_types": ["pdf", "jpg", "png"],
                "max_size_mb": 10,
            },
        ],
        "form_fields": [
            {
                "name": "applicant_name",
                "label": "Họ tên người đi đăng ký",
                "type": "text",
                "required": True,
                "prefill": "full_name",
            },
            {
                "name": "applicant_id_number",
                "label": "Số định danh cá nhân người đi đăng ký",
                "type": "id_number",
                "required": True,
                "prefill": "id_number",
            },
            {
                "name": "applicant_phone",
                "label": "Số điện thoại liên hệ",
                "type": "phone",
                "required": True,
                "prefill": "phone",
            },
            {
                "name": "child_name",
                "label": "Họ, chữ đệm, tên của trẻ",
                "type": "text",
                "required": True,
            },
            {
                "name": "child_birth_date",
                "label": "Ngày sinh của trẻ",
                "type": "date",
                "required": True,
            },
            {
                "name": "child_sex",
                "label": "Giới tính",
                "type": "select",
                "required": True,
                "options": ["Nam", "Nữ"],
            },
            {"name": "birth_place", "label": "Nơi sinh", "type": "text", "required": True},
            {
                "name": "relationship",
                "label": "Quan hệ với trẻ",
                "type": "select",
                "required": True,
                "options": ["Cha", "Mẹ", "Ông", "Bà", "Người thân khác"],
            },
        ],
        "steps": COMMUNE_STEPS_1_DAY,
    },
]

__all__ = ["CENTER_CODE", "PROCEDURES"]
