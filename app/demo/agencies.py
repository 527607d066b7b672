"""Demo agencies: Hưng Yên province in the two-level structure in force since 1 July 2025.

Codes follow QCVN 102:2016 (V1V2V3.Z1Z2.Y1Y2.M1X1X2). H31 for Hưng Yên is inferred, not
confirmed by a published list, and the unit numbers below are illustrative: the demo data
must be replaced by the province's real codes before production use. Tax codes are demo values.
"""

from __future__ import annotations

from typing import TypedDict

PROVINCE_CODE = "000.00.00.H31"
CENTER_CODE = "000.00.01.H31"


class AgencyData(TypedDict):
    code: str
    name: str
    short_name: str
    level: str
    parent: str | None
    tax_code: str
    address: str
    phone: str
    # Decree 30/2020/NĐ-CP: the agency's abbreviation in document symbols, and the place of the
    # date line (the province for provincial agencies, the commune or ward for a commune's).
    abbreviation: str
    place_name: str


def _commune(code: str, name: str, short: str, tax: str, address: str) -> AgencyData:
    place = name.split(" phường ", 1)[-1].split(" xã ", 1)[-1]
    return {
        "code": code,
        "name": name,
        "short_name": short,
        "level": "commune",
        "parent": PROVINCE_CODE,
        "tax_code": tax,
        "address": address,
        "phone": "",
        "abbreviation": "UBND",
        "place_name": place,
    }


AGENCIES: list[AgencyData] = [
    {
        "code": PROVINCE_CODE,
        "name": "Ủy ban nhân dân tỉnh Hưng Yên",
        "short_name": "UBND tỉnh",
        "level": "province",
        "parent": None,
        "tax_code": "0900100001",
        "address": "Đường Chùa Chuông, phường Phố Hiến, tỉnh Hưng Yên",
        "phone": "0221 3862 123",
        "abbreviation": "UBND",
        "place_name": "Hưng Yên",
    },
    {
        "code": CENTER_CODE,
        "name": "Trung tâm Phục vụ hành chính công tỉnh Hưng Yên",
        "short_name": "Trung tâm PVHCC",
        "level": "center",
        "parent": PROVINCE_CODE,
        "tax_code": "0900100019",
        "address": "Số 6 đường Chùa Chuông, phường Phố Hiến, tỉnh Hưng Yên",
        "phone": "0221 3555 888",
        "abbreviation": "TTPVHCC",
        "place_name": "Hưng Yên",
    },
    {
        "code": "000.00.11.H31",
        "name": "Sở Tài chính tỉnh Hưng Yên",
        "short_name": "Sở Tài chính",
        "level": "department",
        "parent": PROVINCE_CODE,
        "tax_code": "0900100026",
        "address": "Phường Phố Hiến, tỉnh Hưng Yên",
        "phone": "",
        "abbreviation": "STC",
        "place_name": "Hưng Yên",
    },
    {
        "code": "000.00.12.H31",
        "name": "Sở Nội vụ tỉnh Hưng Yên",
        "short_name": "Sở Nội vụ",
        "level": "department",
        "parent": PROVINCE_CODE,
        "tax_code": "0900100033",
        "address": "Phường Phố Hiến, tỉnh Hưng Yên",
        "phone": "",
        "abbreviation": "SNV",
        "place_name": "Hưng Yên",
    },
    {
        "code": "000.00.15.H31",
        "name": "Sở Tư pháp tỉnh Hưng Yên",
        "short_name": "Sở Tư pháp",
        "level": "department",
        "parent": PROVINCE_CODE,
        "tax_code": "0900100033",
        "address": "Phường Phố Hiến, tỉnh Hưng Yên",
        "phone": "",
        "abbreviation": "STP",
        "place_name": "Hưng Yên",
    },
    {
        "code": "000.00.16.H31",
        "name": "Sở Xây dựng tỉnh Hưng Yên",
        "short_name": "Sở Xây dựng",
        "level": "department",
        "parent": PROVINCE_CODE,
        "tax_code": "0900100040",
        "address": "Phường Phố Hiến, tỉnh Hưng Yên",
        "phone": "",
        "abbreviation": "SXD",
        "place_name": "Hưng Yên",
    },
    {
        "code": "000.00.20.H31",
        "name": "Công an tỉnh Hưng Yên",
        "short_name": "Công an tỉnh",
        "level": "department",
        "parent": PROVINCE_CODE,
        "tax_code": "0900100057",
        "address": "Phường Phố Hiến, tỉnh Hưng Yên",
        "phone": "",
        "abbreviation": "CAT",
        "place_name": "Hưng Yên",
    },
    _commune(
        "000.00.51.H31",
        "Ủy ban nhân dân phường Phố Hiến",
        "UBND phường Phố Hiến",
        "0900100064",
        "Phường Phố Hiến, tỉnh Hưng Yên",
    ),
    _commune(
        "000.00.52.H31",
        "Ủy ban nhân dân phường Sơn Nam",
        "UBND phường Sơn Nam",
        "0900100071",
        "Phường Sơn Nam, tỉnh Hưng Yên",
    ),
    _commune(
        "000.00.53.H31",
        "Ủy ban nhân dân phường Hồng Châu",
        "UBND phường Hồng Châu",
        "0900100088",
        "Phường Hồng Châu, tỉnh Hưng Yên",
    ),
    _commune(
        "000.00.54.H31",
        "Ủy ban nhân dân xã Liên Phương",
        "UBND xã Liên Phương",
        "0900100095",
        "Xã Liên Phương, tỉnh Hưng Yên",
    ),
    _commune(
        "000.00.55.H31",
        "Ủy ban nhân dân phường Thái Bình",
        "UBND phường Thái Bình",
        "0900100102",
        "Phường Thái Bình, tỉnh Hưng Yên",
    ),
    _commune(
        "000.00.56.H31",
        "Ủy ban nhân dân phường Mỹ Hào",
        "UBND phường Mỹ Hào",
        "0900100119",
        "Phường Mỹ Hào, tỉnh Hưng Yên",
    ),
]

