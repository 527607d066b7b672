"""VNPay payment protocol 2.1.0: signed payment URLs, IPN verification and its verdict, and
the merchant API (``querydr``, ``refund``).

The payment URL and the IPN are signed with HMAC-SHA512, keyed with the merchant's hash
secret, over the ``vnp_*`` parameters sorted by name and joined as a URL-encoded query string
(spaces as ``+``). The merchant API takes a JSON POST instead, signed over its fields in a fixed
order per command joined by ``|``; its answer is signed the same way, over another order
(docs/decisions/0023-vnpay-status-checks.md lists the sources).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
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

# The merchant's answers to an IPN (RspCode, Message). VNPay stops notifying on 00 and 02 (the
# merchant recorded the result); on 01, 04, 97, 99 or no answer it calls again (10 times, 5
# minutes apart).
CONFIRMED = ("00", "Confirm Success")
ORDER_NOT_FOUND = ("01", "Order not found")
ALREADY_CONFIRMED = ("02", "Order already confirmed")
INVALID_AMOUNT = ("04", "Invalid amount")
INVALID_SIGNATURE = ("97", "Invalid signature")
UNKNOWN_ERROR = ("99", "Unknown error")
# The result is not final (vnp_TransactionStatus 01, 04, 07, missing ...): nothing recorded as
# paid or failed, so VNPay is asked to notify again; the worker's querydr follows it up too.
NOT_FINAL = ("99", "Transaction not final")

# What a gateway's report means for a pending payment.
PAID = "paid"
FAILED = "failed"
UNSETTLED = "pending"
# vnp_TransactionStatus 02: "Giao dịch bị lỗi", the one status that ends a payment unpaid.
# 01 (not finished), 04 (reversed: the bank took the money, VNPay did not confirm) and 07
# (suspected fraud) may still change, so they leave the payment pending.
FAILED_STATUS = "02"


def amount_of(raw: str) -> int | None:
    """vnp_Amount as a number (VND × 100), or None unless it is ASCII digits."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 15 else None


def ipn_verdict(response_code: str, transaction_status: str) -> str:
    """PAID only when both vnp_ResponseCode and vnp_TransactionStatus are 00; FAILED on a
    declined payment (status 02 and a non-00 response code); UNSETTLED otherwise, a missing
    status included (VNPay always sends it)."""
    if response_code == "00" and transaction_status == "00":
        return PAID
    if transaction_status == FAILED_STATUS and response_code not in ("", "00"):
        return FAILED
    return UNSETTLED


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
    if not given or not given.isascii() or not secret:
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


# --- merchant API: querydr and refund -------------------------------------------------------

# The order of the fields in the signed text of each request and answer (VNPay's techspec).
QUERY_SIGNED = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
QUERY_ANSWER_SIGNED = (
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
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)
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
# The address the merchant's server calls from (vnp_IpAddr of querydr); VNPay records it only.
SERVER_IP = "127.0.0.1"


def sign_fields(values: Mapping[str, Any], order: Sequence[str], secret: str) -> str:
    """HMAC-SHA512 of the values of ``order`` joined by ``|`` (a missing one is empty)."""
    text = "|".join("" if values.get(k) is None else str(values.get(k)) for k in order)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


def signed_by(values: Mapping[str, str], order: Sequence[str], secret: str) -> bool:
    """True when ``vnp_SecureHash`` is the HMAC of ``order``'s values."""
    given = values.get("vnp_SecureHash", "").lower()
    return (
        bool(given)
        and given.isascii()
        and bool(secret)
        and hmac.compare_digest(given, sign_fields(values, order, secret))
    )


def local_stamp(moment: datetime) -> str:
    """``yyyyMMddHHmmss`` in Vietnam's time, as VNPay's dates are written."""
    return moment.astimezone(TZ).strftime("%Y%m%d%H%M%S")


def request_id() -> str:
    """vnp_RequestId: unique per request (VNPay refuses one repeated within a day), ≤ 32."""
    return secrets.token_hex(16)


class Unanswered(Exception):
    """The merchant API did not answer usably: time-out, refused connection, not JSON."""


def post(api_url: str, body: Mapping[str, str], timeout: float) -> dict[str, str]:
    """POST ``body`` as JSON to VNPay's merchant API; its JSON answer, values as strings."""
    if not api_url.startswith(("https://", "http://")):
        raise Unanswered("The VNPay API URL must be http(s)")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        api_url,
        data=json.dumps(dict(body)).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = json.loads(response.read().decode() or "{}")
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        # The exception's text names the host at most, never the request (no secret in it).
        raise Unanswered(f"{type(exc).__name__}: {exc}"[:300]) from None
    if not isinstance(answer, dict):
        raise Unanswered("The answer is not a JSON object")
    return {str(k): "" if v is None else str(v) for k, v in answer.items()}


