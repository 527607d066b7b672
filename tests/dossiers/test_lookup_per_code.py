"""Failed public lookups are limited per dossier code, from every address together (finding
M1): guessing the secret of one code from many addresses stops after 10 failures in 10
minutes, for the API and the /tra-cuu page alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.ratelimit import RateEvent
from tests.conftest import csrf_from
from tests.dossiers.helpers import RECEPTION, act, headers, submitted_dossier

LOCKED = "Mã hồ sơ này đã bị tra cứu sai quá nhiều lần nên tạm ngừng tra cứu"


def _from(app: FastAPI, n: int) -> TestClient:
    """A client connecting from its own address (10.9.0.n)."""
    return TestClient(app, base_url="http://127.0.0.1:8000", client=(f"10.9.0.{n}", 40000))


def _received(client: TestClient) -> tuple[str, str]:
    dossier_id, _ = submitted_dossier(client)
    body = act(client, headers(client, RECEPTION), dossier_id, "receive").json()
    return body["code"], body["lookup_secret"]


def _failures(db: Session, code: str) -> int:
    key = f"lookup-code:{code.upper()}"
    return db.scalar(select(func.count()).where(RateEvent.key == key)) or 0


def test_api_failures_from_many_addresses_close_the_code(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    code, secret = _received(client)
    assert client.get("/api/v1/lookup", params={"code": code, "secret": secret}).status_code == 200
    for n in range(10):
        wrong = _from(app, n).get("/api/v1/lookup", params={"code": code, "secret": f"SAI{n:05d}"})
        assert wrong.status_code == 404, n
    assert _failures(db, code) == 10  # the success before them counted nothing

    # An eleventh address, even with the right secret: refused, with the time to come back.
    stranger = _from(app, 99)
    for attempt in ("SAI99999", secret, secret.lower()):
        refused = stranger.get("/api/v1/lookup", params={"code": code, "secret": attempt})
        assert refused.status_code == 429
        body = refused.json()
        assert body["error"] == "too_many_requests"
        assert body["detail"].startswith(LOCKED) and "Vui lòng thử lại từ " in body["detail"]
        assert "%(" not in body["detail"]
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        assert "Đã tiếp nhận" not in refused.text
    assert _failures(db, code) == 10  # refusals are not failures: the code reopens on time

    english = stranger.get(
        "/api/v1/lookup",
        params={"code": code, "secret": secret},
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 429 and "try again" in english.json()["detail"].lower()

    # Other codes are not affected, and the code reopens once the window has passed.
    other = stranger.get("/api/v1/lookup", params={"code": code + "9", "secret": secret})
    assert other.status_code == 404
    for event in db.scalars(select(RateEvent).where(RateEvent.key.startswith("lookup-code:"))):
        event.at -= timedelta(minutes=10, seconds=1)
    db.flush()
    again = stranger.get("/api/v1/lookup", params={"code": code, "secret": secret})
    assert again.status_code == 200 and again.json()["code"] == code


def _look_up(client: TestClient, code: str, secret: str) -> Any:
    token = csrf_from(client.get("/tra-cuu").text)
    return client.post("/tra-cuu", data={"csrf_token": token, "code": code, "secret": secret})


def test_page_failures_from_many_addresses_close_the_code(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    code, secret = _received(client)
    for n in range(10):
        wrong = _look_up(_from(app, n), code, f"SAI{n:05d}")
        assert wrong.status_code == 404, n
        assert "Không tìm thấy hồ sơ" in wrong.text
    # The code is written in lower case: the same code, the same count.
    refused = _look_up(_from(app, 99), code.lower(), secret)
    assert refused.status_code == 429
    assert LOCKED in refused.text and "Vui lòng thử lại từ " in refused.text
    assert "Đã tiếp nhận" not in refused.text and "%(" not in refused.text
    assert _failures(db, code) == 10
    # The API shares the count: the same code is closed there too.
    api = _from(app, 98).get("/api/v1/lookup", params={"code": code, "secret": secret})
    assert api.status_code == 429
