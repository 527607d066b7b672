"""The public catalogue through the API and the pages."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_list_has_spec_fields_and_pagination(client: TestClient) -> None:
    body = client.get("/api/v1/procedures", params={"limit": 2}).json()
    assert body["limit"] == 2 and body["offset"] == 0
    assert body["total"] >= 1 and len(body["items"]) <= 2
    item = body["items"][0]
    for key in ("code", "name", "field", "agency_code", "online_level", "processing_days"):
        assert key in item
    assert item["online_level"] in ("full", "partial")


def test_accent_insensitive_search(client: TestClient) -> None:
    for q in ("dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh", "1.001193"):
        names = [
            i["name"] for i in client.get("/api/v1/procedures", params={"q": q}).json()["items"]
        ]
        assert "Đăng ký khai sinh" in names, q
    none = client.get("/api/v1/procedures", params={"q": "khong co thu tuc nay xyz"}).json()
    assert none == {"items": [], "total": 0, "limit": 20, "offset": 0}


def test_wildcards_are_not_special(client: TestClient) -> None:
    everything = client.get("/api/v1/procedures").json()["total"]
    assert client.get("/api/v1/procedures", params={"q": "_"}).json()["total"] < everything


def test_detail_has_fees_components_form_and_steps(client: TestClient) -> None:
    body = client.get("/api/v1/procedures/1.001193").json()
    assert body["code"] == "1.001193"
    assert body["fees"][0]["amount"] == 0
    comp = body["components"][0]
    for key in ("code", "name", "required", "copies", "accepted_types", "max_size_mb"):
        assert key in comp
    fields = body["form_schema"]["fields"]
    assert {f["type"] for f in fields} <= {
        "text",
        "textarea",
        "date",
        "number",
        "select",
        "checkbox",
        "email",
        "phone",
        "id_number",
    }
    assert all({"name", "label", "type", "required", "options"} <= f.keys() for f in fields)
    steps = body["steps"]
    assert steps[0]["role"] == "reception"
    assert all({"code", "name", "role", "duration_hours"} <= s.keys() for s in steps)


def test_unknown_procedure_and_bad_params(client: TestClient) -> None:
    missing = client.get("/api/v1/procedures/9.999999")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "detail": "Không tìm thấy thủ tục."}
    bad = client.get("/api/v1/procedures", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_input"
    assert "limit" in bad.json()["fields"]
    level = client.get("/api/v1/procedures", params={"online_level": "some"})
    assert level.status_code == 422


def test_filter_by_agency_field_and_level(client: TestClient) -> None:
    commune = client.get("/api/v1/procedures", params={"agency": "000.00.54.H31"}).json()
    assert commune["total"] >= 1
    assert all(i["level"] == "commune" for i in commune["items"])
    nothing = client.get("/api/v1/procedures", params={"agency": "000.00.99.H99"}).json()
    assert nothing["total"] == 0
    civil = client.get("/api/v1/procedures", params={"field": "Hộ tịch"}).json()
    assert civil["total"] >= 1 and all(i["field"] == "Hộ tịch" for i in civil["items"])


def test_catalogue_pages(client: TestClient) -> None:
    page = client.get("/thu-tuc", params={"q": "dang ky khai sinh"})
    assert page.status_code == 200
    assert '<a href="/thu-tuc/1.001193">Đăng ký khai sinh</a>' in page.text
    detail = client.get("/thu-tuc/1.001193")
    assert "Thành phần hồ sơ" in detail.text and "Miễn phí" in detail.text
    assert client.get("/thu-tuc/9.999999").status_code == 404
    # Output is escaped: a search term is echoed back as text, not markup.
    xss = client.get("/thu-tuc", params={"q": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in xss.text
    assert "&lt;script&gt;" in xss.text
    # Out-of-range page numbers do not break the page.
    assert client.get("/thu-tuc", params={"page": 99999}).status_code == 200


def test_hours_are_written_with_a_decimal_comma(client: TestClient) -> None:
    page = client.get("/thu-tuc/1.001193").text
    assert "0,5 giờ làm việc" in page and "2,5 giờ làm việc" in page
    assert "0.5 giờ" not in page
    english = client.get("/thu-tuc/1.001193", cookies={"lang": "en"}).text
    assert "0,5" in english  # Vietnamese number format in both languages, like money


def test_number_format() -> None:
    from app.formatting import format_number

    assert format_number(0.5) == "0,5"
    assert format_number(7.5) == "7,5"
    assert format_number(15.0) == "15"
    assert format_number(1234.25) == "1.234,25"
    assert format_number(1234.25, grouping=False) == "1234,25"
    assert format_number(None) == ""


def test_search_takes_i_and_y_and_joined_words(client: TestClient) -> None:
    """Finding m1: common ways of typing a procedure's name find it."""
    for q in ("dang ki khai sinh", "đăng kí khai sinh", "khaisinh", "DangKy KhaiSinh"):
        names = [
            i["name"] for i in client.get("/api/v1/procedures", params={"q": q}).json()["items"]
        ]
        assert "Đăng ký khai sinh" in names, q
    page = client.get("/thu-tuc", params={"q": "đăng kí khai sinh"}).text
    assert "Đăng ký khai sinh" in page
    assert client.get("/api/v1/procedures", params={"q": "khaisinhxyz"}).json()["total"] == 0
