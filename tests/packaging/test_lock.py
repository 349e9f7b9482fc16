"""What runs is what uv.lock says: every installed distribution is a locked name and version."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "uv.lock"
# Installed into every venv by the venv module itself, not by the lock.
NOT_FROM_THE_LOCK = {"pip", "setuptools"} if sys.prefix == sys.base_prefix else {"pip"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for package in tomllib.loads(LOCK.read_text(encoding="utf-8"))["package"]:
        versions.setdefault(normalise(package["name"]), set()).add(str(package.get("version")))
    return versions


def test_every_installed_distribution_is_the_locked_version() -> None:
    if sys.prefix == sys.base_prefix:
        pytest.skip("not running in a virtual environment made from the lock")
    lock = locked()
    strays = []
    for dist in metadata.distributions():
        name = normalise(dist.metadata["Name"])
        if name in NOT_FROM_THE_LOCK:
            continue
        if dist.version not in lock.get(name, set()):
            strays.append(f"{name}=={dist.version} (lock: {sorted(lock.get(name, set())) or 'absent'})")
    assert not strays, "installed but not as locked (run `make venv`): " + ", ".join(strays)


def test_the_lock_covers_the_dev_and_packaging_extras() -> None:
    lock = locked()
    for needed in ("pytest", "pytest-qt", "mypy", "ruff", "import-linter", "pyinstaller",
                   "pyside6-essentials", "huey", "redis", "peewee", "openai"):
        assert needed in lock, needed
