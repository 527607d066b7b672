"""A stand-in of VNPay on loopback: a real HTTP server thread speaking VNPay's published
protocol 2.1.0, written from VNPay's techspec independently of ``app.payments.vnpay``.

- Merchant API (``POST /merchant_webapi/api/transaction``, JSON): ``querydr`` and ``refund``.
  It checks the merchant's checksum (HMAC-SHA512 over the command's fields joined by ``|``)
  and answers signed JSON; told to, it answers with a wrong checksum (``forge``), with a
  response code of its choosing (``code``), or not in time (``hang``).
- The IPN it would send (``ipn``): query parameters signed over the sorted, URL-encoded
  ``vnp_*`` fields.

``transactions`` is what the gateway knows of each merchant reference (``vnp_TxnRef``): the
amount, the response code and the transaction status; a reference it does not know is
answered 91 (no such transaction)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote_plus

TMN_CODE = "DEMO0001"
SECRET = "TESTSECRETKEY0123456789"
API_PATH = "/merchant_webapi/api/transaction"
# The signed fields of each command, in VNPay's order: request, then answer.
ORDERS = {
    "querydr": (
        [
            "vnp_RequestId",
            "vnp_Version",
            "vnp_Command",
            "vnp_TmnCode",
            "vnp_TxnRef",
            "vnp_TransactionDate",
            "vnp_CreateDate",
            "vnp_IpAddr",
            "vnp_OrderInfo",
        ],
        [
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
        ],
    ),
    "refund": (
        [
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
        ],
        [
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
        ],
    ),
}


def piped_hmac(values: dict[str, Any], order: list[str], secret: str = SECRET) -> str:
    text = "|".join(str(values.get(k, "")) for k in order)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


def query_hmac(params: dict[str, str], secret: str = SECRET) -> str:
    """The payment URL's and the IPN's checksum: vnp_* fields sorted, URL-encoded, joined."""
    text = "&".join(
        f"{quote_plus(k)}={quote_plus(v)}"
        for k, v in sorted(params.items())
        if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType") and v
    )
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


@dataclass
class Transaction:
    """What VNPay knows of one payment."""

    amount: int  # VND × 100
    response_code: str = "00"
    status: str = "00"
    transaction_no: str = "14100001"
    pay_date: str = "20261206093500"


@dataclass
class Gateway:
    """The stand-in's state: what it knows, how it should misbehave, what it was sent."""

    url: str = ""
    transactions: dict[str, Transaction] = field(default_factory=dict)
    code: str = "00"  # the response code of the next answers (refund: 91, 94 ...)
    forge: bool = False  # sign answers with a wrong checksum
    hang: float = 0.0  # answer this many seconds late
    received: list[dict[str, Any]] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def commands(self, command: str) -> list[dict[str, Any]]:
        return [r for r in self.received if r.get("vnp_Command") == command]

    def ipn(
        self,
        txn_ref: str,
        amount: int,
        *,
        response_code: str = "00",
        status: str | None = "00",
        secret: str = SECRET,
    ) -> dict[str, str]:
        """The query parameters of the IPN VNPay sends for ``txn_ref`` (``status`` None:
        without vnp_TransactionStatus)."""
        params = {
            "vnp_TmnCode": TMN_CODE,
            "vnp_TxnRef": txn_ref,
            "vnp_Amount": str(amount),
            "vnp_ResponseCode": response_code,
            "vnp_TransactionNo": "14100001",
            "vnp_BankCode": "NCB",
            "vnp_CardType": "ATM",
            "vnp_PayDate": "20261206093500",
            "vnp_OrderInfo": "Thanh toan phi ho so",
        }
        if status is not None:
            params["vnp_TransactionStatus"] = status
        params["vnp_SecureHash"] = query_hmac(params, secret)
        # VNPay knows what it notified: a later querydr or refund finds it.
        self.transactions[txn_ref] = Transaction(
            amount=amount, response_code=response_code, status=status or "01"
        )
        return params

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        command = str(body.get("vnp_Command", ""))
        if command not in ORDERS:
            return {"vnp_ResponseCode": "03", "vnp_Message": "Invalid data format"}
        request_order, answer_order = ORDERS[command]
        known = self.transactions.get(str(body.get("vnp_TxnRef", "")))
        if body.get("vnp_SecureHash") != piped_hmac(body, request_order):
            code, message = "97", "Invalid Checksum"
        elif body.get("vnp_TmnCode") != TMN_CODE or body.get("vnp_Version") != "2.1.0":
            code, message = "02", "Invalid merchant or version"
        elif self.code != "00":
            code, message = self.code, "Transaction not found"
        elif known is None:
            code, message = "91", "Transaction not found"
        else:
            code, message = "00", ("QueryDR Success" if command == "querydr" else "Refund success")
        answer: dict[str, Any] = {
            "vnp_ResponseId": "R" + str(body.get("vnp_RequestId", ""))[:16],
            "vnp_Command": command,
            "vnp_ResponseCode": code,
            "vnp_Message": message,
            "vnp_TmnCode": TMN_CODE,
            "vnp_TxnRef": body.get("vnp_TxnRef", ""),
            "vnp_OrderInfo": body.get("vnp_OrderInfo", ""),
        }
        if code == "00" and known is not None and command == "querydr":
            answer.update(
                vnp_Amount=str(known.amount),
                vnp_BankCode="NCB",
                vnp_PayDate=known.pay_date,
                vnp_TransactionNo=known.transaction_no,
                vnp_TransactionType="01",
                vnp_TransactionStatus=known.status,
                vnp_PromotionCode="",
                vnp_PromotionAmount="",
            )
        elif code == "00" and command == "refund":
            answer.update(
                vnp_Amount=body.get("vnp_Amount", ""),
                vnp_BankCode="NCB",
                vnp_PayDate=body.get("vnp_CreateDate", ""),
                vnp_TransactionNo="14999001",
                vnp_TransactionType=body.get("vnp_TransactionType", ""),
                vnp_TransactionStatus="05",
            )
        answer["vnp_SecureHash"] = "0" * 128 if self.forge else piped_hmac(answer, answer_order)
        return answer


def serve() -> Iterator[Gateway]:
    """Run the stand-in until the generator is closed."""
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            try:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            except ValueError:
                body = {}
            state.received.append(body)
            if state.hang:
                state.released.wait(state.hang)  # the client has given up by then
            data = json.dumps(state.answer(body) if self.path == API_PATH else {}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client hung up (after its time-out)
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}{API_PATH}"
    try:
        yield state
    finally:
        state.released.set()
        server.shutdown()
        server.server_close()
