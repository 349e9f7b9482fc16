"""`pip install .` gets everything the app needs at run time, including resources/."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The uv the Makefile bootstraps (the locked venv has no pip); any uv on PATH otherwise.
UV = ROOT / ".tools" / "bin" / "uv"


def test_wheel_carries_resources_and_both_entry_points(tmp_path: Path) -> None:
    uv = str(UV) if UV.exists() else shutil.which("uv")
    if uv is None:
        pytest.skip("uv missing (`make test` bootstraps it into .tools/)")
    # The same PEP 517 build `pip install .` runs, with the build backend pinned as in pyproject.
    result = subprocess.run(
        [uv, "build", "--quiet", "--wheel", "--out-dir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=280,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("guard_inbox-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(entry_points).decode())

    resources = "guard_inbox/_resources/"
    for icon in (ROOT / "resources" / "icons").glob("*.svg"):
        assert f"{resources}icons/{icon.name}" in names
    assert f"{resources}demo/demo.mbox" in names
    assert f"{resources}hicolor/256x256/apps/guard-inbox.png" in names
    assert f"{resources}demo/make_demo.py" not in names  # a build script, not a resource
    assert "guard_inbox/py.typed" in names and "guard_inbox/__main__.py" in names
    assert parser["console_scripts"]["guard-inbox"] == "guard_inbox.bootstrap:main"
    assert parser["gui_scripts"]["guard-inbox-gui"] == "guard_inbox.bootstrap:gui_main"
