"""`portal serve`: the server's public address follows the port it serves on (finding m4)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app.cli import public_url

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_public_url_of_a_listening_address() -> None:
    assert public_url("127.0.0.1", 18300) == "http://127.0.0.1:18300"
    assert public_url("0.0.0.0", 8080) == "http://127.0.0.1:8080"  # noqa: S104
    assert public_url("::1", 8000) == "http://[::1]:8000"
    assert public_url("cong.example.vn", 80) == "http://cong.example.vn:80"


@pytest.mark.parametrize("explicit", [None, "https://motcua.example.vn"])
def test_serve_gives_its_workers_the_address_it_listens_on(
    tmp_path: Path, explicit: str | None
) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(tmp_path),
        PORTAL_EMBEDDED_WORKER="false",
        PYTHONPATH=str(ROOT),
    )
    if explicit:
        env["PORTAL_BASE_URL"] = explicit
    log = (tmp_path / "server.log").open("wb")
    # The temporary folder as working directory: no stray .env file is read.
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        # `portal serve` became uvicorn (same process): the web app reads this variable.
        environ = Path(f"/proc/{server.pid}/environ").read_bytes().split(b"\0")
        wanted = explicit or f"http://127.0.0.1:{port}"
        assert f"PORTAL_BASE_URL={wanted}".encode() in environ
        assert f"Một cửa on {wanted}" in (tmp_path / "server.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
