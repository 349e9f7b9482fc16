"""Local scans read in processes: newest first, every code once, cancel, pause/resume, a dead
reading process, and a pool that cannot start. Real files, real SQLite, real processes."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guard_inbox.domain.models import JobEvent, JobState
from guard_inbox.services.reading_pool import ReadingPool
from guard_inbox.services.scan import Next
from job_core_kit import job_core
from mailgen import promo_code, write_mbox

WORKER = "test-host:1:aaaaaaaa"


@pytest.fixture(scope="module")
def reading() -> Iterator[ReadingPool]:
    pool = ReadingPool(2)
    assert pool.start()
    yield pool
    pool.close()


def _in_progress(events: list[JobEvent]) -> list[JobEvent]:
    return [e for e in events if e.state is JobState.IN_PROGRESS]


def test_a_pooled_scan_stores_the_newest_mail_first_and_every_code_once(
    tmp_path: Path, reading: ReadingPool
) -> None:
    mbox = tmp_path / "m.mbox"
    codes = write_mbox(mbox, 500, every_nth_without_code=5)
    with job_core(tmp_path, reading=reading) as core:
        account = core.mbox_account(mbox)
        job = core.lifecycle.create(account, 100, "manual")

        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE

        done = core.job(job.id)
        assert done.state is JobState.COMPLETED
        assert (done.total, done.scanned, done.codes_found) == (500, 500, len(codes))
        assert {c.code for c in core.repository.list_codes()} == codes
        progress = _in_progress(core.log.for_job(job.id))
        first_stored = next(e for e in progress if e.scanned)
        assert first_stored.total == 0  # still reading: no total, so no fake percentage
        assert first_stored.scanned == 8  # the first small chunk, stored on its own
        assert progress[-1].total == 500


def test_the_first_chunk_is_the_end_of_the_file(tmp_path: Path, reading: ReadingPool) -> None:
    mbox = tmp_path / "m.mbox"
    write_mbox(mbox, 200)
    with job_core(tmp_path, reading=reading) as core:
        account = core.mbox_account(mbox)
        job = core.lifecycle.create(account, 100, "manual")
        stored_first: list[set[str]] = []

        def first_checkpoint(event: JobEvent) -> None:
            if event.state is JobState.IN_PROGRESS and event.scanned and not stored_first:
                stored_first.append({c.code for c in core.repository.list_codes()})

        core.bus.add_listener(first_checkpoint)
        core.scans.run(job.id, WORKER, threading.Event())

        assert stored_first == [{promo_code(i) for i in range(192, 200)}]


def test_a_cancel_stops_a_pooled_scan_and_keeps_what_was_stored(
    tmp_path: Path, reading: ReadingPool
) -> None:
    mbox = tmp_path / "m.mbox"
    write_mbox(mbox, 2000)
    with job_core(tmp_path, reading=reading) as core:
        job = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")

        def cancel_at_once(event: JobEvent) -> None:
            if event.state is JobState.IN_PROGRESS and event.scanned:
                core.lifecycle.request_cancel(event.job_id)

        core.bus.add_listener(cancel_at_once)
        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE

        cancelled = core.job(job.id)
        assert cancelled.state is JobState.CANCELLED
        assert 0 < cancelled.scanned < 2000
        assert cancelled.error == f"Cancelled by you after {cancelled.scanned} messages."
        assert core.repository.count_codes() == cancelled.scanned


def test_a_paused_pooled_scan_resumes_from_its_checkpoint(tmp_path: Path, reading: ReadingPool) -> None:
    mbox = tmp_path / "m.mbox"
    codes = write_mbox(mbox, 1000)
    with job_core(tmp_path, reading=reading) as core:
        job = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")
        stopping = threading.Event()

        def quit_after_100(event: JobEvent) -> None:
            if event.state is JobState.IN_PROGRESS and event.scanned >= 100:
                stopping.set()

        core.bus.add_listener(quit_after_100)
        assert core.scans.run(job.id, WORKER, stopping).action is Next.REQUEUE
        paused = core.job(job.id)
        assert paused.state is JobState.PENDING and 100 <= paused.scanned < 1000

        core.bus.remove_listener(quit_after_100)
        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE
        done = core.job(job.id)
        assert (done.state, done.scanned, done.total) == (JobState.COMPLETED, 1000, 1000)
        assert done.codes_new == 1000
        assert {c.code for c in core.repository.list_codes()} == codes


def test_a_reading_process_killed_mid_scan_costs_no_message(tmp_path: Path) -> None:
    mbox = tmp_path / "m.mbox"
    codes = write_mbox(mbox, 1500)
    pool = ReadingPool(2)
    try:
        with job_core(tmp_path, reading=pool) as core:
            job = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")
            killed: list[int] = []

            def kill_a_reader(event: JobEvent) -> None:
                if event.state is JobState.IN_PROGRESS and event.scanned and not killed:
                    killed.extend(pool.process_ids()[:1])
                    os.kill(killed[0], signal.SIGKILL)

            core.bus.add_listener(kill_a_reader)
            assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE

            assert killed
            done = core.job(job.id)
            assert (done.state, done.scanned) == (JobState.COMPLETED, 1500)
            assert {c.code for c in core.repository.list_codes()} == codes
            assert killed[0] not in pool.process_ids()  # a fresh pool took over
    finally:
        pool.close()


def test_without_reading_processes_the_scan_reads_in_its_thread(tmp_path: Path) -> None:
    mbox = tmp_path / "m.mbox"
    codes = write_mbox(mbox, 120)
    off = ReadingPool(0)
    assert not off.start()
    with job_core(tmp_path, reading=off) as core:
        job = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")
        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE
        assert [e.total for e in _in_progress(core.log.for_job(job.id))][1:] == [120] * 4
        assert {c.code for c in core.repository.list_codes()} == codes


_ORPHAN_CHECK = """
import sys, time
from guard_inbox.services.reading_pool import ReadingPool
pool = ReadingPool(2)
assert pool.start()
futures = [pool.submit([]) for _ in range(4)]
[f.result() for f in futures]
print(" ".join(map(str, pool.process_ids())), flush=True)
time.sleep(60)
"""


def test_reading_processes_die_when_the_app_is_killed(tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", _ORPHAN_CHECK], stdout=subprocess.PIPE,
                          text=True) as app:
        assert app.stdout is not None
        children = [int(pid) for pid in app.stdout.readline().split()]
        assert children and all(_alive(pid) for pid in children)
        app.send_signal(signal.SIGKILL)
        app.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in children if _alive(pid)]


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_idle_reading_processes_stop_and_the_next_scan_starts_them_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="guard_inbox.jobs")
    mbox = tmp_path / "m.mbox"
    codes = write_mbox(mbox, 60)
    pool = ReadingPool(1, idle_seconds=0.2)
    try:
        with job_core(tmp_path, reading=pool) as core:
            first = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")
            assert core.scans.run(first.id, WORKER, threading.Event()).action is Next.DONE
            deadline = time.monotonic() + 10
            while pool.process_ids() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert pool.process_ids() == []  # idle: the memory is given back

            write_mbox(mbox, 80)  # 20 more messages
            second = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")
            assert core.scans.run(second.id, WORKER, threading.Event()).action is Next.DONE
            assert core.job(second.id).scanned == 20
            assert len(codes) == 60 and core.repository.count_codes() == 80
        started = [r for r in caplog.records if r.getMessage().startswith("Reading processes started")]
        assert len(started) == 2
    finally:
        pool.close()
