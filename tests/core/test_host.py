import subprocess
import sys
import textwrap

import pytest

from orchestrl.errors import PluginError
from orchestrl.host import BUILTIN_PLUGINS

BROKEN_PLUGIN = """
import orchestrl

@orchestrl.hookimpl
def orchestrl_register_reward_term(registry):
    raise RuntimeError("boom while registering")
"""

MISSPELLED_PLUGIN = """
import orchestrl

@orchestrl.hookimpl
def orchestrl_register_rewrd_term(registry):
    pass
"""


def make_distribution(root, name, module_source, entry_point="broken"):
    """A real installed distribution (module + dist-info with an entry point) under ``root``."""
    (root / f"{name}.py").write_text(textwrap.dedent(module_source))
    info = root / f"{name}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[orchestrl]\n{entry_point} = {name}\n")


def test_builtins_register_through_the_public_hooks(plugin_host):
    names = [info.name for info in plugin_host.plugins()]
    assert names[: len(BUILTIN_PLUGINS)] == list(BUILTIN_PLUGINS)
    assert "format" in plugin_host.registry("reward_term")
    info = next(i for i in plugin_host.plugins() if i.components.get("reward_term"))
    assert "orchestrl_register_reward_term" in info.hooks


def test_a_builtin_can_be_blocked(plugin_host_factory):
    host = plugin_host_factory(blocked=["orchestrl.plugins.rewards.format_validity"])
    assert "format" not in host.registry("reward_term")


def test_registration_error_names_the_plugin(plugin_host_factory, tmp_path, monkeypatch):
    (tmp_path / "broken_builtin.py").write_text(textwrap.dedent(BROKEN_PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match="'broken_builtin'.*boom while registering"):
        plugin_host_factory(builtins=["broken_builtin"])


def test_misspelled_hook_fails_loudly(plugin_host_factory, tmp_path, monkeypatch):
    (tmp_path / "misspelled.py").write_text(textwrap.dedent(MISSPELLED_PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match="'misspelled'.*orchestrl_register_rewrd_term"):
        plugin_host_factory(builtins=["misspelled"])


def run_orchestrl(args, tmp_path, **env):
    environ = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "HOME": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "orchestrl.cli", *args],
        capture_output=True, text=True, cwd=tmp_path, env=environ, timeout=120,
    )


def test_entry_point_plugin_error_is_one_line_naming_plugin_and_distribution(tmp_path):
    make_distribution(tmp_path, "broken_dist", BROKEN_PLUGIN)
    result = run_orchestrl(["plugins"], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "plugin 'broken' (broken_dist 1.2.3)" in lines[0]
    assert "boom while registering" in lines[0]


def test_autoload_switch_and_block_switch(tmp_path):
    make_distribution(tmp_path, "broken_dist", BROKEN_PLUGIN)
    off = run_orchestrl(["plugins"], tmp_path, ORCHESTRL_DISABLE_PLUGIN_AUTOLOAD="1")
    assert off.returncode == 0
    blocked = run_orchestrl(["plugins"], tmp_path, ORCHESTRL_BLOCK_PLUGINS="other,broken")
    assert blocked.returncode == 0, blocked.stderr
    assert "broken" not in blocked.stdout
