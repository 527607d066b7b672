"""Every PDF the portal hands out is saved under one scheme, whoever downloads it and by
whichever route (finding m22): what it is, then the dossier's code — `giay-tiep-nhan-<code>.pdf`,
`ket-qua-<code>.pdf` — and a receipt by its series and number, `bien-lai-<series>-<number>.pdf`."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi.testclient import TestClient

from tests.dossiers.helpers import (
    LEADER,
    RECEPTION,
    SPECIALIST,
    act,
    headers,
    pdf_bytes,
    submit_procedure,
    submitted_dossier,
)

CASHIER = "thuphi.phohien@motcua.local"


def saved_as(response: object) -> str:
    """The name a browser saves the download under (RFC 6266 ``filename*``, else ``filename``),
    after checking that both parameters agree."""
    disposition = response.headers["content-disposition"]  # type: ignore[attr-defined]
    assert response.status_code == 200, disposition  # type: ignore[attr-defined]
    params = dict(part.strip().split("=", 1) for part in disposition.split(";")[1:] if "=" in part)
    plain = params["filename"].strip('"')
    encoded = unquote(params["filename*"].removeprefix("UTF-8''"))
    assert plain == encoded, disposition
    return encoded


def test_forms_and_results_are_named_by_kind_and_dossier_code_for_everyone(
    client: TestClient,
) -> None:
    dossier_id, citizen = submitted_dossier(client)
    reception = headers(client, RECEPTION)
    code = act(client, reception, dossier_id, "receive").json()["code"]
    act(client, headers(client, SPECIALIST), dossier_id, "forward")
    act(client, headers(client, LEADER), dossier_id, "approve")
    attached = client.post(
        f"/api/v1/dossiers/{dossier_id}/actions",
        data={"action": "attach_result", "comment": "Giấy khai sinh"},
        files={"file": ("GKS scan 03.PDF", pdf_bytes("GKS"), "application/pdf")},
        headers=reception,
    )
    assert attached.status_code == 200, attached.text
    act(client, reception, dossier_id, "return_result")
    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=citizen).json()
    by_kind = {d["kind"]: d["id"] for d in docs["items"]}
    expected = {
        "form_01": f"giay-tiep-nhan-{code}.pdf",
        "form_06": f"phieu-kiem-soat-{code}.pdf",
        "result": f"ket-qua-{code}.pdf",
    }
    assert set(by_kind) == set(expected)
    for kind, name in expected.items():
        doc_id = by_kind[kind]
        routes = [
            (f"/ho-so/{dossier_id}/van-ban/{doc_id}", citizen),
            (f"/api/v1/documents/{doc_id}/pdf", citizen),
            (f"/can-bo/ho-so/{dossier_id}/van-ban/{doc_id}", reception),
            (f"/api/v1/documents/{doc_id}/pdf", reception),
        ]
        for url, who in routes:
            assert saved_as(client.get(url, headers=who)) == name, url

    # The result file itself, as the staff attached it, is saved under the same name; the
    # citizen's own uploads keep theirs.
    files = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen).json()["files"]
    [result_file] = [f for f in files if f["purpose"] == "result"]
    own = next(f for f in files if f["purpose"] == "component")
    for url, who in (
        (f"/ho-so/{dossier_id}/tep/{result_file['id']}", citizen),
        (f"/can-bo/ho-so/{dossier_id}/tep/{result_file['id']}", reception),
        (f"/api/v1/dossiers/{dossier_id}/files/{result_file['id']}", citizen),
    ):
        assert saved_as(client.get(url, headers=who)) == f"ket-qua-{code}.pdf", url
    assert (
        saved_as(client.get(f"/ho-so/{dossier_id}/tep/{own['id']}", headers=citizen))
        == own["filename"]
    )


def test_a_receipt_is_named_by_its_series_and_number_on_every_route(client: TestClient) -> None:
    dossier, citizen = submit_procedure(client, "2.000884")  # 10.000 ₫ at reception
    reception = headers(client, RECEPTION)
    act(client, reception, dossier["id"], "receive")
    cashier = headers(client, CASHIER)
    paid = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "cash"}, headers=cashier
    )
    assert paid.status_code == 201, paid.text
    receipt = client.get(f"/api/v1/receipts/{paid.json()['receipt_id']}", headers=citizen).json()
    name = f"bien-lai-{receipt['series']}-{receipt['number_text']}.pdf"
    assert name.startswith("bien-lai-AA-") and receipt["number_text"].isdigit()
    docs = client.get(f"/api/v1/dossiers/{dossier['id']}/documents", headers=citizen).json()
    [doc_id] = [d["id"] for d in docs["items"] if d["kind"] == "receipt"]
    for url, who in (
        (f"/bien-lai/{receipt['id']}/pdf", citizen),
        (f"/api/v1/receipts/{receipt['id']}/pdf", citizen),
        (f"/ho-so/{dossier['id']}/van-ban/{doc_id}", citizen),
        (f"/can-bo/ho-so/{dossier['id']}/van-ban/{doc_id}", cashier),
        (f"/api/v1/documents/{doc_id}/pdf", cashier),
    ):
        assert saved_as(client.get(url, headers=who)) == name, url
