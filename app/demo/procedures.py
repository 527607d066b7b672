"""Demo catalogue: common procedures of Hưng Yên at commune and province level.

Facts (codes, times, fees, components) come from shared/reference/procedures.md, i.e. the
national catalogue on dichvucong.gov.vn; where the province sets the amount and no Hưng Yên
figure was found, the amount is marked as a demo value in ``fee_note``.

Step durations are in working hours (a working day is 7.5 hours: 07:30-11:30 and 13:30-17:00)
and each process adds up to at most the procedure's legal time.
"""

from __future__ import annotations

from typing import Any

from app.demo.agencies import CENTER_CODE, COMMUNE_CODES

HOURS_PER_DAY = 7.5

FINANCE = "000.00.11.H31"  # Sở Tài chính (đăng ký kinh doanh)
CONSTRUCTION = "000.00.16.H31"  # Sở Xây dựng
POLICE = "000.00.20.H31"  # Công an tỉnh

ONE_STOP_COMMUNE = "Bộ phận Một cửa UBND cấp xã"
ONE_STOP_PROVINCE = "Bộ phận Một cửa - Trung tâm Phục vụ hành chính công tỉnh"
COMMUNE_LEADER = "Lãnh đạo UBND cấp xã"
CIVIL_STATUS_UNIT = "Công chức Tư pháp - Hộ tịch"
COMMUNE_POLICE_UNIT = "Công an xã"
COMMUNE_POLICE_LEADER = "Lãnh đạo Công an xã"
LAND_BUILDING_UNIT = "Công chức Địa chính - Xây dựng"
COMMUNE_ECONOMY_UNIT = "Phòng Kinh tế UBND cấp xã"

RECEIVE_ACTIONS = ("receive", "request_supplement", "reject", "forward")
REVIEW_ACTIONS = ("forward", "send_back", "request_supplement", "extend", "stop")
APPROVE_ACTIONS = ("approve", "send_back")
RETURN_ACTIONS = ("attach_result", "return_result")

SCAN_TYPES = ["pdf", "jpg", "png"]
DOC_TYPES = ["pdf", "docx"]

SAME_DAY_NOTE = (
    "Trả kết quả ngay trong ngày tiếp nhận; hồ sơ nhận sau 15 giờ thì trả kết quả "
    "trong ngày làm việc tiếp theo."
)
DEMO_FEE_NOTE = "Mức thu minh họa, theo Nghị quyết HĐND tỉnh."


# --- helpers --------------------------------------------------------------------------------


def split_hours(days: float) -> tuple[float, float, float, float]:
    """Default (reception, review, approval, return) hours filling ``days`` working days."""
    budget = days * HOURS_PER_DAY
    if days <= 1:
        reception, leader, back = 0.5, 2.5, 0.5
    else:
        reception, back = 2.0, 2.0
        leader = HOURS_PER_DAY if days >= 5 else 4.0
    return reception, budget - reception - leader - back, leader, back


def _step(
    code: str,
    name: str,
    role: str,
    unit: str,
    hours: float,
    actions: tuple[str, ...] | list[str],
    agency: str | None = None,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "role": role,
        "unit": unit,
        "agency": agency,
        "duration_hours": hours,
        "actions": list(actions),
    }


def process_steps(
    *,
    review_unit: str,
    leader_unit: str,
    hours: tuple[float, float, float, float],
    payment: str = "none",
    reception_unit: str = ONE_STOP_COMMUNE,
    reception_agency: str | None = None,
    agency: str | None = None,
    review_name: str = "Thẩm định, xử lý hồ sơ",
    approve_name: str = "Phê duyệt, ký kết quả",
) -> list[dict[str, Any]]:
    """Reception → review → approval → return; ``request_payment`` where the fee is due.

    ``payment`` is the procedure's payment moment: fees due at submission or reception are
    requested at the reception step, fees due before the result at the return step.
    """
    reception, review, leader, back = hours
    receive = list(RECEIVE_ACTIONS)
    give_back = list(RETURN_ACTIONS)
    if payment in ("submission", "reception"):
        receive.append("request_payment")
    elif payment == "before_result":
        give_back.insert(0, "request_payment")
    return [
        _step(
            "TN",
            "Tiếp nhận hồ sơ",
            "reception",
            reception_unit,
            reception,
            receive,
            reception_agency,
        ),
        _step("XL", review_name, "specialist", review_unit, review, REVIEW_ACTIONS, agency),
        _step("PD", approve_name, "leader", leader_unit, leader, APPROVE_ACTIONS, agency),
        _step("TKQ", "Trả kết quả", "reception", reception_unit, back, give_back, reception_agency),
    ]


def commune_steps(
    review_unit: str,
    days: float,
    payment: str = "none",
    *,
    leader_unit: str = COMMUNE_LEADER,
    hours: tuple[float, float, float, float] | None = None,
    review_name: str = "Thẩm định, xử lý hồ sơ",
    approve_name: str = "Phê duyệt, ký kết quả",
) -> list[dict[str, Any]]:
    """A commune process: every step is handled by the commune that received the dossier."""
    return process_steps(
        review_unit=review_unit,
        leader_unit=leader_unit,
        hours=hours or split_hours(days),
        payment=payment,
        review_name=review_name,
        approve_name=approve_name,
    )


def province_steps(
    department: str,
    review_unit: str,
    leader_unit: str,
    days: float,
    payment: str = "none",
    *,
    hours: tuple[float, float, float, float] | None = None,
    review_name: str = "Thẩm định, xử lý hồ sơ",
    approve_name: str = "Phê duyệt, ký kết quả",
) -> list[dict[str, Any]]:
    """A province process: the Center's one-stop shop receives and returns, the department
    reviews and approves."""
    return process_steps(
        review_unit=review_unit,
        leader_unit=leader_unit,
        hours=hours or split_hours(days),
        payment=payment,
        reception_unit=ONE_STOP_PROVINCE,
        reception_agency=CENTER_CODE,
        agency=department,
        review_name=review_name,
        approve_name=approve_name,
    )


def _fee(
    name: str,
    amount: int,
    *,
    kind: str = "charge",
    unit: str = "",
    channel: str | None = None,
    note: str = "",
    quantity_field: str | None = None,
    tiers: list[tuple[int, int]] | None = None,
    cap: int | None = None,
    multiplier_field: str | None = None,
    multiplier_unit: str = "",
) -> dict[str, Any]:
    """A fee item; per unit of ``quantity_field`` when given (app.payments.fees)."""
    return {
        "name": name,
        "amount": amount,
        "kind": kind,
        "unit": unit,
        "channel": channel,
        "note": note,
        "quantity_field": quantity_field,
        "tiers": [{"from": start, "amount": price} for start, price in tiers or []],
        "cap": cap,
        "multiplier_field": multiplier_field,
        "multiplier_unit": multiplier_unit,
    }


def _doc(
    code: str,
    name: str,
    *,
    required: bool = True,
    copies: int = 1,
    paper_kind: str = "original",
    accepted_types: list[str] | None = None,
    max_size_mb: int = 10,
    note: str = "",
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "required": required,
        "copies": copies,
        "paper_kind": paper_kind,
        "accepted_types": list(accepted_types or SCAN_TYPES),
        "max_size_mb": max_size_mb,
        "note": note,
    }


PAST = {"not_future": True}  # a birth, a death, an event that has happened
COUNT = {"min": 1, "integer": True}  # copies, pages, floors
AMOUNT = {"min": 0}  # money, areas, head counts


def _field(
    name: str,
    label: str,
    type_: str = "text",
    *,
    required: bool = True,
    options: list[str] | None = None,
    help_: str = "",
    prefill: str | None = None,
    max_length: int | None = None,
    checks: dict[str, Any] | None = None,
) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "label": label, "type": type_, "required": required}
    # Value checks of the form schema: not_future for dates, min/max/integer for numbers.
    field.update(checks or {})
    if options:
        field["options"] = options
    if help_:
        field["help"] = help_
    if prefill:
        field["prefill"] = prefill
    if max_length:
        field["max_length"] = max_length
    return field


def applicant_fields(name_label: str = "Họ tên người yêu cầu") -> list[dict[str, Any]]:
    """Name, personal ID and phone of the applicant, prefilled from the account."""
    return [
        _field("applicant_name", name_label, prefill="full_name"),
        _field(
            "applicant_id_number",
            "Số định danh cá nhân",
            "id_number",
            prefill="id_number",
        ),
        _field("applicant_phone", "Số điện thoại liên hệ", "phone", prefill="phone"),
    ]


def _authorisation(code: str = "UQ") -> dict[str, Any]:
    return _doc(code, "Văn bản ủy quyền (nếu nộp thay)", required=False, paper_kind="either")


COMMUNE_STEPS_1_DAY: list[dict[str, Any]] = commune_steps(CIVIL_STATUS_UNIT, 1)


# --- Hộ tịch (commune) ----------------------------------------------------------------------