COMMUNE_CODES = [a["code"] for a in AGENCIES if a["level"] == "commune"]

DEMO_PASSWORD = "MotCua@2026"  # noqa: S105 (published demo accounts, see README)

# (email, full name, agency code or None, roles, is_admin, phone)
USERS: list[tuple[str, str, str | None, list[str], bool, str]] = [
    ("admin@motcua.local", "Quản trị hệ thống", None, [], True, ""),
    ("quantri.tinh@motcua.local", "Nguyễn Văn Quản", PROVINCE_CODE, ["agency_admin"], False, ""),
    ("tiepnhan.tinh@motcua.local", "Trần Thị Tiếp", CENTER_CODE, ["reception"], False, ""),
    ("thuphi.tinh@motcua.local", "Lê Thị Thu", CENTER_CODE, ["cashier"], False, ""),
    (
        "chuyenvien.tuphap@motcua.local",
        "Phạm Văn Chuyên",
        "000.00.15.H31",
        ["specialist"],
        False,
        "",
    ),
    ("lanhdao.tuphap@motcua.local", "Hoàng Minh Lãnh", "000.00.15.H31", ["leader"], False, ""),
    (
        "chuyenvien.taichinh@motcua.local",
        "Hà Thị Tài",
        "000.00.11.H31",
        ["specialist"],
        False,
        "",
    ),
    ("lanhdao.taichinh@motcua.local", "Kiều Văn Chính", "000.00.11.H31", ["leader"], False, ""),
    ("chuyenvien.xaydung@motcua.local", "Đỗ Văn Dựng", "000.00.16.H31", ["specialist"], False, ""),
    ("lanhdao.xaydung@motcua.local", "Vũ Thị Đạo", "000.00.16.H31", ["leader"], False, ""),
    ("chuyenvien.congan@motcua.local", "Bùi Văn An", "000.00.20.H31", ["specialist"], False, ""),
    ("lanhdao.congan@motcua.local", "Ngô Quang Huy", "000.00.20.H31", ["leader"], False, ""),
    ("tiepnhan.phohien@motcua.local", "Đinh Thị Nhận", "000.00.51.H31", ["reception"], False, ""),
    ("chuyenvien.phohien@motcua.local", "Lương Văn Hộ", "000.00.51.H31", ["specialist"], False, ""),
    ("lanhdao.phohien@motcua.local", "Trịnh Văn Chủ", "000.00.51.H31", ["leader"], False, ""),
    ("thuphi.phohien@motcua.local", "Mai Thị Ngân", "000.00.51.H31", ["cashier"], False, ""),
    ("quantri.phohien@motcua.local", "Tạ Văn Trị", "000.00.51.H31", ["agency_admin"], False, ""),
    (
        "tiepnhan.lienphuong@motcua.local",
        "Phan Thị Hòa",
        "000.00.54.H31",
        ["reception", "specialist", "cashier"],
        False,
        "",
    ),
    ("lanhdao.lienphuong@motcua.local", "Cao Văn Lực", "000.00.54.H31", ["leader"], False, ""),
    # The PAR index (app/par): the Department of Home Affairs and the appraisal council.
    ("cchc.noivu@motcua.local", "Đặng Thị Cải", "000.00.12.H31", ["par_admin"], False, ""),
    ("hoidong.cchc@motcua.local", "Lại Văn Thẩm", "000.00.12.H31", ["par_council"], False, ""),
    ("congdan@motcua.local", "Nguyễn Thị Lan", None, [], False, "0912345678"),
    ("congdan2@motcua.local", "Trần Văn Bình", None, [], False, "0987654321"),
]
