"""Login with the national e-ID (VNeID) over OpenID Connect (SPEC §11,
docs/decisions/0026-e-id-login.md).

The authorization-code flow with PKCE, through authlib's OAuth 2.0 client; the ID token is
checked with joserfc against the provider's keys (JWKS), read again once when a token names a
key id the cached set does not have (key rotation). What the flow must remember between the
redirect and the callback (state, nonce, PKCE verifier, the page to go back to) travels
encrypted in a short-lived cookie: nothing is written before the callback has checked
everything. The claims vouched for by the provider (name, ID number, birth date, phone,
address) are kept on the account as ``verified_claims``; dossiers read them (read-only fields).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import OAuth2Client
from cryptography.fernet import Fernet, InvalidToken
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.models import OidcLink, User
from app.audit import service as audit_service
from app.config import Settings, get_settings
from app.db import utcnow
from app.errors import DomainError
from app.i18n_markers import N_
from app.text import ascii_digits, clean_id_number, clean_name, url_origin

CALLBACK_PATH = "/dang-nhap/vneid/callback"
FLOW_SECONDS = 600  # the person has ten minutes at the provider
LEEWAY_SECONDS = 60  # clock difference accepted on exp / iat
HTTP_TIMEOUT = 10.0
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
VERIFIED_KEYS = ("full_name", "id_number", "birth_date", "phone", "address")

# Reasons for a refusal (audited) and what the person is told.
MESSAGES = {
    "unavailable": N_("Không kết nối được với dịch vụ định danh điện tử. Vui lòng thử lại sau."),
    "flow": N_("Phiên đăng nhập bằng VNeID đã hết hạn hoặc không hợp lệ. Vui lòng đăng nhập lại."),
    "denied": N_("Bạn đã hủy đăng nhập hoặc nhà cung cấp định danh từ chối yêu cầu."),
    "token": N_("Không nhận được mã định danh hợp lệ từ nhà cung cấp. Vui lòng đăng nhập lại."),
    "id_token": N_(
        "Thông tin đăng nhập từ nhà cung cấp định danh không hợp lệ "
        "(chữ ký, thời hạn hoặc đơn vị phát hành không đúng). Không có tài khoản nào được tạo."
    ),
    "id_number": N_(
        "Nhà cung cấp định danh không cho biết số định danh cá nhân hợp lệ (12 chữ số)."
    ),
    "email_taken": N_(
        "Email của bạn đã được dùng cho một tài khoản khác trên Cổng. Hãy đăng nhập bằng mật "
        "khẩu, nhập số định danh cá nhân trong mục Thông tin cá nhân, rồi đăng nhập lại bằng "
        "VNeID: tài khoản sẽ được liên kết."
    ),
    "staff": N_("Tài khoản cán bộ đăng nhập bằng email và mật khẩu."),
    "inactive": N_("Tài khoản đã bị khóa. Vui lòng liên hệ quản trị."),
}


class EidRefused(DomainError):
    """An e-ID login refused; ``reason`` is one of ``MESSAGES`` (recorded in the audit log)."""

    status_code = 401
    code = "eid_refused"

    def __init__(self, reason: str, status_code: int = 401) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason
        self.status_code = status_code


@dataclass(frozen=True)
class Provider:
    """The parts of the provider's discovery document the portal uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    end_session_endpoint: str


@dataclass(frozen=True)
class Identity:
    """A checked e-ID login: who (issuer + subject) and what the provider vouched for."""

    issuer: str
    subject: str
    verified: dict[str, str]
    email: str
    id_token: str


_lock = threading.Lock()
_providers: dict[str, tuple[float, Provider]] = {}
_key_sets: dict[str, tuple[float, KeySet]] = {}


def forget_cache() -> None:
    """Read the discovery document and the keys again on next use (tests, key rotation)."""
    with _lock:
        _providers.clear()
        _key_sets.clear()


def _get_json(url: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        answer = httpx.get(url, headers=headers, timeout=HTTP_TIMEOUT)
        answer.raise_for_status()
        data = answer.json()
    except (httpx.HTTPError, httpx.InvalidURL, ValueError):
        raise EidRefused("unavailable", 502) from None
    if not isinstance(data, dict):
        raise EidRefused("unavailable", 502)
    return data


def provider(settings: Settings | None = None) -> Provider:
    """The provider's endpoints, from its discovery document (cached a while)."""
    settings = settings or get_settings()
    issuer = settings.oidc_issuer.strip().rstrip("/")
    now = time.monotonic()
    with _lock:
        cached = _providers.get(issuer)
    if cached and now - cached[0] < settings.oidc_cache_seconds:
        return cached[1]
    doc = _get_json(f"{issuer}/.well-known/openid-configuration")
    # OpenID Connect Discovery §4.3: the document's issuer is exactly the configured one.
    if str(doc.get("issuer", "")).rstrip("/") != issuer:
        raise EidRefused("unavailable", 502)
    try:
        found = Provider(
            issuer=str(doc["issuer"]),
            authorization_endpoint=str(doc["authorization_endpoint"]),
            token_endpoint=str(doc["token_endpoint"]),
            jwks_uri=str(doc["jwks_uri"]),
            userinfo_endpoint=str(doc.get("userinfo_endpoint") or ""),
            end_session_endpoint=str(doc.get("end_session_endpoint") or ""),
        )
    except KeyError:
        raise EidRefused("unavailable", 502) from None
    with _lock:
        _providers[issuer] = (now, found)
    return found


def _keys(prov: Provider, kid: str | None, settings: Settings) -> KeySet:
    """The provider's keys; read again (once) when ``kid`` is not among the cached ones."""
    now = time.monotonic()
    with _lock:
        cached = _key_sets.get(prov.jwks_uri)
    if cached and now - cached[0] < settings.oidc_cache_seconds:
        known = {key.kid for key in cached[1].keys}
        if kid is None or kid in known:
            return cached[1]
    try:
        key_set = KeySet.import_key_set(_get_json(prov.jwks_uri))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError):
        raise EidRefused("unavailable", 502) from None
    with _lock:
        _key_sets[prov.jwks_uri] = (now, key_set)
    return key_set