BIRTH: dict[str, Any] = {
    "code": "1.001193",
    "name": "Đăng ký khai sinh",
    "field": "Hộ tịch",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    "online_level": "full",
    "processing_days": 0,  # "ngay trong ngày": by the close of the day processing starts
    "time_note": "Ngay trong ngày tiếp nhận; hồ sơ nhận sau 15 giờ thì trả kết quả "
    "trong ngày làm việc tiếp theo.",
    "result": "Giấy khai sinh (bản chính)",
    "result_type_code": "GKS",
    "legal_basis": "Luật Hộ tịch năm 2014;\nNghị định 123/2015/NĐ-CP;\n"
    "Thông tư 04/2020/TT-BTP;\nQuyết định 163/QĐ-BTP",
    "description": "Người đi đăng ký nộp tờ khai cùng giấy chứng sinh (hoặc giấy tờ thay thế) "
    "cho Bộ phận Một cửa của UBND cấp xã nơi cư trú của cha hoặc mẹ. Công chức Tư pháp - Hộ tịch "
    "kiểm tra thông tin, ghi vào Sổ hộ tịch và cập nhật Cơ sở dữ liệu hộ tịch điện tử để cấp số "
    "định danh cá nhân cho trẻ; lãnh đạo UBND ký Giấy khai sinh, sau đó bộ phận một cửa trả "
    "bản chính cho người đi đăng ký.",
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
            "not_future": True,
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
}

MARRIAGE: dict[str, Any] = {
    "code": "1.000894",
    "name": "Đăng ký kết hôn",
    "field": "Hộ tịch",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    # Both parties must be present to sign the register and receive the certificate.
    "online_level": "partial",
    "processing_days": 0,  # "ngay trong ngày": by the close of the day processing starts
    "time_note": "Ngay trong ngày nhận đủ hồ sơ hợp lệ (nhận sau 15 giờ thì trả trong ngày "
    "làm việc tiếp theo); trường hợp cần xác minh điều kiện kết hôn thì không quá 05 ngày "
    "làm việc.",
    "result": "Giấy chứng nhận kết hôn (bản chính, mỗi bên một bản)",
    "result_type_code": "GCNKH",
    "legal_basis": "Luật Hôn nhân và gia đình năm 2014;\nLuật Hộ tịch năm 2014;\n"
    "Nghị định 123/2015/NĐ-CP;\nThông tư 04/2020/TT-BTP;\nThông tư 281/2016/TT-BTC",
    "description": "Hai bên nam, nữ nộp tờ khai đăng ký kết hôn tại UBND cấp xã nơi cư trú "
    "của một trong hai bên. Công chức Tư pháp - Hộ tịch đối chiếu thông tin với cơ sở dữ liệu "
    "dân cư, kiểm tra điều kiện kết hôn; nếu đủ điều kiện thì ghi Sổ hộ tịch và trình lãnh "
    "đạo UBND ký Giấy chứng nhận kết hôn. Khi nhận kết quả, cả hai bên phải có mặt để ký vào "
    "Sổ hộ tịch và Giấy chứng nhận kết hôn.",
    "fee_note": "Miễn lệ phí đăng ký kết hôn. Bản sao trích lục kết hôn (nếu yêu cầu) thu "
    "phí theo Thông tư 281/2016/TT-BTC.",
    "payment_moment": "none",
    "fees": [
        _fee(
            "Lệ phí đăng ký kết hôn",
            0,
            unit="trường hợp",
            note="Miễn lệ phí; bản sao trích lục (nếu yêu cầu) thu 8.000 đ/bản",
        )
    ],
    "components": [
        _doc("TK", "Tờ khai đăng ký kết hôn theo mẫu (hai bên cùng ký)"),
        _doc(
            "GTTT",
            "Giấy tờ tùy thân của hai bên (căn cước, hộ chiếu hoặc giấy tờ có ảnh còn "
            "giá trị sử dụng)",
            copies=2,
            paper_kind="copy",
        ),
        _doc(
            "XNHN",
            "Giấy xác nhận tình trạng hôn nhân (nếu đăng ký tại nơi không phải nơi thường "
            "trú của người đó)",
            required=False,
        ),
    ],
    "form_fields": [
        *applicant_fields("Họ tên người nộp hồ sơ"),
        _field("groom_name", "Họ, chữ đệm, tên bên nam"),
        _field("groom_id_number", "Số định danh cá nhân bên nam", "id_number"),
        _field("bride_name", "Họ, chữ đệm, tên bên nữ"),
        _field("bride_id_number", "Số định danh cá nhân bên nữ", "id_number"),
        _field(
            "ceremony_date",
            "Ngày mong muốn nhận Giấy chứng nhận kết hôn",
            "date",
            required=False,
            help_="Cả hai bên phải có mặt khi nhận kết quả.",
        ),
    ],
    "steps": COMMUNE_STEPS_1_DAY,
}

DEATH: dict[str, Any] = {
    "code": "1.000656",
    "name": "Đăng ký khai tử",
    "field": "Hộ tịch",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    "online_level": "full",
    "processing_days": 0,  # "ngay trong ngày": by the close of the day processing starts
    "time_note": "Ngay trong ngày nhận đủ giấy tờ; hồ sơ nhận sau 15 giờ thì trả kết quả "
    "trong ngày làm việc tiếp theo.",
    "result": "Trích lục khai tử (bản chính)",
    "result_type_code": "TLKT",
    "legal_basis": "Luật Hộ tịch năm 2014;\nNghị định 123/2015/NĐ-CP;\n"
    "Thông tư 04/2020/TT-BTP;\nThông tư 85/2019/TT-BTC",
    "description": "Người thân hoặc người có trách nhiệm nộp tờ khai cùng giấy báo tử (hoặc "
    "giấy tờ thay thế) tại UBND cấp xã nơi cư trú cuối cùng của người chết. Công chức Tư pháp "
    "- Hộ tịch kiểm tra, ghi Sổ hộ tịch và cập nhật cơ sở dữ liệu dân cư; lãnh đạo UBND ký "
    "Trích lục khai tử và bộ phận một cửa trả kết quả cho người đi khai tử.",
    "fee_note": "Mức lệ phí do HĐND tỉnh quyết định. Miễn lệ phí khi khai tử đúng hạn và "
    "cho gia đình người có công với cách mạng, hộ nghèo, người khuyết tật.",
    "payment_moment": "none",
    "fees": [
        _fee(
            "Lệ phí đăng ký khai tử",
            0,
            unit="trường hợp",
            note="Miễn lệ phí khi đăng ký khai tử đúng hạn",
        )
    ],
    "components": [
        _doc("TK", "Tờ khai đăng ký khai tử theo mẫu"),
        _doc(
            "GBT",
            "Giấy báo tử hoặc giấy tờ thay thế giấy báo tử do cơ quan có thẩm quyền cấp",
            paper_kind="either",
        ),
        _authorisation(),
    ],
    "form_fields": [
        *applicant_fields("Họ tên người đi khai tử"),
        _field("deceased_name", "Họ, chữ đệm, tên người chết"),
        _field("deceased_id_number", "Số định danh cá nhân người chết", "id_number"),
        _field("death_date", "Ngày chết", "date", checks=PAST),
        _field("death_place", "Nơi chết"),
        _field(
            "relationship",
            "Quan hệ với người chết",
            "select",
            options=["Vợ/chồng", "Con", "Cha/mẹ", "Người thân khác", "Cơ quan, tổ chức"],
        ),
    ],
    "steps": COMMUNE_STEPS_1_DAY,
}

MARITAL_STATUS: dict[str, Any] = {
    "code": "1.004873",
    "name": "Cấp Giấy xác nhận tình trạng hôn nhân",
    "field": "Hộ tịch",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    "online_level": "full",
    "processing_days": 3,
    "time_note": "03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "result": "Giấy xác nhận tình trạng hôn nhân",
    "result_type_code": "GXNHN",
    "legal_basis": "Luật Hộ tịch năm 2014;\nNghị định 123/2015/NĐ-CP;\n"
    "Thông tư 04/2020/TT-BTP;\nThông tư 85/2019/TT-BTC",
    "description": "Người yêu cầu nộp tờ khai (và nộp lại giấy xác nhận đã cấp trước đây nếu "
    "xin cấp lại) tại UBND cấp xã nơi thường trú. Công chức Tư pháp - Hộ tịch tra cứu cơ sở dữ "
    "liệu hộ tịch, xác minh tình trạng hôn nhân khi cần, rồi trình lãnh đạo UBND ký giấy xác "
    "nhận ghi rõ mục đích sử dụng; kết quả được trả tại bộ phận một cửa hoặc qua tài khoản "
    "dịch vụ công.",
    "fee_note": DEMO_FEE_NOTE
    + " Miễn cho gia đình người có công với cách mạng, hộ nghèo, người khuyết tật.",
    "payment_moment": "submission",
    "fees": [
        _fee(
            "Lệ phí cấp Giấy xác nhận tình trạng hôn nhân",
            5_000,
            unit="bản",
            note="Mức minh họa; miễn cho gia đình có công, hộ nghèo, người khuyết tật",
            quantity_field="copies",
        )
    ],
    "components": [
        _doc("TK", "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân theo mẫu"),
        _doc(
            "GXNC",
            "Giấy xác nhận tình trạng hôn nhân đã được cấp trước đây (nếu xin cấp lại)",
            required=False,
        ),
        _authorisation(),
    ],
    "form_fields": [
        *applicant_fields(),
        _field("residence_address", "Nơi cư trú", prefill="address"),
        _field(
            "marital_status",
            "Tình trạng hôn nhân hiện tại",
            "select",
            options=["Chưa kết hôn", "Đã ly hôn", "Vợ/chồng đã chết", "Đang có vợ/chồng"],
        ),
        _field(
            "purpose",
            "Mục đích sử dụng",
            "select",
            options=["Kết hôn", "Giao dịch, mua bán tài sản", "Vay vốn", "Mục đích khác"],
        ),
        _field(
            "purpose_detail",
            "Ghi rõ mục đích (nếu kết hôn: họ tên, nơi cư trú của người dự định kết hôn)",
            "textarea",
            required=False,
            max_length=500,
        ),
        _field("copies", "Số bản yêu cầu", "number", checks=COUNT),
    ],
    "steps": commune_steps(CIVIL_STATUS_UNIT, 3, "submission"),
}

