"""A stand-in of the national portal's adapter for demos and tests (``portal
national-sandbox``): a real HTTP server speaking the protocol of SPEC §11 that records what it
acknowledged and can be told to refuse.

- ``POST /auth`` (JSON ``username``, ``password``; header ``dstcode``) → ``{"error_code": 0,
  "session": …}``, or ``error_code`` 1 for a wrong account or unit code.
- ``POST /sync`` (JSON ``session``, ``service``, ``data``, ``isUpdating``) → ``{"error_code":
  0}`` once recorded; 401 / ``error_code`` 401 for an unknown or expired session; ``error_code``
  2 for a malformed message.
- Control (the sandbox's own, not the national portal's): ``POST /_sandbox/faults`` with JSON
  ``{"faults": ["http500", "error", "expire"], "every": 0}`` — the next deliveries are refused
  in that order, and with ``every`` n > 0 every n-th delivery afterwards is refused with the
  kinds in turn; ``GET /_sandbox/received`` — what was acknowledged, in order; ``POST
  /_sandbox/reset``.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("http500", "error", "expire")
# The stand-in's demo account (PORTAL_NATIONAL_USERNAME / PORTAL_NATIONAL_PASSWORD to use it).
SANDBOX_USERNAME = "motcua"
SANDBOX_PASSWORD = "motcua-sandbox"  # noqa: S105 (a demo stand-in's account, not a secret)
SERVICES = ("DongBoHoSoMC", "CapNhatTienDoHoSoMC")


@dataclass
class SandboxState:
    """What the stand-in knows: the account, the sessions, the planned refusals, and what it
    acknowledged (``received``) or refused (``refused``), each in arrival order."""

    username: str = SANDBOX_USERNAME
    password: str = SANDBOX_PASSWORD
    dstcode: str = ""
    sessions: set[str] = field(default_factory=set)
    planned: deque[str] = field(default_factory=deque)
    every: int = 0
    kinds: tuple[str, ...] = FAULTS
    deliveries: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    logins: int = 0
    # Every session token handed out (a test checks none of them leaks into logs or pages).
    issued: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self, faults: list[str], every: int = 0) -> None:
        with self.lock:
            self.planned = deque(faults)
            self.every = every
            self.deliveries = 0
            kinds = tuple(f for f in faults if f in FAULTS)
            self.kinds = kinds or FAULTS

    def reset(self) -> None:
        with self.lock:
            self.sessions.clear()
            self.planned.clear()
            self.every = self.deliveries = self.logins = 0
            self.received.clear()
            self.refused.clear()

    def _fault(self) -> str | None:
        self.deliveries += 1
        if self.planned:
            return self.planned.popleft()
        if self.every > 0 and self.deliveries % self.every == 0:
            return self.kinds[(self.deliveries // self.every - 1) % len(self.kinds)]
        return None

    def auth(self, body: dict[str, Any], dstcode: str) -> tuple[int, dict[str, Any]]:
        ok = (
            body.get("username") == self.username
            and body.get("password") == self.password
            and (not self.dstcode or dstcode == self.dstcode)
        )
        if not ok:
            return 200, {"error_code": 1, "message": "Sai tài khoản, mật khẩu hoặc mã đơn vị"}
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions.add(token)
            self.issued.append(token)
            self.logins += 1
        return 200, {"error_code": 0, "session": token}

    def sync(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        token = str(body.get("session") or "")
        with self.lock:
            if token not in self.sessions:
                return 401, {"error_code": 401, "message": "Phiên làm việc không hợp lệ"}
            data = body.get("data")
            service = body.get("service")
            entry = {"service": service, "isUpdating": body.get("isUpdating"), "data": data}
            if (
                service not in SERVICES
                or not isinstance(data, list)
                or not data
                or not all(isinstance(d, dict) and d.get("MaHoSo") for d in data)
            ):
                self.refused.append({**entry, "fault": "malformed"})
                return 200, {"error_code": 2, "message": "Dữ liệu không hợp lệ"}
            fault = self._fault()
            if fault is not None:
                self.refused.append({**entry, "fault": fault})
            if fault == "http500":
                return 500, {"error_code": 500, "message": "Lỗi máy chủ (giả lập)"}
            if fault == "error":
                return 200, {"error_code": 99, "message": "Hệ thống đang bận (giả lập)"}
            if fault == "expire":
                self.sessions.discard(token)
                return 401, {"error_code": 401, "message": "Phiên làm việc đã hết hạn"}
            self.received.append(entry)
        return 200, {"error_code": 0, "message": "Thành công"}


def _handler(state: SandboxState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return  # requests carry passwords and tokens: nothing is logged

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                value = json.loads(self.rfile.read(length).decode() or "{}")
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/_sandbox/received":
                with state.lock:
                    payload = {"received": list(state.received), "refused": list(state.refused)}
                self._send(200, payload)
            else:
                self._send(404, {"error_code": 404, "message": "Not found"})

        def do_POST(self) -> None:
            body = self._body()
            if self.path == "/auth":
                self._send(*state.auth(body, self.headers.get("dstcode", "")))
            elif self.path == "/sync":
                self._send(*state.sync(body))
            elif self.path == "/_sandbox/faults":
                faults = [str(f) for f in body.get("faults") or [] if str(f) in FAULTS]
                every = body.get("every") or 0
                state.plan(faults, every if isinstance(every, int) and every > 0 else 0)
                self._send(200, {"planned": faults, "every": state.every})
            elif self.path == "/_sandbox/reset":
                state.reset()
                self._send(200, {"reset": True})
            else:
                self._send(404, {"error_code": 404, "message": "Not found"})

    return Handler


def make_server(state: SandboxState, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """The stand-in's HTTP server (port 0: any free port); ``serve_forever`` runs it."""
    server = ThreadingHTTPServer((host, port), _handler(state))
    server.daemon_threads = True
    return server
