"""``orchestrl cache import|stats|verify|export|copy``: manage the response cache.

Every subcommand takes Hydra overrides (``cache=redis cache.url=...``, ``data_dir=...``)
mixed with its own arguments; an argument with ``=`` that does not start with ``-`` is an
override. The commands manage the Booking world's cache of real responses (typed by the tool
schemas in ``data_dir``) unless ``world=bfcl`` is given (the BFCL world's recorded responses).

* ``import PATH... [--format auto|booking|complexfuncbench|jsonl] [--allow-unknown]`` — a
  directory imports the Booking trace files in it; the whole import is all-or-nothing (every
  file is read and checked, then everything is written at once). Function names that are not
  valid tool names are refused, and so are tools the world does not know unless
  ``--allow-unknown``; unknown tools kept and calls that break their schema are warned about.
* ``stats [--json]`` — entries, responses, conflicts and stored bytes per function; sources.
* ``verify [--repair]`` — decode every entry and check it sits under the key its call has now,
  and (diskcache) that every value file belongs to an entry; exit 1 when an entry is corrupt
  or misplaced or a file is orphaned. ``--repair`` deletes those entries and files.
* ``delete --function NAME | --key KEY`` (repeatable) — delete every entry of a function (its
  name as the entry records it, spaces included), or the entry under an exact key.
* ``export FILE`` — every recorded response as plain JSONL (re-importable).
* ``copy [source overrides] --to [target overrides]`` — copy into another cache, e.g.
  ``orchestrl cache copy --to cache=redis``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from orchestrl import hookimpl
from orchestrl.commands import CommandTable
from orchestrl.config import compose
from orchestrl.errors import ConfigError
from orchestrl.plugins.cache.codec import CorruptEntryError, decode_record
from orchestrl.plugins.cache.copy import copy_cache
from orchestrl.plugins.cache.factory import open_cache
from orchestrl.plugins.cache.importers import export_jsonl, import_files
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.worlds.booking.data import EVAL_FILE, TRAIN_FILE

SUBCOMMANDS = ("import", "stats", "verify", "delete", "export", "copy")


def cache_command(argv: list[str]) -> int:
    """Dispatch ``orchestrl cache <subcommand> ...``."""
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    sub, rest = argv[0], argv[1:]
    if sub not in SUBCOMMANDS:
        raise ConfigError(f"unknown cache subcommand '{sub}'; available: {', '.join(SUBCOMMANDS)}")
    if sub == "copy":
        return _copy(rest)
    overrides, args = split_args(rest)
    cache = open_cache(compose(in_booking_world(overrides)))
    try:
        return {"import": _import, "stats": _stats, "verify": _verify, "delete": _delete,
                "export": _export}[sub](cache, args)
    finally:
        cache.close()


def split_args(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Separate Hydra overrides (``key=value``) from the subcommand's own arguments."""
    overrides = [a for a in argv if "=" in a and not a.startswith("-")]
    return overrides, [a for a in argv if a not in overrides]


def in_booking_world(overrides: list[str]) -> list[str]:
    """``overrides`` with ``world=booking`` first, unless they choose a world themselves."""
    if any(o.split("=", 1)[0].lstrip("+~") == "world" for o in overrides):
        return list(overrides)
    return ["world=booking", *overrides]


def _parser(prog: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=f"orchestrl cache {prog}", exit_on_error=False)


def _parse(parser: argparse.ArgumentParser, args: list[str]) -> argparse.Namespace:
    try:
        return parser.parse_args(args)
    except argparse.ArgumentError as exc:
        raise ConfigError(f"{parser.prog}: {exc}") from None


def _import(cache: ResponseCache, args: list[str]) -> int:
    parser = _parser("import")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--format", default="auto")
    parser.add_argument("--allow-unknown", action="store_true",
                        help="keep calls of tools the world's schemas do not know")
    ns = _parse(parser, args)
    sources: list[tuple[Path, str]] = []
    for raw in ns.paths:
        path = Path(raw)
        if path.is_dir():
            sources.extend((path / name, "booking") for name in (TRAIN_FILE, EVAL_FILE))
        else:
            sources.append((path, ns.format))
    reports = import_files(cache, sources, allow_unknown=ns.allow_unknown, progress=True)
    for r in reports:
        print(f"{r.path} ({r.format}): {r.recordings} responses read, {r.skipped} skipped "
              "(no response)")
        for warning in r.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    last = reports[-1]
    print(f"stored in one write: {last.keys_added} new entries, {last.responses_added} new "
          f"responses, {last.unchanged} already known")
    print(f"cache now holds {len(cache)} entries")
    return 0


