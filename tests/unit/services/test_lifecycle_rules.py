"""JobLifecycle after a crash: which running jobs lost their worker and go back to PENDING.

A worker is gone when its process on this host no longer exists (at once), or when its
heartbeat is older than ``stale_after`` (any host). Time is the test's clock; the dead process
is a real one that has exited.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import pytest

from guard_inbox.domain.errors import ScanLost
from guard_inbox.domain.models import JobEvent, JobState
from guard_inbox.services.scan import Next
from guard_inbox.services.workers import new_worker_id
from job_core_kit import JobCore, job_core
from mailgen import write_mbox

OTHER_HOST = "other-host:7:bbbbbbbb"


def _dead_local_worker() -> str:
    """The id a worker of this host had, whose process has exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return f"{socket.gethostname()}:{process.pid}:deadbeef"


def _running(core: JobCore, account: int, worker: str) -> int:
    job = core.lifecycle.create(account, 100, "manual")
    assert core.lifecycle.claim(job.id, worker) is not None
    return job.id


def test_a_job_whose_local_worker_process_died_is_released_at_once(tmp_path: Path) -> None:
    with job_core(tmp_path) as core:
        dead = _dead_local_worker()
        job_id = _running(core, core.mbox_account(tmp_path / "m.mbox"), dead)

        released = core.lifecycle.orphans()  # its heartbeat is fresh: the process check decides

        assert [j.id for j in released] == [job_id]
        job = core.job(job_id)
        assert job.state is JobState.PENDING and job.worker_id == "" and job.attempts == 1
        assert job.error == f"Resumed after its worker ({dead}) stopped."
        assert core.log.states(job_id)[-1] is JobState.PENDING  # followers hear it


def test_a_worker_elsewhere_keeps_its_job_until_its_heartbeat_is_stale(tmp_path: Path) -> None:
    with job_core(tmp_path, stale_after=20.0) as core:
        job_id = _running(core, core.mbox_account(tmp_path / "m.mbox"), OTHER_HOST)

        core.clock.advance(15)
        assert core.lifecycle.orphans() == []
        core.jobs.heartbeat([job_id], OTHER_HOST)  # it is still at work
        core.clock.advance(15)
        assert core.lifecycle.orphans() == []  # 30 s after the claim, 15 s after the beat
        assert core.job(job_id).state is JobState.IN_PROGRESS

        core.clock.advance(5.01)
        assert [j.id for j in core.lifecycle.orphans()] == [job_id]
        assert core.job(job_id).state is JobState.PENDING


def test_a_heartbeat_from_another_worker_does_not_keep_the_job_alive(tmp_path: Path) -> None:
    with job_core(tmp_path, stale_after=20.0) as core:
        job_id = _running(core, core.mbox_account(tmp_path / "m.mbox"), OTHER_HOST)
        core.clock.advance(15)
        core.jobs.heartbeat([job_id], "third-host:9:cccccccc")
        core.clock.advance(6)
        assert [j.id for j in core.lifecycle.orphans()] == [job_id]


def test_this_process_is_never_taken_for_dead_only_for_stale(tmp_path: Path) -> None:
    with job_core(tmp_path, stale_after=20.0) as core:
        job_id = _running(core, core.mbox_account(tmp_path / "m.mbox"), new_worker_id())
        core.clock.advance(19.9)
        assert core.lifecycle.orphans() == []
        core.clock.advance(0.2)
        assert [j.id for j in core.lifecycle.orphans()] == [job_id]


def test_only_running_jobs_are_orphans(tmp_path: Path) -> None:
    with job_core(tmp_path) as core:
        account = core.mbox_account(tmp_path / "m.mbox")
        dead = _dead_local_worker()
        pending = core.lifecycle.create(account, 100, "manual").id
        finished = {}
        for state in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED):
            job_id = _running(core, account, dead)
            core.jobs.finish(job_id, state, "over")
            finished[job_id] = state
        core.clock.advance(3600)

        assert core.lifecycle.orphans() == []

        assert core.job(pending).state is JobState.PENDING and core.job(pending).error == ""
        assert {i: core.job(i).state for i in finished} == finished


def test_a_stalled_worker_cannot_write_once_another_took_its_job_over(tmp_path: Path) -> None:
    mbox = tmp_path / "m.mbox"
    write_mbox(mbox, 120)
    with job_core(tmp_path, stale_after=20.0) as core:
        job = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")
        taken: list[int] = []

        def stall_then_lose_the_job(event: JobEvent) -> None:
            if event.state is JobState.IN_PROGRESS and event.scanned >= 50 and not taken:
                core.clock.advance(21)  # this worker stalls past the heartbeat limit
                released = core.lifecycle.orphans()  # another worker's reconciliation
                taken.extend(j.id for j in released)
                assert core.lifecycle.claim(job.id, OTHER_HOST) is not None

        core.bus.add_listener(stall_then_lose_the_job)
        outcome = core.scans.run(job.id, new_worker_id(), threading.Event())

        assert taken == [job.id]
        assert outcome.action is Next.DONE  # stops without writing or requeueing
        now = core.job(job.id)
        assert (now.state, now.worker_id, now.attempts) == (JobState.IN_PROGRESS, OTHER_HOST, 2)
        assert now.scanned == 50  # the stalled worker's later messages were not recorded
        assert core.repository.count_codes() == 50


def test_progress_from_a_worker_that_lost_the_job_raises_scan_lost(tmp_path: Path) -> None:
    with job_core(tmp_path) as core:
        job_id = _running(core, core.mbox_account(tmp_path / "m.mbox"), OTHER_HOST)
        job = core.job(job_id)
        assert core.lifecycle.release(job_id, "paused", owner=OTHER_HOST) is not None
        with pytest.raises(ScanLost):
            core.lifecycle.progress(job, 10, 5, 0, 0)
        assert core.job(job_id).scanned == 0
