"""Crash recovery: JobControl.reconcile puts back in the queue what the queue lost.

Huey has no acknowledgements: a worker killed mid-task loses its message, and a broker that
lost its data loses the queue. The jobs table decides what runs again.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from fakes.flaky_share import FlakyShare
from guard_inbox.domain.models import JobEvent, JobState
from guard_inbox.services.scan import RetryPolicy
from job_core_kit import JobCore, job_core
from mailgen import write_mbox

OTHER_HOST = "other-host:7:bbbbbbbb"


class _Killed(BaseException):
    """Stands for kill -9: nothing in the scan catches it, nothing after it runs."""


def _dead_local_worker() -> str:
    process = subprocess.Popen(["true"])
    process.wait()
    return f"{socket.gethostname()}:{process.pid}:deadbeef"


def _killed_after_50(core: JobCore, job_id: int, worker: str) -> None:
    """Run the job as ``worker`` until its checkpoint at 50 messages, then kill it there."""

    def kill(event: JobEvent) -> None:
        if event.state is JobState.IN_PROGRESS and event.scanned >= 50:
            raise _Killed()

    core.bus.add_listener(kill)
    with pytest.raises(_Killed):
        core.scans.run(job_id, worker, threading.Event())
    core.bus.remove_listener(kill)


def test_a_job_killed_with_its_worker_is_queued_again_and_resumes_from_its_checkpoint(
    tmp_path: Path,
) -> None:
    codes = write_mbox(tmp_path / "m.mbox", 120)
    with job_core(tmp_path) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "m.mbox"))
        assert core.huey.dequeue() is not None  # the worker took the message, then died
        dead = _dead_local_worker()
        _killed_after_50(core, job.id, dead)
        assert (core.job(job.id).state, core.job(job.id).scanned) == (JobState.IN_PROGRESS, 50)

        assert core.control.reconcile() == [job.id]

        assert core.job(job.id).error == f"Resumed after its worker ({dead}) stopped."
        assert core.run_due() == [job.id]
        done = core.job(job.id)
        assert (done.state, done.attempts) == (JobState.COMPLETED, 2)
        assert (done.total, done.scanned, done.codes_found, done.codes_new) == (120, 120, 120, 120)
        assert {c.code for c in core.repository.list_codes()} == codes


def test_a_job_of_a_live_worker_elsewhere_is_left_alone_until_it_goes_quiet(
    tmp_path: Path,
) -> None:
    with job_core(tmp_path, stale_after=20.0) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "m.mbox"))
        core.huey.dequeue()
        assert core.lifecycle.claim(job.id, OTHER_HOST) is not None

        core.clock.advance(19)
        assert core.control.reconcile() == []
        assert core.job(job.id).state is JobState.IN_PROGRESS
        core.clock.advance(2)
        assert core.control.reconcile() == [job.id]
        assert core.queue.queued_job_ids() == {job.id}


def test_a_job_never_queued_is_queued_once_it_is_five_seconds_old(tmp_path: Path) -> None:
    write_mbox(tmp_path / "m.mbox", 3)
    with job_core(tmp_path) as core:
        # What start_scan leaves when the broker is down: the row, no message.
        job = core.lifecycle.create(core.mbox_account(tmp_path / "m.mbox"), 100, "manual")

        core.clock.advance(4.9)
        assert core.control.reconcile() == []  # start_scan may still be enqueueing it
        core.clock.advance(0.1)
        assert core.control.reconcile() == [job.id]
        assert core.control.reconcile() == []  # queued now: not twice

        assert core.run_due() == [job.id]
        assert core.job(job.id).state is JobState.COMPLETED


def test_a_job_still_in_the_queue_is_not_queued_twice(tmp_path: Path) -> None:
    with job_core(tmp_path) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "m.mbox"))
        core.clock.advance(600)
        assert core.control.reconcile() == []
        assert core.huey.pending_count() == 1 and core.queue.queued_job_ids() == {job.id}


def test_a_lost_retry_is_queued_again_for_its_remaining_delay(tmp_path: Path) -> None:
    with job_core(tmp_path, retry=RetryPolicy(attempts=3, base_seconds=20.0),
                  sources=FlakyShare()) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "share" / "m.mbox"))
        core.run_due()
        due = core.clock.naive() + timedelta(seconds=20)
        assert core.delayed() == [(job.id, due)]
        core.huey.storage.flush_schedule()  # the broker lost its data

        core.clock.advance(6)
        assert core.control.reconcile() == [job.id]

        core.run_due()  # the message moves to the schedule: its time has not come
        assert core.delayed() == [(job.id, due)]
        assert core.job(job.id).attempts == 1


def test_finished_jobs_are_never_queued_again(tmp_path: Path) -> None:
    write_mbox(tmp_path / "m.mbox", 2)
    with job_core(tmp_path, retry=RetryPolicy(attempts=0)) as core:
        done = core.control.start_scan(core.mbox_account(tmp_path / "m.mbox"))
        failed = core.control.start_scan(core.mbox_account(tmp_path / "gone" / "m.mbox"))
        cancelled = core.control.start_scan(core.mbox_account(tmp_path / "x.mbox"))
        core.control.cancel(cancelled.id)
        core.run_due()
        states = {core.job(j.id).state for j in (done, failed, cancelled)}
        assert states == {JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED}

        core.clock.advance(3600)
        assert core.control.reconcile() == []
        assert core.huey.pending_count() == 0


def test_a_job_cancelled_before_its_worker_died_ends_cancelled_without_scanning_more(
    tmp_path: Path,
) -> None:
    write_mbox(tmp_path / "m.mbox", 120)
    with job_core(tmp_path) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "m.mbox"))
        core.huey.dequeue()
        _killed_after_50(core, job.id, _dead_local_worker())
        core.control.cancel(job.id)  # the user cancels; nobody is left to see the flag

        assert core.control.reconcile() == [job.id]
        core.run_due()

        after = core.job(job.id)
        assert (after.state, after.scanned) == (JobState.CANCELLED, 50)
        assert after.error == "Cancelled by you after 50 of 120 messages."
        assert core.repository.count_codes() == 50
