"""Package layout: core/ -> orchestrl, plugins/ -> orchestrl.plugins, conf/ -> orchestrl.conf.

Metadata lives in pyproject.toml; this file only computes the package list, because the
mapped directories cannot be discovered by setuptools' automatic finder.
"""

from setuptools import find_namespace_packages, find_packages, setup

ROOTS = {"orchestrl": "core", "orchestrl.plugins": "plugins", "orchestrl.conf": "conf"}


def _packages() -> list[str]:
    packages = []
    for package, directory in ROOTS.items():
        finder = find_namespace_packages if package == "orchestrl.conf" else find_packages
        packages.append(package)
        packages += [f"{package}.{sub}" for sub in finder(directory)]
    return packages


setup(packages=_packages(), package_dir=ROOTS)
