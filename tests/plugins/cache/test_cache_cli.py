"""``orchestrl cache`` end to end on the real data, across backends."""

from __future__ import annotations

import json


def test_import_stats_verify_export_copy(run_cli, plugin_host, tmp_path, booking_dir, monkeypatch,
                                         redis_url):
    monkeypatch.setenv("ORCHESTRL_DATA_DIR", str(booking_dir))
    monkeypatch.setenv("ORCHESTRL_CACHE_DIR", str(tmp_path / "disk"))
    imported = run_cli("cache", "import", str(booking_dir))
    assert imported.exit_code == 0, imported.stderr
    assert "train_101.jsonl (booking)" in imported.stdout
    stats = run_cli("cache", "stats", "--json")
    data = json.loads(stats.stdout)
    assert data["entries"] > 400 and data["conflicts"] > 0
    assert set(data["sources"]) == {"train_101.jsonl", "eval_80.jsonl"}
    table = run_cli("cache", "stats").stdout
    assert "Search_Car_Location" in table and "provenance: train_101.jsonl" in table
    assert run_cli("cache", "verify").exit_code == 0
    export = tmp_path / "all.jsonl"
    assert run_cli("cache", "export", str(export)).exit_code == 0
    memory_stats = run_cli("cache", "import", str(export), "cache.directory=" + str(tmp_path / "b"))
    assert memory_stats.exit_code == 0
    again = json.loads(run_cli("cache", "stats", "--json", f"cache.directory={tmp_path / 'b'}"
                               ).stdout)
    assert (again["entries"], again["responses"], again["conflicts"]) == (
        data["entries"], data["responses"], data["conflicts"])
    copied = run_cli("cache", "copy", "--to", "cache=redis", f"cache.url={redis_url}",
                     "cache.namespace=cli")
    assert copied.exit_code == 0, copied.stderr
    assert f"copied {data['entries']} entries" in copied.stdout
    in_redis = json.loads(run_cli("cache", "stats", "--json", "cache=redis",
                                  f"cache.url={redis_url}", "cache.namespace=cli").stdout)
    assert in_redis["entries"] == data["entries"] and in_redis["conflicts"] == data["conflicts"]


def test_user_mistakes_are_one_line_errors(run_cli, plugin_host, tmp_path, booking_dir,
                                           monkeypatch):
    monkeypatch.setenv("ORCHESTRL_DATA_DIR", str(booking_dir))
    monkeypatch.setenv("ORCHESTRL_CACHE_DIR", str(tmp_path / "disk"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"function": "f", "arguments": {}, "response": 1}\n{"function": \n')
    for args, text in [
        (("cache", "import", str(bad)), "bad.jsonl:2: not valid JSON"),
        (("cache", "stats", "cache=nosuch"), "unknown"),
        (("cache", "frobnicate"), "unknown cache subcommand 'frobnicate'"),
        (("cache", "copy", "cache=memory"), "needs '--to'"),
    ]:
        result = run_cli(*args)
        assert result.exit_code != 0
        errors = [ln for ln in result.stderr.replace("\r", "\n").splitlines()
                  if ln.startswith("error:")]
        assert len(errors) == 1 and text in errors[0] and "Traceback" not in result.stderr
    run_cli("cache", "import", str(booking_dir / "eval_80.jsonl"))
    from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend

    backend = DiskCacheBackend(str(tmp_path / "disk"))
    key = next(backend.keys())
    backend.set(key, b"garbage")
    backend.close()
    verify = run_cli("cache", "verify")
    assert verify.exit_code == 1 and "1 problems" in verify.stdout


def _one_error(result) -> str:
    errors = [ln for ln in result.stderr.replace("\r", "\n").splitlines()
              if ln.startswith("error:")]
    assert result.exit_code != 0 and len(errors) == 1 and "Traceback" not in result.stderr
    return errors[0]


def test_poisoned_entries_are_deleted_by_function_key_or_repair(run_cli, plugin_host, tmp_path,
                                                                booking_dir, monkeypatch):
    """An entry whose function has a space (written before imports refused it) makes verify
    fail; delete and verify --repair remove what verify rejects."""
    from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend
    from orchestrl.plugins.cache.response_cache import ResponseCache

    monkeypatch.setenv("ORCHESTRL_DATA_DIR", str(booking_dir))
    monkeypatch.setenv("ORCHESTRL_CACHE_DIR", str(tmp_path / "disk"))
    assert run_cli("cache", "import", str(booking_dir / "eval_80.jsonl")).exit_code == 0
    cache = ResponseCache(DiskCacheBackend(str(tmp_path / "disk")))
    for query in ("Paris", "Rome", "Oslo"):
        cache.put("Search Hotel Destination", {"query": query}, {"data": []}, "old import")
    size = len(cache)
    cache.close()
    assert run_cli("cache", "verify").exit_code == 1
    deleted = run_cli("cache", "delete", "--function", "Search Hotel Destination")
    assert deleted.exit_code == 0 and "deleted 3 entries" in deleted.stdout
    assert run_cli("cache", "verify").exit_code == 0
    cache = ResponseCache(DiskCacheBackend(str(tmp_path / "disk")))
    cache.put("Search Hotel Destination", {"query": "Bern"}, {"data": []}, "old import")
    key = next(k for k in cache.backend.keys()  # noqa: SIM118 - a backend is not iterable
               if k.startswith("Search Hotel"))
    cache.put("Search Hotel Destination", {"query": "Kyiv"}, {"data": []}, "old import")
    cache.close()
    assert "deleted 1 entries" in run_cli("cache", "delete", "--key", key).stdout
    assert "no entry under the key" in _one_error(run_cli("cache", "delete", "--key", key))
    repaired = run_cli("cache", "verify", "--repair")
    assert repaired.exit_code == 0 and "deleted 1 entries" in repaired.stdout
    assert run_cli("cache", "verify").exit_code == 0
    assert json.loads(run_cli("cache", "stats", "--json").stdout)["entries"] == size - 3


def test_import_mistakes_are_one_line_errors_and_warnings(run_cli, plugin_host, tmp_path,
                                                          booking_dir, monkeypatch):
    monkeypatch.setenv("ORCHESTRL_DATA_DIR", str(booking_dir))
    monkeypatch.setenv("ORCHESTRL_CACHE_DIR", str(tmp_path / "disk"))
    good = {"function": "Search_Car_Location", "arguments": {"query": "Zurich"}, "response": {}}
    huge = tmp_path / "huge.jsonl"
    huge.write_text(json.dumps(good) + '\n{"function": "Search_Car_Location", "arguments": {}, '
                    '"response": {"n": ' + "7" * 5000 + "}}\n")
    assert "huge.jsonl:2: an integer has more than 4300 digits" in _one_error(
        run_cli("cache", "import", str(huge)))
    ghost = tmp_path / "ghost.jsonl"
    ghost.write_text(json.dumps({**good, "function": "Ghost"}) + "\n")
    both = run_cli("cache", "import", str(huge.with_name("ok.jsonl")), str(ghost))
    assert "does not exist" in _one_error(both)
    assert "ghost.jsonl:1: unknown tool 'Ghost'" in _one_error(run_cli("cache", "import",
                                                                      str(ghost)))
    kept = run_cli("cache", "import", str(ghost), "--allow-unknown")
    assert kept.exit_code == 0
    assert "warning: " in kept.stderr and "Ghost (1)" in kept.stderr
    assert "cache now holds 1 entries" in kept.stdout
