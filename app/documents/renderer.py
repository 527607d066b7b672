"""Renderer processes: PDFs are laid out away from the threads that serve requests.

WeasyPrint is pure-Python CPU work that holds the GIL, so a render inside a web worker slows
down every other request of that worker. Each web process therefore starts, at start-up
(``prestart``, or else on its first PDF), a small pool of renderer processes (one by default,
so renders within a web process still take turns, as before) that lower their own CPU
priority: on a busy machine the operating system serves lookups and pages first and renders
with what is left. The request thread waits for the
result without holding the GIL (see docs/decisions/0012-pdf-renderer-processes.md).

Renderers are started with ``spawn`` (a fresh interpreter: no copy of the web process's
database connections or threads), replaced when one dies (its render is tried once more on
the new one) or when its memory grew past ``RECYCLE_RSS_MB`` (a huge tracking book), exit
with the web process at interpreter exit, and on their own within a second if the web
process disappears without telling them (killed). ``configure(0)`` renders in the calling
process instead, for tools where a pool makes no sense.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

# Renderers per web process: renders of one process took turns on a lock before, and on two
# cores more renderers would only compete with the web workers for the CPU.
DEFAULT_PROCESSES = 1
# Added to the renderer's nice value (the most there is): when both want the CPU, Linux gives
# a web worker about 70 times the renderer's share (weights 1024 and 15). On the benchmark it
# kept lookups faster than nice 10 did, with about as many PDFs rendered meanwhile: web workers
# wait on the database and the network often enough for the renderer to get its turn.
NICENESS = 19
# A renderer whose memory grew past this is replaced after the render (same budget as a web
# worker); forms and receipts stay well below it.
RECYCLE_RSS_MB = 250.0
# How often a renderer checks that the web process that started it is still there.
_PARENT_CHECK_SECONDS = 1.0

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None
_processes = DEFAULT_PROCESSES
# What a new renderer runs before its first render (imports, fonts), set at start-up by
# ``app.wiring``: this pool knows nothing of what it renders.
_warm_ups: tuple[Callable[[], object], ...] = ()


def warm_up_with(*functions: Callable[[], object]) -> None:
    """Module-level functions each new renderer calls once before its first render."""
    global _warm_ups
    with _lock:
        _warm_ups = functions


def configure(processes: int = DEFAULT_PROCESSES) -> None:
    """Set the number of renderer processes of this process (0: render in the caller)."""
    global _processes
    if processes < 0:
        raise ValueError("the number of renderer processes cannot be negative")
    with _lock:
        _processes = processes
    shutdown()


def configured() -> int:
    """The number of renderer processes this process uses (0: renders in the caller)."""
    return _processes


def shutdown(wait: bool = True) -> None:
    """Stop the renderers (after the renders already asked for); a later render restarts them."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=wait)


atexit.register(shutdown)


def prestart() -> None:
    """Start this process's renderers now, with their imports and fonts (a few seconds), so
    that the first PDF after a start does not wait for them; blocks until they are ready.
    The web app calls it in a thread of its own at start-up."""
    run(_ready)


def _ready() -> bool:
    return True


def run(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a renderer process (or here when there is none); blocks the
    calling thread, never the event loop: call it from a sync endpoint or a worker thread.
    ``function`` and its arguments travel by pickle: a module-level function, plain values."""
    for attempt in (1, 2):
        submitted = _submit(function, args)
        if submitted is None:
            return function(*args)
        executor, future = submitted
        try:
            result, rss_mb = future.result()
        except BrokenProcessPool:
            # The renderer died (killed, out of memory) during this or another render.
            _discard(executor)
            if attempt == 2:
                raise
            LOGGER.warning("PDF renderer process died; starting a new one")
            continue
        if rss_mb > RECYCLE_RSS_MB:
            LOGGER.info("PDF renderer reached %.0f MB; replacing it", rss_mb)
            _discard(executor)
        return result
    raise AssertionError("unreachable")


def _submit(
    function: Callable[..., T], args: tuple[Any, ...]
) -> tuple[ProcessPoolExecutor, Future[tuple[T, float]]] | None:
    """Hand the call to the current pool (started on first use); None: no renderer here."""
    global _executor
    with _lock:  # a pool is retired under the lock, so it never gets work after that
        if _executor is None:
            if _processes == 0:
                return None
            _executor = ProcessPoolExecutor(
                max_workers=_processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_renderer,
                initargs=(os.getpid(), NICENESS, _warm_ups),
            )
        executor = _executor
        try:
            return executor, executor.submit(_call, function, args)
        except BrokenProcessPool:
            future: Future[tuple[T, float]] = Future()
            future.set_exception(BrokenProcessPool("the renderer process died"))
            return executor, future


def _discard(executor: ProcessPoolExecutor) -> None:
    """Retire a pool: new renders go to a fresh one; the old one finishes what it has."""
    global _executor
    with _lock:
        if _executor is executor:
            _executor = None
    executor.shutdown(wait=False)


# --- in the renderer process -------------------------------------------------------------------


def _start_renderer(
    parent_pid: int, niceness: int, warm_ups: tuple[Callable[[], object], ...]
) -> None:
    os.nice(niceness)
    # Ctrl-C and a SIGTERM to the whole process group stop the web process, which then stops
    # its renderer after the renders in flight, rather than failing them half-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    for warm_up in warm_ups:
        warm_up()


def _exit_with_parent(parent_pid: int) -> None:
    # A web process killed outright (SIGKILL, out of memory) cannot stop its renderer, and the
    # renderer would wait for work forever: it goes when it gets a new parent.
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_CHECK_SECONDS)
    os._exit(0)


def _call(function: Callable[..., T], args: tuple[Any, ...]) -> tuple[T, float]:
    return function(*args), _rss_mb()


def _rss_mb() -> float:
    """This process's resident memory now (0 where /proc is missing: never recycled there).
    Not ``getrusage``'s peak: on Linux a spawned process inherits its parent's peak."""
    try:
        resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