CIVIL_COPY: dict[str, Any] = {
    "code": "2.000635",
    "name": "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
    "field": "Hộ tịch",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    "online_level": "full",
    "processing_days": 0,  # "ngay trong ngày": by the close of the day processing starts
    "time_note": SAME_DAY_NOTE,
    "result": "Bản sao Trích lục hộ tịch hoặc bản sao Giấy khai sinh",
    "result_type_code": "BSTL",
    "legal_basis": "Luật Hộ tịch năm 2014;\nNghị định 123/2015/NĐ-CP;\n"
    "Thông tư 04/2020/TT-BTP;\nThông tư 281/2016/TT-BTC",
    "description": "Người yêu cầu (hoặc người được ủy quyền) gửi tờ khai tới UBND cấp xã đang "
    "lưu Sổ hộ tịch hoặc dữ liệu của sự kiện. Công chức Tư pháp - Hộ tịch tra cứu sổ và cơ sở "
    "dữ liệu hộ tịch điện tử, lập bản sao trích lục; lãnh đạo UBND ký và kết quả được trả "
    "ngay trong ngày sau khi người yêu cầu nộp phí.",
    "fee_note": "Phí khai thác, sử dụng thông tin trong Cơ sở dữ liệu hộ tịch theo Thông tư "
    "281/2016/TT-BTC.",
    "payment_moment": "submission",
    "fees": [
        _fee(
            "Phí cấp bản sao trích lục hộ tịch",
            8_000,
            kind="fee",
            unit="bản",
            note="8.000 đ/bản sao trích lục/sự kiện hộ tịch",
            quantity_field="copies",
        )
    ],
    "components": [
        _doc("TK", "Tờ khai cấp bản sao trích lục hộ tịch theo mẫu"),
        _authorisation(),
    ],
    "form_fields": [
        *applicant_fields(),
        _field(
            "event_type",
            "Loại sự kiện hộ tịch",
            "select",
            options=["Khai sinh", "Kết hôn", "Khai tử", "Nhận cha, mẹ, con", "Khác"],
        ),
        _field("subject_name", "Họ, chữ đệm, tên người được cấp bản sao"),
        _field(
            "register_info",
            "Số, quyển, ngày đăng ký (nếu biết)",
            required=False,
            max_length=200,
        ),
        _field("copies", "Số bản sao yêu cầu", "number", checks=COUNT),
    ],
    "steps": commune_steps(CIVIL_STATUS_UNIT, 1, "submission"),
}


# --- Chứng thực (commune) -------------------------------------------------------------------

CERTIFICATION_LAW = (
    "Nghị định 23/2015/NĐ-CP;\nNghị định 280/2025/NĐ-CP;\nThông tư 01/2020/TT-BTP;\n"
    "Thông tư 226/2016/TT-BTC"
)

COPY_CERTIFICATION: dict[str, Any] = {
    "code": "2.000815",
    "name": "Chứng thực bản sao từ bản chính",
    "field": "Chứng thực",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    # The original must be shown at the counter to be compared with the copy.
    "online_level": "partial",
    "processing_days": 0,  # "ngay trong ngày": by the close of the day processing starts
    "time_note": SAME_DAY_NOTE,
    "result": "Bản sao được chứng thực từ bản chính",
    "result_type_code": "BSCT",
    "legal_basis": CERTIFICATION_LAW + ";\nQuyết định 3152/QĐ-BTP",
    "description": "Người yêu cầu xuất trình bản chính cùng bản sao cần chứng thực (hoặc để "
    "cơ quan chụp từ bản chính). Người tiếp nhận đối chiếu bản sao với bản chính, thu phí "
    "theo số trang; người có thẩm quyền của UBND cấp xã ghi lời chứng, ký, đóng dấu, vào sổ "
    "chứng thực và trả bản sao đã chứng thực cho người yêu cầu.",
    "fee_note": "Phí chứng thực bản sao từ bản chính: 2.000 đ/trang cho hai trang đầu, từ "
    "trang thứ ba trở đi 1.000 đ/trang, tối đa 200.000 đ/bản (Thông tư 226/2016/TT-BTC).",
    "payment_moment": "reception",
    "fees": [
        # 5 pages × 2 copies = (2 × 2.000 + 3 × 1.000) × 2 = 14.000 đ.
        _fee(
            "Phí chứng thực bản sao từ bản chính",
            2_000,
            kind="fee",
            unit="trang",
            note="2.000 đ/trang cho trang 1 và 2; từ trang thứ ba 1.000 đ/trang; "
            "tối đa 200.000 đ/bản",
            quantity_field="page_count",
            tiers=[(1, 2_000), (3, 1_000)],
            cap=200_000,
            multiplier_field="copies",
            multiplier_unit="bản",
        ),
    ],
    "components": [
        _doc(
            "BC",
            "Bản chính giấy tờ, văn bản làm cơ sở để chứng thực bản sao",
            note="Xuất trình tại quầy để đối chiếu",
        ),
        _doc("BS", "Bản sao cần chứng thực", paper_kind="copy", max_size_mb=20),
    ],
    "form_fields": [
        *applicant_fields(),
        _field("document_title", "Tên giấy tờ, văn bản cần chứng thực", max_length=255),
        _field("page_count", "Số trang của mỗi bản", "number", checks=COUNT),
        _field("copies", "Số bản cần chứng thực", "number", checks=COUNT),
        _field(
            "language",
            "Ngôn ngữ của giấy tờ",
            "select",
            options=["Tiếng Việt", "Tiếng nước ngoài", "Song ngữ"],
        ),
    ],
    "steps": commune_steps(
        CIVIL_STATUS_UNIT,
        1,
        "reception",
        review_name="Đối chiếu bản sao với bản chính",
        approve_name="Ký chứng thực, đóng dấu",
    ),
}

SIGNATURE_CERTIFICATION: dict[str, Any] = {
    "code": "2.000884",
    "name": "Chứng thực chữ ký trong các giấy tờ, văn bản",
    "field": "Chứng thực",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    # The signer must sign (or put a fingerprint) in front of the certifying officer.
    "online_level": "partial",
    "processing_days": 0,  # "ngay trong ngày": by the close of the day processing starts
    "time_note": SAME_DAY_NOTE,
    "result": "Giấy tờ, văn bản được chứng thực chữ ký",
    "result_type_code": "CTCK",
    "legal_basis": CERTIFICATION_LAW + ";\nThông tư 257/2016/TT-BTC;\nQuyết định 858/QĐ-BTP",
    "description": "Người yêu cầu mang giấy tờ tùy thân và văn bản cần chứng thực đến UBND "
    "cấp xã. Người tiếp nhận kiểm tra giấy tờ và năng lực của người ký, yêu cầu ký hoặc điểm "
    "chỉ trước mặt; người thực hiện chứng thực ghi lời chứng, ký, đóng dấu (giáp lai nếu văn "
    "bản có từ hai tờ trở lên), vào sổ chứng thực và trả văn bản cho người yêu cầu.",
    "fee_note": "10.000 đ/trường hợp; một trường hợp là một hoặc nhiều chữ ký trong cùng một "
    "giấy tờ, văn bản.",
    "payment_moment": "reception",
    "fees": [
        _fee(
            "Phí chứng thực chữ ký",
            10_000,
            kind="fee",
            unit="trường hợp",
            note="Một hoặc nhiều chữ ký trong cùng một giấy tờ, văn bản; mỗi bản là một trường hợp",
            quantity_field="copies",
        )
    ],
    "components": [
        _doc(
            "GTTT",
            "Giấy tờ tùy thân còn giá trị sử dụng (căn cước, hộ chiếu hoặc giấy tờ có giá "
            "trị đi lại quốc tế)",
            paper_kind="either",
            note="Xuất trình bản chính tại quầy",
        ),
        _doc("VB", "Giấy tờ, văn bản cần chứng thực chữ ký", accepted_types=DOC_TYPES),
        _doc(
            "BD",
            "Bản dịch tiếng Việt (nếu văn bản bằng tiếng nước ngoài)",
            required=False,
            accepted_types=DOC_TYPES,
        ),
    ],
    "form_fields": [
        *applicant_fields("Họ tên người yêu cầu chứng thực"),
        _field("document_title", "Tên giấy tờ, văn bản cần chứng thực chữ ký", max_length=255),
        _field(
            "signing_method",
            "Hình thức",
            "select",
            options=["Ký", "Điểm chỉ", "Không thể ký, không thể điểm chỉ"],
        ),
        _field("copies", "Số bản cần chứng thực", "number", checks=COUNT),
        _field(
            "needs_interpreter",
            "Cần người phiên dịch",
            "checkbox",
            required=False,
        ),
    ],
    "steps": commune_steps(
        CIVIL_STATUS_UNIT,
        1,
        "reception",
        review_name="Kiểm tra giấy tờ, chứng kiến việc ký",
        approve_name="Ký chứng thực, đóng dấu",
    ),
}

