"""The audit export holds whatever was typed: a control character or a formula in a failed
login's e-mail neither breaks the XLSX (it was a 500) nor runs as a formula."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.conftest import api_token

TYPED = '=HYPERLINK("http://example.invalid","x")\x07@motcua.local'


def test_typed_text_stays_text_in_the_xlsx_export(client: TestClient) -> None:
    refused = client.post("/api/v1/auth/token", data={"username": TYPED, "password": "sai"})
    assert refused.status_code in (401, 422)
    admin = api_token(client, "admin@motcua.local")

    export = client.get(
        "/api/v1/audit", params={"format": "xlsx", "action": "login.failed"}, headers=admin
    )

    assert export.status_code == 200, export.text
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    typed = [c for c in cells if isinstance(c.value, str) and "hyperlink" in c.value]
    assert typed, "the failed login's typed e-mail is in the export"
    assert all(c.data_type == "s" and "\x07" not in c.value for c in typed)
    assert typed[0].value == TYPED.lower().replace("\x07", "")[:60]  # the entry's object id
