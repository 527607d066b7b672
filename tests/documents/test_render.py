"""The seven forms of Circular 03/2025/TT-VPCP render to PDF (and form 07 to XLSX)."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fontTools.ttLib import TTFont
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from app.documents.render import (
    FORM_KINDS,
    qr_data_uri,
    render_html,
    render_pdf,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "000.00.15.H31-250305-0001"
SUBMITTED = datetime(2025, 3, 4, 20, 15, tzinfo=VN)
RECEIVED = datetime(2025, 3, 5, 8, 30, tzinfo=VN)
DUE = datetime(2025, 3, 12, 16, 30, tzinfo=VN)
NEW_DUE = datetime(2025, 3, 19, 16, 30, tzinfo=VN)
VERIFY_URL = "https://motcua.hungyen.gov.vn/xac-thuc/Zq3xv8Jk2pL0aBcDeFgHiJkLmNoPqRsTuVwXyZ01234"
MISSING = ("Bản sao Giấy khai sinh", "Tờ khai theo mẫu TK1", "Ảnh 4x6 chụp trong 6 tháng")
BOOK_ROWS = 45


def _components() -> list[dict[str, Any]]:
    return [
        {"name": "Tờ khai đăng ký", "copies": 1, "paper_kind_label": "bản chính", "provided": True},
        {"name": "Bản sao CCCD", "copies": 2, "paper_kind_label": "bản sao", "provided": True},
        {"name": "Giấy ủy quyền", "copies": 1, "paper_kind_label": "bản chính", "provided": False},
    ]


def _book_row(index: int) -> dict[str, Any]:
    return {
        "index": index,
        "code": CODE if index == 1 else f"000.00.15.H31-250305-{index:04d}",
        "procedure_name": "Đăng ký khai sinh",
        "applicant_name": "Nguyễn Thị Lan" if index == 1 else f"Trần Văn Hùng {index}",
        "address": "Thôn Đông, xã Tân Tiến, tỉnh Hưng Yên",
        "phone": "0912345678",
        "received_at": RECEIVED,
        "due_at": DUE,
        "handed_to": "Phòng Tư pháp",
        "finished_at": None,
        "returned_at": None,
        "status_label": "Đang xử lý",
        "note": '=HYPERLINK("http://x")' if index == 2 else "",
    }


def _extra(kind: str) -> dict[str, Any]:
    hour = timedelta(hours=1)
    extras: dict[str, dict[str, Any]] = {
        "form_01": {"return_method": "Tại Bộ phận Một cửa"},
        "form_02": {
            "items": [{"name": name, "reason": f"Thiếu: {name.lower()}"} for name in MISSING],
            "reason": "Hồ sơ chưa đầy đủ",
            "deadline": datetime(2025, 3, 20, 17, 0, tzinfo=VN),
            "data_problems": [
                {
                    "field": "birth_date",
                    "label": "Ngày sinh",
                    "problem": "Không khớp giấy chứng sinh",
                }
            ],
        },
        "form_03": {"reasons": ["Thủ tục không thuộc thẩm quyền", "Người nộp không đủ tuổi"]},
        "form_04": {"reason": "Cần xác minh thêm", "old_due_at": DUE, "new_due_at": NEW_DUE},
        "form_05": {"cause": "withdrawn", "reason": "Người nộp rút hồ sơ", "requested_at": DUE},
        "form_06": {
            "rows": [
                {
                    "step_name": "Tiếp nhận hồ sơ",
                    "unit": "Bộ phận Một cửa",
                    "handed_by": "Lê Thị Hoa",
                    "received_by": "Phạm Văn Nam",
                    "planned_at": RECEIVED + hour,
                    "actual_at": RECEIVED + hour / 2,
                    "on_time": True,
                    "action_label": "Tiếp nhận hồ sơ",
                    "comment": "",
                },
                {
                    "step_name": "Thẩm định",
                    "unit": "Phòng Tư pháp",
                    "handed_by": "Phạm Văn Nam",
                    "received_by": "Đỗ Minh Quân",
                    "planned_at": RECEIVED + 24 * hour,
                    "actual_at": RECEIVED + 50 * hour,
                    "on_time": False,
                    "action_label": "Chuyển bước tiếp theo",
                    "comment": "Chậm do xác minh",
                },
            ]
        },
        "form_07": {
            "period_from": date(2025, 3, 1),
            "period_to": date(2025, 3, 31),
            "rows": [_book_row(index) for index in range(1, BOOK_ROWS + 1)],
        },
    }
    return extras[kind]


def _context(kind: str) -> dict[str, Any]:
    return {
        "doc": {
            "kind": kind,
            "title": f"{kind} {CODE}",
            "issued_at": datetime(2025, 3, 5, 9, 0, tzinfo=VN),
            "verify_url": VERIFY_URL,
            "number": "12/GTN" if kind == "form_01" else None,
        },
        "agency": {
            "name": "Bộ phận Một cửa xã Tân Tiến",
            "code": "000.00.15.H31",
            "address": "Thôn Đông, xã Tân Tiến, tỉnh Hưng Yên",
            "phone": "0221 3860 000",
            "parent_name": "Ủy ban nhân dân xã Tân Tiến",
        },
        "dossier": {
            "code": CODE,
            "procedure_code": "1.001193",
            "procedure_name": "Đăng ký khai sinh",
            "channel_label": "Trực tiếp",
            "applicant_name": "Nguyễn Thị Lan",
            "applicant_id_number": "033190001234",
            "applicant_phone": "0912345678",
            "applicant_address": "<b>X</b> Thôn Đông, xã Tân Tiến",
            "applicant_email": "lan@example.vn",
            "submitted_at": SUBMITTED,
            "resubmitted_at": None,
            "received_at": RECEIVED,
            "due_at": DUE,
            "lookup_secret": "K7P2-9QXM",
            "lookup_url": "https://motcua.hungyen.gov.vn/tra-cuu",
            "page_url": "https://motcua.hungyen.gov.vn/ho-so/42",
            "components": _components(),
            "fees_total": 1_250_000,
            # Forms issued before fees were frozen have no lines: the template reads .get().
            "fee_lines": [
                {
                    "name": "Phí chứng thực bản sao",
                    "amount": 1_250_000,
                    "explanation": "(2 trang × 2.000 ₫ + 3 trang × 1.000 ₫ = 7.000 ₫) × 2 bản",
                }
            ],
            "result_name": "Giấy khai sinh",
        },
        "officer": {"name": "Lê Thị Hoa", "title": "Công chức tiếp nhận"},
        "extra": _extra(kind),
    }


def _text(reader: PdfReader) -> str:
    """All text of the PDF with runs of whitespace made single spaces."""
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _fonts(reader: PdfReader) -> set[tuple[str, str]]:
    """(PDF font name, PostScript name inside the embedded font program) of every font used."""
    fonts: set[tuple[str, str]] = set()

    def walk(resources: Any) -> None:
        resources = resources.get_object() if resources is not None else None
        if not isinstance(resources, DictionaryObject):
            return
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
            fonts.add((str(font["/BaseFont"]), str(program["name"].getDebugName(6))))
        for xobject in (resources.get("/XObject") or {}).values():
            walk(xobject.get_object().get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return fonts


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    return {kind: render_pdf(kind, _context(kind)) for kind in FORM_KINDS}


@pytest.fixture(scope="module")
def readers(pdfs: dict[str, bytes]) -> dict[str, PdfReader]:
    return {kind: PdfReader(io.BytesIO(data)) for kind, data in pdfs.items()}


@pytest.mark.parametrize("kind", FORM_KINDS)
def test_form_renders_code_due_date_and_vietnamese(kind: str, readers: dict[str, PdfReader]):
    reader = readers[kind]
    text = _text(reader)
    assert reader.metadata is not None and reader.metadata.title == f"{kind} {CODE}"
    assert CODE in text.replace(" ", "")
    assert "12/03/2025" in text
    assert "Nguyễn Thị Lan" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Hưng Yên, ngày 05 tháng 3 năm 2025" in text
    assert f"Mẫu số {kind[-2:]}" in text
    assert "Lê Thị Hoa" in text
    for page in reader.pages:
        page_text = re.sub(r"\s+", " ", page.extract_text())
        assert "Quét mã để kiểm tra tính xác thực" in page_text
        assert f"/{len(reader.pages)}" in page_text  # "Trang n/N" footer


def test_form_01_receipt_content(readers: dict[str, PdfReader]):
    text = _text(readers["form_01"])
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "Thời gian trả kết quả: 16:30, 12/03/2025" in text
    assert "thời gian nộp: 20:15, 04/03/2025" in text  # the online submission, then reception
    assert "Thời gian nhận hồ sơ: 08:30, 05/03/2025" in text
    assert "K7P2-9QXM" in text
    assert "1.250.000 đồng" in text
    assert "Bản sao CCCD" in text
    assert "Giấy ủy quyền" not in text  # not provided, so not received
    assert "Tại Bộ phận Một cửa" in text


def test_form_02_lists_every_missing_item(readers: dict[str, PdfReader]):
    text = _text(readers["form_02"])
    for name in MISSING:
        assert name in text
    assert "Thông tin kê khai: Ngày sinh" in text and "Không khớp giấy chứng sinh" in text
    assert "20/03/2025" in text
    assert "Mã hồ sơ: " + CODE in text
    assert "Thời gian nộp hồ sơ: 20:15, 04/03/2025" in text
    # The supplement is made on the dossier's page, not on the read-only lookup.
    assert "bổ sung trực tuyến tại trang hồ sơ https://motcua.hungyen.gov.vn/ho-so/42" in text
    assert "/tra-cuu" not in text


def test_form_06_marks_late_hand_over(readers: dict[str, PdfReader]):
    text = _text(readers["form_06"])
    assert "Đúng hạn" in text
    assert "Quá hạn" in text
    assert "Chuyển bước tiếp theo: Chậm do xác minh" in text


def test_form_07_is_landscape_and_spans_pages(readers: dict[str, PdfReader]):
    reader = readers["form_07"]
    assert len(reader.pages) > 1
    for page in reader.pages:
        assert page.mediabox.width > page.mediabox.height
    assert f"Trần Văn Hùng {BOOK_ROWS}" in _text(reader)
    portrait = readers["form_01"].pages[0].mediabox
    assert portrait.height > portrait.width


def test_only_the_bundled_font_is_embedded(readers: dict[str, PdfReader]):
    for kind, reader in readers.items():
        fonts = _fonts(reader)
        assert fonts, kind
        for pdf_name, program_name in fonts:
            # The PDF names a font after its CSS family ("Portal Serif"); a system fallback
            # would carry its own family name. The embedded program must be DejaVu Serif.
            assert pdf_name.split("+")[-1].startswith("Portal-Serif"), (kind, pdf_name)
            assert program_name.startswith("DejaVuSerif"), (kind, program_name)


def test_form_01_explains_a_fee_per_quantity(readers: dict[str, PdfReader]):
    text = " ".join(_text(readers["form_01"]).split())
    assert "Phí, lệ phí: 1.250.000" in text
    # In words of the bundled font (which has no "₫"), like every amount on the forms.
    assert (
        "Phí chứng thực bản sao: (2 trang × 2.000 đồng + 3 trang × 1.000 đồng = 7.000 đồng) "
        "× 2 bản" in text
    )


def test_values_are_escaped(readers: dict[str, PdfReader]):
    assert "<b>X</b> Thôn Đông" in _text(readers["form_01"])


def test_templates_use_only_the_documented_context(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger="app.documents.render"):
        for kind in FORM_KINDS:
            render_html(kind, _context(kind))
    assert caplog.records == []


def test_context_read_back_from_json_renders_the_same():
    """A context stored as JSON has ISO strings where it had datetimes and dates."""
    context = json.loads(json.dumps(_context("form_02"), default=lambda value: value.isoformat()))
    html = render_html("form_02", context)
    assert "16:30, 12/03/2025" in html
    assert "17:00, 20/03/2025" in html
    assert "ngày 05 tháng 3 năm 2025" in html


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown form kind"):
        render_pdf("form_08", _context("form_01"))


def test_qr_data_uri_is_base64_svg():
    assert qr_data_uri(VERIFY_URL).startswith("data:image/svg+xml;base64,PHN2Zy")


def test_tracking_book_xlsx():
    from app.reports.xlsx import write_book

    context = _context("form_07")
    buffer = io.BytesIO()
    write_book(buffer, context, context["extra"]["rows"])
    data = buffer.getvalue()
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(index for index, row in enumerate(values) if row[0] == "STT")
    assert sheet.freeze_panes == f"A{header + 2}"
    assert sheet.cell(row=header + 1, column=1).font.b
    rows = values[header + 1 :]
    assert len(rows) == BOOK_ROWS
    assert rows[0][1] == CODE
    assert rows[0][3] == "Nguyễn Thị Lan"
    assert rows[0][7] == datetime(2025, 3, 12, 16, 30)  # local time, as Excel has no zones
    assert rows[1][-1] == '=HYPERLINK("http://x")'
    assert sheet.cell(row=header + 3, column=13).data_type == "s"  # text, not a formula
    assert "Từ ngày 01/03/2025 đến ngày 31/03/2025" in str(values[:header])
    assert sheet.column_dimensions["C"].width > 20


def test_province_name_and_verification_token_are_never_split() -> None:
    """Findings m6 and m7: "ỦY BAN NHÂN DÂN TỈNH HƯNG / YÊN" broke over two lines, and the
    printed token broke after one of its hyphens (a reader then drops the "-" and gets 404)."""
    token = "Zr0qP1m2-H3-s12qAbCdEfGhIjKlMnOpQrStUvWx_yz01"
    for kind in ("form_01", "form_02", "form_03", "form_04", "form_05", "form_06"):
        context = _context(kind)
        context["agency"]["parent_name"] = "Ủy ban nhân dân tỉnh Hưng Yên"
        context["agency"]["name"] = "Trung tâm Phục vụ hành chính công tỉnh Hưng Yên"
        context["doc"]["verify_url"] = f"http://127.0.0.1:8000/xac-minh/{token}"
        reader = PdfReader(io.BytesIO(render_pdf(kind, context)))
        lines = [line.strip() for line in reader.pages[0].extract_text().splitlines()]
        assert "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN" in lines, kind
        assert token in lines, kind
        assert "127.0.0.1:8000/xac-minh/" in lines, kind


def test_no_blank_placeholders_without_a_phone_or_an_address() -> None:
    """Finding m5: "liên hệ số điện thoại để được hướng dẫn" and "Địa chỉ: ;" were printed when
    the agency has no phone number or the applicant gave no address."""
    for kind in ("form_02", "form_03", "form_04", "form_05"):
        context = _context(kind)
        context["agency"]["phone"] = ""
        context["dossier"]["applicant_address"] = ""
        text = _text(PdfReader(io.BytesIO(render_pdf(kind, context))))
        assert "số điện thoại để" not in text and "số điện thoại ." not in text, kind
        assert "điện thoại hoặc" not in text and "Địa chỉ: ;" not in text, kind
        if kind != "form_04":
            assert "liên hệ Bộ phận Một cửa xã Tân Tiến" in text, kind
    with_phone = _text(PdfReader(io.BytesIO(render_pdf("form_05", _context("form_05")))))
    assert "liên hệ số điện thoại 0221 3860 000." in with_phone
    refusal = _context("form_03")
    refusal["dossier"]["applicant_address"] = ""
    text = _text(PdfReader(io.BytesIO(render_pdf("form_03", refusal))))
    assert "Số điện thoại: 0912345678" in text


def test_a_midnight_deadline_reads_as_the_end_of_the_day_before() -> None:
    """Finding m11: "trước 00:00, 22/12/2026" is read as the 22nd; it means the 21st."""
    context = _context("form_02")
    context["extra"]["deadline"] = datetime(2026, 12, 22, 0, 0, tzinfo=VN)
    text = _text(PdfReader(io.BytesIO(render_pdf("form_02", context))))
    assert "hồ sơ: hết ngày 21/12/2026" in text and "00:00" not in text
    context["extra"]["deadline"] = datetime(2026, 12, 22, 16, 30, tzinfo=VN)
    text = _text(PdfReader(io.BytesIO(render_pdf("form_02", context))))
    assert "hồ sơ: trước 16:30, 22/12/2026" in text