TRANSACTION_CERTIFICATION: dict[str, Any] = {
    "code": "2.001035",
    "name": "Chứng thực giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất, nhà ở",
    "field": "Chứng thực",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    # All parties sign in front of the certifying officer.
    "online_level": "partial",
    "processing_days": 0,  # "ngay trong ngày": by the close of the day processing starts
    "time_note": SAME_DAY_NOTE,
    "result": "Giao dịch được chứng thực",
    "result_type_code": "CTGD",
    "legal_basis": CERTIFICATION_LAW + ";\nNghị định 55/2015/NĐ-CP;\nQuyết định 858/QĐ-BTP",
    "description": "Các bên nộp dự thảo giao dịch cùng giấy chứng nhận quyền sở hữu, quyền sử "
    "dụng tài sản và xuất trình giấy tờ tùy thân. Người tiếp nhận kiểm tra hồ sơ, sự tự nguyện "
    "và năng lực của các bên; các bên ký vào từng trang trước mặt người thực hiện chứng thực, "
    "sau đó lãnh đạo UBND cấp xã ghi lời chứng, ký, đóng dấu giáp lai, vào sổ và trả giao "
    "dịch đã chứng thực.",
    "fee_note": "50.000 đ/giao dịch. Cá nhân, hộ gia đình vay vốn tại tổ chức tín dụng để "
    "phát triển nông nghiệp, nông thôn không phải nộp phí chứng thực hợp đồng thế chấp "
    "(Nghị định 55/2015/NĐ-CP).",
    "payment_moment": "before_result",
    "fees": [
        _fee(
            "Phí chứng thực hợp đồng, giao dịch",
            50_000,
            kind="fee",
            unit="giao dịch",
            note="Miễn cho hợp đồng thế chấp vay vốn phát triển nông nghiệp, nông thôn",
        )
    ],
    "components": [
        _doc("DT", "Dự thảo giao dịch (hợp đồng, văn bản)", accepted_types=DOC_TYPES),
        _doc(
            "GCN",
            "Giấy chứng nhận quyền sở hữu, quyền sử dụng tài sản hoặc giấy tờ thay thế",
            paper_kind="either",
            max_size_mb=15,
        ),
        _doc(
            "GTTT",
            "Giấy tờ tùy thân của các bên tham gia giao dịch",
            paper_kind="either",
            copies=2,
        ),
    ],
    "form_fields": [
        *applicant_fields(),
        _field(
            "transaction_type",
            "Loại giao dịch",
            "select",
            options=[
                "Chuyển nhượng quyền sử dụng đất",
                "Tặng cho quyền sử dụng đất",
                "Mua bán nhà ở",
                "Thế chấp",
                "Mua bán, tặng cho động sản",
                "Giao dịch khác",
            ],
        ),
        _field("counterparty_name", "Họ tên bên còn lại của giao dịch"),
        _field("asset_description", "Mô tả tài sản", "textarea", max_length=1000),
        _field(
            "agricultural_loan",
            "Thế chấp để vay vốn phát triển nông nghiệp, nông thôn (được miễn phí)",
            "checkbox",
            required=False,
        ),
    ],
    "steps": commune_steps(
        CIVIL_STATUS_UNIT,
        1,
        "before_result",
        review_name="Kiểm tra hồ sơ, chứng kiến các bên ký",
        approve_name="Ký chứng thực, đóng dấu",
    ),
}


# --- Cư trú, Căn cước (Công an xã) ----------------------------------------------------------

RESIDENCE_LAW = (
    "Luật Cư trú năm 2020;\nNghị định 154/2024/NĐ-CP;\nThông tư 53/2025/TT-BCA;\n"
    "Thông tư 75/2022/TT-BTC;\nThông tư 71/2025/TT-BTC"
)
RESIDENCE_FEE_NOTE = (
    "Lệ phí đăng ký cư trú theo Thông tư 75/2022/TT-BTC (sửa đổi bởi Thông tư "
    "71/2025/TT-BTC); các trường hợp được miễn theo Điều 4 của Thông tư."
)


def residence_form(kind: str) -> list[dict[str, Any]]:
    """Declared data of form CT01 for a permanent or temporary residence registration."""
    fields = [
        *applicant_fields("Họ tên người đăng ký"),
        _field("current_address", "Nơi ở hiện tại", prefill="address"),
        _field("new_address", f"Địa chỉ đề nghị đăng ký {kind}"),
        _field(
            "housing_basis",
            "Chỗ ở hợp pháp thuộc",
            "select",
            options=[
                "Nhà thuộc sở hữu của mình",
                "Nhà thuê, mượn, ở nhờ",
                "Ở cùng người thân (được chủ hộ đồng ý)",
                "Cơ sở tín ngưỡng, tôn giáo, trợ giúp xã hội",
            ],
        ),
        _field("household_head_name", "Họ tên chủ hộ (nếu nhập vào hộ đã có)", required=False),
        _field(
            "relationship_to_head",
            "Quan hệ với chủ hộ",
            required=False,
            max_length=60,
        ),
    ]
    if kind == "tạm trú":
        fields.append(_field("stay_until", "Thời hạn tạm trú đến ngày", "date"))
    return fields


def residence_components() -> list[dict[str, Any]]:
    return [
        _doc("CT01", "Tờ khai thay đổi thông tin cư trú (Mẫu CT01)"),
        _doc(
            "CHO",
            "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp",
            paper_kind="either",
            max_size_mb=15,
            note="Không phải nộp nếu thông tin đã có trong cơ sở dữ liệu",
        ),
        _doc(
            "DY",
            "Văn bản đồng ý của chủ hộ, chủ sở hữu chỗ ở (nếu ở nhờ, ở thuê, nhập hộ)",
            required=False,
            paper_kind="either",
        ),
    ]


PERMANENT_RESIDENCE: dict[str, Any] = {
    "code": "1.004222",
    "name": "Đăng ký thường trú",
    "field": "Cư trú",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    "online_level": "full",
    "processing_days": 7,
    "time_note": "07 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "result": "Cập nhật thông tin thường trú vào Cơ sở dữ liệu về cư trú và thông báo kết "
    "quả cho người đăng ký",
    "result_type_code": "TBTT",
    "legal_basis": RESIDENCE_LAW,
    "description": "Người đăng ký kê khai Tờ khai CT01 và nộp giấy tờ chứng minh chỗ ở hợp pháp "
    "(trực tuyến hoặc tại xã). Công an xã kiểm tra hồ sơ, khai thác cơ sở dữ liệu quốc gia về "
    "dân cư, xác minh chỗ ở khi cần; lãnh đạo Công an xã duyệt, cán bộ cập nhật thông tin "
    "thường trú vào cơ sở dữ liệu về cư trú và thông báo kết quả cho người đăng ký.",
    "fee_note": RESIDENCE_FEE_NOTE,
    "payment_moment": "submission",
    "fees": [
        _fee(
            "Lệ phí đăng ký thường trú (nộp trực tiếp)",
            20_000,
            unit="lần đăng ký",
            channel="counter",
        ),
        _fee(
            "Lệ phí đăng ký thường trú (nộp trực tuyến)",
            10_000,
            unit="lần đăng ký",
            channel="online",
        ),
    ],
    "components": residence_components(),
    "form_fields": residence_form("thường trú"),
    "steps": commune_steps(
        COMMUNE_POLICE_UNIT,
        7,
        "submission",
        leader_unit=COMMUNE_POLICE_LEADER,
        review_name="Kiểm tra, xác minh và cập nhật cơ sở dữ liệu về cư trú",
        approve_name="Phê duyệt đăng ký",
    ),
}

