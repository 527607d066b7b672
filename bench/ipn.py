"""The gateway's callback after a fresh start (issue 16 item 8): how long the first VNPay IPN
and the median one take when a server process has just started, against /healthz of the same
server in the same run, and how long the citizen's submission (create, attach, submit) takes.

    python bench/ipn.py --database-url postgresql://postgres@127.0.0.1/motcua_ipn \
        [--payments 20] [--workers 1] [--tree /path/to/another/checkout]

The database must be migrated and seeded with the demo data (`portal db upgrade`, `portal demo
seed`). A first server prepares N dossiers waiting for an online fee and a VNPay payment for
each, and stops; a fresh server is then started and sent one signed IPN per payment, one after
the other, the first right after the server answers its first /healthz. `--tree` runs the
servers from another checkout (e.g. the tree before a change) with this script's client.
Every loop is bounded and targets 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from app.payments import vnpay

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "MotCua@2026"
CITIZEN = "congdan@motcua.local"
PROCEDURE = "1.004873"  # marital status certificate: 5.000 ₫ online at submission
AGENCY = "000.00.51.H31"
TMN_CODE = "BENCH001"
SECRET = "BENCHSECRETKEY0123456789"
HEALTHZ_SAMPLES = 60
MAX_PAYMENTS = 500
SERVE = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(args: argparse.Namespace, data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    """`portal serve` on a free port, with a VNPay merchant configured (and the secret key of
    the environment: the one the certificates' keys were stored with)."""
    port = _free_port()
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": args.database_url,
        "PORTAL_DATA_DIR": data_dir,
        "PORTAL_EMBEDDED_WORKER": "false",
        "PORTAL_LOOKUP_RATE_LIMIT": "100000000",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "PORTAL_VNPAY_TMN_CODE": TMN_CODE,
        "PORTAL_VNPAY_HASH_SECRET": SECRET,
    }
    tree = Path(args.tree).resolve() if args.tree else ROOT
    env["PYTHONPATH"] = str(tree)
    proc = subprocess.Popen(
        [*SERVE, "--port", str(port), "--workers", str(args.workers)],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _token(http: httpx.Client, email: str) -> dict[str, str]:
    r = http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _attachment() -> bytes:
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    return (
        head + b"%" + b"0" * (200 * 1024 - len(head) - 40) + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def submit(http: httpx.Client, citizen: dict[str, str], detail: dict[str, Any], n: int) -> int:
    """The citizen's whole submission: draft, every required component (200 KB), submit."""
    form = {
        f["name"]: {
            "date": "2026-01-15",
            "id_number": "034190001234",
            "phone": "0912345678",
            "email": "lan@example.vn",
            "number": "1",
            "checkbox": True,
            "select": (f["options"] or [""])[0],
        }.get(f["type"], f"Nội dung {n}")
        for f in detail["form_schema"]["fields"]
    }
    draft = http.post(
        "/api/v1/dossiers",
        headers=citizen,
        json={"procedure_code": PROCEDURE, "agency_code": AGENCY, "form_data": form},
    )
    draft.raise_for_status()
    dossier_id = int(draft.json()["id"])
    for comp in detail["components"]:
        if comp["required"]:
            body = _attachment() + str(n).encode()  # the same content twice is refused
            up = http.post(
                f"/api/v1/dossiers/{dossier_id}/files",
                headers=citizen,
                data={"component": comp["code"]},
                files={"file": (f"{comp['code']}-{n}.pdf", body, "application/pdf")},
            )
            up.raise_for_status()
    done = http.post(f"/api/v1/dossiers/{dossier_id}/submit", headers=citizen)
    done.raise_for_status()
    return dossier_id


def prepare(base: str, count: int) -> tuple[list[tuple[int, dict[str, str]]], list[float]]:
    """N dossiers awaiting their fee, a VNPay payment for each: the IPNs to send later; and
    the submission times (after the first, which warms the server up)."""
    ipns: list[tuple[int, dict[str, str]]] = []
    timings: list[float] = []
    with httpx.Client(base_url=base, timeout=120) as http:
        citizen = _token(http, CITIZEN)
        detail = http.get(f"/api/v1/procedures/{PROCEDURE}").json()
        for n in range(count):
            started = time.perf_counter()
            dossier_id = submit(http, citizen, detail, n)
            if n:
                timings.append(time.perf_counter() - started)
            pay = http.post(
                f"/api/v1/dossiers/{dossier_id}/payments", headers=citizen, json={"method": "vnpay"}
            )
            pay.raise_for_status()
            body = pay.json()
            params = {
                "vnp_TmnCode": TMN_CODE,
                "vnp_TxnRef": body["redirect_url"].split("vnp_TxnRef=")[1].split("&")[0],
                "vnp_Amount": str(body["amount"] * 100),
                "vnp_ResponseCode": "00",
                "vnp_TransactionStatus": "00",
                "vnp_TransactionNo": f"9{dossier_id:08d}",
                "vnp_BankCode": "NCB",
                "vnp_PayDate": time.strftime("%Y%m%d%H%M%S"),
                "vnp_OrderInfo": f"Thanh toan ho so {dossier_id}",
            }
            params["vnp_SecureHash"] = vnpay.sign(params, SECRET)
            ipns.append((dossier_id, params))
    return ipns, timings


def healthz_median(http: httpx.Client) -> float:
    samples = []
    for _ in range(HEALTHZ_SAMPLES):
        started = time.perf_counter()
        http.get("/healthz").raise_for_status()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def receipts_ready(http: httpx.Client, citizen: dict[str, str], ids: list[int]) -> bool:
    """Every receipt has its signed PDF (``signed`` is known once the PDF is stored)."""
    return all(
        http.get(f"/api/v1/receipts/{rid}", headers=citizen).json().get("signed") for rid in ids
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--payments", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--tree", default="", help="run the servers from this checkout")
    parser.add_argument(
        "--settle", type=float, default=0.0, help="seconds between the start and the first IPN"
    )
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    count = max(2, min(args.payments, MAX_PAYMENTS))
    # The seed's data folder: the demo certificates' root lives there.
    data_dir = os.environ.get("PORTAL_DATA_DIR") or tempfile.mkdtemp(prefix="motcua-bench-ipn-")

    proc, base = start_server(args, data_dir)
    try:
        ipns, submissions = prepare(base, count)
        with httpx.Client(base_url=base, timeout=60) as http:
            submit_healthz = healthz_median(http)
    finally:
        stop_server(proc)

    proc, base = start_server(args, data_dir)  # a fresh process: nothing warmed up
    try:
        time.sleep(max(0.0, min(args.settle, 60.0)))
        with httpx.Client(base_url=base, timeout=120) as http:
            latencies: list[float] = []
            for _dossier_id, params in ipns:
                started = time.perf_counter()
                answer = http.get("/api/v1/payments/vnpay/ipn", params=params)
                latencies.append(time.perf_counter() - started)
                if answer.json().get("RspCode") != "00":
                    raise SystemExit(f"IPN refused: {answer.text}")
            answered = time.monotonic()
            # When the receipts' signed PDFs exist (made after the answers).
            citizen = _token(http, CITIZEN)
            ready_after = None
            ids = _receipt_ids(http, citizen, [d for d, _params in ipns])
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if receipts_ready(http, citizen, ids):
                    ready_after = time.monotonic() - answered
                    break
                time.sleep(0.2)
            # The bare endpoint once the server is quiet again (no receipt left to draw).
            healthz = healthz_median(http)
    finally:
        stop_server(proc)

    first, rest = latencies[0], latencies[1:]
    result = {
        "payments": count,
        "workers": args.workers,
        "settle_s": args.settle,
        "tree": str(Path(args.tree).resolve()) if args.tree else str(ROOT),
        "first_ipn_ms": round(first * 1000, 1),
        "median_ipn_ms": round(statistics.median(rest) * 1000, 1),
        "healthz_median_ms": round(healthz * 1000, 2),
        "first_ipn_ratio_to_healthz": round(first / healthz, 1),
        "median_ipn_ratio_to_healthz": round(statistics.median(rest) / healthz, 1),
        "receipts_signed_after_last_answer_s": round(ready_after, 2) if ready_after else None,
        "submission_median_ms": round(statistics.median(submissions) * 1000, 1),
        "submission_ratio_to_healthz": round(statistics.median(submissions) / submit_healthz, 1),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False))


def _receipt_ids(http: httpx.Client, citizen: dict[str, str], dossiers: list[int]) -> list[int]:
    """The receipts of this run's payments."""
    ids: list[int] = []
    for dossier_id in dossiers:
        pays = http.get(f"/api/v1/dossiers/{dossier_id}/payments", headers=citizen).json()
        ids += [p["receipt_id"] for p in pays.get("items", []) if p.get("receipt_id")]
    if len(ids) != len(dossiers):
        raise SystemExit(f"expected {len(dossiers)} receipts, found {len(ids)}")
    return ids


if __name__ == "__main__":
    main()
