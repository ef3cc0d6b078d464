def test_plugins_lists_builtins_with_hooks_and_components(plugin_host, run_cli):
    result = run_cli("plugins")
    assert result.exit_code == 0
    assert "orchestrl.plugins.rewards.format_validity (orchestrl " in result.stdout
    assert "reward_term: format" in result.stdout


def test_unknown_command_lists_commands(plugin_host, run_cli):
    result = run_cli("trian")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: unknown command 'trian'; available: ")
    assert "config" in result.stderr and "plugins" in result.stderr


def test_config_command_applies_overrides(plugin_host, run_cli):
    result = run_cli("config", "seed=7", "reward.terms.format.weight=0.5")
    assert result.exit_code == 0, result.stderr
    assert "seed: 7" in result.stdout and "weight: 0.5" in result.stdout


def test_bad_overrides_are_one_line_errors(plugin_host, run_cli):
    cases = {
        ("reward=nope",): "unknown reward 'nope'; available:",
        ("reward.terms.format.weight=heavy",): "could not be converted to float",
        ("no_such_key=1",): "'no_such_key'",
        ("seed=[",): "no viable alternative",
        ("-m", "seed=1,2", "reward=graduate"): "unknown reward 'graduate'",
    }
    for args, expected in cases.items():
        result = run_cli("config", *args)
        assert result.exit_code == 2, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert expected in result.stderr.lower(), result.stderr
        assert "Traceback" not in result.stderr


def test_multirun_runs_each_job(plugin_host, run_cli):
    result = run_cli("config", "-m", "seed=3,4")
    assert result.exit_code == 0, result.stderr
    assert "seed: 3" in result.stdout and "seed: 4" in result.stdout


def test_help_lists_commands(plugin_host, run_cli):
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "config" in result.stdout and "plugins" in result.stdout


def test_plugins_rejects_unknown_options(plugin_host, run_cli):
    result = run_cli("plugins", "--bogus")
    assert result.exit_code == 2 and "takes only --json, not '--bogus'" in result.stderr
