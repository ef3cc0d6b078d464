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
from collections import defaultdict
from pathlib import Path

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


def import_edges(root: Path = PLUGINS) -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) -> the ``file:line`` places of such imports."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        parts = [part.removesuffix(".py") for part in path.relative_to(root).parts]
        source = node_of([p for p in parts if p != "__init__"])
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
