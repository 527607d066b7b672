"""Benchmark harness: drives the real server on 127.0.0.1 and reports per scenario the
requests per second, p50 and p99 latency, each also as a ratio to /healthz measured in the
same run, and the server processes' memory.

    python bench/run.py --database-url postgresql://postgres@127.0.0.1/motcua_bench \
        --duration 10 --concurrency 16 --workers 2 [--only queue,lookup] [--out bench/results]

Scenarios: healthz, catalogue, queue (one role: tiepnhan.phohien), queue_multi (reception,
specialist and cashier: tiepnhan.lienphuong), queue_all (reception, specialist, leader and
cashier at Liên Phương: an account the harness adds), queue_leader (lanhdao.phohien), desk_multi,
book_multi and page_multi (the HTML desk, tracking book and dossier page of the multi-role
officer, logged in through the form), lookup, dossier, submission, indicators.

The database must be migrated and seeded (`portal demo seed`, `portal bench seed --dossiers N`).
Every loop is bounded in time and count and targets 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "MotCua@2026"
MULTI_ROLE = "tiepnhan.lienphuong@motcua.local"  # reception, specialist and cashier
# Every processing role at one commune (the "all four roles" row): made by this
# harness with `portal user create` when the database does not have it yet.
ALL_ROLES = "bonvaitro.lienphuong@motcua.local"
ALL_ROLES_AGENCY = "000.00.54.H31"  # UBND xã Liên Phương
MAX_REQUESTS = 200_000


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(p * len(data)))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def worker_rss_mb(pid: int) -> list[float]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [rss_mb(int(c)) for c in children]


def ensure_all_roles_officer(database_url: str) -> None:
    """Add the four-role officer unless the database has it (the command refuses a taken
    e-mail, which is then the answer we want)."""
    portal = str(Path(sys.executable).with_name("portal"))
    subprocess.run(
        [
            portal,
            "user",
            "create",
            "--email",
            ALL_ROLES,
            "--password",
            PASSWORD,
            "--name",
            "Cán bộ bốn vai trò",
            "--agency",
            ALL_ROLES_AGENCY,
            "--role",
            "reception",
            "--role",
            "specialist",
            "--role",
            "leader",
            "--role",
            "cashier",
        ],
        env={**os.environ, "PORTAL_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def start_server(
    database_url: str, workers: int, data_dir: str
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_DATA_DIR": data_dir,
        "PORTAL_LOOKUP_RATE_LIMIT": "100000000",
        "PORTAL_EMBEDDED_WORKER": "false",
        "PORTAL_SECRET_KEY": os.environ.get("PORTAL_SECRET_KEY", "bench-secret-key"),
    }
    portal = str(Path(sys.executable).with_name("portal"))
    proc = subprocess.Popen(
        [portal, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start")


async def measure(
    name: str,
    call: Callable[[httpx.AsyncClient], Awaitable[int]],
    client: httpx.AsyncClient,
    duration: float,
    concurrency: int,
) -> Result:
    result = Result(name)
    stop_at = time.monotonic() + duration
    count = 0

    async def loop() -> None:
        nonlocal count
        while time.monotonic() < stop_at and count < MAX_REQUESTS:
            count += 1
            started = time.perf_counter()
            try:
                status = await call(client)
            except httpx.HTTPError:
                status = 599
            elapsed = time.perf_counter() - started
            if status < 400:
                result.latencies.append(elapsed)
            else:
                result.errors += 1

    began = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    result.seconds = time.monotonic() - began
    return result


def fixtures(base: str) -> dict[str, Any]:
    """Tokens and ids the scenarios use, read through the API like any client would."""

    def token(email: str) -> str:
        r = httpx.post(base + "/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        r.raise_for_status()
        return str(r.json()["access_token"])

    reception = token("tiepnhan.phohien@motcua.local")
    citizen = token("congdan@motcua.local")
    queue = httpx.get(
        base + "/api/v1/queue", headers={"Authorization": f"Bearer {reception}"}, timeout=30
    ).json()["items"]
    dossier_id = queue[0]["id"] if queue else None
    lookup = None
    # The first dossiers may be submissions of earlier runs (no code yet): take the first
    # received one for the dossier page and the lookup.
    for item in queue[:50]:
        d = httpx.get(
            f"{base}/api/v1/dossiers/{item['id']}",
            headers={"Authorization": f"Bearer {reception}"},
            timeout=30,
        ).json()
        if d.get("code") and d.get("lookup_secret"):
            dossier_id, lookup = item["id"], (d["code"], d["lookup_secret"])
            break
    # A commune officer at reception, the specialist's step and the cash desk, and a leader:
    # their queues through the API, and the multi-role officer's desk, tracking book and
    # dossier page as the browser gets them (issue 18).
    multi = token(MULTI_ROLE)
    leader = token("lanhdao.phohien@motcua.local")
    all_roles = token(ALL_ROLES)
    multi_queue = httpx.get(
        base + "/api/v1/queue", headers={"Authorization": f"Bearer {multi}"}, timeout=30
    ).json()["items"]
    cashier = token("thuphi.phohien@motcua.local")
    receipts = httpx.get(
        base + "/api/v1/receipts",
        headers={"Authorization": f"Bearer {cashier}"},
        params={"agency": "000.00.51.H31", "from": "2025-06-01", "to": "2025-06-30", "limit": 1},
        timeout=30,
    ).json()
    items = receipts.get("items", []) if isinstance(receipts, dict) else []
    return {
        "reception": reception,
        "citizen": citizen,
        "dossier_id": dossier_id,
        "lookup": lookup,
        "cashier": cashier,
        "receipt_id": items[0]["id"] if items else None,
        "multi": multi,
        "leader": leader,
        "all_roles": all_roles,
        "multi_cookie": web_login(base, MULTI_ROLE),
        "multi_dossier_id": multi_queue[0]["id"] if multi_queue else None,
    }


def web_login(base: str, email: str) -> str:
    """The session cookie of a browser logged in through the login form."""
    with httpx.Client(base_url=base, timeout=30) as browser:
        form = browser.get("/dang-nhap")
        match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if match is None:
            raise SystemExit("no CSRF token on the login page")
        done = browser.post(
            "/dang-nhap",
            data={"email": email, "password": PASSWORD, "csrf_token": match.group(1)},
        )
        if done.status_code != 303:
            raise SystemExit(f"could not log in as {email}: {done.status_code}")
        session = browser.cookies.get("portal_session")
        if not session:
            raise SystemExit(f"could not log in as {email}")
        return f"portal_session={session}"


def pdf_200kb() -> bytes:
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    return (
        head + b"%" + b"0" * (200 * 1024 - len(head) - 40) + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def scenarios(fx: dict[str, Any]) -> dict[str, Callable[[httpx.AsyncClient], Awaitable[int]]]:
    staff = {"Authorization": f"Bearer {fx['reception']}"}
    citizen = {"Authorization": f"Bearer {fx['citizen']}"}
    attachment = pdf_200kb()

    async def healthz(c: httpx.AsyncClient) -> int:
        return (await c.get("/healthz")).status_code

    async def catalogue(c: httpx.AsyncClient) -> int:
        return (await c.get("/thu-tuc", params={"q": "dang ky"})).status_code

    async def lookup(c: httpx.AsyncClient) -> int:
        code, secret = fx["lookup"]
        return (await c.get("/api/v1/lookup", params={"code": code, "secret": secret})).status_code

    async def queue(c: httpx.AsyncClient) -> int:
        return (await c.get("/api/v1/queue", headers=staff)).status_code

    multi = {"Authorization": f"Bearer {fx['multi']}"}
    leader = {"Authorization": f"Bearer {fx['leader']}"}
    browser = {"Cookie": fx["multi_cookie"]}

    async def queue_multi(c: httpx.AsyncClient) -> int:
        return (await c.get("/api/v1/queue", headers=multi)).status_code

    all_roles = {"Authorization": f"Bearer {fx['all_roles']}"}

    async def queue_all(c: httpx.AsyncClient) -> int:
        return (await c.get("/api/v1/queue", headers=all_roles)).status_code

    async def queue_leader(c: httpx.AsyncClient) -> int:
        return (await c.get("/api/v1/queue", headers=leader)).status_code

    async def desk_multi(c: httpx.AsyncClient) -> int:
        return (await c.get("/can-bo", headers=browser)).status_code

    async def book_multi(c: httpx.AsyncClient) -> int:
        return (await c.get("/can-bo/so-theo-doi", headers=browser)).status_code

    async def page_multi(c: httpx.AsyncClient) -> int:
        path = f"/can-bo/ho-so/{fx['multi_dossier_id']}"
        return (await c.get(path, headers=browser)).status_code

    async def dossier(c: httpx.AsyncClient) -> int:
        return (await c.get(f"/api/v1/dossiers/{fx['dossier_id']}", headers=staff)).status_code

    async def submission(c: httpx.AsyncClient) -> int:
        form = {
            "applicant_name": "Nguyễn Thị Lan",
            "applicant_id_number": "034190001234",
            "applicant_phone": "0912345678",
            "child_name": "Nguyễn Minh An",
            "child_birth_date": "2026-11-20",
            "child_sex": "Nam",
            "birth_place": "Bệnh viện tỉnh",
            "relationship": "Mẹ",
        }
        r = await c.post(
            "/api/v1/dossiers",
            headers=citizen,
            json={"procedure_code": "1.001193", "agency_code": "000.00.51.H31", "form_data": form},
        )
        if r.status_code != 201:
            return r.status_code
        did = r.json()["id"]
        for comp in ("TK", "GCS"):
            u = await c.post(
                f"/api/v1/dossiers/{did}/files",
                headers=citizen,
                data={"component": comp},
                files={"file": ("to-khai.pdf", attachment, "application/pdf")},
            )
            if u.status_code != 201:
                return u.status_code
        return (await c.post(f"/api/v1/dossiers/{did}/submit", headers=citizen)).status_code

    async def indicators(c: httpx.AsyncClient) -> int:
        return (
            await c.get(
                "/api/v1/stats/indicators",
                params={"agency": "000.00.00.H31", "from": "2025-01-01", "to": "2025-12-31"},
            )
        ).status_code

    table: dict[str, Callable[[httpx.AsyncClient], Awaitable[int]]] = {
        "healthz": healthz,
        "catalogue": catalogue,
        "queue": queue,
        "queue_multi": queue_multi,
        "queue_all": queue_all,
        "queue_leader": queue_leader,
        "desk_multi": desk_multi,
        "book_multi": book_multi,
        "submission": submission,
        "indicators": indicators,
    }
    if fx["lookup"]:
        table["lookup"] = lookup
    if fx["dossier_id"]:
        table["dossier"] = dossier
    if fx["multi_dossier_id"]:
        table["page_multi"] = page_multi
    return table


def staff_pdf(fx: dict[str, Any]) -> Callable[[httpx.AsyncClient], Awaitable[int]]:
    """A PDF rendered on every request: a seeded receipt (it has no stored file yet)."""
    staff = {"Authorization": f"Bearer {fx['cashier']}"}

    async def call(c: httpx.AsyncClient) -> int:
        return (await c.get(f"/api/v1/receipts/{fx['receipt_id']}/pdf", headers=staff)).status_code

    return call


async def lookup_under_pdf_load(
    base: str,
    lookup: Callable[[httpx.AsyncClient], Awaitable[int]],
    pdf: Callable[[httpx.AsyncClient], Awaitable[int]],
    args: argparse.Namespace,
) -> Result:
    """Lookups measured while 4 PDFs render at once on the same server."""
    async with (
        httpx.AsyncClient(base_url=base, timeout=60) as pdf_client,
        httpx.AsyncClient(
            base_url=base, timeout=60, limits=httpx.Limits(max_connections=args.concurrency)
        ) as client,
    ):
        rendering = asyncio.ensure_future(measure("pdf", pdf, pdf_client, args.duration + 1, 4))
        await asyncio.sleep(0.5)
        result = await measure("lookup+4pdf", lookup, client, args.duration, args.concurrency)
        pdfs = await rendering
    print(
        f"(PDFs rendered meanwhile: {len(pdfs.latencies)}, errors {pdfs.errors}, "
        f"p50 {pdfs.pct(0.5):.0f} ms)"
    )
    return result


async def run(args: argparse.Namespace, base: str, pid: int) -> dict[str, Any]:
    fx = fixtures(base)
    table = scenarios(fx)
    chosen = [n for n in table if not args.only or n in args.only.split(",") or n == "healthz"]
    limits = httpx.Limits(max_connections=args.concurrency)
    out: dict[str, Any] = {"scenarios": {}}
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        for name in chosen:  # warm-up
            await measure(name, table[name], client, 1.0, 2)
        base_result = await measure(
            "healthz", table["healthz"], client, args.duration, args.concurrency
        )
        results = [base_result] + [
            await measure(n, table[n], client, args.duration, args.concurrency)
            for n in chosen
            if n != "healthz"
        ]
    if fx["lookup"] and fx["receipt_id"] and (not args.only or "lookup" in args.only.split(",")):
        results.append(await lookup_under_pdf_load(base, table["lookup"], staff_pdf(fx), args))
    for r in results:
        out["scenarios"][r.name] = {
            "requests": len(r.latencies),
            "errors": r.errors,
            "rps": round(r.rps, 1),
            "p50_ms": round(r.pct(0.50), 2),
            "p99_ms": round(r.pct(0.99), 2),
            "rps_ratio_to_healthz": round(r.rps / base_result.rps, 3) if base_result.rps else None,
            "p99_ratio_to_healthz": round(r.pct(0.99) / base_result.pct(0.99), 2),
        }
    out["worker_rss_mb"] = [round(x, 1) for x in worker_rss_mb(pid)]
    out["total_rss_mb"] = round(rss_mb(pid), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    args.duration = min(args.duration, 120.0)
    ensure_all_roles_officer(args.database_url)
    proc, base = start_server(args.database_url, args.workers, args.data_dir)
    try:
        report = asyncio.run(run(args, base, proc.pid))
    finally:
        stop_server(proc)
    report["settings"] = {
        "duration_s": args.duration,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "cpus": os.cpu_count(),
    }
    Path(args.out).mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (Path(args.out) / f"run-{stamp}.json").write_text(json.dumps(report, indent=2))
    print(
        f"{'scenario':<14} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'rps/hz':>7} {'p99/hz':>7} err"
    )
    for name, r in report["scenarios"].items():
        print(
            f"{name:<14} {r['rps']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
            f"{r['rps_ratio_to_healthz']:>7} {r['p99_ratio_to_healthz']:>7} {r['errors']}"
        )
    print(f"worker RSS MB: {report['worker_rss_mb']} (total {report['total_rss_mb']})")


if __name__ == "__main__":
    main()
