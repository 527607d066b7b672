"""The matrix's world (built once for the module) and its summary line in the CI log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.authz.world import World, build_world

# The matrix test's summary lines (its "authz_summary" user properties), printed at the end of
# the run — also with -q, on failure, and under xdist (the reports reach the main process).
SUMMARY: list[str] = []


@pytest.fixture(scope="module")
def world(engine: Engine) -> Iterator[World]:
    built = build_world(engine)
    try:
        yield built
    finally:
        built.client.__exit__(None, None, None)
        built.harness.close()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        SUMMARY.extend(str(v) for k, v in report.user_properties if k == "authz_summary")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in SUMMARY:
        terminalreporter.write_line(line, bold=True)