def _stats(cache: ResponseCache, args: list[str]) -> int:
    parser = _parser("stats")
    parser.add_argument("--json", action="store_true")
    ns = _parse(parser, args)
    stats = cache.stats()
    if ns.json:
        print(json.dumps(stats.__dict__, indent=2))
        return 0
    print(f"{'function':<40} {'entries':>8} {'responses':>9} {'conflicts':>9} {'KiB':>9}")
    for name, row in stats.by_function.items():
        print(f"{name:<40} {row['entries']:>8} {row['responses']:>9} {row['conflicts']:>9} "
              f"{row['bytes'] / 1024:>9.1f}")
    print(f"{'total':<40} {stats.entries:>8} {stats.responses:>9} {stats.conflicts:>9} "
          f"{stats.stored_bytes / 1024:>9.1f}")
    print("provenance: " + (", ".join(f"{s} ({n})" for s, n in stats.sources.items()) or "-"))
    if stats.corrupt:
        print(f"corrupt entries: {len(stats.corrupt)} (run orchestrl cache verify)")
    return 0


def _verify(cache: ResponseCache, args: list[str]) -> int:
    parser = _parser("verify")
    parser.add_argument("--repair", action="store_true",
                        help="delete the entries and orphan files verify rejects")
    ns = _parse(parser, args)
    problems: list[str] = []
    rejected: list[str] = []
    checked = 0
    for key, raw in tqdm(cache.raw_items(), total=len(cache), desc="verifying",
                         unit=" entries", leave=False):
        checked += 1
        try:
            record = decode_record(key, raw)
            expected = cache.key(record["function"], record["arguments"], record.get("state"))
        except (CorruptEntryError, ValueError) as exc:
            problems.append(str(exc))
            rejected.append(key)
            continue
        if expected != key:
            problems.append(f"entry '{key[:80]}' belongs under '{expected[:80]}'")
            rejected.append(key)
    orphans = getattr(cache.backend, "orphan_files", lambda: [])()
    for problem in problems[:20]:
        print(f"problem: {problem}")
    if orphans:
        size = sum(path.stat().st_size for path in orphans)
        print(f"problem: {len(orphans)} value files ({size / 2**20:.1f} MiB) that no entry "
              f"references, e.g. {orphans[0]}")
    print(f"verified {checked} entries: {len(problems)} problems, {len(orphans)} orphan files")
    if not ns.repair:
        return 1 if problems or orphans else 0
    deleted = sum(cache.delete(key) for key in rejected)
    files, size = cache.backend.remove_orphan_files() if orphans else (0, 0)
    print(f"repaired: deleted {deleted} entries and {files} orphan files ({size / 2**20:.1f} MiB)")
    return 0


def _delete(cache: ResponseCache, args: list[str]) -> int:
    parser = _parser("delete")
    parser.add_argument("--function", action="append", default=[],
                        help="delete every entry of this function (repeatable)")
    parser.add_argument("--key", action="append", default=[],
                        help="delete the entry stored under this exact key (repeatable)")
    ns = _parse(parser, args)
    if not ns.function and not ns.key:
        raise ConfigError("cache delete needs --function NAME or --key KEY")
    prefixes = tuple(f"{name} " for name in ns.function)
    keys = [key for key in cache.backend.keys()  # noqa: SIM118 - a backend is not iterable
            if prefixes and key.startswith(prefixes)]
    missing = [key for key in ns.key if key not in cache]
    if missing:
        raise ConfigError(f"the cache has no entry under the key {missing[0][:120]!r}")
    deleted = sum(cache.delete(key) for key in dict.fromkeys([*keys, *ns.key]))
    print(f"deleted {deleted} entries; cache now holds {len(cache)} entries")
    return 0


def _export(cache: ResponseCache, args: list[str]) -> int:
    parser = _parser("export")
    parser.add_argument("file")
    ns = _parse(parser, args)
    lines = export_jsonl(cache, ns.file, progress=True)
    print(f"wrote {lines} responses of {len(cache)} entries to {ns.file}")
    return 0


def _copy(argv: list[str]) -> int:
    if "--to" not in argv:
        raise ConfigError("cache copy needs '--to' followed by the target's overrides, "
                          "e.g. --to cache=redis")
    cut = argv.index("--to")
    src_overrides, src_args = split_args(argv[:cut])
    dst_overrides, dst_args = split_args(argv[cut + 1:])
    if src_args or dst_args:
        raise ConfigError(f"cache copy takes only overrides, not {(src_args + dst_args)[0]!r}")
    source = open_cache(compose(in_booking_world(src_overrides)))
    target = open_cache(compose(in_booking_world(dst_overrides)))
    try:
        report = copy_cache(source, target, progress=True)
    finally:
        source.close()
        target.close()
    print(f"copied {report.copied} entries, merged {report.merged}, {report.unchanged} "
          f"already identical", file=sys.stdout)
    return 0


@hookimpl
def orchestrl_register_commands(commands: CommandTable) -> None:
    commands.add("cache", cache_command, help="import, inspect, verify, delete, export or "
                 "copy the response cache")