# --- the flow's cookie ----------------------------------------------------------------------


def _fernet(settings: Settings) -> Fernet:
    key = hashlib.sha256(f"oidc-flow:{settings.secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def redirect_uri(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + CALLBACK_PATH


def _client(settings: Settings) -> OAuth2Client:
    return OAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri(settings),
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if settings.oidc_client_secret else "none",
        timeout=HTTP_TIMEOUT,
    )


def start(next_path: str = "") -> tuple[str, str]:
    """The provider's authorization URL to send the browser to, and the sealed flow (state,
    nonce, PKCE verifier, where to go afterwards) for the cookie."""
    settings = get_settings()
    prov = provider(settings)
    flow = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),
        "next": next_path[:500],
    }
    with _client(settings) as client:
        url, _state = client.create_authorization_url(
            prov.authorization_endpoint,
            state=flow["state"],
            code_verifier=flow["verifier"],
            nonce=flow["nonce"],
        )
    sealed = _fernet(settings).encrypt(json.dumps(flow).encode()).decode()
    return url, sealed


def _open_flow(sealed: str | None, settings: Settings) -> dict[str, str]:
    if not sealed:
        raise EidRefused("flow", 400)
    try:
        flow = json.loads(_fernet(settings).decrypt(sealed.encode(), ttl=FLOW_SECONDS))
    except (InvalidToken, ValueError):
        raise EidRefused("flow", 400) from None
    if not isinstance(flow, dict) or not all(isinstance(flow.get(k), str) for k in flow):
        raise EidRefused("flow", 400)
    return {k: str(v) for k, v in flow.items()}


def next_path(sealed: str | None) -> str:
    """The page to go back to after the login, from the flow cookie ("" when none)."""
    try:
        return _open_flow(sealed, get_settings()).get("next", "")
    except EidRefused:
        return ""


# --- the callback -------------------------------------------------------------------------


