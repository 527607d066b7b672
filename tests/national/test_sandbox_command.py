"""`portal national-sandbox`: the stand-in runs as a command, speaks the adapter's protocol
(auth with the unit code, sync, an expired session answered 401), refuses when told to, and
lists what it acknowledged; a wrong account is refused without echoing the password."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from app.config import get_settings
from app.national import client as national_client

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(base: str, path: str, body: dict[str, Any], **headers: str) -> tuple[int, Any]:
    assert base.startswith("http://127.0.0.1:")
    request = urllib.request.Request(  # noqa: S310 (loopback http only, checked above)
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_command_runs_a_stand_in_that_refuses_when_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PYTHONPATH"] = str(ROOT)
    log = (tmp_path / "sandbox.log").open("wb")
    command = [sys.executable, "-m", "app", "national-sandbox", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--dstcode", "H31"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_sandbox/received", timeout=2
                ):
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "sandbox.log").read_text()
                assert time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.2)
        account = {"username": "motcua", "password": "motcua-sandbox"}
        assert _post(base, "/auth", account)[1]["error_code"] == 1  # no unit code
        status, answer = _post(base, "/auth", account, dstcode="H31")
        assert status == 200 and answer["error_code"] == 0
        session = answer["session"]
        entry = {"MaHoSo": "000.00.51.H31-261206-0001", "TrangThaiHoSo": "1"}
        body = {"session": session, "service": "DongBoHoSoMC", "isUpdating": "False"}
        assert _post(base, "/sync", {**body, "data": [entry]}) == (
            200,
            {"error_code": 0, "message": "Thành công"},
        )
        assert _post(base, "/sync", {**body, "data": []})[1]["error_code"] == 2
        _post(base, "/_sandbox/faults", {"faults": ["http500", "expire"]})
        assert _post(base, "/sync", {**body, "data": [entry]})[0] == 500
        assert _post(base, "/sync", {**body, "data": [entry]})[0] == 401
        assert _post(base, "/sync", {**body, "data": [entry]})[0] == 401  # the session is gone
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/received") as response:
            seen = json.loads(response.read())
        assert [r["data"] for r in seen["received"]] == [[entry]]
        assert [r["fault"] for r in seen["refused"]] == ["malformed", "http500", "expire"]

        # The portal's client against it: a wrong password is refused, and not repeated.
        settings = get_settings()
        monkeypatch.setattr(settings, "national_url", base)
        monkeypatch.setattr(settings, "national_username", "motcua")
        monkeypatch.setattr(settings, "national_password", "sai-mat-khau-123")
        monkeypatch.setattr(settings, "national_dstcode", "H31")
        national_client.forget_all()
        with pytest.raises(national_client.NotAcknowledged) as refused:
            national_client.Client(settings).sync("DongBoHoSoMC", False, entry)
        assert "auth" in str(refused.value) and "error_code 1" in str(refused.value)
        assert "sai-mat-khau-123" not in str(refused.value)
        monkeypatch.setattr(settings, "national_password", "motcua-sandbox")
        national_client.forget_all()
        national_client.Client(settings).sync("CapNhatTienDoHoSoMC", None, entry)
    finally:
        national_client.forget_all()
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert "motcua-sandbox" not in (tmp_path / "sandbox.log").read_text()
