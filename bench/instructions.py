"""Instructions a request costs, counted by callgrind (no assertions).

    python bench/instructions.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench \
        [--requests 50] [--officer tiepnhan.lienphuong@motcua.local] [/healthz /api/v1/queue …]

Timing on these shared machines moves by a third from one run to the next; an instruction
count does not. For each path, the app runs in process under ``valgrind --tool=callgrind``
(through httpx's ASGI transport, so without the network), warms up with 20 requests,
then counts only the ``--requests`` that follow (instrumentation switched on and off with
``callgrind_control``) and prints instructions per request and the ratio to the first path.
PostgreSQL's own work is not in the count. Needs valgrind (Debian's package); targets
nothing outside the process and its database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "MotCua@2026"


async def _drive(path: str, count: int, officer: str, signals: Path) -> None:
    """Inside valgrind: warm up, say READY, wait for "go", run ``count`` requests, say done."""
    import httpx

    from app.main import create_app

    app = create_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            login = await c.post(
                "/api/v1/auth/token", data={"username": officer, "password": PASSWORD}
            )
            login.raise_for_status()
            headers = {"Authorization": "Bearer " + login.json()["access_token"]}
            for _ in range(20):
                (await c.get(path, headers=headers)).raise_for_status()
            (signals / "ready").touch()
            while not (signals / "go").exists():
                await asyncio.sleep(0.05)
            for _ in range(count):
                response = await c.get(path, headers=headers)
            response.raise_for_status()
            (signals / "done").touch()
            while not (signals / "stop").exists():
                await asyncio.sleep(0.05)


def _wait_for(flag: Path, proc: subprocess.Popen[bytes], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not flag.exists():
        if proc.poll() is not None:
            raise SystemExit(f"the app under valgrind stopped ({proc.returncode})")
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"no {flag.name} within {limit:.0f} s")
        time.sleep(0.2)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (Debian: apt-get install valgrind)")
    return found


def count(database_url: str, path: str, requests: int, officer: str) -> int:
    """Instructions of ``requests`` requests to ``path``."""
    valgrind, control = _tool("valgrind"), _tool("callgrind_control")
    with tempfile.TemporaryDirectory() as tmp:
        signals = Path(tmp)
        out = signals / "callgrind.out"
        env = {
            **os.environ,
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_EMBEDDED_WORKER": "false",
            "PORTAL_LOOKUP_RATE_LIMIT": "100000000",
        }
        proc = subprocess.Popen(
            [
                valgrind,
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--drive",
                path,
                str(requests),
                officer,
                str(signals),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(signals / "ready", proc, 600)
        subprocess.run(
            [control, "-i", "on", str(proc.pid)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        (signals / "go").touch()
        _wait_for(signals / "done", proc, 600)
        subprocess.run(
            [control, "-i", "off", str(proc.pid)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        (signals / "stop").touch()
        proc.wait(timeout=300)
        totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.M)
        if totals is None:
            raise SystemExit("callgrind wrote no totals")
        return int(totals.group(1))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--drive":
        path, requests, officer, signals = sys.argv[2:6]
        sys.path.insert(0, str(ROOT))
        asyncio.run(_drive(path, int(requests), officer, Path(signals)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--officer", default="tiepnhan.lienphuong@motcua.local")
    parser.add_argument("paths", nargs="*", default=["/healthz", "/api/v1/queue"])
    args = parser.parse_args()
    requests = max(1, min(args.requests, 1000))
    first = 0
    for path in args.paths:
        per_request = count(args.database_url, path, requests, args.officer) // requests
        first = first or per_request
        print(
            f"{path:40s} {per_request:>14,} instructions a request   ÷ first {per_request / first:6.2f}"
        )


if __name__ == "__main__":
    main()
