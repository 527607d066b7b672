"""The matrix's world (built once for the module) and its summary line in the CI log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.authz.world import World, build_world

# Filled by the matrix test, printed at the end of the run (also with -q, also on failure).
SUMMARY: list[str] = []


@pytest.fixture(scope="module")
def world(engine: Engine) -> Iterator[World]:
    built = build_world(engine)
    try:
        yield built
    finally:
        built.client.__exit__(None, None, None)
        built.harness.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in SUMMARY:
        terminalreporter.write_line(line, bold=True)
