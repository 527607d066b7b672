"""A system admin (no agency) opening the fee counter or the receipt register gets a clear
403, not a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import api_token


def test_counter_and_register_need_an_agency(client: TestClient) -> None:
    admin = api_token(client, "admin@motcua.local")
    for path in ("/can-bo/thu-phi", "/can-bo/bien-lai"):
        page = client.get(path, headers=admin)
        assert page.status_code == 403, path
        assert "Tài khoản không thuộc cơ quan nào nên không có quầy thu phí." in page.text
