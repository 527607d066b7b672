"""Shared steps of dossier tests: real files, a filled birth-registration draft, tokens."""

from __future__ import annotations

import io
import zlib
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import api_token

BIRTH = "1.001193"
PHO_HIEN = "000.00.51.H31"
CITIZEN = "congdan@motcua.local"
OTHER_CITIZEN = "congdan2@motcua.local"
RECEPTION = "tiepnhan.phohien@motcua.local"
SPECIALIST = "chuyenvien.phohien@motcua.local"
LEADER = "lanhdao.phohien@motcua.local"

BIRTH_FORM = {
    "applicant_name": "Nguyễn Thị Lan",
    "applicant_id_number": "034190001234",
    "applicant_phone": "0912345678",
    "child_name": "Nguyễn Minh An",
    "child_birth_date": "2026-11-20",
    "child_sex": "Nam",
    "birth_place": "Bệnh viện Đa khoa tỉnh Hưng Yên",
    "relationship": "Mẹ",
}


def pdf_bytes(text: str = "giay to") -> bytes:
    """A small but real one-page PDF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
        )

    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def headers(client: TestClient, email: str) -> dict[str, str]:
    return api_token(client, email)


def create_draft(client: TestClient, h: dict[str, str], **over: Any) -> dict[str, Any]:
    body = {"procedure_code": BIRTH, "agency_code": PHO_HIEN, "form_data": BIRTH_FORM, **over}
    response = client.post("/api/v1/dossiers", json=body, headers=h)
    assert response.status_code == 201, response.text
    return response.json()


def attach(
    client: TestClient,
    h: dict[str, str],
    dossier_id: int,
    component: str,
    data: bytes | None = None,
    name: str = "to-khai.pdf",
) -> Any:
    return client.post(
        f"/api/v1/dossiers/{dossier_id}/files",
        data={"component": component},
        files={"file": (name, data if data is not None else pdf_bytes(), "application/pdf")},
        headers=h,
    )


def submitted_dossier(client: TestClient) -> tuple[int, dict[str, str]]:
    """A complete online birth-registration dossier submitted by the demo citizen."""
    h = headers(client, CITIZEN)
    dossier = create_draft(client, h)
    for comp in ("TK", "GCS"):
        assert attach(client, h, dossier["id"], comp).status_code == 201
    response = client.post(f"/api/v1/dossiers/{dossier['id']}/submit", headers=h)
    assert response.status_code == 200, response.text
    return dossier["id"], h


def act(client: TestClient, h: dict[str, str], dossier_id: int, action: str, **fields: Any) -> Any:
    return client.post(
        f"/api/v1/dossiers/{dossier_id}/actions", json={"action": action, **fields}, headers=h
    )


def filled_form(client: TestClient, code: str) -> dict[str, Any]:
    """Valid declared data for any procedure, from its published form schema."""
    detail = client.get(f"/api/v1/procedures/{code}").json()
    form: dict[str, Any] = {}
    for field in detail["form_schema"]["fields"]:
        form[field["name"]] = {
            "date": "2026-01-15",
            "id_number": "034190001234",
            "phone": "0912345678",
            "email": "lan@example.vn",
            "number": "1",
            "checkbox": True,
            "select": (field["options"] or [""])[0],
        }.get(field["type"], "Nội dung khai")
    return form


def submit_procedure(
    client: TestClient, code: str, agency: str = PHO_HIEN, email: str = CITIZEN
) -> tuple[dict[str, Any], dict[str, str]]:
    """Draft, attach every required component, submit; returns the dossier after submit."""
    h = headers(client, email)
    created = client.post(
        "/api/v1/dossiers",
        headers=h,
        json={
            "procedure_code": code,
            "agency_code": agency,
            "form_data": filled_form(client, code),
        },
    )
    assert created.status_code == 201, created.text
    dossier_id = created.json()["id"]
    detail = client.get(f"/api/v1/procedures/{code}").json()
    for comp in detail["components"]:
        if comp["required"]:
            data, name = (
                (pdf_bytes(), "giay-to.pdf")
                if "pdf" in comp["accepted_types"]
                else (png_bytes(), "anh.png")
            )
            assert attach(client, h, dossier_id, comp["code"], data, name).status_code == 201
    submitted = client.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=h)
    assert submitted.status_code == 200, submitted.text
    return submitted.json(), h
