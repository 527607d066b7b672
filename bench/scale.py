"""Several processes (issue 21): queue, lookup and submission served by one web process and
by two, each as a ratio to /healthz measured in the same run; and the worker's outbox
throughput (e-mails per second to an SMTP server on loopback) with one worker and with two.

    python bench/scale.py --database-url postgresql://postgres@127.0.0.1/motcua_bench \
        --duration 5 --concurrency 16 --messages 400 [--out bench/results]

The database must be migrated and seeded (`portal demo seed`, `portal bench seed`). Every
loop is bounded in time and count and targets 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # the harness: server start, scenarios, measurement

SCENARIOS = "queue,lookup,submission"
MAX_MESSAGES = 5000


def web(args: argparse.Namespace, processes: int) -> dict[str, Any]:
    """The chosen scenarios against `portal serve --workers N`."""
    proc, base = run.start_server(args.database_url, processes, args.data_dir)
    try:
        options = argparse.Namespace(
            duration=args.duration, concurrency=args.concurrency, only=SCENARIOS
        )
        return asyncio.run(run.run(options, base, proc.pid))
    finally:
        run.stop_server(proc)


class Counter:
    """An SMTP handler that only counts what it accepts."""

    def __init__(self) -> None:
        self.count = 0
        self.first = 0.0  # time.monotonic() of the first message
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
            self.first = self.first or time.monotonic()
        return "250 OK"


def outbox(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    """Seconds for ``workers`` `portal worker` processes to send ``--messages`` e-mails, from
    the first one received."""
    from aiosmtpd.controller import Controller

    from app.notifications.models import OutboxMessage

    messages = min(args.messages, MAX_MESSAGES)
    engine = create_engine(args.database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE outbox_messages SET status = 'sent' WHERE status = 'pending'"))
        conn.execute(
            insert(OutboxMessage.__table__),  # type: ignore[arg-type]
            [
                {
                    "kind": "bench",
                    "to_address": f"nguoi.nhan{n}@example.vn",
                    "subject": "Thông báo hồ sơ",
                    "body_text": "Hồ sơ của ông/bà đã được tiếp nhận.",
                    "body_html": "<p>Hồ sơ của ông/bà đã được tiếp nhận.</p>",
                    "status": "pending",
                    "attempts": 0,
                    "claimed_by": "",
                    "last_error": "",
                    "request_id": "",
                }
                for n in range(messages)
            ],
        )
    handler = Counter()
    port = run.free_port()
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": args.database_url,
        "PORTAL_DATA_DIR": args.data_dir,
        "PORTAL_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "PORTAL_SECRET_KEY": os.environ.get("PORTAL_SECRET_KEY", "bench-secret-key"),
    }
    portal = str(Path(sys.executable).with_name("portal"))
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [portal, "worker", "--interval", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        deadline = started + 120
        while handler.count < messages and time.monotonic() < deadline:
            time.sleep(0.05)
        # From the first e-mail on: the workers' start (imports, migrations check) is not
        # delivery.
        took = time.monotonic() - (handler.first or started)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        smtp.stop()
    with engine.connect() as conn:
        twice = conn.scalar(
            text("SELECT count(*) FROM outbox_messages WHERE kind = 'bench' AND attempts > 1")
        )
    engine.dispose()
    return {
        "workers": workers,
        "messages": messages,
        "delivered": handler.count,
        "seconds": round(took, 2),
        "messages_per_s": round(handler.count / took, 1),
        "retried": twice,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", default=str(run.ROOT / "var" / "bench"))
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--out", default=str(run.ROOT / "bench" / "results"))
    parser.add_argument("--outbox-only", action="store_true", help="skip the web scenarios")
    args = parser.parse_args()
    args.duration = min(args.duration, 30.0)
    report: dict[str, Any] = {"web": {}, "outbox": []}
    run.ensure_all_roles_officer(args.database_url)
    for processes in () if args.outbox_only else (1, 2):
        report["web"][str(processes)] = web(args, processes)
    for workers in (1, 2):
        report["outbox"].append(outbox(args, workers))
    report["settings"] = {
        "duration_s": args.duration,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
    }
    Path(args.out).mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (Path(args.out) / f"scale-{stamp}.json").write_text(json.dumps(report, indent=2))
    print(f"{'scenario':<12} {'1 proc rps':>10} {'/hz':>6} {'2 procs rps':>11} {'/hz':>6}")
    one = report["web"].get("1", {}).get("scenarios", {})
    two = report["web"].get("2", {}).get("scenarios", {})
    for name in one:
        a, b = one[name], two.get(name, {})
        print(
            f"{name:<12} {a['rps']:>10} {a['rps_ratio_to_healthz']:>6} "
            f"{b.get('rps', '-'):>11} {b.get('rps_ratio_to_healthz', '-'):>6}"
        )
    for row in report["outbox"]:
        print(
            f"outbox, {row['workers']} worker(s): {row['delivered']}/{row['messages']} e-mails "
            f"in {row['seconds']} s = {row['messages_per_s']} /s (retried: {row['retried']})"
        )


if __name__ == "__main__":
    main()
