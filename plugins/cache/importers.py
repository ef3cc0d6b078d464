"""Filling a response cache from files, and writing it back out.

Formats (one JSON record per line; :func:`detect_format` tells them apart by the first record):

* ``booking`` — the trace files of the Booking data (``train_101.jsonl``, ``eval_80.jsonl``),
  read with :func:`orchestrl.plugins.worlds.booking.data.load_tasks`; steps whose response is
  unknown (``""``) are skipped and counted.
* ``complexfuncbench`` — ComplexFuncBench's native entries: ``conversations`` with assistant
  ``function_call`` lists, each followed by an ``observation`` whose ``content`` lists one
  response per call, in order. Responses are stored as observed (the benchmark's ``data``
  payloads).
* ``jsonl`` — plain ``{"function", "arguments", "response"}`` records, optionally with
  ``provenance`` (an object with ``source``/``time``) and ``state``. :func:`export_jsonl`
  writes this format, one line per recorded response, so export then import is lossless.

An import is all-or-nothing, for one file and for several (a directory, or every path given to
``orchestrl cache import``): every file is read and checked first
(:mod:`~orchestrl.plugins.cache.import_checks`), then everything is written in one atomic
:meth:`ResponseCache.put_many`. A bad line raises :class:`~orchestrl.errors.DataError` naming
file and line, and nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from orchestrl.errors import DataError
from orchestrl.plugins.cache.import_checks import check_recordings, loads_record
from orchestrl.plugins.cache.response_cache import Recording, ResponseCache, now
from orchestrl.plugins.worlds.booking.data import EVAL_FILE, TRAIN_FILE, load_tasks

FORMATS = ("booking", "complexfuncbench", "jsonl")


@dataclass
class ImportReport:
    """What one file's import did (the write counts are for every file of a directory import)."""

    path: str
    format: str
    recordings: int = 0
    keys_added: int = 0
    responses_added: int = 0
    unchanged: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)


Located = tuple[str, Recording]
"""A recording and where it was read (``file:line``)."""


def import_file(
    cache: ResponseCache, path: str | Path, fmt: str = "auto", *, allow_unknown: bool = False,
    progress: bool = False,
) -> ImportReport:
    """Import one file of format ``fmt`` (or detected) into ``cache``, all or nothing."""
    return import_files(cache, [(Path(path), fmt)], allow_unknown=allow_unknown,
                        progress=progress)[0]


def import_files(
    cache: ResponseCache, sources: list[tuple[Path, str]], *, allow_unknown: bool = False,
    progress: bool = False,
) -> list[ImportReport]:
    """Import every ``(path, format)`` in one atomic write: all files are stored, or none.

    Every file is read and checked first (:mod:`~orchestrl.plugins.cache.import_checks`:
    strict JSON, valid and known tool names); a DataError names the file and line and nothing
    is written. Each report gets the write's counts (one write for all the files).
    """
    reports: list[ImportReport] = []
    recordings: list[Recording] = []
    for path, fmt in sources:
        report, located = read_file(path, fmt, progress=progress)
        counts = check_recordings([(w, r.function, r.arguments) for w, r in located],
                                  cache.schemas, allow_unknown=allow_unknown)
        report.warnings = counts.warnings(str(path))
        reports.append(report)
        recordings.extend(rec for _, rec in located)
    try:
        stats = cache.put_many(recordings)
    except ValueError as exc:
        names = ", ".join(r.path for r in reports)
        raise DataError(f"{names}: cannot store a response ({exc}); nothing was imported"
                        ) from None
    for report in reports:
        report.keys_added, report.responses_added = stats.keys_added, stats.responses_added
        report.unchanged = stats.unchanged
    return reports


def read_file(path: str | Path, fmt: str = "auto", *, progress: bool = False
              ) -> tuple[ImportReport, list[Located]]:
    """Every recording of one file, with where it was read; DataError naming file:line."""
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise DataError(f"unknown import format '{fmt}'; available: {', '.join(FORMATS)}")
    report = ImportReport(str(path), fmt)
    reader = {"booking": _read_booking, "complexfuncbench": read_complexfuncbench,
              "jsonl": read_plain_jsonl}[fmt]
    located: list[Located] = []
    stamp = now()
    for where, rec in tqdm(reader(path, report), desc=f"reading {path.name}",
                           unit=" responses", disable=not progress, leave=False):
        if rec.provenance.get("time") is None:
            rec = Recording(rec.function, rec.arguments, rec.response,
                            {**rec.provenance, "time": stamp}, rec.state)
        located.append((where, rec))
    report.recordings = len(located)
    return report, located


def import_booking_dir(
    cache: ResponseCache, data_dir: str | Path, *, allow_unknown: bool = False,
    progress: bool = False,
) -> list[ImportReport]:
    """Seed ``cache`` with every real response in a Booking data directory's trace files, in
    one all-or-nothing write."""

    data_dir = Path(data_dir)
    return import_files(cache, [(data_dir / name, "booking") for name in (TRAIN_FILE, EVAL_FILE)],
                        allow_unknown=allow_unknown, progress=progress)


