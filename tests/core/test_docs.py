"""Every hook is documented: in its spec docstring and in CONTRIBUTING.md's hook list."""

import inspect
import re
from pathlib import Path

from orchestrl import hookspecs

REPO_ROOT = Path(__file__).resolve().parents[2]

HOOKS = [name for name, fn in vars(hookspecs).items() if name.startswith("orchestrl_")]


def test_there_is_one_registration_hook_per_kind():
    from orchestrl.registry import KINDS

    for kind in KINDS:
        assert f"orchestrl_register_{kind}" in HOOKS


def test_every_hook_has_a_contract_docstring():
    for name in HOOKS:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc.split()) >= 15, f"{name} needs a docstring stating its contract"
        assert "called" in doc.lower(), f"{name}'s docstring must say when it is called"


def test_every_hook_is_listed_in_contributing():
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text()
    listed = set(re.findall(r"^### `(orchestrl_\w+)", text, flags=re.M))
    assert listed == set(HOOKS)


def test_contributing_example_is_the_tested_fixture_plugin():
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text()
    example = (REPO_ROOT / "tests/fixtures/orchestrl-brevity/orchestrl_brevity/__init__.py")
    assert "tests/fixtures/orchestrl-brevity/orchestrl_brevity/__init__.py" in text
    body = example.read_text()
    assert "orchestrl_register_reward_term" in body
    code = body.split('"""\n', 1)[1].strip("\n")  # the file after its module docstring
    assert f"```python\n{code}\n```" in text, "CONTRIBUTING.md must quote the plugin verbatim"


def test_the_example_plugin_is_short_with_one_import_and_no_repeated_default():
    body = (REPO_ROOT / "tests/fixtures/orchestrl-brevity/orchestrl_brevity/__init__.py")
    code = body.read_text().split('"""\n', 1)[1]
    lines = [ln for ln in code.splitlines() if ln.strip() and not ln.strip().startswith('"""')]
    imports = [ln for ln in lines if ln.startswith(("import ", "from "))]
    assert len(lines) <= 20, f"{len(lines)} lines of code"
    assert imports == ["from orchestrl import Registry, RewardTerm, Task, Trajectory, hookimpl"]
    assert code.count("400") == 1, "the default of max_chars is written once"
