"""The plugin packages import each other without cycles.

A plugin package is a first-level directory of ``plugins/`` (``cache``, ``env``, ``rewards``,
...) or a first-level module (``worlds`` holds the world plugins). Every import counts, also
one inside a function: a function-local import hides an edge from the reader, not from this
test. Worlds are reached through the registry (:func:`orchestrl.build.build_world`), never
imported by the packages below them.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PLUGINS = REPO_ROOT / "plugins"
PREFIX = "orchestrl.plugins."


def package_of(module: str) -> str | None:
    """The plugin package of ``orchestrl.plugins.<package>...``, else None."""
    if not module.startswith(PREFIX):
        return None
    return module[len(PREFIX):].split(".", 1)[0] or None


def import_edges(root: Path = PLUGINS) -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) -> the ``file:line`` places of such imports."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        source = path.relative_to(root).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in filter(None, map(package_of, targets)):
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


def test_no_package_below_the_worlds_imports_them() -> None:
    importers = {a for a, b in import_edges() if b == "worlds"}
    assert not importers, f"packages importing the world plugins: {sorted(importers)}"
