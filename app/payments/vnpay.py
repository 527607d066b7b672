"""VNPay payment protocol 2.1.0: signed payment URLs and callback verification.

The signature is HMAC-SHA512, keyed with the merchant's hash secret, over the ``vnp_*``
parameters sorted by name and joined as a URL-encoded query string (spaces as ``+``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
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