TEMPORARY_RESIDENCE: dict[str, Any] = {
    "code": "1.004194",
    "name": "Đăng ký tạm trú",
    "field": "Cư trú",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    "online_level": "full",
    "processing_days": 3,
    "time_note": "03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "result": "Cập nhật thông tin tạm trú vào Cơ sở dữ liệu về cư trú và thông báo kết quả "
    "cho người đăng ký",
    "result_type_code": "TBTTR",
    "legal_basis": RESIDENCE_LAW,
    "description": "Người đăng ký nộp Tờ khai CT01 và giấy tờ chứng minh chỗ ở hợp pháp tại "
    "nơi dự kiến tạm trú. Công an xã kiểm tra, đối chiếu cơ sở dữ liệu dân cư; lãnh đạo Công "
    "an xã duyệt, thông tin tạm trú và thời hạn tạm trú được cập nhật vào cơ sở dữ liệu về cư "
    "trú và người đăng ký được thông báo kết quả.",
    "fee_note": RESIDENCE_FEE_NOTE,
    "payment_moment": "submission",
    "fees": [
        _fee(
            "Lệ phí đăng ký tạm trú (nộp trực tuyến)",
            7_000,
            unit="lần đăng ký",
            channel="online",
        ),
        _fee(
            "Lệ phí đăng ký tạm trú (nộp trực tiếp)",
            10_000,
            unit="lần đăng ký",
            channel="counter",
        ),
    ],
    "components": residence_components(),
    "form_fields": residence_form("tạm trú"),
    "steps": commune_steps(
        COMMUNE_POLICE_UNIT,
        3,
        "submission",
        leader_unit=COMMUNE_POLICE_LEADER,
        review_name="Kiểm tra, xác minh và cập nhật cơ sở dữ liệu về cư trú",
        approve_name="Phê duyệt đăng ký",
    ),
}

IDENTITY_CARD: dict[str, Any] = {
    "code": "1.014061",
    "name": "Cấp thẻ căn cước cho công dân từ đủ 14 tuổi trở lên",
    "field": "Căn cước",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    # Photo, fingerprints and iris are captured in person.
    "online_level": "partial",
    "processing_days": 7,
    "time_note": "07 ngày làm việc kể từ ngày tiếp nhận hồ sơ và thu nhận đủ thông tin sinh "
    "trắc học.",
    "result": "Thẻ căn cước",
    "result_type_code": "TCC",
    "legal_basis": "Luật Căn cước năm 2023;\nNghị định 70/2024/NĐ-CP;\n"
    "Thông tư 17/2024/TT-BCA;\nThông tư 73/2024/TT-BTC",
    "description": "Công dân đặt lịch và đến Công an xã để kê khai phiếu DC02 (và DC01 nếu "
    "thông tin chưa có trong Cơ sở dữ liệu quốc gia về dân cư), chụp ảnh, thu nhận vân tay và "
    "mống mắt. Công an xã kiểm tra, đối chiếu thông tin; lãnh đạo Công an xã duyệt và chuyển "
    "dữ liệu để sản xuất thẻ; thẻ được trả tại nơi làm thủ tục hoặc qua bưu chính.",
    "fee_note": "Bản ghi quốc gia không nêu mức thu. Demo: cấp thẻ lần đầu không thu lệ "
    "phí; cấp đổi, cấp lại thu theo Thông tư 73/2024/TT-BTC (cần đối chiếu trước khi dùng).",
    "payment_moment": "none",
    "fees": [
        _fee(
            "Lệ phí cấp thẻ căn cước (cấp lần đầu)",
            0,
            unit="thẻ",
            note="Cấp lần đầu không thu lệ phí",
        )
    ],
    "components": [
        _doc("DC02", "Phiếu đề nghị giải quyết thủ tục về căn cước (Mẫu DC02)"),
        _doc(
            "DC01",
            "Phiếu thu nhận thông tin căn cước (Mẫu DC01), nếu thông tin chưa có trong Cơ "
            "sở dữ liệu quốc gia về dân cư",
            required=False,
        ),
    ],
    "form_fields": [
        *applicant_fields("Họ tên công dân"),
        _field("birth_date", "Ngày sinh", "date", checks=PAST, prefill="birth_date"),
        _field("permanent_address", "Nơi thường trú", prefill="address"),
        _field(
            "delivery",
            "Hình thức nhận thẻ",
            "select",
            options=["Nhận tại nơi làm thủ tục", "Nhận qua dịch vụ bưu chính"],
        ),
        _field(
            "appointment_date",
            "Ngày hẹn thu nhận sinh trắc học",
            "date",
            required=False,
        ),
    ],
    "steps": commune_steps(
        COMMUNE_POLICE_UNIT,
        7,
        leader_unit=COMMUNE_POLICE_LEADER,
        review_name="Kiểm tra, đối chiếu thông tin với Cơ sở dữ liệu quốc gia về dân cư",
        approve_name="Phê duyệt, chuyển dữ liệu sản xuất thẻ",
    ),
}


# --- Hộ kinh doanh, đất đai, xây dựng (commune) ---------------------------------------------

BUSINESS_HOUSEHOLD_LAW = (
    "Nghị định 168/2025/NĐ-CP;\nThông tư 68/2025/TT-BTC;\nThông tư 85/2019/TT-BTC;\n"
    "Quyết định 2353/QĐ-BTC"
)

HOUSEHOLD_BUSINESS: dict[str, Any] = {
    "code": "1.001612",
    "name": "Đăng ký thành lập hộ kinh doanh",
    "field": "Hộ kinh doanh",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    "online_level": "full",
    "processing_days": 3,
    "time_note": "03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "result": "Giấy chứng nhận đăng ký hộ kinh doanh",
    "result_type_code": "GCNHKD",
    "legal_basis": BUSINESS_HOUSEHOLD_LAW,
    "description": "Chủ hộ kinh doanh (hoặc người được ủy quyền) nộp giấy đề nghị đăng ký hộ "
    "kinh doanh tại cơ quan đăng ký kinh doanh cấp xã nơi đặt địa điểm kinh doanh. Phòng Kinh "
    "tế kiểm tra tính hợp lệ của hồ sơ và tên hộ kinh doanh; nếu hợp lệ thì lãnh đạo UBND ký "
    "Giấy chứng nhận đăng ký hộ kinh doanh, nếu chưa hợp lệ thì thông báo một lần bằng văn "
    "bản nội dung cần sửa đổi, bổ sung.",
    "fee_note": "Mức lệ phí do HĐND tỉnh quyết định (Thông tư 85/2019/TT-BTC). Các mức dưới "
    "đây lấy theo bản ghi trên Cơ sở dữ liệu quốc gia về TTHC (150.000 đ khi nộp trực tuyến "
    "hoặc qua bưu chính, 50.000 đ khi nộp trực tiếp) và không nhất quán giữa các hình thức "
    "nộp: " + DEMO_FEE_NOTE,
    "payment_moment": "submission",
    "fees": [
        _fee(
            "Lệ phí đăng ký hộ kinh doanh (nộp trực tiếp)",
            50_000,
            unit="lần",
            channel="counter",
        ),
        _fee(
            "Lệ phí đăng ký hộ kinh doanh (nộp trực tuyến, bưu chính)",
            150_000,
            unit="lần",
            channel="online",
            note="Theo bản ghi quốc gia; cần đối chiếu Nghị quyết HĐND tỉnh",
        ),
    ],
    "components": [
        _doc("GDN", "Giấy đề nghị đăng ký hộ kinh doanh"),
        _doc(
            "BBH",
            "Biên bản họp thành viên hộ gia đình về việc thành lập hộ kinh doanh (nếu các "
            "thành viên hộ gia đình cùng đăng ký)",
            required=False,
        ),
        _authorisation(),
    ],
    "form_fields": [
        *applicant_fields("Họ tên chủ hộ kinh doanh"),
        _field("applicant_email", "Thư điện tử", "email", required=False, prefill="email"),
        _field("business_name", "Tên hộ kinh doanh", max_length=255),
        _field("business_address", "Địa điểm kinh doanh"),
        _field("business_lines", "Ngành, nghề kinh doanh", "textarea", max_length=2000),
        _field("capital", "Vốn kinh doanh (đồng)", "number", checks=AMOUNT),
        _field("employees", "Số lao động dự kiến", "number", required=False, checks=AMOUNT),
    ],
    "steps": commune_steps(COMMUNE_ECONOMY_UNIT, 3, "submission"),
}

