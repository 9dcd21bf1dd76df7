"""The package's import structure: every module imports on its own, and nothing imports in a cycle.

A cycle works or breaks depending on which module happens to be imported first, so it shows up
as an ``ImportError`` (or a half-initialised module) in a program that imports the package in
an order no test tried. The graph here is built from the source (every ``import``, including
those inside functions, which run later but still close a cycle); imports under
``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"

SUITE_SIDE = (
    "conformance.suite",
    "conformance.catalog",
    "conformance.features",
    "conformance.jobs",
)
"""Modules that judge a provider (or plan what to ask it): none may import the reference
provider, or a check could pass because it shares the provider's own idea of the contract."""


def module_names() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                hidden.update(id(n) for n in ast.walk(child))
    return hidden


def _imported(name: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The package modules ``name`` imports at run time, wherever in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                # ``from pkg import mod`` imports the submodule; ``from mod import name`` the
                # module. The parent package runs first either way, so it is not an edge.
                submodule = f"{base}.{alias.name}"
                if submodule in modules:
                    yield submodule
                elif base in modules:
                    yield base


def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports at run time."""
    modules = module_names()
    return {name: set(_imported(name, path, modules)) - {name} for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or ``None`` when the graph is acyclic."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle is not None:
                return cycle
    return None


def test_find_cycle_sees_a_cycle_and_its_absence() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_function_local_imports_and_skips_type_checking_ones() -> None:
    graph = import_graph()
    # property_phase imports the schemathesis phase inside a function, only when it runs.
    assert "conformance.fuzz" in graph["conformance.property_phase"]
    assert "conformance.report.model" not in graph["conformance.impact"]  # TYPE_CHECKING only
    assert "conformance.suite.context" in graph["conformance.suite.kit"]


def test_the_package_imports_without_a_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_checks_never_import_the_reference_provider() -> None:
    graph = import_graph()
    judging = [m for m in graph if m == "conformance.catalog" or m.startswith(SUITE_SIDE)]
    assert "conformance.suite.test_sdk" in judging and "conformance.jobs" in judging
    offending = {
        module: sorted(t for t in graph[module] if t.startswith("conformance.provider"))
        for module in judging
    }
    assert {m: t for m, t in offending.items() if t} == {}


# Each module in a fresh interpreter: fork a clean parent once per module, so each child starts
# with nothing of the package loaded (as a new process would) without paying the interpreter's
# start-up a hundred times on a shared two-core machine.
_ISOLATED = textwrap.dedent(
    """
    import importlib, os, sys, traceback
    failures = []
    for name in sys.argv[1:]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                importlib.import_module(name)
                code = 0
            except BaseException:
                os.write(write, traceback.format_exc(limit=3)[-600:].encode())
                code = 1
            os._exit(code)
        os.close(write)
        message = b""
        while chunk := os.read(read, 4096):
            message += chunk
        os.close(read)
        _, status = os.waitpid(pid, 0)
        if status != 0:
            failures.append(f"{name}: {message.decode(errors='replace').strip()}")
    print("\\n".join(failures))
    sys.exit(1 if failures else 0)
    """
)


RUNS_ON_IMPORT = {"conformance.__main__"}
"""``python -m conformance``: importing it runs the command line, by design."""


@pytest.mark.slow  # imports the heavy dependencies (schemathesis, PyAV, openai) once per module
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_every_module_imports_on_its_own() -> None:
    names = sorted(set(module_names()) - RUNS_ON_IMPORT)
    assert len(names) > 50  # the walk found the package
    result = subprocess.run(
        [sys.executable, "-c", _ISOLATED, *names],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PACKAGE.parent,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
