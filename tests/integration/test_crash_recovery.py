"""kill -9 of a worker process mid-scan: the restarted worker finishes the job exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import JobState
from job_kit import final, mbox_account, wait_for
from mailgen import write_mbox


def start_worker(data_dir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    return subprocess.Popen(
        [sys.executable, "-m", "guard_inbox", "--data-dir", str(data_dir), "worker",
         "--concurrency", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def test_kill_9_mid_scan_then_restart_completes_without_loss_or_duplicates(
    core: Core, data_dir: Path, tmp_path: Path
) -> None:
    mbox = tmp_path / "large.mbox"
    expected = write_mbox(mbox, 6000, every_nth_without_code=7)
    account = mbox_account(core, mbox)
    assert core.broker.embedded  # this test process owns the embedded Redis; workers reuse it

    first = start_worker(data_dir)
    try:
        job = core.control.start_scan(account)
        running = wait_for(core, job.id, lambda j: j.scanned >= 200, timeout=60)
        assert running.state is JobState.IN_PROGRESS
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    killed_at = core.queries.job(job.id)
    assert killed_at.state is JobState.IN_PROGRESS and killed_at.scanned < 6000

    second = start_worker(data_dir)
    try:
        done = final(core, job.id, timeout=120)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert done.state is JobState.COMPLETED, done.error
    assert done.attempts == 2
    codes = [c.code for c in core.queries.codes()]
    assert len(codes) == len(set(codes))  # no duplicates
    assert set(codes) == expected  # none missing
    assert done.scanned == 6000
