"""Start-up stays light: a heavy library is imported only by the command that needs it (issue 11).

Each check runs a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from guard_inbox.paths import AppPaths
from guard_inbox.settings import Settings

# Each costs tenths of a second to import; ``import redis`` also imports ``redis.asyncio``.
HEAVY = ("googleapiclient", "openai", "PySide6", "redis.asyncio", "redis", "huey", "httplib2",
         "google.oauth2")
# What a command reading the database must still not touch: it needs no queue, model, Gmail or Qt.
NOT_FOR_READING = ("redis", "huey", "openai", "googleapiclient", "PySide6")

REPORT = """
import json, sys
print()
print("IMPORTED", json.dumps([name for name in {heavy!r} if name in sys.modules]))
"""


def heavy_modules_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; the HEAVY modules it left in ``sys.modules``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GUARD_INBOX_", "OPENAI_")) and k not in ("REDIS_URL", "DATABASE_URL")}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code) + REPORT.format(heavy=HEAVY)],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.rstrip().rpartition("\n")[2]
    assert last.startswith("IMPORTED "), result.stdout
    imported: list[str] = json.loads(last.removeprefix("IMPORTED "))
    return imported


def test_importing_the_cli_and_bootstrap_loads_no_heavy_library() -> None:
    assert heavy_modules_after("import guard_inbox.cli, guard_inbox.bootstrap") == []


@pytest.mark.parametrize("ai_enabled", [False, True], ids=["ai-off", "ai-on"])
def test_listing_codes_needs_neither_the_queue_nor_ai_gmail_or_qt(tmp_path: Path, ai_enabled: bool) -> None:
    paths = AppPaths(tmp_path / "data").ensure()
    settings = Settings(paths.settings_file, env={})
    settings.set("ai.enabled", ai_enabled)  # on, the model is still asked only during a scan
    settings.save()
    code = f"""
        from guard_inbox.bootstrap import main
        status = main(["--data-dir", {str(paths.data_dir)!r}, "codes", "--json"])
        assert status == 0, status
    """
    imported = heavy_modules_after(code)
    assert [name for name in imported if name in NOT_FOR_READING] == []
