"""The client's address is not the client's to choose (finding M2): ``X-Forwarded-For`` counts
only from the proxies in ``PORTAL_TRUSTED_PROXIES``; and the server names no software
(finding L9). Unit tests of uvicorn as ``portal serve`` configures it, then the real server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import ValidationError

from app.cli import uvicorn_flags, uvicorn_options
from app.config import Settings
from tests.test_serve import ROOT, _free_port


def _seen(trusted: str, peer: str, headers: dict[str, str]) -> tuple[str, str]:
    """(client address, scheme) an app behind uvicorn sees, configured like ``portal serve``."""
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen["client"], seen["scheme"] = scope["client"][0], scope["scheme"]

    config = uvicorn.Config(app, **uvicorn_options(Settings(trusted_proxies=trusted)))
    config.load()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8000),
        "client": (peer, 50000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    # A thread of its own: a browser test earlier in this worker may hold a running loop here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, config.loaded_app(scope, receive, send)).result()
    return seen["client"], seen["scheme"]


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def test_without_trusted_proxies_forwarded_headers_are_ignored() -> None:
    assert _seen("", "127.0.0.1", FORWARDED) == ("127.0.0.1", "http")
    assert _seen("", "198.51.100.4", FORWARDED) == ("198.51.100.4", "http")
    options = uvicorn_options(Settings(trusted_proxies=""))
    assert uvicorn_flags(options) == ["--no-proxy-headers", "--no-server-header"]


def test_only_a_listed_proxy_is_believed_and_only_for_its_own_hop() -> None:
    assert _seen("127.0.0.1", "127.0.0.1", FORWARDED) == ("203.0.113.9", "https")
    # A client that sends its own X-Forwarded-For through a proxy that appends the real
    # address: the address the proxy added wins, not the one the client chose.
    spoofed = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}
    assert _seen("127.0.0.1", "127.0.0.1", spoofed)[0] == "203.0.113.9"
    # Anybody else's headers are ignored.
    assert _seen("127.0.0.1", "198.51.100.4", FORWARDED) == ("198.51.100.4", "http")


def test_trusted_proxies_accept_networks() -> None:
    # Two proxies of the same network in a row: the client is the first address outside it.
    chained = {"X-Forwarded-For": "203.0.113.9, 10.0.0.5"}
    assert _seen("10.0.0.0/24", "10.0.0.7", chained)[0] == "203.0.113.9"
    assert _seen("10.0.0.0/24", "10.0.1.7", chained)[0] == "10.0.1.7"
    flags = uvicorn_flags(uvicorn_options(Settings(trusted_proxies=" 10.0.0.0/24 , ::1 ")))
    assert flags == [
        "--proxy-headers",
        "--forwarded-allow-ips=10.0.0.0/24,::1",
        "--no-server-header",
    ]


@pytest.mark.parametrize("bad", ["10.0.0.1/24", "proxy.local", "*", "10.0.0.300"])
def test_a_mistyped_proxy_is_refused_at_start(bad: str) -> None:
    with pytest.raises(ValidationError, match="PORTAL_TRUSTED_PROXIES"):
        Settings(trusted_proxies=bad)


def test_the_docker_image_starts_through_portal_serve() -> None:
    """The image gets the same proxy and banner behaviour: its command is ``portal serve``."""
    cmd = [
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    ]
    assert len(cmd) == 1 and "exec portal serve " in cmd[0]


def _get(url: str, headers: dict[str, str]) -> tuple[int, httpx.Headers]:
    response = httpx.get(url, headers=headers, timeout=10)
    return response.status_code, response.headers


def _serve(tmp_path: Path, **settings: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(tmp_path),
        PORTAL_EMBEDDED_WORKER="false",
        PORTAL_PDF_RENDERERS="0",
        PORTAL_LOOKUP_RATE_LIMIT="3",
        PYTHONPATH=str(ROOT),
        FORWARDED_ALLOW_IPS="*",  # uvicorn's own variable: the portal does not read it
        **settings,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=(tmp_path / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server, port
        except OSError:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)


def _lookups(port: int, first: int, count: int, rotate: bool) -> list[int]:
    statuses = []
    for n in range(first, first + count):
        headers = {"X-Forwarded-For": f"10.0.0.{n}"} if rotate else {}
        url = f"http://127.0.0.1:{port}/api/v1/lookup?code=X-{n}&secret=SAIMA123"
        statuses.append(_get(url, headers)[0])
    return statuses


def test_the_real_server_keys_limits_on_the_connection(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    server, port = _serve(tmp_path / "a")
    try:
        status, headers = _get(f"http://127.0.0.1:{port}/healthz", {})
        assert status == 200 and "server" not in headers
        assert _lookups(port, 0, 3, rotate=False) == [404] * 3
        # A new X-Forwarded-For on every request no longer buys a new allowance.
        assert _lookups(port, 3, 5, rotate=True) == [429] * 5
        status, headers = _get(f"http://127.0.0.1:{port}/api/v1/lookup?code=X&secret=Y", {})
        assert status == 429 and "server" not in headers
    finally:
        server.terminate()
        server.wait(timeout=30)

    # Behind a proxy on this machine that is listed, each forwarded client has its own limit.
    (tmp_path / "b").mkdir()
    server, port = _serve(tmp_path / "b", PORTAL_TRUSTED_PROXIES="127.0.0.1")
    try:
        assert _lookups(port, 0, 3, rotate=True) == [404] * 3
        same_client = {"X-Forwarded-For": "10.0.0.1"}
        url = f"http://127.0.0.1:{port}/api/v1/lookup?code=Y-1&secret=SAIMA123"
        assert [_get(url.replace("Y-1", f"Y-{n}"), same_client)[0] for n in range(3)] == [
            404,
            404,
            429,  # 10.0.0.1 had one lookup already
        ]
        other = httpx.get(url.replace("Y-1", "Z-1"), headers={"X-Forwarded-For": "10.0.0.9"})
        assert other.status_code == 404 and other.json()["error"] == "not_found"
    finally:
        server.terminate()
        server.wait(timeout=30)
