"""The code's floors hold (docs/ARCHITECTURE.md): the import-linter contracts pass and catch a
service importing a page, every module stands on exactly one floor, no import circle, no
imports hidden inside functions beyond the few with a reason, no module past 800 lines."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeGuard

import grimp

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 800
# Data rather than code: the demo catalogue transcribes public procedure pages.
DATA_MODULES = {"app/demo/procedures.py"}
MAX_LOCAL_IMPORTS = 3


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _matches(module: str, pattern: str) -> bool:
    """``pattern`` (``*`` for one name) names the module or a package that holds it."""
    wanted, parts = pattern.split("."), module.split(".")
    if len(parts) < len(wanted):
        return False
    return all(w in ("*", p) for w, p in zip(wanted, parts, strict=False))


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_a_service_importing_a_page_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(APP, tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    service = tmp_path / "app" / "payments" / "service.py"
    service.write_text(service.read_text() + "\nfrom app.dossiers import pages as _pages\n")

    result = _lint_imports(tmp_path)

    assert result.returncode != 0
    assert "Services and models never import the web floor" in result.stdout
    assert "BROKEN" in result.stdout
    assert "app.payments.service -> app.dossiers.pages" in result.stdout


def test_every_module_stands_on_one_floor() -> None:
    contracts = _contracts()
    entry = {name.strip() for name in contracts["floors"]["layers"][0].split(":")}
    core = set(contracts["core-alone"]["source_modules"])
    below_web = contracts["services-below-web"]
    services: list[str] = below_web["source_modules"]
    web = [name for name in below_web["forbidden_modules"] if name.startswith("app.")]
    unplaced, doubly = [], []
    for module, path in sorted(_modules().items()):
        if path.name == "__init__.py" and not _imports(path) and module != "app":
            continue  # a domain package's docstring
        if module == "app":
            continue
        floors = [
            floor
            for floor, hit in (
                ("entry", module in entry),
                ("core", module in core),
                ("web", any(_matches(module, p) for p in web)),
                ("service", any(_matches(module, p) for p in services)),
            )
            if hit
        ]
        if not floors:
            unplaced.append(module)
        elif len(floors) > 1:
            doubly.append(f"{module}: {floors}")
    assert not unplaced, f"modules on no floor (add them to pyproject's contracts): {unplaced}"
    assert not doubly, f"modules on two floors: {doubly}"


def _imports(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    return any(isinstance(node, ast.Import | ast.ImportFrom) for node in ast.walk(tree))


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = []
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work.append((start, iter(sorted(graph.find_modules_directly_imported_by(start)))))
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_import_circle() -> None:
    # grimp sees every import, those inside functions included.
    graph = grimp.build_graph("app", cache_dir=None)
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_circle() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "a.one", "a.two", "a.three"):
        graph.add_module(name)
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.one")
    graph.add_import(importer="a.three", imported="a.one")
    assert _cycles(graph) == [["a.one", "a.two"]]


def _imports_app(node: ast.AST) -> TypeGuard[ast.Import | ast.ImportFrom]:
    def ours(name: str) -> bool:
        return name == "app" or name.startswith("app.")

    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or ours(node.module or "")
    return isinstance(node, ast.Import) and any(ours(alias.name) for alias in node.names)


def test_imports_inside_functions_are_few_and_explained() -> None:
    local = []
    for module, path in sorted(_modules().items()):
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if _imports_app(node):
                    reason = lines[node.lineno - 2].strip()
                    local.append((module, node.lineno, reason.startswith("#")))
    assert len(local) <= MAX_LOCAL_IMPORTS, local
    unexplained = [(module, line) for module, line, explained in local if not explained]
    assert not unexplained, (
        f"a function-local import needs a one-line reason above it: {unexplained}"
    )


def test_no_module_past_the_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for path in APP.rglob("*.py")
        if (count := len(path.read_text().splitlines())) > MAX_LINES
        and str(path.relative_to(ROOT)) not in DATA_MODULES
    }
    assert long == {}
