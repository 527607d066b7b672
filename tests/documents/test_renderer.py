"""PDFs are laid out in a renderer process of lower priority, not in the web worker; the
renderer comes back when it dies or grows too big, and goes away with its web process."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.documents import renderer
from app.documents.render import render_pdf
from tests.documents.test_render import CODE, _context

ROOT = Path(__file__).resolve().parent.parent.parent


def _gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def _wait_until_gone(pid: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def fresh_renderer() -> Iterator[None]:
    """Each test starts and ends with the default renderer set-up."""
    renderer.configure()
    yield
    renderer.configure()


def test_forms_are_rendered_in_a_separate_lower_priority_process(fresh_renderer: None) -> None:
    data = render_pdf("form_01", _context("form_01"))
    assert CODE in PdfReader(io.BytesIO(data)).pages[0].extract_text().replace(" ", "")
    renderer_pid = renderer.run(os.getpid)
    assert renderer_pid != os.getpid()
    assert renderer.run(os.nice, 0) == min(19, os.nice(0) + renderer.NICENESS)
    assert renderer.run(os.getpid) == renderer_pid  # one renderer, kept between renders


def test_in_process_without_renderers(fresh_renderer: None) -> None:
    renderer.configure(0)
    assert renderer.run(os.getpid) == os.getpid()
    assert render_pdf("form_02", _context("form_02")).startswith(b"%PDF")


def test_a_killed_renderer_is_replaced_and_the_render_still_succeeds(
    fresh_renderer: None,
) -> None:
    killed = renderer.run(os.getpid)
    os.kill(killed, signal.SIGKILL)  # as the out-of-memory killer would
    assert _wait_until_gone(killed)
    data = render_pdf("form_01", _context("form_01"))
    assert data.startswith(b"%PDF")
    assert renderer.run(os.getpid) not in (killed, os.getpid())


def test_a_renderer_that_grew_too_big_is_replaced(
    fresh_renderer: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = renderer.run(os.getpid)
    monkeypatch.setattr(renderer, "RECYCLE_RSS_MB", 1.0)  # every renderer is "too big" now
    assert renderer.run(os.getpid) == first  # the render that grew it still returns
    assert _wait_until_gone(first)
    monkeypatch.undo()
    second = renderer.run(os.getpid)
    assert second != first


def test_shutdown_stops_the_renderer(fresh_renderer: None) -> None:
    pid = renderer.run(os.getpid)
    renderer.shutdown()
    assert _wait_until_gone(pid, 10)
    assert renderer.run(os.getpid) != pid  # and the next render starts a new one


def _web_process(exit_after_render: bool) -> tuple[subprocess.Popen[str], int]:
    """A process that renders once (starting its renderer) and then exits or waits."""
    code = (
        "import os, sys, time\n"
        "from app.documents import renderer\n"
        "print(renderer.run(os.getpid), flush=True)\n"
        + ("sys.exit(0)\n" if exit_after_render else "time.sleep(120)\n")
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip().isdigit(), line
    return process, int(line)


def test_the_renderer_exits_with_its_web_process() -> None:
    process, renderer_pid = _web_process(exit_after_render=True)
    assert process.wait(timeout=60) == 0
    assert _wait_until_gone(renderer_pid, 10)


def test_the_renderer_exits_when_its_web_process_is_killed() -> None:
    process, renderer_pid = _web_process(exit_after_render=False)
    try:
        process.kill()  # no chance to stop its renderer
        process.wait(timeout=30)
        assert _wait_until_gone(renderer_pid, 10)
    finally:
        if not _gone(renderer_pid):
            os.kill(renderer_pid, signal.SIGKILL)
