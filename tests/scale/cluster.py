"""Several `portal serve` and `portal worker` processes on one fresh PostgreSQL database, on
loopback, for the tests of SPEC §14 (and `bench/scale.py`)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
# Passed through to the processes: the storage is chosen by the environment (local disk, or
# S3 with its endpoint and credentials).
PASSED_THROUGH = ("PORTAL_STORAGE_URL", "PORTAL_S3_", "AWS_")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database(base_url: str) -> tuple[str, Any]:
    """A new empty database on the server of ``base_url``; returns its URL and a dropper."""
    parsed = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"motcua_scale_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(
        parsed.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = parsed.set(database=name).render_as_string(hide_password=False)
    return url.replace("postgresql+psycopg://", "postgresql://", 1), drop


class Cluster:
    """The processes of one deployment: their environment, logs and addresses."""

    def __init__(self, workdir: Path, database_url: str, **settings: str) -> None:
        self.workdir = workdir
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("PORTAL_") or k.startswith(PASSED_THROUGH)
        }
        self.env.update(
            PORTAL_ENV="development",
            PORTAL_DATA_DIR=str(workdir / "data"),
            PORTAL_DATABASE_URL=database_url,
            PORTAL_SECRET_KEY="scale-test-secret-key",
            PORTAL_EMBEDDED_WORKER="false",
            PORTAL_PAYMENT_SANDBOX="true",
            PORTAL_PDF_RENDERERS="0",
            PORTAL_LOG_FORMAT="json",
            PYTHONPATH=str(ROOT),
        )
        self.env.update(settings)
        self.servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        self.workers: dict[str, subprocess.Popen[bytes]] = {}

    def run(self, *args: str, timeout: float = 600) -> str:
        """A `portal` command to its end (migrations, seeding)."""
        done = subprocess.run(
            [sys.executable, "-m", "app", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        return done.stdout.decode()

    def prepare(self) -> None:
        """Migrate and seed the demo province (no history), once, before anything starts."""
        self.run("db", "upgrade")
        self.run("demo", "seed", "--no-history")

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def _spawn(self, name: str, *args: str, **extra: str) -> subprocess.Popen[bytes]:
        out = self.log(name).open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "app", *args],
            cwd=self.workdir,
            env={**self.env, **extra},
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def serve(self, name: str, port: int | None = None, **extra: str) -> str:
        """Start `portal serve` and wait until it answers; returns its base URL."""
        port = port or free_port()
        process = self._spawn(name, "serve", "--port", str(port), **extra)
        self.servers[name] = (process, port)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                    return url
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(self.log(name).read_text()[-3000:]) from None
                time.sleep(0.3)

    def worker(self, name: str, interval: float = 2.0, **extra: str) -> None:
        self.workers[name] = self._spawn(name, "worker", "--interval", str(interval), **extra)

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown of any kind."""
        process, _ = self.servers.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        processes = [p for p, _ in self.servers.values()] + list(self.workers.values())
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.servers.clear()
        self.workers.clear()
