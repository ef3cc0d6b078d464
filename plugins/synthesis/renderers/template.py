"""The deterministic offline renderer: real example queries with the instance's values.

1. *Substitution.* For each real example query of the template, find how it states the free
   values of the template's recorded instance (``example_arguments``: same surface form,
   e.g. ``October 14th``); if it states every one of those that the new instance needs, write
   each new value in the same form in its place. An example whose stated values cannot all be
   located, or that would need a different enum value (sort orders, cabin classes), is skipped.
2. *Composition* (when no example fits). One clause per step with free arguments: the
   function's name as a verb phrase and each free argument as ``<argument words> <value>``
   (``search car rentals with pick up date October 14, 2024 and pick up time 8 AM``).

Free values that are opaque identifiers (tokens, ids) are not something a user can know, so a
task needing one gets no query (None) unless ``allow_opaque`` is set.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
from typing import Any

from orchestrl.api import Task
from orchestrl.paths import MISSING
from orchestrl.plugins.synthesis.checking import argument_value
from orchestrl.plugins.synthesis.derivability import free_values
from orchestrl.plugins.synthesis.renderers.base import QueryRenderer
from orchestrl.plugins.synthesis.surface import ENUM_PHRASES, find_word, statable, surface_forms
from orchestrl.plugins.synthesis.template import Template
from orchestrl.plugins.synthesis.values import words


class TemplateRenderer(QueryRenderer):
    """Deterministic, offline (see the module docstring)."""

    def __init__(self, allow_opaque: bool = False, substitute: bool = True,
                 max_examples: int = 4) -> None:
        self.allow_opaque = allow_opaque
        self.substitute = substitute
        self.max_examples = max_examples

    def render(self, task: Task, template: Template, rng: random.Random) -> str | None:
        needed = free_values(task)
        if not self.allow_opaque and not all(statable(v) for _, _, v in needed):
            return None
        if self.substitute:
            order = list(range(len(template.examples)))
            rng.shuffle(order)
            for number in order[: self.max_examples]:
                query = _substitute(template.examples[number], template, needed)
                if query is not None:
                    return query
        return compose(task, needed)


def compose(task: Task, needed: list[tuple[int, str, Any]] | None = None) -> str:
    """One clause per step that has free arguments, stating each of them (``needed``: the
    task's :func:`~orchestrl.plugins.synthesis.derivability.free_values`, when known)."""
    by_step: dict[int, list[tuple[str, Any]]] = {}
    for step, argument, value in free_values(task) if needed is None else needed:
        by_step.setdefault(step, []).append((argument, value))
    clauses = []
    for step in task.steps:
        pairs = by_step.get(step.index)
        if not pairs:
            continue
        verb = " ".join(re.split(r"_+", step.function)).lower()
        stated = " and ".join(f"{_argument_words(a)} {_phrase(v)}" for a, v in pairs)
        clauses.append(f"{verb} with {stated}")
    if not clauses:
        return "Please help me with this request using the available tools."
    head = "Please " + clauses[0]
    rest = "".join(f"; then {c}" for c in clauses[1:])
    return f"{head}{rest}."


def _substitute(example: str, template: Template, needed: list[tuple[int, str, Any]]
                ) -> str | None:
    if not example or len(template.example_arguments) != template.n_steps:
        return None
    query = example
    replacements: list[tuple[str, str]] = []
    for step, argument, value in needed:
        old = argument_value(template.example_arguments[step], argument)
        if old is MISSING or old is None:
            return None
        if _same_text(old, value):
            if not _find(query, surface_forms(value)):
                return None
            continue
        if old in ENUM_PHRASES or value in ENUM_PHRASES:
            return None  # enum phrasings do not swap grammatically ("the most trending")
        found = _find(query, surface_forms(old))
        if found is None:
            return None
        form_index, text = found
        new_forms = surface_forms(value)
        if not new_forms:
            return None
        new_text = new_forms[min(form_index, len(new_forms) - 1)]
        replacements.append((text, _match_case(text, new_text)))
    for old_text, new_text in replacements:
        position = find_word(query.lower(), old_text.lower())
        if position < 0:
            return None
        query = query[:position] + new_text + query[position + len(old_text):]
    return query


def _find(query: str, forms: list[str]) -> tuple[int, str] | None:
    lower = query.lower()
    for number, form in enumerate(forms):
        if not form or form not in lower:
            continue
        start = find_word(lower, form)
        if start >= 0:
            return number, query[start:start + len(form)]
    return None


def _same_text(a: Any, b: Any) -> bool:
    return str(a).lower() == str(b).lower()


def _match_case(old: str, new: str) -> str:
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


@functools.lru_cache(maxsize=4096)
def _argument_words(argument: str) -> str:
    tail = re.split(r"[.\[\]]+", argument.strip("]"))
    return " ".join(" ".join(sorted(words(t), key=t.lower().find)) for t in tail if t and
                    not t.isdigit())


def _phrase(value: Any) -> str:
    if isinstance(value, str):  # memoised: the same dates, times and words recur
        return _string_phrase(value)
    return surface_forms(value)[0] if surface_forms(value) else str(value)


@functools.lru_cache(maxsize=65536)
def _string_phrase(value: str) -> str:
    if re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        try:
            day = dt.date.fromisoformat(value)
            return f"{day.strftime('%B')} {day.day}, {day.year}"
        except ValueError:
            return value
    if re.match(r"^\d{1,2}:\d{2}$", value):
        forms = surface_forms(value)
        return forms[2] if len(forms) > 2 else value
    if value in ENUM_PHRASES:
        return ENUM_PHRASES[value][0]
    return f'"{value}"'
