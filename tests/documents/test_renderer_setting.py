"""``PORTAL_PDF_RENDERERS``: how many renderer processes a web process starts (0: none, PDFs
are laid out in the web process), applied when the app starts; a bad value stops the start
with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import Settings

ROOT = Path(__file__).resolve().parent.parent.parent

# Starts the app (its lifespan applies the setting), renders a form and prints the renderer's
# pid, this process's pid and its child processes.
APP_RENDERS = """
import os
from pathlib import Path
from fastapi.testclient import TestClient
from app.documents import renderer
from app.documents.render import render_pdf
from app.main import create_app
from tests.documents.test_render import _context

def children():
    return sorted(
        pid
        for task in Path("/proc/self/task").iterdir()
        for pid in (task / "children").read_text().split()
    )

if __name__ == "__main__":
    with TestClient(create_app()):
        assert render_pdf("form_02", _context("form_02")).startswith(b"%PDF")
        print(renderer.configured(), renderer.run(os.getpid), os.getpid(), children(), flush=True)
"""


def _start_app(value: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORTAL_PDF_RENDERERS": value, "PORTAL_EMBEDDED_WORKER": "false"}
    return subprocess.run(
        [sys.executable, "-c", APP_RENDERS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc (Linux)")
def test_zero_renders_in_the_web_process_without_starting_a_child() -> None:
    done = _start_app("0")
    assert done.returncode == 0, done.stderr
    configured, renderer_pid, own_pid, children = done.stdout.split(" ", 3)
    assert configured == "0"
    assert renderer_pid == own_pid
    assert children.strip() == "[]"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc (Linux)")
def test_a_number_of_renderers_is_applied_when_the_app_starts() -> None:
    done = _start_app("2")
    assert done.returncode == 0, done.stderr
    configured, renderer_pid, own_pid, children = done.stdout.split(" ", 3)
    assert configured == "2"
    assert renderer_pid != own_pid and renderer_pid in children


@pytest.mark.parametrize("value", ["9", "-1", "two"])
def test_a_bad_value_stops_the_start_with_a_clear_message(value: str) -> None:
    done = _start_app(value)
    assert done.returncode != 0
    assert "PORTAL_PDF_RENDERERS must be a whole number from 0 to 8" in done.stderr
    assert f"not {value!r}" in done.stderr


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("1", 1), (" 8 ", 8)])
def test_values_from_zero_to_eight_are_read(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int
) -> None:
    monkeypatch.setenv("PORTAL_PDF_RENDERERS", value)
    assert Settings().pdf_renderers == expected


def test_one_renderer_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_PDF_RENDERERS", raising=False)
    assert Settings(_env_file=None).pdf_renderers == 1


@pytest.mark.parametrize("value", ["12", "1.5", "", "yes", "²"])
def test_settings_refuse_anything_else(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PORTAL_PDF_RENDERERS", value)
    with pytest.raises(ValidationError, match="PORTAL_PDF_RENDERERS must be a whole number"):
        Settings()