HOUSEHOLD_BUSINESS_CHANGE: dict[str, Any] = {
    "code": "2.000720",
    "name": "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
    "field": "Hộ kinh doanh",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    "online_level": "full",
    "processing_days": 3,
    "time_note": "03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "result": "Giấy chứng nhận đăng ký hộ kinh doanh (cấp theo nội dung thay đổi)",
    "result_type_code": "GCNHKD",
    "legal_basis": BUSINESS_HOUSEHOLD_LAW,
    "description": "Hộ kinh doanh gửi thông báo thay đổi nội dung đăng ký tới cơ quan đăng ký "
    "kinh doanh cấp xã nơi đã đăng ký. Phòng Kinh tế kiểm tra hồ sơ, cập nhật Hệ thống thông "
    "tin quốc gia về đăng ký hộ kinh doanh; lãnh đạo UBND ký Giấy chứng nhận mới với nội dung "
    "đã thay đổi và trả cho hộ kinh doanh.",
    "fee_note": "Bản ghi quốc gia ghi “Miễn phí”; mức thu thuộc thẩm quyền HĐND tỉnh "
    "(Thông tư 85/2019/TT-BTC).",
    "payment_moment": "none",
    "fees": [
        _fee(
            "Lệ phí đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
            0,
            unit="lần",
            note="Miễn phí theo bản ghi quốc gia",
        )
    ],
    "components": [
        _doc("TB", "Thông báo thay đổi nội dung đăng ký hộ kinh doanh"),
        _doc(
            "BBH",
            "Biên bản họp thành viên hộ gia đình về việc thay đổi (nếu có)",
            required=False,
        ),
        _authorisation(),
    ],
    "form_fields": [
        *applicant_fields("Họ tên chủ hộ kinh doanh"),
        _field("registration_number", "Mã số hộ kinh doanh", max_length=20),
        _field("business_name", "Tên hộ kinh doanh", max_length=255),
        _field(
            "change_type",
            "Nội dung thay đổi",
            "select",
            options=[
                "Tên hộ kinh doanh",
                "Địa điểm kinh doanh",
                "Ngành, nghề kinh doanh",
                "Vốn kinh doanh",
                "Chủ hộ kinh doanh",
                "Thông tin khác",
            ],
        ),
        _field("change_detail", "Nội dung sau khi thay đổi", "textarea", max_length=2000),
    ],
    "steps": commune_steps(COMMUNE_ECONOMY_UNIT, 3),
}

CONSTRUCTION_LAW = (
    "Luật Xây dựng năm 2014;\nLuật sửa đổi, bổ sung một số điều của Luật Xây dựng năm "
    "2020;\nNghị định 175/2024/NĐ-CP;\nThông tư 85/2019/TT-BTC;\nQuyết định 56/QĐ-BXD"
)

BUILDING_PERMIT_COMMUNE: dict[str, Any] = {
    "code": "1.013225",
    "name": "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV và nhà ở riêng lẻ",
    "field": "Hoạt động xây dựng",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    # Original land papers and a site inspection are needed.
    "online_level": "partial",
    "processing_days": 20,
    "time_note": "15 ngày (nộp trực tiếp) hoặc 20 ngày (nộp trực tuyến) kể từ ngày nhận đủ "
    "hồ sơ hợp lệ; quy trình nội bộ được bố trí trong 15 ngày làm việc.",
    "result": "Giấy phép xây dựng kèm bản vẽ thiết kế có đóng dấu của cơ quan cấp phép",
    "result_type_code": "GPXD",
    "legal_basis": CONSTRUCTION_LAW,
    "description": "Chủ đầu tư nộp đơn đề nghị cấp giấy phép xây dựng kèm giấy tờ hợp pháp "
    "về đất đai và bản vẽ thiết kế tại UBND cấp xã nơi xây dựng. Công chức Địa chính - Xây "
    "dựng thẩm định hồ sơ, kiểm tra thực địa và thông báo một lần nếu cần bổ sung; khi đủ "
    "điều kiện, lãnh đạo UBND ký giấy phép, đóng dấu bản vẽ và bộ phận một cửa trả kết quả "
    "sau khi chủ đầu tư nộp lệ phí.",
    "fee_note": DEMO_FEE_NOTE + " Nhà ở riêng lẻ 75.000 đ/giấy phép.",
    "payment_moment": "before_result",
    "fees": [
        _fee(
            "Lệ phí cấp giấy phép xây dựng nhà ở riêng lẻ",
            75_000,
            unit="giấy phép",
            note="Mức minh họa; mức thực tế theo Nghị quyết HĐND tỉnh",
        )
    ],
    "components": [
        _doc(
            "DON",
            "Đơn đề nghị cấp giấy phép xây dựng (Mẫu số 01 Phụ lục II Nghị định 175/2024/NĐ-CP)",
        ),
        _doc(
            "GTD",
            "Giấy tờ hợp pháp về đất đai (Giấy chứng nhận quyền sử dụng đất hoặc giấy tờ "
            "tương đương)",
            paper_kind="copy",
            max_size_mb=15,
        ),
        _doc(
            "BV",
            "Bản vẽ thiết kế xây dựng (mặt bằng, mặt cắt, mặt đứng, móng, đấu nối hạ tầng)",
            copies=2,
            accepted_types=["pdf"],
            max_size_mb=20,
        ),
        _doc(
            "CK",
            "Cam kết bảo đảm an toàn đối với công trình liền kề (nếu có)",
            required=False,
        ),
    ],
    "form_fields": [
        *applicant_fields("Họ tên chủ đầu tư"),
        _field("site_address", "Địa điểm xây dựng (số thửa, tờ bản đồ, địa chỉ)"),
        _field(
            "building_type",
            "Loại công trình",
            "select",
            options=["Nhà ở riêng lẻ", "Công trình cấp III", "Công trình cấp IV"],
        ),
        _field("floor_area", "Tổng diện tích sàn (m²)", "number", checks=AMOUNT),
        _field("floors", "Số tầng", "number", checks=COUNT),
        _field("land_certificate_number", "Số phát hành Giấy chứng nhận quyền sử dụng đất"),
        _field(
            "expected_duration",
            "Thời gian dự kiến hoàn thành (tháng)",
            "number",
            required=False,
        ),
    ],
    # Sized for the shorter (counter) time: 4 + 90 + 15 + 3.5 = 112.5 h = 15 days.
    "steps": commune_steps(
        LAND_BUILDING_UNIT,
        15,
        "before_result",
        hours=(4, 90, 15, 3.5),
        review_name="Thẩm định hồ sơ, kiểm tra thực địa",
        approve_name="Phê duyệt, ký giấy phép xây dựng",
    ),
}


def _land_steps() -> list[dict[str, Any]]:
    """Commune reception and check, the land registration office branch, then the chairman."""
    steps = commune_steps(
        LAND_BUILDING_UNIT,
        17,
        "before_result",
        leader_unit="Chủ tịch UBND cấp xã",
        # 4 + 45 + 52.5 + 15 + 4 = 120.5 h, within the shortest (online) time of 17 days.
        hours=(4, 45, 15, 4),
        review_name="Kiểm tra hồ sơ, xác minh hiện trạng sử dụng đất",
        approve_name="Ký Giấy chứng nhận",
    )
    steps.insert(
        2,
        _step(
            "DK",
            "Thẩm định, cập nhật hồ sơ địa chính, in Giấy chứng nhận",
            "specialist",
            "Chi nhánh Văn phòng đăng ký đất đai",
            52.5,
            REVIEW_ACTIONS,
        ),
    )
    return steps


LAND_REGISTRATION: dict[str, Any] = {
    "code": "1.013978",
    "name": "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng "
    "đất, quyền sở hữu tài sản gắn liền với đất lần đầu cho hộ gia đình, cá nhân",
    "field": "Đất đai",
    "level": "commune",
    "agencies": COMMUNE_CODES,
    "online_level": "partial",
    "processing_days": 27,
    "time_note": "17 ngày làm việc khi nộp trực tuyến, 20 ngày khi nộp qua bưu chính, 27 "
    "ngày khi nộp trực tiếp; quy trình nội bộ được bố trí trong 17 ngày làm việc.",
    "result": "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
    "result_type_code": "GCNQSDD",
    "legal_basis": "Luật Đất đai năm 2024;\nNghị định 101/2024/NĐ-CP;\n"
    "Nghị định 151/2025/NĐ-CP;\nLuật Phí và lệ phí năm 2015;\nThông tư 85/2019/TT-BTC",
    "description": "Người sử dụng đất nộp đơn đăng ký kèm giấy tờ về quyền sử dụng đất và tài "
    "sản gắn liền với đất tại UBND cấp xã. Công chức Địa chính - Xây dựng kiểm tra hồ sơ, xác "
    "minh hiện trạng và nguồn gốc sử dụng đất; Chi nhánh Văn phòng đăng ký đất đai thẩm định, "
    "cập nhật hồ sơ địa chính, xác định nghĩa vụ tài chính và in Giấy chứng nhận; Chủ tịch "
    "UBND cấp xã ký Giấy chứng nhận, bộ phận một cửa trả kết quả sau khi người sử dụng đất "
    "nộp lệ phí.",
    "fee_note": "Bản ghi quốc gia chỉ ghi “theo Luật Phí và lệ phí”, không nêu mức. "
    + DEMO_FEE_NOTE,
    "payment_moment": "before_result",
    "fees": [
        _fee(
            "Lệ phí cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
            100_000,
            unit="giấy chứng nhận",
            note="Mức minh họa; mức thực tế theo Nghị quyết HĐND tỉnh",
        )
    ],
    "components": [
        _doc("DON", "Đơn đăng ký đất đai, tài sản gắn liền với đất theo mẫu"),
        _doc(
            "GTD",
            "Giấy tờ về quyền sử dụng đất theo Điều 137 Luật Đất đai năm 2024 (nếu có)",
            paper_kind="either",
            max_size_mb=15,
        ),
        _doc(
            "GTTS",
            "Giấy tờ về quyền sở hữu tài sản gắn liền với đất (nếu đăng ký tài sản)",
            required=False,
            paper_kind="either",
            max_size_mb=15,
        ),
        _doc(
            "NVTC",
            "Chứng từ thực hiện nghĩa vụ tài chính hoặc giấy tờ miễn, giảm (nếu có)",
            required=False,
            paper_kind="copy",
        ),
    ],
    "form_fields": [
        *applicant_fields("Họ tên người sử dụng đất"),
        _field("land_address", "Địa chỉ thửa đất"),
        _field("parcel_number", "Số thửa", max_length=20),
        _field("map_sheet_number", "Số tờ bản đồ", max_length=20),
        _field("area", "Diện tích (m²)", "number", checks=AMOUNT),
        _field(
            "land_use",
            "Mục đích sử dụng đất",
            "select",
            options=[
                "Đất ở",
                "Đất trồng cây hằng năm",
                "Đất trồng cây lâu năm",
                "Đất nuôi trồng thủy sản",
                "Đất khác",
            ],
        ),
        _field("use_since", "Thời điểm bắt đầu sử dụng đất", "date", checks=PAST),
        _field(
            "register_assets",
            "Đăng ký cả tài sản gắn liền với đất",
            "checkbox",
            required=False,
        ),
    ],
    "steps": _land_steps(),
}


