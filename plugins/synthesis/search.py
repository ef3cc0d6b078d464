"""Backtracking search for template instances whose every call is cached and every edge holds.

An *instance* of a template assigns one indexed call to each step such that for every edge
``step.argument <- (from_step, from_field)`` the argument of the step's call is the same value
as the one at ``from_field`` in the response of the producer's call. Two steps never get the
same call, and a step's calls can be narrowed by the optional unary filter
``admit(step, calls)`` (the samplers use it to refuse calls whose free arguments no user could
state).

The search first narrows each step's domain by arc consistency on the edges (a producer call
whose response has no usable value for a consumer, or a consumer call whose argument no
producer can supply, is removed, and a producer call that cannot feed enough distinct calls to
its *twin* consumers -- several steps of one function fed by the same edges -- is removed, and
a consumer call whose two producer steps of one function could only both be fed by one and the
same call is removed, until nothing changes). It then assigns steps in a fixed
order: the step with the smallest domain first, then always the unassigned step with most edges
to assigned ones. A step's candidates come from the value index in both directions: as a
consumer, the calls whose argument equals the producer's response value; as a producer, the
calls whose response holds the consumer's argument at the path (a reverse index built once per
step and path). Candidates are tried from a random rotation. A search finds an instance not
in ``seen``, runs out of its node budget, or proves the template has no unseen instance left
(``exhausted``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

from orchestrl.paths import MISSING
from orchestrl.plugins.synthesis.index import CallIndex
from orchestrl.plugins.synthesis.template import Template

Assignment = tuple[int, ...]
Admit = Callable[[int, list[int]], list[int]]
"""``admit(step, calls)``: the calls a step may use (a unary filter on its domain)."""


@dataclass
class SearchResult:
    """An instance (call numbers per step) or None; whether the template is used up; nodes."""

    assignment: Assignment | None
    exhausted: bool
    nodes: int


@dataclass(frozen=True)
class _Link:
    """A constraint between the step being assigned and an earlier-assigned ``other`` step."""

    other: int
    argument: str
    path: str
    consumer: bool  # True: this step consumes ``other``'s response; False: it produces for it


class TemplateSearch:
    """Instances of one template over one index (domains are computed once, lazily)."""

    def __init__(self, template: Template, index: CallIndex, admit: Admit | None = None) -> None:
        self.template = template
        self.index = index
        self.admit = admit
        self.edges = [
            [(arg, ref.from_step, ref.from_field)
             for arg, ref in sorted(template.dependencies.get(step, {}).items())]
            for step in range(template.n_steps)
        ]
        self._domains: list[list[int]] | None = None
        self._domain_sets: list[set[int]] = []
        self._order: list[int] = []
        self._links: list[list[_Link]] = []
        self._reverse: dict[tuple[int, str], dict[str, list[int]]] = {}

    @property
    def domains(self) -> list[list[int]]:
        """Arc-consistent candidate calls of each step."""
        if self._domains is None:
            self._domains = self._arc_consistent()
            self._domain_sets = [set(d) for d in self._domains]
            self._plan()
        return self._domains

    def feasible(self) -> bool:
        """False when some step has no candidate at all (the template cannot be instantiated)."""
        return all(self.domains)

    def find(self, rng: random.Random, seen: set[Assignment], *, budget: int) -> SearchResult:
        """Depth-first search for an instance not in ``seen`` within ``budget`` nodes."""
        if not self.feasible():
            return SearchResult(None, True, 0)
        n = self.template.n_steps
        order = self._order
        assigned: dict[int, int] = {}
        nodes = 0
        stack = [self._frame(0, assigned, rng)]
        while stack:
            candidates, offset, tried = stack[-1]
            depth = len(stack) - 1
            step = order[depth]
            if tried >= len(candidates):
                stack.pop()
                if stack:
                    del assigned[order[len(stack) - 1]]
                continue
            stack[-1] = (candidates, offset, tried + 1)
            call = candidates[(offset + tried) % len(candidates)]
            if not self._consistent(step, call, assigned):
                continue
            nodes += 1
            assigned[step] = call
            if depth + 1 == n:
                instance = tuple(assigned[s] for s in range(n))
                if instance not in seen:
                    return SearchResult(instance, False, nodes)
                del assigned[step]
            else:
                stack.append(self._frame(depth + 1, assigned, rng))
            if nodes >= budget:
                return SearchResult(None, False, nodes)
        return SearchResult(None, True, nodes)

    # ------------------------------------------------------------------ internals

    def _frame(self, depth: int, assigned: dict[int, int], rng: random.Random
               ) -> tuple[Sequence[int], int, int]:
        candidates = self._candidates(self._order[depth], assigned)
        return candidates, rng.randrange(len(candidates)) if candidates else 0, 0

    def _candidates(self, step: int, assigned: dict[int, int]) -> Sequence[int]:
        links = self._links[step]
        if not links:
            return self.domains[step]
        best: Sequence[int] | None = None
        for link in links:
            other = assigned[link.other]
            if link.consumer:
                value = self.index.value_at(other, link.path)
                if value is MISSING:
                    return []
                found = self.index.with_value(self.template.functions[step], link.argument,
                                              value)
            else:
                wanted = self.index.argument_key(other, link.argument)
                found = self._producers(step, link.path).get(wanted or "", [])
            if best is None or len(found) < len(best):
                best = found
        return best or []

    def _producers(self, step: int, path: str) -> dict[str, list[int]]:
        memo = self._reverse.get((step, path))
        if memo is None:
            memo = {}
            for call in self.domains[step]:
                key = self.index.value_key(call, path)
                if key is not None:
                    memo.setdefault(key, []).append(call)
            self._reverse[(step, path)] = memo
        return memo

    def _consistent(self, step: int, call: int, assigned: dict[int, int]) -> bool:
        if call not in self._domain_sets[step] or call in assigned.values():
            return False
        index = self.index
        for link in self._links[step]:
            other = assigned[link.other]
            if link.consumer:
                produced = index.value_key(other, link.path)
                used = index.argument_key(call, link.argument)
            else:
                produced = index.value_key(call, link.path)
                used = index.argument_key(other, link.argument)
            if produced is None or produced != used:
                return False
        return True

    def _plan(self) -> None:
        n = self.template.n_steps
        neighbours: list[list[_Link]] = [[] for _ in range(n)]
        for step, edges in enumerate(self.edges):
            for arg, parent, path in edges:
                neighbours[step].append(_Link(parent, arg, path, True))
                neighbours[parent].append(_Link(step, arg, path, False))
        sizes = [len(d) for d in self._domains or []]
        order: list[int] = []
        while len(order) < n:
            rest = [s for s in range(n) if s not in order]
            order.append(min(rest, key=lambda s: (
                -sum(1 for link in neighbours[s] if link.other in order), sizes[s], s)))
        self._order = order
        position = {s: i for i, s in enumerate(order)}
        self._links = [[link for link in neighbours[s] if position[link.other] < position[s]]
                       for s in range(n)]

    def _arc_consistent(self) -> list[list[int]]:
        index = self.index
        domains = []
        for step, function in enumerate(self.template.functions):
            calls = index.by_function.get(function, ())
            domains.append(set(calls) if self.admit is None else set(self.admit(step, calls)))
        changed = True
        rounds = 0
        while changed and rounds < 20:
            changed = False
            rounds += 1
            for step, edges in enumerate(self.edges):
                for arg, parent, path in edges:
                    supplied = {index.value_key(c, path) for c in domains[parent]}
                    supplied.discard(None)
                    wanted = {index.argument_key(c, arg) for c in domains[step]}
                    keep_step = {c for c in domains[step] if index.argument_key(c, arg) in supplied}
                    keep_parent = {c for c in domains[parent] if index.value_key(c, path) in wanted}
                    if keep_step != domains[step] or keep_parent != domains[parent]:
                        domains[step], domains[parent] = keep_step, keep_parent
                        changed = True
            changed = self._prune_twins(domains) or changed
            changed = self._prune_shared_producers(domains) or changed
            changed = self._prune_siblings(domains) or changed
        return [sorted(d, key=lambda c: index.calls[c].key) for d in domains]

    def _prune_shared_producers(self, domains: list[set[int]]) -> bool:
        """A consumer fed by two producer steps of one function needs two *distinct* producer
        calls; a consumer call whose only possible producer for both is one and the same call
        (a car rental returned where it was picked up, for two location steps) is removed.
        Returns whether anything was removed."""
        index = self.index
        removed = False
        for step, edges in enumerate(self.edges):
            by_parent: dict[int, list[tuple[str, str]]] = {}
            for arg, parent, path in edges:
                by_parent.setdefault(parent, []).append((arg, path))
            parents = sorted(by_parent)
            pairs = [(p, q) for i, p in enumerate(parents) for q in parents[i + 1:]
                     if self.template.functions[p] == self.template.functions[q]]
            if not pairs:
                continue
            support: dict[int, dict[tuple, set[int]]] = {}
            for parent in {p for pair in pairs for p in pair}:
                table: dict[tuple, set[int]] = {}
                for call in domains[parent]:
                    signature = tuple(index.value_key(call, path) for _, path in by_parent[parent])
                    if None not in signature:
                        table.setdefault(signature, set()).add(call)
                support[parent] = table
            keep = set()
            for call in domains[step]:
                for p, q in pairs:
                    sp = support[p].get(tuple(index.argument_key(call, a) for a, _ in by_parent[p]))
                    sq = support[q].get(tuple(index.argument_key(call, a) for a, _ in by_parent[q]))
                    if not sp or not sq or (len(sp) == 1 and sp == sq):
                        break
                else:
                    keep.add(call)
            if keep != domains[step]:
                domains[step] = keep
                removed = True
        return removed

    def _prune_siblings(self, domains: list[set[int]]) -> bool:
        """Siblings: steps of one function sharing edges (same argument, producer step and
        path). Their calls must agree on those arguments and be distinct, so for each value
        signature the steps need distinct calls with it (a matching); calls with a signature
        that has none are removed. Returns whether anything was removed."""
        index = self.index
        steps_of: dict[str, list[int]] = {}
        for step, edges in enumerate(self.edges):
            if edges:
                steps_of.setdefault(self.template.functions[step], []).append(step)
        removed = False
        for steps in steps_of.values():
            for size in range(2, len(steps) + 1):
                for group in combinations(steps, size):
                    shared = sorted(set.intersection(*(set(self.edges[s]) for s in group)))
                    if not shared:
                        continue
                    by_signature: dict[tuple, list[set[int]]] = {}
                    for position, step in enumerate(group):
                        for call in domains[step]:
                            signature = tuple(index.argument_key(call, a) for a, _, _ in shared)
                            slots = by_signature.setdefault(signature, [set() for _ in group])
                            slots[position].add(call)
                    for slots in by_signature.values():
                        if _has_distinct_representatives(slots):
                            continue
                        for position, step in enumerate(group):
                            if slots[position]:
                                domains[step] -= slots[position]
                                removed = True
        return removed

    def _prune_twins(self, domains: list[set[int]]) -> bool:
        """Twins: ``g`` steps of one function fed by the same edges of one parent. They need
        ``g`` distinct calls agreeing with one parent call, so a parent call with fewer such
        calls is removed. Returns whether anything was removed."""
        groups: dict[tuple, list[int]] = {}
        for step, edges in enumerate(self.edges):
            parents = {parent for _, parent, _ in edges}
            if len(parents) == 1:
                key = (self.template.functions[step], tuple(sorted(edges)))
                groups.setdefault(key, []).append(step)
        index = self.index
        removed = False
        for (_, edges), steps in groups.items():
            if len(steps) < 2:
                continue
            parent = edges[0][1]
            counts: dict[tuple, int] = {}
            for call in domains[steps[0]]:
                signature = tuple(index.argument_key(call, arg) for arg, _, _ in edges)
                counts[signature] = counts.get(signature, 0) + 1
            keep = {c for c in domains[parent]
                    if counts.get(tuple(index.value_key(c, path) for _, _, path in edges), 0)
                    >= len(steps)}
            if keep != domains[parent]:
                domains[parent] = keep
                removed = True
        return removed


def _has_distinct_representatives(slots: list[set[int]]) -> bool:
    """Whether each slot can get its own call from its set, no call used twice (matching)."""
    owner: dict[int, int] = {}

    def assign(slot: int, visited: set[int]) -> bool:
        for call in slots[slot]:
            if call in visited:
                continue
            visited.add(call)
            if call not in owner or assign(owner[call], visited):
                owner[call] = slot
                return True
        return False

    return all(assign(slot, set()) for slot in range(len(slots)))
