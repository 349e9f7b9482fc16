"""Each test folder collects on its own: `make soak` runs tests/reliability alone.

A test module that imports another folder's test module only works when pytest happened to
collect that folder first; shared helpers live in tests/*_kit.py instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = sorted(p.name for p in (ROOT / "tests").iterdir()
                 if p.is_dir() and any(p.glob("test_*.py")))


@pytest.mark.parametrize("folder", FOLDERS)
def test_folder_collects_alone(folder: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         f"tests/{folder}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "tests collected" in result.stdout or "test collected" in result.stdout
