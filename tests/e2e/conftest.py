"""End-to-end fixtures: the real server in a subprocess and Debian's Chromium via Playwright.

The server always runs on its own SQLite database in a temporary folder (migrated and
seeded with the demo data through the ``portal`` command), whatever database the rest of
the test suite uses. Chromium is never downloaded: the system browser is used, and when it
is missing the tests are skipped locally but fail in CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DEMO_PASSWORD = "MotCua@2026"
STARTUP_TIMEOUT_S = 90.0  # a bound, not a pause: the server usually answers in a few seconds
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _skip_or_fail(reason: str) -> None:
    """Outside CI a missing prerequisite skips; in CI it is a failure."""
    if IN_CI:
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(tmp: Path, port: int) -> dict[str, str]:
    # Nothing PORTAL_* leaks from the parent test process (its PORTAL_DATABASE_URL may point
    # at the unit tests' database, even PostgreSQL): e2e always uses its own SQLite file.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        {
            "PORTAL_ENV": "development",
            "PORTAL_DATA_DIR": str(tmp / "data"),
            "PORTAL_DATABASE_URL": f"sqlite:///{(tmp / 'e2e.db').as_posix()}",
            "PORTAL_SECRET_KEY": "e2e-secret-key-not-for-production",
            "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _portal(*args: str) -> list[str]:
    return [sys.executable, "-m", "app", *args]


def _log_tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no log)"


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"e2e server exited with code {proc.returncode}:\n{_log_tail(log)}", pytrace=False
            )
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.2)
    pytest.fail(
        f"e2e server not healthy after {STARTUP_TIMEOUT_S:.0f}s ({last_error}):\n{_log_tail(log)}",
        pytrace=False,
    )


@contextmanager
def running_portal(extra_env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Migrate, seed and serve a portal of its own on a free port of 127.0.0.1; yields its base
    URL. ``extra_env`` adds ``PORTAL_*`` settings (e.g. a payment gateway) to that server."""
    tmp = Path(tempfile.mkdtemp(prefix="motcua-e2e-"))
    port = _free_port()
    env = _server_env(tmp, port)
    env.update(extra_env or {})
    # The temporary folder as working directory: no stray .env file is read.
    for step in (("db", "upgrade"), ("demo", "seed", "--no-history")):
        done = subprocess.run(
            _portal(*step), cwd=tmp, env=env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            pytest.fail(
                f"`portal {' '.join(step)}` failed ({done.returncode}):\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}",
                pytrace=False,
            )
    log = tmp / "server.log"
    with log.open("wb") as log_fh:
        proc = subprocess.Popen(
            _portal("serve", "--host", "127.0.0.1", "--port", str(port)),
            cwd=tmp,
            env=env,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base_url, proc, log)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Base URL of the real portal (``portal serve``) on a free port of 127.0.0.1."""
    with running_portal() as base_url:
        yield base_url


def _chromium_path() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """Headless system Chromium driven by Playwright's sync API (never downloads a browser)."""
    executable = _chromium_path()
    if executable is None:
        _skip_or_fail("Chromium not found (install Debian's `chromium` package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev dependency
        _skip_or_fail("playwright is not installed")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


ContextFactory = Callable[..., Any]


@pytest.fixture
def new_web_context(chromium_browser: Any, live_server: str) -> Iterator[ContextFactory]:
    """Make fresh browser contexts (own cookies) on the live server; all closed afterwards.

    Keyword arguments go to ``Browser.new_context`` (e.g. ``viewport``,
    ``java_script_enabled``)."""
    contexts: list[Any] = []

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("base_url", live_server)
        kwargs.setdefault("locale", "vi-VN")
        context = chromium_browser.new_context(**kwargs)
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def web(new_web_context: ContextFactory) -> Any:
    """A page in a fresh browser context (no cookies) on the live server."""
    return new_web_context().new_page()


def login(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the form (works with and without JavaScript)."""
    page.goto("/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name="Đăng nhập").click()


@pytest.fixture
def log_in() -> Callable[..., None]:
    return login


# --- accessibility ------------------------------------------------------------------------

BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def _axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()  # bundles axe-core: nothing is downloaded


def accessibility_violations(axe: Any, page: Any) -> list[dict[str, Any]]:
    """axe-core violations of impact serious/critical on the current page (WCAG 2.x A/AA
    and best-practice rules)."""
    results = axe.run(page)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} serious/critical accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}: {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible(_axe: Any) -> Callable[[Any], None]:
    """``assert_accessible(page)`` fails on any serious or critical axe-core violation,
    listing the rule id, its help text and the offending nodes."""

    def check(page: Any) -> None:
        __tracebackhide__ = True
        violations = accessibility_violations(_axe, page)
        if violations:
            pytest.fail(format_violations(page.url, violations), pytrace=False)

    return check


# --- the SMS gateway's stand-in (``portal sms-sandbox``) -------------------------------------

SMS_KEY = "khoa-cong-sms-e2e"


def wait_until(check: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Poll ``check`` every half second until it holds; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def sms_stand_in() -> Iterator[str]:
    """``portal sms-sandbox`` in a subprocess on a free port, refusing every second message
    (the portal sends it again); yields its base URL."""
    import httpx

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "sms-sandbox", "--port", str(port), "--fail-every", "2"],
        cwd=ROOT,
        env={**env, "PORTAL_SMS_KEY": SMS_KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/messages", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, "the SMS stand-in", 30)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def sms_log(stand_in: str) -> dict[str, Any]:
    """What the stand-in received (``received``) and refused (``refused``)."""
    import httpx

    return dict(httpx.get(f"{stand_in}/messages", timeout=5).json())
