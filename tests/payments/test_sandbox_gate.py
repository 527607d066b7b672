"""The built-in sandbox bank settles fees without money: it exists only where it is switched
on (development by default, or PORTAL_PAYMENT_SANDBOX=true), and only the payer who opened a
sandbox payment may confirm it (security probe H1, issue 17 item 1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings, get_settings
from tests.conftest import csrf_from
from tests.dossiers.helpers import CITIZEN, submit_procedure
from tests.payments.refund_steps import log_in


@pytest.fixture
def sandbox_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PORTAL_PAYMENT_SANDBOX", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("PORTAL_PAYMENT_SANDBOX")
    get_settings.cache_clear()


def test_the_sandbox_is_on_only_in_development_unless_a_setting_says_so() -> None:
    assert Settings(env="development").sandbox_enabled
    production = Settings(env="production", secret_key="x" * 40)
    assert not production.sandbox_enabled
    assert Settings(env="production", secret_key="x" * 40, payment_sandbox=True).sandbox_enabled
    assert not Settings(env="development", payment_sandbox=False).sandbox_enabled


def test_with_the_sandbox_off_it_is_neither_offered_nor_accepted(
    client: TestClient, sandbox_off: None
) -> None:
    dossier, h = submit_procedure(client, "1.004873")
    refused = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "sandbox"}, headers=h
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "Cổng thanh toán thử nghiệm không được bật trên hệ thống này."
    )
    payments = client.get(f"/api/v1/dossiers/{dossier['id']}/payments", headers=h).json()
    assert payments["items"] == [] and payments["outstanding"] == 5000

    log_in(client, CITIZEN)
    page = client.get(f"/ho-so/{dossier['id']}/thanh-toan")
    assert page.status_code == 200
    assert 'value="sandbox"' not in page.text
    posted = client.post(
        f"/ho-so/{dossier['id']}/thanh-toan",
        data={"method": "sandbox", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert posted.status_code != 303
    assert client.get(f"/api/v1/dossiers/{dossier['id']}/payments", headers=h).json()["items"] == []


def test_a_sandbox_payment_opened_before_the_switch_cannot_be_confirmed_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier, h = submit_procedure(client, "1.004873")
    started = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "sandbox"}, headers=h
    ).json()
    bank_url = started["redirect_url"]
    log_in(client, CITIZEN)
    token = csrf_from(client.get(bank_url).text)
    monkeypatch.setenv("PORTAL_PAYMENT_SANDBOX", "false")
    get_settings.cache_clear()
    try:
        assert client.get(bank_url).status_code == 404
        confirm = client.post(bank_url, data={"decision": "confirm", "csrf_token": token})
        assert confirm.status_code == 404
    finally:
        monkeypatch.delenv("PORTAL_PAYMENT_SANDBOX")
        get_settings.cache_clear()
    payments = client.get(f"/api/v1/dossiers/{dossier['id']}/payments", headers=h).json()
    assert [p["status"] for p in payments["items"]] == ["pending"]
    assert payments["outstanding"] == 5000


@pytest.mark.parametrize("who", ["anonymous", "congdan2@motcua.local"])
def test_only_the_payer_confirms_a_sandbox_payment(client: TestClient, who: str) -> None:
    dossier, h = submit_procedure(client, "1.004873")
    started = client.post(
        f"/api/v1/dossiers/{dossier['id']}/payments", json={"method": "sandbox"}, headers=h
    ).json()
    bank_url = started["redirect_url"]
    if who != "anonymous":
        log_in(client, who)
    page = client.get(bank_url)
    assert page.status_code == 403
    assert "Chỉ người nộp hồ sơ đã mở giao dịch này được xác nhận thanh toán." in page.text
    token = csrf_from(client.get("/dang-nhap").text)
    confirm = client.post(bank_url, data={"decision": "confirm", "csrf_token": token})
    assert confirm.status_code == 403
    payments = client.get(f"/api/v1/dossiers/{dossier['id']}/payments", headers=h).json()
    assert [p["status"] for p in payments["items"]] == ["pending"]
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=h).json()["status"] == (
        "awaiting_payment"
    )
    # The payer, logged in, still can.
    log_in(client, CITIZEN)  # a fresh session
    bank = client.get(bank_url)
    assert bank.status_code == 200
    done = client.post(bank_url, data={"decision": "confirm", "csrf_token": csrf_from(bank.text)})
    assert done.status_code == 200 and "Thanh toán thành công" in done.text
