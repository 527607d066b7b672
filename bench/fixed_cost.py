"""The fixed cost of one request: the portal's ``/healthz`` against two references, in turn,
in one run (issue 18 item 5).

    python bench/fixed_cost.py --database-url postgresql://postgres@127.0.0.1/motcua_bench \
        [--duration 8] [--connections 16] [--rounds 2]

Three servers, each started alone under uvicorn with one worker and the flags ``portal
serve`` gives it, and loaded in turn on 127.0.0.1:

- ``bare``: a FastAPI app whose endpoint returns a small JSON object;
- ``select1``: a FastAPI app that opens a SQLAlchemy session on the same database, runs
  ``SELECT 1`` and commits (the work of ``/healthz``), written as its documentation shows;
- ``portal``: the portal's own ``/healthz`` (``app.main:create_app``).

The load: ``wrk -t2 -c<connections>`` when it is installed, otherwise a small asyncio
client of this file (HTTP/1.1 keep-alive, one request at a time per connection, each loop
bounded in time and count). Prints requests per second of each, and the portal's ratio to
``select1`` (the issue's target is 0.8 or more). The machine is shared: compare the ratios.
"""

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUESTS = 2_000_000
WRK = shutil.which("wrk") or ""
SERVERS = {
    "bare": "bench.fixed_cost:bare_app",
    "select1": "bench.fixed_cost:select1_app",
    "portal": "app.main:create_app",
}


# --- the reference applications (uvicorn --factory) ------------------------------------------


def bare_app() -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def select1_app() -> Any:
    from collections.abc import Iterator

    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session, sessionmaker

    url = os.environ["PORTAL_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    factory = sessionmaker(create_engine(url))

    def get_session() -> Iterator[Session]:
        with factory() as session:
            yield session
            session.commit()

    app = FastAPI()

    @app.get("/healthz")
    def healthz(session: Annotated[Session, Depends(get_session)]) -> dict[str, str]:
        session.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app


# --- servers and load ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(target: str, database_url: str, data_dir: str) -> tuple[subprocess.Popen[bytes], int]:
    from app.cli import uvicorn_flags, uvicorn_options
    from app.config import get_settings

    port = free_port()
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_DATA_DIR": data_dir,
        "PORTAL_EMBEDDED_WORKER": "false",
        "PORTAL_SECRET_KEY": os.environ.get("PORTAL_SECRET_KEY", "bench-secret-key"),
        "PYTHONPATH": str(ROOT),
    }
    flags = uvicorn_flags(uvicorn_options(get_settings()))
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", "1", *flags),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(proc)
    raise SystemExit(f"{target} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def with_wrk(port: int, seconds: float, connections: int) -> float:
    out = subprocess.run(
        [
            WRK,
            "-t2",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            f"http://127.0.0.1:{port}/healthz",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(match.group(1)) if match else 0.0


async def _connection(port: int, stop_at: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    try:
        while time.monotonic() < stop_at and counts[0] < MAX_REQUESTS:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length:\s*(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            if head.startswith(b"HTTP/1.1 200"):
                counts[0] += 1
            else:
                counts[1] += 1
    finally:
        writer.close()


def with_asyncio(port: int, seconds: float, connections: int) -> float:
    counts = [0, 0]

    async def load() -> float:
        began = time.monotonic()
        stop_at = began + seconds
        await asyncio.gather(*(_connection(port, stop_at, counts) for _ in range(connections)))
        return time.monotonic() - began

    took = asyncio.run(load())
    if counts[1]:
        print(f"   ({counts[1]} answers other than 200)")
    return counts[0] / took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    args.duration = min(args.duration, 60.0)
    data_dir = tempfile.mkdtemp(prefix="motcua-fixed-cost-")
    wrk = shutil.which("wrk")
    load = with_wrk if wrk else with_asyncio
    print(
        f"load: {'wrk -t2' if wrk else 'asyncio client'}, {args.connections} connections, "
        f"{args.duration:.0f} s each, {os.cpu_count()} CPUs"
    )
    results: dict[str, list[float]] = {name: [] for name in SERVERS}
    try:
        for round_ in range(1, args.rounds + 1):
            for name, target in SERVERS.items():
                proc, port = start(target, args.database_url, data_dir)
                try:
                    load(port, 1.0, args.connections)  # warm-up
                    rps = load(port, args.duration, args.connections)
                finally:
                    stop(proc)
                results[name].append(rps)
                print(f"round {round_} {name:<8} {rps:8.1f} req/s")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    median = {name: statistics.median(values) for name, values in results.items()}
    print()
    for name, value in median.items():
        print(
            f"{name:<8} median {value:8.1f} req/s   ÷ bare {value / median['bare']:.3f}   "
            f"÷ select1 {value / median['select1']:.3f}"
        )
    print(f"portal /healthz ÷ minimal SELECT 1 app: {median['portal'] / median['select1']:.3f}")


if __name__ == "__main__":
    main()
