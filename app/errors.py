"""Domain errors: what a service raises, each with an HTTP status and a stable error code.

The handlers that turn them into JSON (API) or an HTML page live in the web floor
(``app/web/errors.py``)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service may raise; carries an HTTP status and a stable code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields or {}


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"


class InvalidJSON(InvalidInput):
    """A request body that should be JSON and is not."""

    code = "invalid_json"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"