# --- querydr --------------------------------------------------------------------------------


def query_request(
    *, tmn_code: str, secret: str, txn_ref: str, paid_created: datetime, now: datetime
) -> dict[str, str]:
    """The signed JSON body asking VNPay how the payment ``txn_ref`` (made at
    ``paid_created``, its vnp_CreateDate) stands."""
    body = {
        "vnp_RequestId": request_id(),
        "vnp_Version": VERSION,
        "vnp_Command": "querydr",
        "vnp_TmnCode": tmn_code,
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": f"Truy van giao dich {txn_ref}",
        "vnp_TransactionDate": local_stamp(paid_created),
        "vnp_CreateDate": local_stamp(now),
        "vnp_IpAddr": SERVER_IP,
    }
    body["vnp_SecureHash"] = sign_fields(body, QUERY_SIGNED, secret)
    return body


@dataclass(frozen=True)
class QueryAnswer:
    """VNPay's signed answer to querydr. ``verdict``: PAID, FAILED or UNSETTLED."""

    verdict: str
    code: str  # vnp_ResponseCode: 00 the query was answered, 91 no such transaction ...
    status: str  # vnp_TransactionStatus
    amount: int | None  # vnp_Amount (VND × 100)
    transaction_no: str
    data: dict[str, str]


class UntrustedAnswer(Exception):
    """An answer whose checksum is wrong, or that is about another payment: not believed."""


def read_query_answer(
    values: Mapping[str, str], secret: str, *, tmn_code: str, txn_ref: str
) -> QueryAnswer:
    """Check a querydr answer's checksum and subject, and read the payment's state from it:
    PAID on response 00 with status 00, FAILED on response 00 with status 02, else UNSETTLED
    (91: VNPay has no such transaction yet, 01: not finished, ...)."""
    if not signed_by(values, QUERY_ANSWER_SIGNED, secret):
        raise UntrustedAnswer("wrong checksum")
    if values.get("vnp_TxnRef") != txn_ref or values.get("vnp_TmnCode", tmn_code) != tmn_code:
        raise UntrustedAnswer("answer about another transaction")
    code = values.get("vnp_ResponseCode", "")
    status = values.get("vnp_TransactionStatus", "")
    verdict = UNSETTLED
    if code == "00" and status == "00":
        verdict = PAID
    elif code == "00" and status == FAILED_STATUS:
        verdict = FAILED
    amount = amount_of(values.get("vnp_Amount", ""))
    data = {k: v for k, v in values.items() if k != "vnp_SecureHash"}
    return QueryAnswer(verdict, code, status, amount, values.get("vnp_TransactionNo", ""), data)


# --- refund ---------------------------------------------------------------------------------


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
        "vnp_RequestId": request_id(),
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
        "vnp_IpAddr": ip or SERVER_IP,
        "vnp_OrderInfo": order_info,
    }
    body["vnp_SecureHash"] = sign_fields(body, REFUND_SIGNED, secret)
    return body


@dataclass(frozen=True)
class RefundAnswer:
    """What VNPay said: ``ok`` only for a signed answer with ``vnp_ResponseCode`` 00 about
    the refunded payment."""

    ok: bool
    code: str
    message: str
    reference: str
    data: dict[str, str]


def read_refund_answer(
    data: Mapping[str, Any], secret: str, txn_ref: str | None = None
) -> RefundAnswer:
    """Check the answer's signature, subject and code. A refusal needs no signature to be
    believed (it changes nothing); a success does."""
    values = {k: "" if v is None else str(v) for k, v in data.items()}
    code = values.get("vnp_ResponseCode", "")
    message = values.get("vnp_Message", "")
    if code == "00" and not signed_by(values, REFUND_ANSWER_SIGNED, secret):
        return RefundAnswer(False, "97", "Invalid signature", "", values)
    if code == "00" and txn_ref is not None and values.get("vnp_TxnRef") != txn_ref:
        return RefundAnswer(False, "97", "Answer about another transaction", "", values)
    return RefundAnswer(code == "00", code, message, values.get("vnp_TransactionNo", ""), values)


def call_refund(
    api_url: str, body: Mapping[str, str], secret: str, timeout: float = 20.0
) -> RefundAnswer:
    """POST the refund to VNPay's merchant API. No answer (a time-out, a refused connection)
    is not a refund: it comes back refused, with what went wrong."""
    try:
        answer = post(api_url, body, timeout)
    except Unanswered as exc:
        return RefundAnswer(False, "", f"No answer from VNPay ({exc})"[:500], "", {})
    return read_refund_answer(answer, secret, body.get("vnp_TxnRef"))
