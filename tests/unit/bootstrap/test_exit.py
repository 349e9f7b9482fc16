"""A command run as the process's own (``python -m guard_inbox``) ends at once, losing nothing:
its status, its output and its log lines (the interpreter's teardown is skipped)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GUARD_INBOX_", "OPENAI_")) and k not in ("REDIS_URL", "DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "guard_inbox", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=60, env=env)


def test_a_finished_command_keeps_its_status_output_and_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    listed = run(data, "codes")
    assert listed.returncode == 0, listed.stderr
    assert "No codes yet" in listed.stderr  # its sentence reached the pipe before the process ended
    refused = run(data, "accounts", "add", "--token-file", str(tmp_path / "missing.json"))
    assert refused.returncode == 1
    assert "does not exist" in refused.stderr
    log = (data / "logs" / "guard-inbox.log").read_text()
    assert log.count("Shut down: database") == 2  # the last lines were flushed, every time


def test_a_bad_command_line_still_exits_through_argparse(tmp_path: Path) -> None:
    bad = run(tmp_path / "data", "no-such-command")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