def _check_id_token(
    prov: Provider, id_token: str, nonce: str, settings: Settings
) -> dict[str, Any]:
    """Signature (provider's keys), issuer, audience, expiry and nonce of the ID token."""
    try:
        header = jws.extract_compact(id_token.encode()).headers()
        kid = header.get("kid")
        key_set = _keys(prov, str(kid) if kid else None, settings)
        token = jwt.decode(id_token, key_set, algorithms=list(ALGORITHMS))
        claims = dict(token.claims)
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": prov.issuer},
            aud={"essential": True, "value": settings.oidc_client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except (JoseError, ValueError, TypeError, KeyError):
        raise EidRefused("id_token") from None
    audience = claims.get("aud")
    # Several audiences: the authorized party must be this portal (OIDC Core §3.1.3.7).
    several = isinstance(audience, list) and len(audience) > 1
    if several and claims.get("azp") != settings.oidc_client_id:
        raise EidRefused("id_token")
    return claims


def _phone(value: Any) -> str:
    digits = ascii_digits(str(value or "")).replace(" ", "").replace("-", "").replace(".", "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if digits.isdigit() and 9 <= len(digits) <= 11 else ""


def _address(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("formatted") or ", ".join(
            str(value[k])
            for k in ("street_address", "locality", "region", "country")
            if value.get(k)
        )
    return clean_name(str(value or ""))[:255]


def _birth_date(value: Any) -> str:
    try:
        return date.fromisoformat(str(value or "")).isoformat()
    except ValueError:
        return ""


def verified_from(claims: dict[str, Any], settings: Settings) -> dict[str, str]:
    """The applicant data the provider vouched for, written as the portal writes them."""
    name = claims.get("name") or " ".join(
        str(claims[k]) for k in ("family_name", "middle_name", "given_name") if claims.get(k)
    )
    found = {
        "full_name": clean_name(str(name or ""))[:120],
        "id_number": clean_id_number(str(claims.get(settings.oidc_id_number_claim) or "")),
        "birth_date": _birth_date(claims.get("birthdate")),
        "phone": _phone(claims.get("phone_number")),
        "address": _address(claims.get("address")),
    }
    if not (len(found["id_number"]) == 12 and found["id_number"].isdigit()):
        raise EidRefused("id_number")
    return {k: v for k, v in found.items() if v}


def finish(sealed: str | None, params: dict[str, str]) -> Identity:
    """Check the provider's answer against the flow (state), exchange the code (PKCE), check
    the ID token and read the userinfo endpoint. Writes nothing."""
    settings = get_settings()
    flow = _open_flow(sealed, settings)
    if not secrets.compare_digest(params.get("state", ""), flow["state"]):
        raise EidRefused("flow", 400)
    if params.get("error") or not params.get("code"):
        raise EidRefused("denied", 400)
    prov = provider(settings)
    try:
        with _client(settings) as client:
            token = client.fetch_token(
                prov.token_endpoint,
                grant_type="authorization_code",
                code=params["code"],
                code_verifier=flow["verifier"],
            )
    except (AuthlibBaseError, httpx.HTTPError, ValueError):  # the provider's error answer too
        raise EidRefused("token") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise EidRefused("token")
    claims = _check_id_token(prov, id_token, flow["nonce"], settings)
    access_token = token.get("access_token")
    if prov.userinfo_endpoint and isinstance(access_token, str) and access_token:
        info = _get_json(prov.userinfo_endpoint, access_token)
        if info.get("sub") != claims["sub"]:  # OIDC Core §5.3.2
            raise EidRefused("token")
        claims = {**info, **claims}
    email = str(claims.get("email") or "").strip().lower()
    if claims.get("email_verified") is False:
        email = ""
    return Identity(
        issuer=prov.issuer,
        subject=str(claims["sub"]),
        verified=verified_from(claims, settings),
        email=email[:254],
        id_token=id_token,
    )


def _placeholder_email(identity: Identity) -> str:
    """An account needs an e-mail; without one from the provider, an address that delivers
    nowhere (RFC 2606 ``.invalid``) until the person sets theirs."""
    key = hashlib.sha256(f"{identity.issuer}|{identity.subject}".encode()).hexdigest()[:20]
    return f"vneid-{key}@vneid.invalid"


def sign_in(session: Session, identity: Identity) -> User:
    """The account of a checked e-ID login: the linked one, else the one with the same
    verified ID number (then linked), else a new citizen account. Never by e-mail alone."""
    settings = get_settings()
    link = session.scalar(
        select(OidcLink).where(
            OidcLink.issuer == identity.issuer, OidcLink.subject == identity.subject
        )
    )
    id_number = identity.verified["id_number"]
    user = link.user if link else None
    if user is None:
        user = session.scalar(select(User).where(User.id_number == id_number))
    created = False
    if user is None:
        email = identity.email or _placeholder_email(identity)
        if service.get_user_by_email(session, email) is not None:
            raise EidRefused("email_taken", 409)
    elif not user.is_active:
        raise EidRefused("inactive", 403)
    elif (user.is_staff or user.is_admin) and not settings.oidc_staff_login:
        raise EidRefused("staff", 403)
    now = utcnow()
    if user is None:
        user = User(
            email=email,
            password_hash=service.hash_password(secrets.token_urlsafe(32)),
            full_name=identity.verified.get("full_name") or "Công dân",
            phone=identity.verified.get("phone", ""),
            address=identity.verified.get("address", ""),
            id_number=id_number,
        )
        session.add(user)
        session.flush()
        created = True
    if link is None:
        link = OidcLink(user_id=user.id, issuer=identity.issuer, subject=identity.subject)
        session.add(link)
        audit_service.record(
            session,
            "account.eid_created" if created else "account.eid_linked",
            actor=user,
            object_type="user",
            object_id=user.id,
            details={"issuer": identity.issuer},
        )
    if not user.id_number and not session.scalar(
        select(User.id).where(User.id_number == id_number, User.id != user.id)
    ):
        user.id_number = id_number  # (never a number another account holds: unique)
    user.verified_claims = dict(identity.verified)
    user.verified_at = now
    user.last_login_at = now
    link.last_login_at = now
    session.flush()
    return user


def form_origins() -> list[str]:
    """The provider's origin, for the pages' Content-Security-Policy: the logout form is
    redirected to the provider's logout (assumed on the issuer's origin)."""
    settings = get_settings()
    origin = url_origin(settings.oidc_issuer) if settings.oidc_enabled else None
    return [origin] if origin else []


def end_session_url(id_token: str) -> str | None:
    """The provider's logout (RP-initiated logout) for a session opened by an e-ID login, or
    ``None`` when the provider offers none (or cannot be reached)."""
    settings = get_settings()
    if not settings.oidc_enabled:
        return None
    try:
        prov = provider(settings)
    except EidRefused:
        return None
    if not prov.end_session_endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": settings.base_url.rstrip("/") + "/?msg=logged_out",
            "client_id": settings.oidc_client_id,
        }
    )
    joiner = "&" if "?" in prov.end_session_endpoint else "?"
    return f"{prov.end_session_endpoint}{joiner}{query}"
