"""A stand-in of an SMS gateway and of Zalo ZNS for demos and tests (``portal sms-sandbox``):
a real HTTP server on loopback speaking the protocols of ``app.notifications.sms``, keeping
the messages it took.

- ``POST /sms/send`` (header ``Authorization: Bearer <key>``; JSON ``to``, ``text``,
  ``brandname``, ``request_id``) → ``{"code": 0, "message_id"}``; 401 without a key (or with
  a wrong one when the stand-in was given one); 400 ``code`` 2 for a malformed number.
- ``POST /zns/message/template`` (header ``access_token``; JSON ``phone``, ``template_id``,
  ``template_data``, ``tracking_id``) → ``{"error": 0, "data": {"msg_id"}}``.
- ``GET /messages`` — the received messages as JSON (newest last); ``GET /`` the same as a
  page. ``POST /_sandbox/faults`` with JSON ``{"fail_next": n, "every": m}``: the next n
  messages, then every m-th, are refused with HTTP 503; ``POST /_sandbox/reset``.

Keys are checked and never kept or printed.
"""

from __future__ import annotations

import hmac
import html
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PHONE_RE = re.compile(r"^84[35789]\d{8}$")


@dataclass
class SandboxState:
    """What the stand-in took (``received``) and refused (``refused``), in arrival order."""

    key: str = ""
    fail_next: int = 0
    every: int = 0
    count: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self, fail_next: int = 0, every: int = 0) -> None:
        with self.lock:
            self.fail_next, self.every, self.count = max(fail_next, 0), max(every, 0), 0

    def reset(self) -> None:
        with self.lock:
            self.fail_next = self.every = self.count = 0
            self.received.clear()
            self.refused.clear()

    def _key_ok(self, given: str) -> bool:
        if not given:
            return False
        return not self.key or hmac.compare_digest(given.encode(), self.key.encode())

    def _fails(self) -> bool:
        self.count += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            return True
        return self.every > 0 and self.count % self.every == 0

    def take(self, channel: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        phone = str(body.get("to") if channel == "sms" else body.get("phone") or "")
        if channel == "sms":
            entry = {"text": str(body.get("text") or ""), "brandname": body.get("brandname")}
            ref = str(body.get("request_id") or "")
        else:
            entry = {
                "template_id": str(body.get("template_id") or ""),
                "template_data": body.get("template_data") or {},
            }
            ref = str(body.get("tracking_id") or "")
        entry = {"channel": channel, "to": phone, "ref": ref, **entry}
        with self.lock:
            entry["at"] = datetime.now(UTC).isoformat(timespec="seconds")
            if not self._key_ok(key):
                self.refused.append({**entry, "fault": "key"})
                return 401, _answer(channel, 1, "Sai khóa truy cập")
            if not _PHONE_RE.match(phone) or (channel == "sms" and not entry.get("text")):
                self.refused.append({**entry, "fault": "malformed"})
                return 400, _answer(channel, 2, "Số điện thoại hoặc nội dung không hợp lệ")
            if self._fails():
                self.refused.append({**entry, "fault": "http503"})
                return 503, _answer(channel, 99, "Hệ thống bận (giả lập)")
            message_id = secrets.token_hex(8)
            self.received.append({**entry, "message_id": message_id})
        if channel == "sms":
            return 200, {"code": 0, "message": "OK", "message_id": message_id}
        return 200, {"error": 0, "message": "Success", "data": {"msg_id": message_id}}


def _answer(channel: str, code: int, message: str) -> dict[str, Any]:
    return {"code" if channel == "sms" else "error": code, "message": message}


def _page(state: SandboxState) -> bytes:
    with state.lock:
        rows = list(reversed(state.received))
    items = "".join(
        f"<tr><td>{html.escape(r['at'])}</td><td>{html.escape(r['channel'])}</td>"
        f"<td>{html.escape(r['to'])}</td>"
        f"<td>{html.escape(str(r.get('text') or r.get('template_id')))}</td></tr>"
        for r in rows
    )
    doc = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>SMS / Zalo sandbox'
        "</title></head><body><h1>Tin nhắn đã nhận (giả lập)</h1><table><thead><tr>"
        "<th>Lúc</th><th>Kênh</th><th>Số</th><th>Nội dung</th></tr></thead><tbody>"
        f"{items}</tbody></table></body></html>"
    )
    return doc.encode()


def _handler(state: SandboxState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return  # requests carry keys and phone numbers: nothing is logged

        def _body(self) -> dict[str, Any]:
            length = min(int(self.headers.get("Content-Length") or 0), 1_000_000)
            try:
                value = json.loads(self.rfile.read(length).decode() or "{}")
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}

        def _send(self, status: int, payload: Any, content_type: str = "") -> None:
            data = (
                payload
                if isinstance(payload, bytes)
                else json.dumps(payload, ensure_ascii=False).encode()
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type or "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/messages":
                with state.lock:
                    payload = {"received": list(state.received), "refused": list(state.refused)}
                self._send(200, payload)
            elif self.path == "/":
                self._send(200, _page(state), "text/html; charset=utf-8")
            else:
                self._send(404, {"message": "Not found"})

        def do_POST(self) -> None:
            body = self._body()
            if self.path == "/sms/send":
                auth = self.headers.get("Authorization", "")
                key = auth[7:] if auth.startswith("Bearer ") else ""
                self._send(*state.take("sms", key, body))
            elif self.path == "/zns/message/template":
                self._send(*state.take("zalo", self.headers.get("access_token", ""), body))
            elif self.path == "/_sandbox/faults":
                fail_next, every = body.get("fail_next") or 0, body.get("every") or 0
                state.plan(
                    fail_next if isinstance(fail_next, int) else 0,
                    every if isinstance(every, int) else 0,
                )
                self._send(200, {"fail_next": state.fail_next, "every": state.every})
            elif self.path == "/_sandbox/reset":
                state.reset()
                self._send(200, {"reset": True})
            else:
                self._send(404, {"message": "Not found"})

    return Handler


def make_server(state: SandboxState, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """The stand-in's HTTP server (port 0: any free port); ``serve_forever`` runs it."""
    server = ThreadingHTTPServer((host, port), _handler(state))
    server.daemon_threads = True
    return server
