"""Settings read from the environment (prefix ``PORTAL_``)."""

from __future__ import annotations

import ipaddress
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Each renderer is a process of ~135 MB per web process; more than this is a typo.
MAX_PDF_RENDERERS = 8


class Settings(BaseSettings):
    """All configuration of the portal; every field maps to ``PORTAL_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", env_file=".env", extra="ignore")

    env: str = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    default_locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"

    smtp_url: str = ""
    mail_from: str = "Một cửa <no-reply@motcua.local>"
    vnpay_tmn_code: str = ""
    vnpay_hash_secret: str = ""
    vnpay_url: str = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    # VNPay's merchant API (querydr, refund): JSON POSTs, a host of its own in production.
    vnpay_api_url: str = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
    # How long a call to the merchant API may take before it counts as unanswered.
    vnpay_api_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    # The worker asks VNPay (querydr) about a VNPay payment still pending this long after it
    # was made, and again every as many minutes (docs/decisions/0023-vnpay-status-checks.md) ...
    vnpay_query_after_minutes: int = Field(default=15, ge=1, le=1440)
    # ... until it is this old; then it stays pending for a cashier to look into.
    vnpay_query_give_up_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Payments asked about per pass of the worker at most.
    vnpay_query_batch: int = Field(default=20, ge=1, le=500)
    # The built-in sandbox bank settles fees without money: on by default only in development
    # (PORTAL_PAYMENT_SANDBOX=true turns it on elsewhere, e.g. a public demo).
    payment_sandbox: bool | None = None

    # Login with the national e-ID (VNeID) over OpenID Connect (SPEC §11,
    # docs/decisions/0026-e-id-login.md): on when the issuer and the client id are set.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = Field(default="", repr=False)
    oidc_id_number_claim: str = "id_number"
    oidc_scopes: str = "openid profile email phone address"
    # Staff accounts (linked by their verified ID number) may log in through the provider too;
    # their agency's second-factor rule still applies.
    oidc_staff_login: bool = False
    # Seconds the provider's discovery document and keys are reused before being read again.
    oidc_cache_seconds: int = Field(default=3600, ge=0, le=86400)
    # The national public-service portal (Cổng Dịch vụ công quốc gia), SPEC §11: where dossiers
    # are synchronised (docs/decisions/0027-national-sync-outbox.md). Empty URL: messages are
    # still queued with every status change, and sent once the URL is set.
    national_url: str = ""
    national_username: str = ""
    national_password: str = Field(default="", repr=False)
    national_dstcode: str = ""
    # A message the national portal has not acknowledged after this many attempts is parked
    # for an administrator (retry or discard at /quan-tri/dong-bo-quoc-gia).
    national_max_attempts: int = Field(default=8, ge=1, le=100)
    # The wait after a first refusal, doubled after each further one (at most an hour).
    national_retry_seconds: float = Field(default=30.0, ge=0, le=3600)
    # How long one call to the national portal may take before it counts as unanswered.
    national_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    # Notices by SMS and Zalo ZNS (issue 24, docs/decisions/0035-notice-channels.md): the
    # gateways' URLs and keys (sent as headers, never logged). Empty URL: messages are queued
    # and sent once the URL is set. ``portal sms-sandbox`` serves both on loopback.
    sms_url: str = ""
    sms_key: str = Field(default="", repr=False)
    # The registered sender name (brandname) the carrier shows.
    sms_brandname: str = "MOTCUA"
    zalo_url: str = ""
    zalo_key: str = Field(default="", repr=False)
    # ZNS template ids per notice, JSON {"received": "231456", ...}; a notice without one
    # uses its own name (what the sandbox accepts).
    zalo_template_ids: dict[str, str] = Field(default_factory=dict)
    channel_max_attempts: int = Field(default=8, ge=1, le=100)
    # The wait after a first refusal, doubled after each further one (at most an hour).
    channel_retry_seconds: float = Field(default=30.0, ge=0, le=3600)
    channel_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    # The fee for returning a result by post (bưu chính công ích), in VND, added to what the
    # applicant pays when they choose it; 0: free.
    postal_result_fee: int = Field(default=25000, ge=0, le=10_000_000)

    session_days: int = 7
    # Seconds a process remembers which user holds a token (0: never). A change made in the
    # process itself (logout, a disabled account, a role) applies at once; other processes
    # of the same server see it within this time (docs/decisions/0029-token-user-cache.md).
    auth_cache_seconds: float = Field(default=10.0, ge=0, le=300)
    api_token_hours: int = 12
    # Login throttling (docs/decisions/0019-login-throttling.md): after this many wrong
    # passwords in a row from one address for one e-mail, that pair waits 1, 2, 4 … minutes
    # (at most login_delay_max_minutes) between attempts.
    login_max_failures: int = 5
    login_delay_max_minutes: int = 60
    # Failures within this window count towards the two ceilings below.
    login_window_minutes: int = 15
    # Per e-mail, from all addresses: then only known clients (a browser or an address that
    # logged in to the account before) may still try.
    login_email_max_failures: int = 50
    # Per client address, over all e-mails (password spraying).
    login_address_max_failures: int = 20
    # How long a browser (cookie ``portal_device``) or an address stays "known" after a login.
    login_device_days: int = 180
    page_size: int = 20
    # Public lookups per client IP and 10 minutes (guessing codes and secrets is slowed down).
    lookup_rate_limit: int = 30
    # Failed lookups of one dossier code per 10 minutes, from all addresses together; then the
    # code answers 429 (even to the right secret) until the window has passed.
    lookup_code_failure_limit: int = 10
    # How long a process reuses the working calendar (rules, overrides) before reading them
    # again: a change made in another process is seen within this many seconds (at once in
    # the process that made it). 0: read on every request.
    calendar_refresh_seconds: float = 5.0
    # Appointments (SPEC §15): how many days ahead a citizen may book a band.
    booking_days_ahead: int = Field(default=30, ge=1, le=365)
    # How long one server-sent-events stream of the calling screen lasts before the browser
    # opens a new one (bounded so that a stuck TV holds no worker for ever).
    queue_stream_seconds: float = Field(default=55.0, gt=0, le=600)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated
    # IPs or CIDRs, e.g. "127.0.0.1,10.0.0.0/24"); empty: the headers are ignored.
    trusted_proxies: str = ""
    # The web process runs periodic checks itself unless a `portal worker` is alive.
    embedded_worker: bool = True
    worker_interval_seconds: float = 60.0
    # PDF renderer processes per web process (0: lay PDFs out in the web process itself);
    # docs/decisions/0012-pdf-renderer-processes.md.
    pdf_renderers: int = 1
    # Where uploaded and generated files go: empty for <data_dir>/files, or s3://bucket/prefix
    # for S3-compatible object storage (credentials from AWS_ACCESS_KEY_ID,
    # AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION); docs/decisions/0030-object-storage-and-backups.md.
    storage_url: str = ""
    # The object storage server when it is not AWS (MinIO, Ceph …), e.g. http://minio:9000.
    s3_endpoint_url: str = ""

    # Several processes (SPEC §14, docs/decisions/0031-several-processes.md). Redis for the
    # limits that must be shared between web processes (lookups); empty: kept per process.
    redis_url: str = Field(default="", repr=False)
    # Every Redis key starts with this (several portals, or test runs, on one server).
    redis_prefix: str = Field(default="motcua:", max_length=64)
    # "json": one JSON object per log line, with the request id; "text": as before.
    log_format: str = Field(default="text", pattern="^(text|json)$")
    # A bearer token for GET /metrics; empty: /metrics answers only direct loopback requests.
    metrics_token: str = Field(default="", repr=False)
    # Feedback (SPEC §12): anonymous filings per client address and hour; a second filing
    # with the same sender, agency and words within this many minutes is a duplicate; a form
    # sent sooner than this many seconds after it was shown is a bot's.
    feedback_rate_limit: int = 5
    feedback_duplicate_minutes: int = 10
    feedback_min_fill_seconds: float = 3.0

    @field_validator("pdf_renderers", mode="before")
    @classmethod
    def _check_pdf_renderers(cls, value: Any) -> int:
        text = str(value).strip()
        if not re.fullmatch(r"[0-9]{1,2}", text) or int(text) > MAX_PDF_RENDERERS:
            raise ValueError(
                f"PORTAL_PDF_RENDERERS must be a whole number from 0 to {MAX_PDF_RENDERERS} "
                f"(0: render PDFs in the web process), not {text!r}"
            )
        return int(text)

    @field_validator("storage_url", mode="after")
    @classmethod
    def _check_storage_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[^?#]*)?", value):
            raise ValueError(
                "PORTAL_STORAGE_URL must be empty (files under the data dir) or "
                f"s3://bucket/prefix with a valid bucket name, not {value!r}"
            )
        return value.rstrip("/")

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            try:
                ipaddress.ip_network(item)  # an address is a network of one
            except ValueError:
                raise ValueError(
                    "PORTAL_TRUSTED_PROXIES: each entry must be an IP address or a network "
                    f"such as 10.0.0.0/24 (host bits zero), not {item!r}"
                ) from None
        return ",".join(items)

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'portal.db').as_posix()}"
        if not self.secret_key:
            if self.env != "development":
                raise ValueError("PORTAL_SECRET_KEY must be set outside development")
            self.secret_key = _development_secret(self.data_dir)
        issuer = self.oidc_issuer.strip()
        if issuer and self.env != "development" and not issuer.startswith("https://"):
            raise ValueError(
                "PORTAL_OIDC_ISSUER must be an https:// address outside development "
                f"(tokens and the client secret travel to it), not {issuer!r}"
            )
        return self

    @property
    def sandbox_enabled(self) -> bool:
        if self.payment_sandbox is None:
            return self.env == "development"
        return self.payment_sandbox

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer.strip() and self.oidc_client_id.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def _development_secret(data_dir: Path) -> str:
    """A random key kept in the data dir, so development sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
