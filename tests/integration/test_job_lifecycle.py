"""Job lifecycle on a real embedded Redis, a real SQLite file and the real consumer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from fakes.flaky_share import FlakyShare
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import JobEvent, JobState, Priority
from job_kit import final, mbox_account, wait_for
from mailgen import write_mbox


class EventLog:
    """Records every event the core publishes (they come from worker threads)."""

    def __init__(self, core: Core) -> None:
        self.events: list[tuple[float, JobEvent]] = []
        self._lock = threading.Lock()
        core.events.add_listener(self._record)

    def _record(self, event: JobEvent) -> None:
        with self._lock:
            self.events.append((time.monotonic(), event))

    def for_job(self, job_id: int) -> list[tuple[float, JobEvent]]:
        with self._lock:
            return [(t, e) for t, e in self.events if e.job_id == job_id]

    def states(self, job_id: int) -> list[JobState]:
        states: list[JobState] = []
        for _, event in self.for_job(job_id):
            if not states or states[-1] is not event.state:
                states.append(event.state)
        return states


def test_scan_moves_through_every_state_and_stores_codes(core: Core, tmp_path: Path) -> None:
    mbox = tmp_path / "promo.mbox"
    expected = write_mbox(mbox, 300, every_nth_without_code=10)
    account = mbox_account(core, mbox)
    log = EventLog(core)
    core.start_workers(2)

    started = time.monotonic()
    job = core.control.start_scan(account)
    enqueue_seconds = time.monotonic() - started
    assert job.state is JobState.PENDING
    assert core.queries.job(job.id).state in (JobState.PENDING, JobState.IN_PROGRESS)
    assert enqueue_seconds < 2.0  # returns at once; real latency lives in benchmarks/queue.py

    done = final(core, job.id)
    assert done.state is JobState.COMPLETED, done.error
    assert (done.total, done.scanned, done.codes_found, done.codes_new) == (300, 300, 270, 270)
    assert log.states(job.id) == [JobState.PENDING, JobState.IN_PROGRESS, JobState.COMPLETED]
    progress = [e for _, e in log.for_job(job.id) if e.state is JobState.IN_PROGRESS]
    assert len(progress) >= 300 // 50  # at least every 50 messages
    assert [e.scanned for e in progress] == sorted(e.scanned for e in progress)
    assert {c.code for c in core.queries.codes()} == expected

    again = final(core, core.control.start_scan(account).id)
    assert again.state is JobState.COMPLETED
    assert (again.scanned, again.codes_new) == (0, 0)
    assert core.queries.code_count() == len(expected)


def test_new_mail_in_a_mailbox_is_all_a_rescan_reads(core: Core, tmp_path: Path) -> None:
    mbox = tmp_path / "grow.mbox"
    first = write_mbox(mbox, 20)
    account = mbox_account(core, mbox)
    core.start_workers(1)
    assert final(core, core.control.start_scan(account).id).codes_new == len(first)
    second = write_mbox(mbox, 5, start=20)
    job = final(core, core.control.start_scan(account).id)
    assert (job.scanned, job.codes_new) == (5, 5)
    assert {c.code for c in core.queries.codes()} == first | second


def test_transient_errors_retry_with_exponential_backoff(
    make_core: Callable[..., Core], tmp_path: Path
) -> None:
    core = make_core(scan__retry_attempts=3, scan__retry_backoff_base=1.0,
                     scan__retry_backoff_factor=2.0, sources=FlakyShare())
    account = mbox_account(core, tmp_path / "share" / "mail.mbox")
    log = EventLog(core)
    core.start_workers(1)

    job = final(core, core.control.start_scan(account).id, timeout=30)

    assert job.state is JobState.FAILED
    assert job.attempts == 4  # the first try and 3 retries
    assert "Host is down" in job.error and "gave up after 4 attempts" in job.error
    events = log.for_job(job.id)
    retries = [(t, e) for t, e in events if e.state is JobState.PENDING and e.error]
    assert [e.error.split(":")[0] for _, e in retries] == [
        "Retrying in 1 s", "Retrying in 2 s", "Retrying in 4 s"]
    # From each failure (the job is released with its retry time) to the next start: the delay
    # itself, then up to one 1 s scheduler tick and the hand-off to the worker. Timed from the
    # failure, not from the previous start, so a slow attempt does not widen the window; a
    # backoff that does not double (say a flat 4 s) falls outside it.
    starts = [t for t, e in events if e.state is JobState.IN_PROGRESS]
    gaps = [start - failed for (failed, _), start in zip(retries, starts[1:], strict=True)]
    for gap, wanted in zip(gaps, (1.0, 2.0, 4.0), strict=True):
        assert wanted - 0.1 <= gap <= wanted + 1.5, gaps


def test_a_retry_succeeds_once_the_share_is_back(
    make_core: Callable[..., Core], tmp_path: Path
) -> None:
    share = FlakyShare()
    core = make_core(scan__retry_backoff_base=3.0, sources=share)  # time to look before retrying
    mbox = tmp_path / "mail.mbox"
    expected = write_mbox(mbox, 12)
    account = mbox_account(core, mbox)
    core.start_workers(1)
    job = core.control.start_scan(account)
    waiting = wait_for(core, job.id, lambda j: j.attempts == 1 and j.state is JobState.PENDING)
    assert waiting.error.startswith("Retrying in 3 s:")
    assert core.control.stats().delayed == 1
    share.back()
    done = final(core, job.id)
    assert done.state is JobState.COMPLETED and done.attempts == 2
    assert {c.code for c in core.queries.codes()} == expected


def test_permanent_errors_fail_after_one_attempt(
    make_core: Callable[..., Core], tmp_path: Path
) -> None:
    core = make_core(scan__retry_backoff_base=0.0)  # a retry, if any, would come at once
    not_mail = tmp_path / "notes.txt"
    not_mail.write_text("shopping list: milk, eggs\n")
    account = mbox_account(core, not_mail)
    log = EventLog(core)
    core.start_workers(1)
    job = final(core, core.control.start_scan(account).id)
    assert job.state is JobState.FAILED
    assert job.attempts == 1
    assert "is not an mbox file or a folder of .eml files" in job.error
    time.sleep(1.5)  # a retry would have started by now (scheduler tick is 1 s)
    assert core.queries.job(job.id).attempts == 1
    assert log.states(job.id) == [JobState.PENDING, JobState.IN_PROGRESS, JobState.FAILED]


def test_manual_scans_outrank_scheduled_ones(core: Core, tmp_path: Path) -> None:
    accounts = []
    for name in ("a", "b", "c", "d"):
        path = tmp_path / f"{name}.mbox"
        write_mbox(path, 3)
        accounts.append(mbox_account(core, path))
    control = core.control
    background = [control.start_scan(a, Priority.LOW, "scheduled") for a in accounts[:3]]
    manual = control.start_scan(accounts[3], Priority.HIGH)
    core.start_workers(1)  # one thread: the queue order is the run order
    jobs = [final(core, j.id) for j in [*background, manual]]
    order = sorted(jobs, key=lambda j: j.started_at)
    assert order[0].id == manual.id
    assert [j.id for j in order[1:]] == [j.id for j in background]  # FIFO within a priority


def test_cancel_a_pending_job_never_runs_it(core: Core, tmp_path: Path) -> None:
    mbox = tmp_path / "m.mbox"
    write_mbox(mbox, 5)
    job = core.control.start_scan(mbox_account(core, mbox))
    cancelled = core.control.cancel(job.id)
    assert cancelled is not None and cancelled.state is JobState.CANCELLED
    core.start_workers(1)
    time.sleep(1.0)
    after = core.queries.job(job.id)
    assert after.state is JobState.CANCELLED and after.attempts == 0
    assert core.queries.code_count() == 0


def test_cancel_a_running_job_stops_it_at_the_next_checkpoint(
    core: Core, tmp_path: Path
) -> None:
    mbox = tmp_path / "big.mbox"
    write_mbox(mbox, 6000)
    core.start_workers(1)
    job = core.control.start_scan(mbox_account(core, mbox))
    wait_for(core, job.id, lambda j: j.scanned > 0)
    core.control.cancel(job.id)
    done = final(core, job.id)
    assert done.state is JobState.CANCELLED
    assert 0 < done.scanned < 6000
    assert "Cancelled by you" in done.error
    assert core.queries.code_count() == done.codes_found  # what was checkpointed stays


def test_one_running_scan_per_account(core: Core, tmp_path: Path) -> None:
    mbox = tmp_path / "shared.mbox"
    write_mbox(mbox, 1500)
    account = mbox_account(core, mbox)
    other = tmp_path / "other.mbox"
    write_mbox(other, 300)
    core.start_workers(3)
    first = core.control.start_scan(account)
    second = core.control.start_scan(account)
    third = core.control.start_scan(mbox_account(core, other))
    jobs = {j.id: final(core, j.id) for j in (first, second, third)}
    a, b = sorted((jobs[first.id], jobs[second.id]), key=lambda j: j.started_at)
    assert a.state is b.state is JobState.COMPLETED
    assert b.started_at >= a.finished_at  # never overlapped
    assert jobs[third.id].state is JobState.COMPLETED
    assert a.scanned + b.scanned == 1500
