"""The wheel holds every package: pyproject lists them by hand because of the top-level layout."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _package_dirs() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set()
    for package, directory in config["package-dir"].items():
        base = ROOT / directory
        prefix = package or ""
        for init in base.rglob("__init__.py"):
            relative = init.parent.relative_to(base).parts
            if prefix:
                found.add(".".join((prefix, *relative)))
            elif relative:
                found.add(".".join(relative))
    return {name for name in found if name.startswith("codecrucible") and "egg-info" not in name}


def test_every_package_directory_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(config["packages"]) == _package_dirs()
