"""The plugin packages import each other without cycles.

A plugin package is a first-level directory of ``plugins/`` (``cache``, ``env``, ``rewards``,
...) or a first-level module, except under ``worlds/``: each world package there is two nodes,
its support code (``worlds.booking``: data formats, executor, checker...), which the components
serving the world (its sampler, benchmark, gold policy) import, and its world object
(``worlds.booking.world``), which may import any package and which nothing imports: worlds are
reached through the registry (:func:`orchestrl.build.build_world`). Every import counts, also
one inside a function: a function-local import hides an edge from the reader, not from this
test.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PLUGINS = REPO_ROOT / "plugins"
PREFIX = "orchestrl.plugins."


def node_of(parts: list[str]) -> str:
    """The graph node of a module given as its dotted parts below ``plugins`` (see the module
    docstring): ``worlds.<name>.world``, ``worlds.<name>`` or the first part (``plugins`` for
    the root package itself)."""
    if not parts:
        return "plugins"
    if parts[0] == "worlds" and len(parts) > 1:
        return ".".join(parts[:3]) if parts[2:3] == ["world"] else ".".join(parts[:2])
    return parts[0]


def package_of(module: str) -> str | None:
    """The graph node of ``orchestrl.plugins.<package>...``, else None."""
    if not module.startswith(PREFIX) or module == PREFIX:
        return None
    return node_of(module[len(PREFIX):].split("."))


def imported(node: ast.AST) -> list[str]:
    """The absolute module names an ``import`` / ``from ... import`` node names (else none)."""
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []


def import_edges(root: Path = PLUGINS) -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) -> the ``file:line`` places of such imports."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        parts = [part.removesuffix(".py") for part in path.relative_to(root).parts]
        source = node_of([p for p in parts if p != "__init__"])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in filter(None, map(package_of, imported(node))):
                if target != source:
                    edges[(source, target)].append(f"{path.relative_to(root)}:{node.lineno}")
    return edges


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    """One cycle of the directed graph as a list of nodes (first repeated last), or None."""
    graph: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(edges):
        graph[a].append(b)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_plugin_package_graph_has_no_cycle() -> None:
    edges = import_edges()
    cycle = find_cycle(set(edges))
    if cycle:
        pairs = itertools.pairwise(cycle)
        places = [f"{a} -> {b}: {', '.join(edges[(a, b)][:3])}" for a, b in pairs]
        raise AssertionError("import cycle between plugin packages:\n" + "\n".join(places))


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_dag() -> None:
    assert find_cycle({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == ["a", "b", "c", "a"]
    assert find_cycle({("a", "b"), ("b", "c"), ("a", "c")}) is None


def test_the_edges_see_imports_inside_functions(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "x.py").write_text(
        "def f():\n    from orchestrl.plugins.env.environment import CachedEnvironment\n"
    )
    assert set(import_edges(tmp_path)) == {("cache", "env")}


def test_no_package_imports_a_world_object() -> None:
    importers = {f"{a} -> {b}" for a, b in import_edges() if b.endswith(".world") or b == "worlds"}
    assert not importers, f"imports of the world plugins: {sorted(importers)}"


def test_world_packages_are_two_nodes_support_code_and_world_object() -> None:
    assert package_of("orchestrl.plugins.worlds.booking.data") == "worlds.booking"
    assert package_of("orchestrl.plugins.worlds.bfcl") == "worlds.bfcl"
    assert package_of("orchestrl.plugins.worlds.bfcl.world") == "worlds.bfcl.world"
    assert package_of("orchestrl.plugins.cache.keys") == "cache"
    edges = import_edges()
    assert ("samplers", "worlds.bfcl") in edges and ("worlds.bfcl.world", "worlds.bfcl") in edges


# Function-local imports of orchestrl modules are allowed only for these modules, each of which
# pulls a heavy or optional third-party dependency at import time; importing them at module
# level from a command or stage module would load it in every `orchestrl` process (the host
# imports every built-in plugin to register it), `orchestrl --help` and `orchestrl config`
# included. Measured with `python -X importtime` (a process that has loaded the host already).
HEAVY_MODULES = {
    # transformers, trl, peft, torch (~14 s)
    "orchestrl.plugins.training.grpo",
    # rich (pipeline/stage_runner.py) and numpy (pipeline/intervals.py), ~0.4-0.5 s
    "orchestrl.plugins.pipeline.run",
    "orchestrl.plugins.pipeline.study",
    # numpy (pipeline/intervals.py), ~0.25 s
    "orchestrl.plugins.pipeline.run_report",
    "orchestrl.plugins.pipeline.study_report",
}


def local_imports(roots: tuple[Path, ...] = (REPO_ROOT / "core", PLUGINS),
                  ) -> list[tuple[str, str]]:
    """``(file:line, module)`` of every import of an orchestrl module inside a function."""
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(function):
                    found += [(f"{path.relative_to(root.parent)}:{node.lineno}", module)
                              for module in imported(node) if module.split(".")[0] == "orchestrl"]
    return sorted(set(found))


def test_function_local_imports_only_for_heavy_modules() -> None:
    hidden = [f"{place} imports {module}" for place, module in local_imports()
              if module not in HEAVY_MODULES]
    assert not hidden, ("import these at module level (or add the module to HEAVY_MODULES "
                        "if it pulls an optional dependency):\n" + "\n".join(hidden))


def test_the_local_import_walk_sees_nested_imports(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(
        "import json\n\n\ndef f():\n    if True:\n"
        "        from orchestrl.errors import ConfigError\n"
        "    import orchestrl.plugins.training.grpo\n    import numpy\n"
    )
    assert local_imports((tmp_path / "pkg",)) == [
        ("pkg/m.py:6", "orchestrl.errors"), ("pkg/m.py:7", "orchestrl.plugins.training.grpo")]


@pytest.mark.parametrize("argv", [["--help"], ["config", "seed=1"]])
def test_cli_startup_loads_no_heavy_dependency(argv: list[str], tmp_path: Path) -> None:
    heavy = ("torch", "transformers", "trl", "peft", "datasets", "numpy", "matplotlib",
             "llama_cpp", "bfcl_eval")
    script = (
        "import contextlib, io, json, sys\n"
        "from orchestrl.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(sys.argv[1:])\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        f"print(json.dumps([code, sorted(loaded & {set(heavy)!r})]))\n"
    )
    env = {**os.environ, "ORCHESTRL_OUTPUT_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True,
                          env=env, cwd=tmp_path, check=False)
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert code in (0, None) and loaded == [], done.stderr[-2000:]
