"""Import checks: names, unknown tools, mistyped calls, strict JSON, all-or-nothing imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrl.errors import DataError
from orchestrl.plugins.cache.importers import import_booking_dir, import_file
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import ResponseCache


def write(path: Path, *records: dict | str) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


GOOD = {"function": "Search_Car_Location", "arguments": {"query": "Zurich"}, "response": {}}


@pytest.fixture
def cache(schemas) -> ResponseCache:
    return ResponseCache(MemoryBackend(), schemas)


def test_a_name_that_is_no_tool_name_is_refused_with_file_and_line(tmp_path, cache):
    path = write(tmp_path / "a.jsonl", GOOD, {**GOOD, "function": "Search Hotel Destination"})
    with pytest.raises(DataError, match=r"a\.jsonl:2: 'Search Hotel Destination' is not a valid"):
        import_file(cache, path)
    assert len(cache) == 0


def test_unknown_tools_are_refused_unless_allowed_then_counted(tmp_path, cache):
    path = write(tmp_path / "a.jsonl", GOOD, {**GOOD, "function": "Ghost"},
                 {**GOOD, "function": "Ghost"})
    with pytest.raises(DataError, match=r"a\.jsonl:2: unknown tool 'Ghost'.*--allow-unknown"):
        import_file(cache, path)
    assert len(cache) == 0
    report = import_file(cache, path, allow_unknown=True)
    assert len(cache) == 2
    assert report.warnings == [f"{path}: 2 calls of tools the world does not know, kept: "
                               "Ghost (2)"]


def test_calls_that_break_their_schema_are_imported_with_a_counted_warning(tmp_path, cache):
    path = write(tmp_path / "a.jsonl", GOOD, {**GOOD, "arguments": {"query": 12}},
                 {**GOOD, "arguments": {"query": "x", "bogus": 1}})
    report = import_file(cache, path)
    assert len(cache) == 3
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith(f"{path}: 2 calls break their tool's schema (first: "
                                         f"{path}:2: parameter 'query'")


def test_the_real_traces_import_without_warnings(booking_dir, cache):
    assert all(r.warnings == [] for r in import_booking_dir(cache, booking_dir))


@pytest.mark.parametrize(("line", "reason"), [
    ('{"function": "Search_Car_Location", "arguments": {"query": "a", "query": "b"}, '
     '"response": {}}', "duplicate key 'query'"),
    ('{"function": "Search_Car_Location", "arguments": {}, "response": {"n": ' + "7" * 5000
     + "}}", "an integer has more than 4300 digits"),
])
def test_strict_json_names_file_and_line(tmp_path, cache, line, reason):
    path = write(tmp_path / "a.jsonl", GOOD, line)
    with pytest.raises(DataError, match=rf"a\.jsonl:2: {reason}"):
        import_file(cache, path)
    assert len(cache) == 0


def test_a_duplicate_key_in_a_trace_file_is_refused(tmp_path, booking_dir, cache):
    line = (booking_dir / "train_101.jsonl").read_text().splitlines()[3]
    doubled = line[:-1] + ', "z": 1, "z": 2}'
    path = write(tmp_path / "train_101.jsonl", line, doubled)
    with pytest.raises(DataError, match=r"train_101\.jsonl:2: duplicate key 'z'"):
        import_file(cache, path, "booking")


def test_a_directory_import_is_all_or_nothing(tmp_path, booking_dir, cache):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train_101.jsonl").write_bytes((booking_dir / "train_101.jsonl").read_bytes())
    text = (booking_dir / "eval_80.jsonl").read_bytes()
    (data / "eval_80.jsonl").write_bytes(text[: len(text) // 2])
    with pytest.raises(DataError, match=r"eval_80\.jsonl:\d+"):
        import_booking_dir(cache, data)
    assert len(cache) == 0