# --- Province level -------------------------------------------------------------------------

CRIMINAL_RECORD: dict[str, Any] = {
    "code": "3.000333",
    "name": "Cấp Phiếu lý lịch tư pháp",
    "field": "Lý lịch tư pháp",
    "level": "province",
    "agencies": [POLICE],
    "online_level": "full",
    "processing_days": 10,
    "time_note": "10 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "result": "Phiếu lý lịch tư pháp số 1 hoặc số 2",
    "result_type_code": "LLTP",
    "legal_basis": "Luật Lý lịch tư pháp năm 2009;\nNghị định 111/2010/NĐ-CP;\n"
    "Thông tư 244/2016/TT-BTC;\nThông tư 16/2025/TT-BTC;\nQuyết định 1025/QĐ-BCA",
    "description": "Người yêu cầu nộp tờ khai (Mẫu 01/2025/LLTP, hoặc 02/2025/LLTP nếu ủy "
    "quyền) tại Trung tâm Phục vụ hành chính công tỉnh hoặc trực tuyến và nộp phí. Phòng Hồ sơ "
    "nghiệp vụ Công an tỉnh tra cứu, xác minh thông tin lý lịch tư pháp và lập Phiếu; lãnh "
    "đạo Công an tỉnh ký Phiếu, Trung tâm trả kết quả trực tiếp, qua bưu chính hoặc bản điện "
    "tử.",
    "fee_note": "Bản ghi quốc gia ghi “Miễn phí” nhưng dẫn chiếu Thông tư 244/2016/TT-BTC; "
    "mức minh họa theo Thông tư 244/2016/TT-BTC. Thông tư 16/2025/TT-BTC đã ban hành mức mới, "
    "cần đối chiếu trước khi sử dụng.",
    "payment_moment": "submission",
    "fees": [
        _fee(
            "Phí cung cấp thông tin lý lịch tư pháp",
            200_000,
            kind="fee",
            unit="phiếu",
            note="200.000 đ/lần/người cho tối đa 2 Phiếu; từ Phiếu thứ 3 thu thêm 5.000 đ/Phiếu "
            "(Thông tư 244/2016/TT-BTC). Sinh viên, người có công, thân nhân liệt sĩ: "
            "100.000 đ. Miễn cho trẻ em, người cao tuổi, người khuyết tật, hộ nghèo, người cư "
            "trú ở xã đặc biệt khó khăn",
            quantity_field="copies",
            tiers=[(1, 200_000), (2, 0), (3, 5_000)],
        )
    ],
    "components": [
        _doc(
            "TK",
            "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (Mẫu 01/2025/LLTP; Mẫu 02/2025/LLTP "
            "nếu ủy quyền)",
        ),
        _doc(
            "GTTT",
            "Bản sao thẻ căn cước hoặc hộ chiếu của người được cấp Phiếu",
            paper_kind="copy",
        ),
        _doc(
            "MG",
            "Giấy tờ chứng minh thuộc diện được miễn, giảm phí (nếu có)",
            required=False,
            paper_kind="copy",
        ),
        _authorisation(),
    ],
    "form_fields": [
        *applicant_fields("Họ tên người yêu cầu cấp Phiếu"),
        _field("birth_date", "Ngày sinh", "date", checks=PAST),
        _field("residence_address", "Nơi cư trú", prefill="address"),
        _field(
            "record_type",
            "Loại Phiếu yêu cầu",
            "select",
            options=["Phiếu lý lịch tư pháp số 1", "Phiếu lý lịch tư pháp số 2"],
        ),
        _field("copies", "Số lượng Phiếu", "number", checks=COUNT),
        _field("purpose", "Mục đích sử dụng Phiếu", max_length=255),
        _field(
            "fee_reduction",
            "Đối tượng miễn, giảm phí",
            "select",
            required=False,
            options=[
                "Không",
                "Sinh viên, người có công, thân nhân liệt sĩ (giảm 50%)",
                "Trẻ em, người cao tuổi, người khuyết tật, hộ nghèo (miễn)",
            ],
        ),
    ],
    "steps": province_steps(
        POLICE,
        "Phòng Hồ sơ nghiệp vụ - Công an tỉnh",
        "Lãnh đạo Công an tỉnh",
        10,
        "submission",
        review_name="Tra cứu, xác minh thông tin lý lịch tư pháp",
        approve_name="Ký Phiếu lý lịch tư pháp",
    ),
}

PASSPORT: dict[str, Any] = {
    "code": "1.001456",
    "name": "Cấp hộ chiếu phổ thông ở trong nước (thực hiện tại cấp tỉnh)",
    "field": "Xuất nhập cảnh",
    "level": "province",
    "agencies": [POLICE],
    # A photo and the previous passport are needed in original.
    "online_level": "partial",
    "processing_days": 8,
    "time_note": "08 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "result": "Hộ chiếu phổ thông (có hoặc không gắn chíp điện tử)",
    "result_type_code": "HC",
    "legal_basis": "Luật Xuất cảnh, nhập cảnh của công dân Việt Nam năm 2019;\n"
    "Luật số 23/2023/QH15;\nThông tư 31/2023/TT-BCA;\nThông tư 25/2021/TT-BTC",
    "description": "Người đề nghị nộp tờ khai TK01 và ảnh chân dung (trực tuyến hoặc tại Trung "
    "tâm Phục vụ hành chính công tỉnh), xuất trình giấy tờ tùy thân và nộp lệ phí khi hồ sơ "
    "được tiếp nhận. Phòng Quản lý xuất nhập cảnh Công an tỉnh kiểm tra, xét duyệt; lãnh đạo "
    "duyệt cấp và hộ chiếu được trả tại Trung tâm hoặc qua bưu chính.",
    "fee_note": "Lệ phí theo Thông tư 25/2021/TT-BTC. Mức 160.000 đ khi nộp trực tuyến chỉ "
    "áp dụng đến hết 31/12/2023.",
    "payment_moment": "reception",
    "fees": [
        _fee(
            "Lệ phí cấp hộ chiếu phổ thông",
            200_000,
            unit="hộ chiếu",
            note="Cấp lại do bị mất hoặc hư hỏng: 400.000 đ/hộ chiếu",
        )
    ],
    "components": [
        _doc(
            "TK",
            "Tờ khai đề nghị cấp hộ chiếu phổ thông ở trong nước (Mẫu TK01; TK01a cho người "
            "chưa đủ 14 tuổi)",
        ),
        _doc(
            "ANH",
            "Ảnh chân dung 4cm x 6cm, phông nền trắng, chụp không quá 06 tháng",
            accepted_types=["jpg", "png"],
            max_size_mb=5,
        ),
        _doc(
            "HCC",
            "Hộ chiếu phổ thông cấp lần gần nhất (nếu đã được cấp) hoặc đơn báo mất",
            required=False,
        ),
        _doc(
            "DD",
            "Giấy tờ chứng minh người đại diện hợp pháp (đối với người chưa đủ 14 tuổi)",
            required=False,
            paper_kind="copy",
        ),
    ],
    "form_fields": [
        *applicant_fields("Họ tên người đề nghị"),
        _field("applicant_email", "Thư điện tử", "email", required=False, prefill="email"),
        _field("birth_date", "Ngày sinh", "date", checks=PAST),
        _field(
            "request_type",
            "Loại đề nghị",
            "select",
            options=["Cấp lần đầu", "Cấp lại do hết hạn", "Cấp lại do bị mất, hư hỏng"],
        ),
        _field(
            "chip",
            "Loại hộ chiếu",
            "select",
            options=["Có gắn chíp điện tử", "Không gắn chíp điện tử"],
        ),
        _field(
            "delivery",
            "Hình thức nhận kết quả",
            "select",
            options=["Nhận tại Trung tâm", "Nhận qua dịch vụ bưu chính"],
        ),
    ],
    "steps": province_steps(
        POLICE,
        "Phòng Quản lý xuất nhập cảnh - Công an tỉnh",
        "Lãnh đạo Phòng Quản lý xuất nhập cảnh",
        8,
        "reception",
        review_name="Kiểm tra, xét duyệt hồ sơ",
        approve_name="Duyệt cấp hộ chiếu",
    ),
}

