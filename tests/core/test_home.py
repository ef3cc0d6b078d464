"""One home for everything orchestrl writes: cache, artifacts, converted models, BFCL's root."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrl import home


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("ORCHESTRL_HOME", "ORCHESTRL_CACHE_DIR", "BFCL_PROJECT_ROOT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_every_location_follows_orchestrl_home(clean_env, compose_config, tmp_path):
    clean_env.setenv("ORCHESTRL_HOME", str(tmp_path / "h"))
    cfg = compose_config()
    assert cfg.cache.directory == str(tmp_path / "h" / "cache")
    assert cfg.run.artifacts == str(tmp_path / "h" / "artifacts")
    from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend
    from orchestrl.plugins.policies.model_files import model_cache_dir
    from orchestrl.plugins.worlds.bfcl.package import ensure_project_root

    assert model_cache_dir() == tmp_path / "h" / "models"
    assert ensure_project_root() == tmp_path / "h" / "bfcl"
    backend = DiskCacheBackend()
    assert backend.directory == tmp_path / "h" / "cache"
    backend.close()


def test_the_cache_variable_moves_only_the_cache(clean_env, compose_config, tmp_path):
    clean_env.setenv("ORCHESTRL_HOME", str(tmp_path / "h"))
    clean_env.setenv("ORCHESTRL_CACHE_DIR", str(tmp_path / "c"))
    cfg = compose_config()
    assert (cfg.cache.directory, cfg.run.artifacts) == (str(tmp_path / "c"),
                                                        str(tmp_path / "h" / "artifacts"))


def test_defaults_sit_under_dot_orchestrl(clean_env):
    assert home.cache_dir() == Path(".orchestrl/cache")
    assert home.artifacts_dir() == Path(".orchestrl/artifacts")
    assert home.models_dir() == Path(".orchestrl/models")
    assert home.bfcl_root() == Path(".orchestrl/bfcl").absolute()


def test_cache_import_writes_under_the_home(clean_env, run_cli, plugin_host, tmp_path,
                                            booking_dir):
    clean_env.setenv("ORCHESTRL_HOME", str(tmp_path / "h"))
    clean_env.setenv("ORCHESTRL_DATA_DIR", str(booking_dir))
    assert run_cli("cache", "import", str(booking_dir / "eval_80.jsonl")).exit_code == 0
    assert (tmp_path / "h" / "cache" / "cache.db").is_file()


def test_readme_lists_every_variable():
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = text[text.index("## Where orchestrl writes"):]
    for name in ("ORCHESTRL_HOME", "ORCHESTRL_CACHE_DIR", "BFCL_PROJECT_ROOT",
                 "ORCHESTRL_OUTPUT_DIR", "ORCHESTRL_DATA_DIR"):
        assert name in section


def test_every_spelling_of_the_data_dir_is_one_absolute_path(monkeypatch, tmp_path):
    """Stage keys hash the config, so ``ORCHESTRL_DATA_DIR=../data`` and its absolute spelling
    must compose to the same value."""
    from orchestrl.config import compose

    (tmp_path / "data").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    values = []
    for spelling in ("../data", str(tmp_path / "data"), str(tmp_path / "work" / ".." / "data")):
        monkeypatch.setenv("ORCHESTRL_DATA_DIR", spelling)
        values.append(compose([]).data_dir)
    assert values == [str(tmp_path / "data")] * 3
