"""JobControl and the worker pool's task body on huey in memory, with the test's clock.

The queue holds the real task messages (JSON, priorities, etas); ``run_due`` runs what one
worker thread would run at the clock's time. A retry is due when the clock says, not after a
sleep.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fakes.flaky_share import FlakyShare
from guard_inbox.domain.models import JobEvent, JobState, Priority
from guard_inbox.services.scan import BUSY_RETRY_SECONDS, RetryPolicy
from job_core_kit import job_core
from mailgen import write_mbox

OTHER_HOST = "other-host:7:bbbbbbbb"


def test_a_failing_scan_is_retried_with_doubling_delays_then_fails_readably(tmp_path: Path) -> None:
    policy = RetryPolicy(attempts=3, base_seconds=1.0, factor=2.0)
    with job_core(tmp_path, retry=policy, sources=FlakyShare()) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "share" / "mail.mbox"))
        started = core.clock.now()

        assert core.run_due() == [job.id]
        for attempt, delay in ((1, 1.0), (2, 2.0), (3, 4.0)):
            waiting = core.job(job.id)
            assert (waiting.state, waiting.attempts) == (JobState.PENDING, attempt)
            assert waiting.error == (f"Retrying in {delay:g} s: A file or network operation "
                                     "failed (Host is down)")
            due = core.clock.naive() + timedelta(seconds=delay)
            assert core.delayed() == [(job.id, due)]
            assert waiting.next_attempt_at == core.clock.now() + timedelta(seconds=delay)
            core.clock.advance(delay - 0.01)
            assert core.run_due() == []  # not a moment early
            core.clock.advance(0.01)
            assert core.run_due() == [job.id]

        failed = core.job(job.id)
        assert core.clock.now() - started == timedelta(seconds=7)  # 1 + 2 + 4
        assert (failed.state, failed.attempts, failed.next_attempt_at) == (JobState.FAILED, 4, None)
        assert failed.error == ("A file or network operation failed (Host is down) "
                                "(gave up after 4 attempts).")
        assert core.delayed() == [] and core.huey.pending_count() == 0
        retries = [e.error.split(":")[0] for e in core.log.for_job(job.id)
                   if e.state is JobState.PENDING and e.error]
        assert retries == ["Retrying in 1 s", "Retrying in 2 s", "Retrying in 4 s"]


def test_a_retry_succeeds_once_the_share_is_back(tmp_path: Path) -> None:
    share = FlakyShare()
    codes = write_mbox(tmp_path / "mail.mbox", 12)
    with job_core(tmp_path, sources=share) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "mail.mbox"))
        core.run_due()
        assert core.control.stats().delayed == 1
        share.back()
        core.clock.advance(1.0)

        assert core.run_due() == [job.id]

        done = core.job(job.id)
        assert (done.state, done.attempts, done.error) == (JobState.COMPLETED, 2, "")
        assert {c.code for c in core.repository.list_codes()} == codes
        assert core.control.stats().delayed == 0


def test_a_duplicate_message_does_not_run_a_job_before_its_retry_time(tmp_path: Path) -> None:
    with job_core(tmp_path, retry=RetryPolicy(attempts=3, base_seconds=4.0),
                  sources=FlakyShare()) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "share" / "mail.mbox"))
        core.run_due()
        assert core.control.requeue(job.id)  # e.g. a reconciliation that raced the retry

        assert core.run_due() == [job.id]  # the duplicate is handed out now...
        assert core.job(job.id).attempts == 1  # ...and claims nothing
        core.clock.advance(3.5)  # within half a second of its time, a message may run it
        assert core.control.requeue(job.id)
        assert core.run_due() == [job.id]
        assert core.job(job.id).attempts == 2


def test_a_manual_scan_runs_before_scheduled_ones_queued_earlier(tmp_path: Path) -> None:
    with job_core(tmp_path) as core:
        accounts = []
        for name in ("a", "b", "c", "d"):
            write_mbox(tmp_path / f"{name}.mbox", 3)
            accounts.append(core.mbox_account(tmp_path / f"{name}.mbox"))
        background = [core.control.start_scan(a, Priority.LOW, "scheduled") for a in accounts[:3]]
        manual = core.control.start_scan(accounts[3])  # manual: high priority by default
        assert manual.account_label == "d.mbox"  # a new job's row names its account at once

        assert manual.priority == Priority.HIGH and manual.trigger == "manual"
        assert core.run_due() == [manual.id, *(j.id for j in background)]  # FIFO within one
        assert {core.job(j.id).state for j in [*background, manual]} == {JobState.COMPLETED}


def test_a_retry_keeps_its_priority(tmp_path: Path) -> None:
    write_mbox(tmp_path / "a.mbox", 2)
    write_mbox(tmp_path / "b.mbox", 2)
    share = FlakyShare()
    with job_core(tmp_path, sources=share) as core:
        flaky = core.control.start_scan(core.mbox_account(tmp_path / "a.mbox"))
        core.run_due()
        share.back()
        core.clock.advance(1.0)
        later = core.control.start_scan(core.mbox_account(tmp_path / "b.mbox"), Priority.LOW)
        assert core.run_due() == [flaky.id, later.id]


def test_only_one_scan_per_account_runs_at_a_time(tmp_path: Path) -> None:
    mbox, other = tmp_path / "m.mbox", tmp_path / "other.mbox"
    write_mbox(mbox, 10)
    write_mbox(other, 3)
    with job_core(tmp_path) as core:
        account = core.mbox_account(mbox)
        running = core.control.start_scan(account)
        assert core.huey.dequeue() is not None  # another worker took it and is scanning
        assert core.lifecycle.claim(running.id, OTHER_HOST) is not None
        second = core.control.start_scan(account)
        elsewhere = core.control.start_scan(core.mbox_account(other))

        assert core.run_due() == [second.id, elsewhere.id]
        assert core.job(second.id).state is JobState.PENDING  # waits, attempts untouched
        assert core.job(second.id).attempts == 0
        assert core.job(elsewhere.id).state is JobState.COMPLETED  # another account runs
        assert core.delayed() == [(second.id, core.clock.naive() + timedelta(seconds=2))]

        core.clock.advance(BUSY_RETRY_SECONDS)
        core.jobs.heartbeat([running.id], OTHER_HOST)
        assert core.run_due() == [second.id]  # still busy: asks again 2 s later
        assert core.job(second.id).state is JobState.PENDING

        core.lifecycle.complete(running.id, OTHER_HOST)
        core.clock.advance(BUSY_RETRY_SECONDS)
        assert core.run_due() == [second.id]
        done = core.job(second.id)
        assert (done.state, done.attempts) == (JobState.COMPLETED, 1)


def test_cancel_a_pending_job_and_it_never_runs(tmp_path: Path) -> None:
    write_mbox(tmp_path / "m.mbox", 5)
    with job_core(tmp_path) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "m.mbox"))

        cancelled = core.control.cancel(job.id)

        assert cancelled is not None and cancelled.state is JobState.CANCELLED
        assert cancelled.error == "Cancelled before it started."
        assert core.run_due() == [job.id]  # its message still comes out of the queue...
        after = core.job(job.id)
        assert (after.state, after.attempts) == (JobState.CANCELLED, 0)  # ...and runs nothing
        assert core.repository.count_codes() == 0
        assert core.log.states(job.id) == [JobState.PENDING, JobState.CANCELLED]


def test_cancel_a_job_waiting_for_its_retry(tmp_path: Path) -> None:
    with job_core(tmp_path, sources=FlakyShare()) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "share" / "m.mbox"))
        core.run_due()
        cancelled = core.control.cancel(job.id)
        assert cancelled is not None and cancelled.state is JobState.CANCELLED
        core.clock.advance(60)
        assert core.run_due() == [job.id]
        after = core.job(job.id)
        assert (after.state, after.attempts) == (JobState.CANCELLED, 1)


def test_cancel_a_running_job_stops_it_at_its_next_checkpoint(tmp_path: Path) -> None:
    write_mbox(tmp_path / "m.mbox", 120)
    with job_core(tmp_path) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "m.mbox"))
        asked: list[JobEvent] = []

        def user_cancels_at_50(event: JobEvent) -> None:
            if event.state is JobState.IN_PROGRESS and event.scanned >= 50 and not asked:
                asked.append(event)
                requested = core.control.cancel(event.job_id)
                assert requested is not None and requested.state is JobState.IN_PROGRESS
                assert requested.cancel_requested

        core.bus.add_listener(user_cancels_at_50)

        assert core.run_due() == [job.id]
        done = core.job(job.id)
        assert (done.state, done.scanned) == (JobState.CANCELLED, 100)
        assert done.error == "Cancelled by you after 100 of 120 messages."
        assert core.huey.pending_count() == 0 and core.delayed() == []  # not queued again


def test_retry_of_a_failed_job_starts_it_afresh(tmp_path: Path) -> None:
    folder = tmp_path / "usb"
    with job_core(tmp_path) as core:
        job = core.control.start_scan(core.mbox_account(folder / "m.mbox"))
        core.run_due()
        assert core.job(job.id).state is JobState.FAILED  # not there: failed at once
        folder.mkdir()
        write_mbox(folder / "m.mbox", 4)

        again = core.control.retry(job.id)

        assert again is not None and (again.state, again.attempts, again.error) == (
            JobState.PENDING, 0, "")
        assert core.run_due() == [job.id]
        assert core.job(job.id).state is JobState.COMPLETED


def test_the_pool_counts_a_job_as_running_only_while_it_runs(tmp_path: Path) -> None:
    write_mbox(tmp_path / "m.mbox", 3)
    with job_core(tmp_path) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "m.mbox"))
        seen: list[int] = []
        core.bus.add_listener(lambda e: seen.append(core.pool.busy) if e.scanned else None)
        assert core.pool.busy == 0
        core.run_due()
        assert seen and set(seen) == {1}  # heartbeats cover it while it scans
        assert core.pool.busy == 0
        assert core.job(job.id).state is JobState.COMPLETED


def test_stats_tell_waiting_from_delayed_and_running(tmp_path: Path) -> None:
    write_mbox(tmp_path / "ok.mbox", 2)
    share = FlakyShare()
    with job_core(tmp_path, sources=share) as core:
        flaky = core.control.start_scan(core.mbox_account(tmp_path / "share" / "m.mbox"))
        core.run_due()  # fails once: delayed for 1 s
        share.back()
        running = core.control.start_scan(core.mbox_account(tmp_path / "busy.mbox"))
        assert core.lifecycle.claim(running.id, OTHER_HOST) is not None
        core.control.start_scan(core.mbox_account(tmp_path / "ok.mbox"))  # waiting

        stats = core.control.stats()
        assert (stats.waiting, stats.delayed, stats.active) == (1, 1, 1)
        assert stats.workers_alive == 0  # the registry's Redis is not there: counted as none

        core.clock.advance(1.0)
        assert core.control.stats().delayed == 0  # its time has come: waiting again
        assert core.control.stats().waiting == 2
        assert core.job(flaky.id).state is JobState.PENDING