SOLE_PROPRIETORSHIP: dict[str, Any] = {
    "code": "2.001610",
    "name": "Đăng ký thành lập doanh nghiệp tư nhân",
    "field": "Doanh nghiệp",
    "level": "province",
    "agencies": [FINANCE],
    "online_level": "full",
    "processing_days": 3,
    "time_note": "03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "result": "Giấy chứng nhận đăng ký doanh nghiệp (doanh nghiệp tư nhân)",
    "result_type_code": "GCNDN",
    "legal_basis": "Luật Doanh nghiệp năm 2020;\nLuật số 76/2025/QH15;\n"
    "Nghị định 168/2025/NĐ-CP;\nThông tư 68/2025/TT-BTC;\nThông tư 47/2019/TT-BTC",
    "description": "Chủ doanh nghiệp (hoặc người được ủy quyền) nộp giấy đề nghị đăng ký doanh "
    "nghiệp và nộp phí công bố nội dung đăng ký doanh nghiệp. Phòng Đăng ký kinh doanh của Sở "
    "Tài chính kiểm tra tính hợp lệ, khai thác cơ sở dữ liệu quốc gia về dân cư và về đăng ký "
    "doanh nghiệp; nếu hợp lệ thì cấp Giấy chứng nhận đăng ký doanh nghiệp, nếu chưa hợp lệ "
    "thì thông báo bằng văn bản nội dung cần sửa đổi, bổ sung.",
    "fee_note": "Phí công bố nội dung đăng ký doanh nghiệp 100.000 đ/lần (Thông tư "
    "47/2019/TT-BTC); được hoàn lại nếu không được cấp đăng ký.",
    "payment_moment": "submission",
    "fees": [
        _fee(
            "Phí công bố nội dung đăng ký doanh nghiệp",
            100_000,
            kind="fee",
            unit="lần",
            note="Hoàn trả nếu doanh nghiệp không được cấp đăng ký",
        )
    ],
    "components": [
        _doc("GDN", "Giấy đề nghị đăng ký doanh nghiệp"),
        _doc(
            "GTPL",
            "Bản sao giấy tờ pháp lý của cá nhân đối với chủ doanh nghiệp tư nhân (không cần "
            "nếu đã kê khai số định danh cá nhân)",
            required=False,
            paper_kind="copy",
        ),
        _authorisation(),
    ],
    "form_fields": [
        *applicant_fields("Họ tên chủ doanh nghiệp"),
        _field("applicant_email", "Thư điện tử", "email", prefill="email"),
        _field("enterprise_name", "Tên doanh nghiệp", max_length=255),
        _field("head_office", "Địa chỉ trụ sở chính"),
        _field("business_lines", "Ngành, nghề kinh doanh", "textarea", max_length=4000),
        _field("capital", "Vốn đầu tư (đồng)", "number", checks=AMOUNT),
    ],
    "steps": province_steps(
        FINANCE,
        "Phòng Đăng ký kinh doanh - Sở Tài chính",
        "Lãnh đạo Phòng Đăng ký kinh doanh",
        3,
        "submission",
        approve_name="Phê duyệt, cấp đăng ký doanh nghiệp",
    ),
}

BUILDING_PERMIT_PROVINCE: dict[str, Any] = {
    "code": "1.013236",
    "name": "Cấp giấy phép xây dựng mới đối với công trình cấp đặc biệt, cấp I, cấp II",
    "field": "Hoạt động xây dựng",
    "level": "province",
    "agencies": [CONSTRUCTION],
    "online_level": "partial",
    "processing_days": 20,
    "time_note": "20 ngày kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "result": "Giấy phép xây dựng kèm bản vẽ thiết kế có đóng dấu của cơ quan cấp phép",
    "result_type_code": "GPXD",
    "legal_basis": CONSTRUCTION_LAW,
    "description": "Chủ đầu tư nộp hồ sơ đề nghị cấp giấy phép xây dựng tại Trung tâm Phục vụ "
    "hành chính công tỉnh. Sở Xây dựng thẩm định hồ sơ, kiểm tra thực địa, thông báo một lần "
    "nếu cần bổ sung và lấy ý kiến các cơ quan quản lý nhà nước liên quan; lãnh đạo Sở ký "
    "giấy phép, đóng dấu bản vẽ và Trung tâm trả kết quả sau khi chủ đầu tư nộp lệ phí.",
    "fee_note": DEMO_FEE_NOTE,
    "payment_moment": "before_result",
    "fees": [
        _fee(
            "Lệ phí cấp giấy phép xây dựng công trình",
            150_000,
            unit="giấy phép",
            note="Mức minh họa; mức thực tế theo Nghị quyết HĐND tỉnh",
        )
    ],
    "components": [
        _doc(
            "DON",
            "Đơn đề nghị cấp giấy phép xây dựng (Mẫu số 01 Phụ lục II Nghị định 175/2024/NĐ-CP)",
        ),
        _doc(
            "GTD",
            "Giấy tờ hợp pháp về đất đai theo Điều 53 Nghị định 175/2024/NĐ-CP",
            paper_kind="copy",
            max_size_mb=15,
        ),
        _doc(
            "QD",
            "Quyết định phê duyệt dự án, thông báo kết quả thẩm định của cơ quan chuyên môn "
            "về xây dựng, kết quả thủ tục về phòng cháy, chữa cháy và bảo vệ môi trường",
            paper_kind="copy",
            max_size_mb=20,
        ),
        _doc(
            "BV",
            "02 bộ bản vẽ thiết kế xây dựng triển khai sau thiết kế cơ sở đã được phê duyệt",
            copies=2,
            accepted_types=["pdf"],
            max_size_mb=20,
        ),
        _doc(
            "BIM",
            "Dữ liệu mô hình thông tin công trình (BIM), nếu thuộc trường hợp phải áp dụng",
            required=False,
            accepted_types=["pdf"],
            max_size_mb=20,
        ),
    ],
    "form_fields": [
        *applicant_fields("Họ tên người đại diện chủ đầu tư"),
        _field("applicant_email", "Thư điện tử", "email", prefill="email"),
        _field("investor_name", "Tên chủ đầu tư (tổ chức)", max_length=255),
        _field("project_name", "Tên dự án, công trình", max_length=255),
        _field("site_address", "Địa điểm xây dựng"),
        _field(
            "building_grade",
            "Cấp công trình",
            "select",
            options=["Cấp đặc biệt", "Cấp I", "Cấp II"],
        ),
        _field(
            "route_type",
            "Loại công trình",
            "select",
            options=[
                "Không theo tuyến",
                "Theo tuyến trong đô thị",
                "Tượng đài, tranh hoành tráng",
                "Tín ngưỡng, tôn giáo",
            ],
        ),
        _field("floor_area", "Tổng diện tích sàn (m²)", "number", checks=AMOUNT),
    ],
    # 4 + 112.5 + 22.5 + 4 = 143 h, within 20 days (150 h).
    "steps": province_steps(
        CONSTRUCTION,
        "Phòng Quản lý hoạt động xây dựng - Sở Xây dựng",
        "Lãnh đạo Sở Xây dựng",
        20,
        "before_result",
        hours=(4, 112.5, 22.5, 4),
        review_name="Thẩm định hồ sơ, kiểm tra thực địa, lấy ý kiến cơ quan liên quan",
        approve_name="Phê duyệt, ký giấy phép xây dựng",
    ),
}

PROCEDURES: list[dict[str, Any]] = [
    BIRTH,
    MARRIAGE,
    DEATH,
    MARITAL_STATUS,
    CIVIL_COPY,
    COPY_CERTIFICATION,
    SIGNATURE_CERTIFICATION,
    TRANSACTION_CERTIFICATION,
    PERMANENT_RESIDENCE,
    TEMPORARY_RESIDENCE,
    IDENTITY_CARD,
    HOUSEHOLD_BUSINESS,
    HOUSEHOLD_BUSINESS_CHANGE,
    BUILDING_PERMIT_COMMUNE,
    LAND_REGISTRATION,
    CRIMINAL_RECORD,
    PASSPORT,
    SOLE_PROPRIETORSHIP,
    BUILDING_PERMIT_PROVINCE,
]

__all__ = ["CENTER_CODE", "COMMUNE_STEPS_1_DAY", "HOURS_PER_DAY", "PROCEDURES"]
