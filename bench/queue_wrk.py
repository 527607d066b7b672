"""The staff queue and pages measured with wrk, as issue 18 measured them (no assertions).

    python bench/queue_wrk.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench \
        [--duration 8] [--connections 16] [--rounds 2]

Starts `portal serve` (one worker, as it starts by default) on 127.0.0.1, logs the officers in
through the API and the login form, then runs `wrk -t2 -c16 -d8s` in turn against `/healthz`
and each scenario, `--rounds` times; prints requests/s, p99 and the ratio to the `/healthz`
of the same round. Needs wrk (Debian's package). Every run is bounded in time and targets
127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # the harness: server start, logins

OFFICERS = {
    "queue, reception only (tiepnhan.phohien)": "tiepnhan.phohien@motcua.local",
    "queue, reception + specialist + cashier (tiepnhan.lienphuong)": run.MULTI_ROLE,
    "queue, all four roles (bonvaitro.lienphuong)": run.ALL_ROLES,
    "queue, leader (lanhdao.phohien)": "lanhdao.phohien@motcua.local",
}


def token(base: str, email: str) -> str:
    r = httpx.post(base + "/api/v1/auth/token", data={"username": email, "password": run.PASSWORD})
    r.raise_for_status()
    return str(r.json()["access_token"])


def wrk(url: str, header: str, duration: float, connections: int) -> tuple[float, float]:
    """Requests per second and p99 in ms of one wrk run."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration:g}s", "--latency", "--timeout", "10s"]
    if header:
        cmd += ["-H", header]
    out = subprocess.run(
        [*cmd, url], capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} answers were not 2xx")
    return rps, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", default=str(run.ROOT / "var" / "bench"))
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    args.duration = min(args.duration, 60.0)
    run.ensure_all_roles_officer(args.database_url)
    proc, base = run.start_server(args.database_url, 1, args.data_dir)
    try:
        scenarios: dict[str, tuple[str, str]] = {}
        for label, email in OFFICERS.items():
            scenarios[label] = ("/api/v1/queue", f"Authorization: Bearer {token(base, email)}")
        cookie = f"Cookie: {run.web_login(base, run.MULTI_ROLE)}"
        multi = httpx.get(
            base + "/api/v1/queue",
            headers={"Authorization": f"Bearer {token(base, run.MULTI_ROLE)}"},
            timeout=30,
        ).json()["items"]
        scenarios["HTML desk, three roles (/can-bo)"] = ("/can-bo", cookie)
        scenarios["tracking book page, three roles"] = ("/can-bo/so-theo-doi", cookie)
        if multi:
            scenarios["dossier page (HTML), three roles"] = (
                f"/can-bo/ho-so/{multi[0]['id']}",
                cookie,
            )
        rows: dict[str, list[tuple[float, float, float]]] = {"/healthz": []}
        for _ in range(args.rounds):
            hz, hz99 = wrk(base + "/healthz", "", args.duration, args.connections)
            rows["/healthz"].append((hz, hz99, 1.0))
            for label, (path, header) in scenarios.items():
                rps, p99 = wrk(base + path, header, args.duration, args.connections)
                rows.setdefault(label, []).append((rps, p99, rps / hz))
        print(f"{'scenario':<62} {'req/s':>8} {'p99 ms':>8} {'÷ /healthz':>10}")
        for label, results in rows.items():
            print(
                f"{label:<62} {statistics.median(r[0] for r in results):8.1f} "
                f"{statistics.median(r[1] for r in results):8.1f} "
                f"{statistics.median(r[2] for r in results):10.2f}   "
                + " ".join(f"{r[2]:.2f}" for r in results)
            )
    finally:
        run.stop_server(proc)


if __name__ == "__main__":
    main()
