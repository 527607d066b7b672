"""Property-based fuzzing of the JSON API (``/api/v1``) with Schemathesis: whatever the
input — valid per the OpenAPI document or deliberately invalid — the API never answers
with a 5xx (SPEC §9: "never a 500 for bad input").

Runs in-process against the ASGI app wired to the test database (the ``app`` fixture), so
everything the fuzzer creates is rolled back. Each operation is exercised anonymously and
with bearer tokens of a citizen, a reception officer and the system administrator; every
operation of the OpenAPI document is fuzzed, whatever its method (the test fails if one is
left out); the number of examples and the wall-clock time are bounded.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from tests.conftest import api_token

MAX_EXAMPLES_PER_OPERATION = 25
MIN_EXAMPLES_PER_OPERATION = 5
TOTAL_BUDGET_S = 75.0
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _documented(app: Any) -> set[str]:
    """Every operation of the JSON API in the OpenAPI document, as "METHOD /path"."""
    return {
        f"{method.upper()} {path}"
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
        if method in HTTP_METHODS
    }


def _operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=r"^/api/v1/")
    operations = []
    broken = []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            operations.append(result.ok())
        else:
            broken.append(str(result.err()))
    assert not broken, "OpenAPI operations Schemathesis cannot use:\n" + "\n".join(broken)
    return operations


def _fuzz_operation(
    operation: Any, identities: dict[str, dict[str, str]], examples: int, deadline: float
) -> Counter[int]:
    """Fuzz one operation with valid and invalid inputs; returns the response statuses.
    Fails (with a minimal example) on any 5xx answer."""
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy, who=st.sampled_from(sorted(identities)))
    def fuzz(case: Any, who: str) -> None:
        if time.monotonic() > deadline and statuses.total() >= MIN_EXAMPLES_PER_OPERATION:
            return  # this operation's share of the time budget is spent
        response = case.call(headers=identities[who])
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    fuzz()
    return statuses


def test_api_never_answers_with_a_server_error(app: Any, client: TestClient) -> None:
    identities: dict[str, dict[str, str]] = {
        "anonymous": {},
        "citizen": api_token(client, "congdan@motcua.local"),
        "reception": api_token(client, "tiepnhan.tinh@motcua.local"),
        "admin": api_token(client, "admin@motcua.local"),
    }
    operations = _operations(app)
    assert operations, "no /api/v1 operations found in /openapi.json"
    labels = [op.label for op in operations]
    assert "GET /api/v1/procedures" in labels, labels
    # Every documented operation, whatever its method (GET, POST, PATCH, DELETE …), is fuzzed.
    assert set(labels) == _documented(app), sorted(_documented(app) ^ set(labels))
    assert {"PATCH", "DELETE"} <= {label.split()[0] for label in labels}, labels

    started = time.monotonic()
    per_operation_s = TOTAL_BUDGET_S / len(operations)
    statuses: dict[str, Counter[int]] = {}

    for index, operation in enumerate(operations):
        remaining = TOTAL_BUDGET_S - (time.monotonic() - started)
        # Every operation gets at least a few examples even when earlier ones were slow.
        examples = (
            MAX_EXAMPLES_PER_OPERATION
            if remaining > per_operation_s * (len(operations) - index) * 0.5
            else MIN_EXAMPLES_PER_OPERATION
        )
        statuses[operation.label] = _fuzz_operation(
            operation, identities, examples, time.monotonic() + max(per_operation_s, 2.0)
        )

    not_called = [label for label, counts in statuses.items() if not counts]
    assert not not_called, f"operations never exercised: {not_called}"
    # The fuzzer reached the application, not only its input validation.
    overall = sum(statuses.values(), Counter())
    assert any(200 <= code < 300 for code in overall), statuses
    assert any(400 <= code < 500 for code in overall), statuses
