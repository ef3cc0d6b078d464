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