def detect_format(path: Path) -> str:
    """The format of a file, from its first record; DataError when it matches none."""
    for number, record in _jsonl(path):
        if isinstance(record, dict):
            if "steps" in record:
                return "booking"
            if "conversations" in record:
                return "complexfuncbench"
            if "function" in record and "response" in record:
                return "jsonl"
        raise DataError(f"{path}:{number}: record matches no import format "
                        f"({', '.join(FORMATS)})")
    raise DataError(f"{path}: file is empty")


# ---------------------------------------------------------------------- readers


def _read_booking(path: Path, report: ImportReport) -> Iterator[Located]:
    lines = [number for number, _ in _jsonl(path)]  # strict pass: duplicate keys, huge ints
    try:
        tasks = load_tasks(path, {})
    except RecursionError:
        raise DataError(f"{path}: a record is nested too deeply") from None
    for number, task in zip(lines, tasks, strict=True):
        for step in task.steps:
            if step.response is None:
                report.skipped += 1
                continue
            source = f"{path.name}#{task.id}.step{step.index}"
            yield (f"{path}:{number}", Recording(step.function, step.arguments, step.response,
                                                 {"source": source, "format": "booking"}))


def read_complexfuncbench(path: Path, report: ImportReport | None = None) -> Iterator[Located]:
    """Recordings of every (call, observation) pair in a ComplexFuncBench JSONL file."""
    for number, entry in _jsonl(path):
        where = f"{path}:{number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("conversations"), list):
            raise DataError(f"{where}: a ComplexFuncBench entry needs a 'conversations' list")
        entry_id = str(entry.get("id", f"line{number}"))
        pending: list[Any] | None = None
        for turn_no, turn in enumerate(entry["conversations"]):
            if not isinstance(turn, dict):
                raise DataError(f"{where}: turn {turn_no} is not an object")
            if turn.get("role") == "assistant" and turn.get("function_call") is not None:
                if pending is not None:
                    raise DataError(f"{where}: turn {turn_no} calls again before an observation")
                calls = turn["function_call"]
                pending = calls if isinstance(calls, list) else [calls]
            elif turn.get("role") == "observation":
                if pending is None:
                    raise DataError(f"{where}: turn {turn_no} is an observation without calls")
                content = maybe_json(turn.get("content"))
                content = content if isinstance(content, list) else [content]
                if len(content) != len(pending):
                    raise DataError(f"{where}: turn {turn_no} has {len(content)} responses for "
                                    f"{len(pending)} calls")
                for i, (call, response) in enumerate(zip(pending, content, strict=True)):
                    name, arguments = _call(call, f"{where}: turn {turn_no - 1} call {i}")
                    yield where, Recording(
                        name, arguments, maybe_json(response),
                        {"source": f"{path.name}#{entry_id}.turn{turn_no}.{i}",
                         "format": "complexfuncbench"})
                pending = None
        if pending is not None and report is not None:
            report.skipped += len(pending)


def read_plain_jsonl(path: Path, report: ImportReport | None = None) -> Iterator[Located]:
    """Recordings of a plain ``{function, arguments, response}`` JSONL file."""
    for number, record in _jsonl(path):
        where = f"{path}:{number}"
        if not isinstance(record, dict) or "response" not in record:
            raise DataError(f"{where}: a record needs 'function', 'arguments' and 'response'")
        name, arguments = _call(record, where)
        provenance = record.get("provenance") or {"source": f"{path.name}:{number}"}
        if not isinstance(provenance, dict):
            raise DataError(f"{where}: 'provenance' must be an object")
        yield where, Recording(name, arguments, record["response"], dict(provenance),
                               record.get("state"))


def export_jsonl(cache: ResponseCache, path: str | Path, *, progress: bool = False) -> int:
    """Write every recorded response (conflicts included) as plain JSONL; return lines written.

    The file is written to a temporary name and renamed, so a failed export leaves no
    half-written file behind.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    lines = 0
    with tmp.open("w", encoding="utf-8") as out:
        for entry in tqdm(cache.entries(), total=len(cache), desc="exporting", unit=" entries",
                          disable=not progress, leave=False):
            for alt in entry.responses:
                for prov in alt.provenance or ({"source": "unknown"},):
                    record = {"function": entry.function, "arguments": entry.arguments,
                              "response": alt.response, "provenance": prov}
                    if entry.state is not None:
                        record["state"] = entry.state
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    lines += 1
    tmp.replace(path)
    return lines


# ---------------------------------------------------------------------- helpers


def _jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    if not path.is_file():
        raise DataError(f"import file '{path}' does not exist")
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = loads_record(line.decode("utf-8"))
            except UnicodeDecodeError:
                raise DataError(f"{path}:{number}: not UTF-8 text") from None
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            except RecursionError:
                raise DataError(f"{path}:{number}: JSON nested too deeply") from None
            except ValueError as exc:
                raise DataError(f"{path}:{number}: {exc}") from None
            yield number, record


def _call(record: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(record, dict):
        raise DataError(f"{where}: a call must be an object with 'name' and 'arguments'")
    name = record.get("function", record.get("name"))
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"{where}: the call has no function name")
    arguments = maybe_json(record.get("arguments", {}))
    if not isinstance(arguments, dict):
        raise DataError(f"{where}: the arguments of '{name}' are not an object")
    return name, arguments


def maybe_json(value: Any) -> Any:
    """``value`` parsed as JSON when it is a string holding an object or list, else as is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return value
    return value
