"""Reading BFCL's multi-turn entries and function docs from the installed package.

An entry of category ``multi_turn_<c>`` joins a question record (``BFCL_v4_multi_turn_<c>.json``:
``id``, ``question`` = user messages per turn, ``initial_config`` per backend class,
``involved_classes``, ``missed_function`` for ``miss_func``) with its ``ground_truth`` (call
strings per turn, from ``possible_answer/``). The ``scenario`` of an entry is the number at the
end of its id: entries with the same number in different categories tell the same story on
(almost always) the same initial configuration, which is what the train/eval split groups by.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from orchestrl.errors import DataError
from orchestrl.jsonl import read_jsonl
from orchestrl.plugins.worlds.bfcl.package import FUNC_DOC_FILES, data_dir

CATEGORIES: tuple[str, ...] = (
    "multi_turn_base",
    "multi_turn_miss_func",
    "multi_turn_miss_param",
    "multi_turn_long_context",
)
"""The multi-turn categories shipped by bfcl-eval 2026.3.23."""

VERSION_PREFIX = "BFCL_v4"


@dataclass
class BfclEntry:
    """One multi-turn test entry: the conversation, the scenario and the ground-truth calls."""

    id: str
    category: str
    turns: list[list[dict[str, Any]]]
    ground_truth: list[list[str]]
    initial_config: dict[str, Any]
    involved_classes: list[str]
    missed_function: dict[int, list[str]] = field(default_factory=dict)

    @property
    def scenario(self) -> int:
        """The scenario number shared by the entries of every category (``..._<n>``, before
        any ``:suffix`` a derived entry adds)."""
        return int(self.id.split(":", 1)[0].rsplit("_", 1)[1])

    @property
    def long_context(self) -> bool:
        """Whether backends load the scenario with BFCL's long-context padding."""
        return "long_context" in self.category


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    records = []
    for number, record in read_jsonl(path):
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise DataError(f"{path}:{number}: an entry needs a string 'id'")
        records.append((number, record))
    return records


@cache
def _load_category(category: str) -> tuple[BfclEntry, ...]:
    if category not in CATEGORIES:
        raise DataError(f"unknown bfcl category '{category}'; known: {', '.join(CATEGORIES)}")
    root = data_dir()
    questions = root / f"{VERSION_PREFIX}_{category}.json"
    answers = root / "possible_answer" / f"{VERSION_PREFIX}_{category}.json"
    truth = {record["id"]: (number, record) for number, record in _read_jsonl(answers)}
    entries = []
    for number, record in _read_jsonl(questions):
        where = f"{questions}:{number}"
        if record["id"] not in truth:
            raise DataError(f"{where}: entry '{record['id']}' has no ground truth in {answers}")
        gt_number, answer = truth[record["id"]]
        ground_truth = answer.get("ground_truth")
        turns = record.get("question")
        if not isinstance(ground_truth, list) or not isinstance(turns, list):
            raise DataError(f"{answers}:{gt_number}: 'ground_truth' must be a list of turns")
        if len(ground_truth) != len(turns):
            raise DataError(
                f"{where}: {len(turns)} question turns but {len(ground_truth)} ground-truth turns"
            )
        classes = record.get("involved_classes")
        unknown = [name for name in classes or [] if name not in FUNC_DOC_FILES]
        if not classes or unknown:
            raise DataError(f"{where}: unknown involved classes {unknown or classes!r}")
        missed = {
            int(turn): list(names) for turn, names in record.get("missed_function", {}).items()
        }
        entries.append(
            BfclEntry(
                id=record["id"],
                category=category,
                turns=turns,
                ground_truth=ground_truth,
                initial_config=record.get("initial_config", {}),
                involved_classes=list(classes),
                missed_function=missed,
            )
        )
    return tuple(entries)


def load_entries(category: str = "multi_turn_base") -> list[BfclEntry]:
    """Every entry of one multi-turn category, in file order (read once per process).

    The entries are shared between callers: treat them as read-only (backends deep-copy the
    initial configuration before loading it).
    """
    return list(_load_category(category))


@cache
def _function_docs(class_name: str) -> tuple[dict[str, Any], ...]:
    try:
        name = FUNC_DOC_FILES[class_name]
    except KeyError:
        raise DataError(f"no bfcl function docs for class '{class_name}'") from None
    path = data_dir() / "multi_turn_func_doc" / name
    docs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
            raise DataError(f"{path}:{number}: a function doc needs a string 'name'")
        docs.append(doc)
    return tuple(docs)


def function_docs(classes: list[str]) -> list[dict[str, Any]]:
    """The tool schemas of ``classes`` in BFCL's order (``name``, ``description``, ``parameters``).

    The schemas have the same shape as the Booking world's tools (``"type": "dict"`` objects).
    Fresh copies are returned, so callers may edit them.
    """
    return [json.loads(json.dumps(doc)) for name in classes for doc in _function_docs(name)]


def tools_for_turn(entry: BfclEntry, turn: int) -> list[dict[str, Any]]:
    """The tools offered at ``turn``: all docs of the entry's classes minus the functions
    held out until a later turn (``miss_func``), as BFCL's inference loop offers them."""
    held_out = {
        name
        for at, names in entry.missed_function.items()
        if at > turn
        for name in names
    }
    return [doc for doc in function_docs(entry.involved_classes) if doc["name"] not in held_out]
