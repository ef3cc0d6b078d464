"""The wheel maps core/ -> orchestrl, plugins/ -> orchestrl.plugins, conf/ -> orchestrl.conf."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(REPO_ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (path,) = out.glob("orchestrl-*.whl")
    return zipfile.ZipFile(path)


def test_every_conf_group_is_packaged(wheel):
    names = set(wheel.namelist())
    conf = REPO_ROOT / "conf"
    shipped = sorted(p.relative_to(conf) for p in conf.rglob("*.yaml"))
    assert shipped, "conf/ has no yaml files"
    for relative in shipped:
        assert f"orchestrl/conf/{relative.as_posix()}" in names


def test_source_dirs_are_not_top_level_packages(wheel):
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert "core" not in tops and "plugins" not in tops and "conf" not in tops
    assert "orchestrl/api.py" in wheel.namelist()
    assert "orchestrl/plugins/rewards/format_validity.py" in wheel.namelist()


def test_installed_package_is_importable_but_source_dirs_are_not(tmp_path):
    code = (
        "import importlib.util, orchestrl.plugins, orchestrl.conf\n"
        "assert importlib.util.find_spec('core') is None\n"
        "assert importlib.util.find_spec('plugins') is None\n"
        "print(orchestrl.plugins.__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
