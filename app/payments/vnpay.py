"""VNPay payment protocol 2.1.0: signed payment URLs, callback verification, refunds.

The signature is HMAC-SHA512, keyed with the merchant's hash secret, over the ``vnp_*``
parameters sorted by name and joined as a URL-encoded query string (spaces as ``+``).
The merchant API (``refund``) takes a JSON POST instead, signed over its fields in a fixed
order joined by ``|``; its answer is signed the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

VERSION = "2.1.0"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HASH_KEYS = ("vnp_SecureHash", "vnp_SecureHashType")
# How long a payment URL stays valid at the gateway (vnp_ExpireDate).
EXPIRE_MINUTES = 15

# IPN answers expected by VNPay.
CONFIRMED = ("00", "Confirm Success")
ORDER_NOT_FOUND = ("01", "Order not found")
ALREADY_CONFIRMED = ("02", "Order already confirmed")
INVALID_AMOUNT = ("04", "Invalid amount")
INVALID_SIGNATURE = ("97", "Invalid signature")
UNKNOWN_ERROR = ("99", "Unknown error")


def canonical(params: Mapping[str, str]) -> str:
    """The signed text: vnp_ parameters (hash fields excluded) sorted, URL-encoded."""
    items = sorted(
        (k, v)
        for k, v in params.items()
        if k.startswith("vnp_") and k not in HASH_KEYS and v not in (None, "")
    )
    return "&".join(f"{quote_plus(str(k))}={quote_plus(str(v))}" for k, v in items)


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), canonical(params).encode(), hashlib.sha512).hexdigest()


def verify(params: Mapping[str, str], secret: str) -> bool:
    """True when ``vnp_SecureHash`` is the HMAC of the other parameters."""
    given = str(params.get("vnp_SecureHash", ""))
    if not given or not secret:
        return False
    return hmac.compare_digest(given.lower(), sign(params, secret))


def payment_url(
    *,
    base_url: str,
    tmn_code: str,
    secret: str,
    txn_ref: str,
    amount_vnd: int,
    order_info: str,
    return_url: str,
    ip: str,
    created: datetime,
    locale: str = "vn",
    order_type: str = "other",
    expire_minutes: int = EXPIRE_MINUTES,
) -> str:
    """The URL to send the payer to (amount in VND; VNPay counts in VND × 100)."""
    local = created.astimezone(TZ)
    params = {
        "vnp_Version": VERSION,
        "vnp_Command": "pay",
        "vnp_TmnCode": tmn_code,
        "vnp_Amount": str(amount_vnd * 100),
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": order_info,
        "vnp_OrderType": order_type,
        "vnp_Locale": locale,
        "vnp_ReturnUrl": return_url,
        "vnp_IpAddr": ip or "127.0.0.1",
        "vnp_CreateDate": local.strftime("%Y%m%d%H%M%S"),
        "vnp_ExpireDate": (local + timedelta(minutes=expire_minutes)).strftime("%Y%m%d%H%M%S"),
    }
    query = canonical(params)
    return f"{base_url}?{query}&vnp_SecureHash={sign(params, secret)}"


# --- merchant API: refund --------------------------------------------------------------------

# The order of the fields in the signed text of a refund request and of its answer.
REFUND_SIGNED = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_ANSWER_SIGNED = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
)
FULL_REFUND = "02"
API_TIMEOUT_SECONDS = 30


def sign_fields(values: Mapping[str, Any], order: Sequence[str], secret: str) -> str:
    """HMAC-SHA512 of the values of ``order`` joined by ``|`` (a missing one is empty)."""
    text = "|".join("" if values.get(k) is None else str(values.get(k)) for k in order)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


def local_stamp(moment: datetime) -> str:
    """``yyyyMMddHHmmss`` in Vietnam's time, as VNPay's dates are written."""
    return moment.astimezone(TZ).strftime("%Y%m%d%H%M%S")


def refund_request(
    *,
    tmn_code: str,
    secret: str,
    txn_ref: str,
    amount_vnd: int,
    transaction_no: str,
    paid_created: datetime,
    created_by: str,
    ip: str,
    order_info: str,
    now: datetime,
) -> dict[str, str]:
    """The signed JSON body of a full refund of the payment ``txn_ref``."""
    body = {
        "vnp_RequestId": secrets.token_hex(16),
        "vnp_Version": VERSION,
        "vnp_Command": "refund",
        "vnp_TmnCode": tmn_code,
        "vnp_TransactionType": FULL_REFUND,
        "vnp_TxnRef": txn_ref,
        "vnp_Amount": str(amount_vnd * 100),
        "vnp_TransactionNo": transaction_no or "0",
        "vnp_TransactionDate": local_stamp(paid_created),
        "vnp_CreateBy": created_by[:250],
        "vnp_CreateDate": local_stamp(now),
        "vnp_IpAddr": ip or "127.0.0.1",
        "vnp_OrderInfo": order_info,
    }
    body["vnp_SecureHash"] = sign_fields(body, REFUND_SIGNED, secret)
    return body


@dataclass(frozen=True)
class RefundAnswer:
    """What VNPay said: ``ok`` only for a signed answer with ``vnp_ResponseCode`` 00."""

    ok: bool
    code: str
    message: str
    reference: str
    data: dict[str, str]


def read_refund_answer(data: Mapping[str, Any], secret: str) -> RefundAnswer:
    """Check the answer's signature and code."""
    values = {k: "" if v is None else str(v) for k, v in data.items()}
    code = values.get("vnp_ResponseCode", "")
    message = values.get("vnp_Message", "")
    given = values.get("vnp_SecureHash", "").lower()
    signed = bool(given) and hmac.compare_digest(
        given, sign_fields(values, REFUND_ANSWER_SIGNED, secret)
    )
    if code == "00" and not signed:
        return RefundAnswer(False, "97", "Invalid signature", "", values)
    return RefundAnswer(code == "00", code, message, values.get("vnp_TransactionNo", ""), values)


def call_refund(api_url: str, body: Mapping[str, str], secret: str) -> RefundAnswer:
    """POST the refund to VNPay's merchant API; a network error is a refused refund."""
    if not api_url.startswith(("https://", "http://")):
        return RefundAnswer(False, "", "The VNPay API URL must be http(s)", "", {})
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        api_url,
        data=json.dumps(dict(body)).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=API_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.loads(response.read().decode() or "{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return RefundAnswer(False, "", f"{type(exc).__name__}: {exc}"[:500], "", {})
    if not isinstance(answer, dict):
        return RefundAnswer(False, "", "Unexpected answer", "", {})
    return read_refund_answer(answer, secret)
