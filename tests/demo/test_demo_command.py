"""`make run`'s seeding step as a user runs it: `portal db upgrade`, then `portal demo seed`
(with its year of history) in one process on a new SQLite database, then once more. The
catalogue, the PAR index, the counter settings, the history and the feedback are seeded in
one session there, unlike the tests that seed them one by one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _portal(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_ENV="development",
        PORTAL_DATA_DIR=str(tmp / "var"),
        PORTAL_DATABASE_URL=f"sqlite:///{(tmp / 'portal.db').as_posix()}",
        PYTHONPATH=str(ROOT),
    )
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_demo_seed_of_make_run_completes_and_a_second_adds_nothing(tmp_path: Path) -> None:
    assert _portal(tmp_path, "db", "upgrade").returncode == 0
    first = _portal(tmp_path, "demo", "seed")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-4000:]
    for what in ("par_rounds added", "booking_settings added", "dossiers added", "feedback added"):
        assert what in first.stdout, first.stdout
    assert "0 dossiers added" not in first.stdout
    again = _portal(tmp_path, "demo", "seed")
    assert again.returncode == 0, again.stderr[-4000:]
    assert " 0 dossiers added" in again.stdout and "0 par_rounds added" in again.stdout
