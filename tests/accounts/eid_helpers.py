"""OpenID Connect providers on loopback for the e-ID login tests: the real `oidc-provider-mock`
server, and a small provider of our own (joserfc signing with keys we hold) that can answer
with a wrong audience, an expired token, a bad signature or a rotated key."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import oidc_provider_mock
import pytest
import werkzeug.serving
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from app.accounts import oidc
from app.config import get_settings

CLIENT_ID = "portal-test"
CLIENT_SECRET = "s3cret-client-value-never-shown"
CITIZEN_CLAIMS: dict[str, object] = {
    "name": "Trần Thị Bích",
    "id_number": "079190001234",
    "birthdate": "1990-04-15",
    "phone_number": "+84912345678",
    "address": {"formatted": "12 Lê Lợi, phường Bến Thành, TP. Hồ Chí Minh"},
    "email": "bich.eid@example.com",
    "email_verified": True,
}


def configure(monkeypatch: pytest.MonkeyPatch, issuer: str, **extra: str) -> None:
    """Turn the e-ID login on for this test (and back off afterwards: monkeypatch)."""
    monkeypatch.setenv("PORTAL_OIDC_ISSUER", issuer)
    monkeypatch.setenv("PORTAL_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PORTAL_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    for name, value in extra.items():
        monkeypatch.setenv(f"PORTAL_{name.upper()}", value)
    get_settings.cache_clear()
    oidc.forget_cache()


@pytest.fixture
def eid_off() -> Iterator[None]:
    yield
    get_settings.cache_clear()
    oidc.forget_cache()


@contextmanager
def mock_provider(*users: oidc_provider_mock.User) -> Iterator[str]:
    """The `oidc-provider-mock` server on 127.0.0.1, a random port; yields its issuer."""
    app = oidc_provider_mock.app(require_nonce=True, user_claims=users)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def start(client: TestClient, next_path: str = "") -> str:
    """Press "Đăng nhập bằng VNeID": the provider's authorization URL."""
    query = f"?next={next_path}" if next_path else ""
    response = client.get(f"/dang-nhap/vneid{query}", follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def callback(client: TestClient, location: str) -> httpx.Response:
    """Follow the provider's redirect back to the portal's callback."""
    parsed = urlparse(location)
    assert parsed.path == "/dang-nhap/vneid/callback", location
    return client.get(f"{parsed.path}?{parsed.query}", follow_redirects=False)


def login_with_mock(client: TestClient, sub: str, next_path: str = "") -> httpx.Response:
    """The whole e-ID login against the mock: its form is answered as the person ``sub``."""
    authorize = start(client, next_path)
    answer = httpx.post(authorize, data={"sub": sub}, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return callback(client, answer.headers["location"])


# --- a provider of our own ------------------------------------------------------------------


@dataclass
class OwnProvider:
    """Discovery, JWKS, authorize (answers at once), token and userinfo on loopback. ``mode``
    decides the answer: good | wrong_audience | expired | bad_signature | no_id_number (an ID
    token the portal must refuse) | token_error (the token endpoint refuses the code)."""

    claims: dict[str, Any] = field(default_factory=lambda: dict(CITIZEN_CLAIMS))
    subject: str = "own-subject-1"
    mode: str = "good"
    keys: list[RSAKey] = field(default_factory=list)
    signing: RSAKey | None = None
    issued: list[str] = field(default_factory=list)  # every token and code handed out
    jwks_reads: int = 0
    issuer: str = ""
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        key = RSAKey.generate_key(2048, parameters={"kid": "key-1"})
        self.keys = [key]
        self.signing = key

    def rotate(self) -> None:
        """A new signing key with a new kid, published at once (the cache has the old set)."""
        key = RSAKey.generate_key(2048, parameters={"kid": f"key-{len(self.keys) + 1}"})
        self.keys.append(key)
        self.signing = key

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
        }
        key = self.signing
        assert key is not None
        if self.mode == "wrong_audience":
            claims["aud"] = "another-portal"
        elif self.mode == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        elif self.mode == "bad_signature":
            # Same kid as the published key, but signed with a key the provider never published.
            key = RSAKey.generate_key(2048, parameters={"kid": key.kid})
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _json(self, body: dict[str, Any], status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                base = provider.issuer
                if url.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": base,
                            "authorization_endpoint": f"{base}/authorize",
                            "token_endpoint": f"{base}/token",
                            "userinfo_endpoint": f"{base}/userinfo",
                            "jwks_uri": f"{base}/jwks",
                            "end_session_endpoint": f"{base}/logout",
                        }
                    )
                elif url.path == "/jwks":
                    provider.jwks_reads += 1
                    self._json(KeySet(provider.keys).as_dict(private=False))
                elif url.path == "/authorize":
                    code = secrets.token_urlsafe(16)
                    provider.issued.append(code)
                    provider._codes[code] = query
                    target = (
                        query["redirect_uri"]
                        + "?"
                        + urlencode({"code": code, "state": query["state"]})
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                elif url.path == "/userinfo":
                    auth = self.headers.get("Authorization", "")
                    if auth.removeprefix("Bearer ") not in provider.issued:
                        self._json({"error": "invalid_token"}, 401)
                        return
                    self._json({"sub": provider.subject, **provider.claims})
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlparse(self.path).path != "/token":
                    self._json({"error": "not_found"}, 404)
                    return
                request = provider._codes.pop(form.get("code", ""), None)
                if (
                    request is None
                    or not form.get("code_verifier")
                    or provider.mode == "token_error"
                ):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                access = secrets.token_urlsafe(24)
                id_token = provider.id_token(request.get("nonce", ""))
                provider.issued += [access, id_token]
                self._json(
                    {
                        "access_token": access,
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": id_token,
                    }
                )

        return Handler


@contextmanager
def own_provider(provider: OwnProvider | None = None) -> Iterator[OwnProvider]:
    provider = provider or OwnProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), provider.handler())
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def login_with_own(client: TestClient) -> httpx.Response:
    authorize = start(client)
    answer = httpx.get(authorize, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return callback(client, answer.headers["location"])
