"""ScanService decides what becomes of a run: done, a retry after a delay, or back to the queue.

Driven directly (no queue), on a real SQLite file and real mailboxes, with a clock that moves
only when the test says: every checkpoint, delay and retry time is exact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

from fakes.flaky_share import FlakyShare
from fakes.openai_server import FakeOpenAI
from guard_inbox.domain.errors import ReconnectNeeded
from guard_inbox.domain.models import (
    Account,
    AccountStatus,
    Extraction,
    FoundCode,
    JobEvent,
    JobState,
    MailMessage,
    UnreadableMessage,
)
from guard_inbox.domain.ports import MailSource
from guard_inbox.extraction.ai import AiExtractor, AiSettings
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.services.scan import BUSY_RETRY_SECONDS, Next, RetryPolicy
from job_core_kit import Clock, JobCore, job_core
from mailgen import write_mbox

WORKER = "test-host:1:aaaaaaaa"


def _progress(core: JobCore, job_id: int) -> list[int]:
    """``scanned`` at each checkpoint a follower saw (after the claim's own event)."""
    events = [e for e in core.log.for_job(job_id) if e.state is JobState.IN_PROGRESS]
    return [e.scanned for e in events[1:]]


def test_a_transient_failure_is_released_for_a_retry_after_the_first_delay(tmp_path: Path) -> None:
    with job_core(tmp_path, sources=FlakyShare()) as core:
        job = core.lifecycle.create(core.mbox_account(tmp_path / "share" / "mail.mbox"), 100,
                                    "manual")

        outcome = core.scans.run(job.id, WORKER, threading.Event())

        assert (outcome.action, outcome.delay) == (Next.RETRY, 1.0)
        after = core.job(job.id)
        assert after.state is JobState.PENDING and after.attempts == 1 and after.worker_id == ""
        assert after.next_attempt_at == core.clock.now() + timedelta(seconds=1)
        assert after.error == "Retrying in 1 s: A file or network operation failed (Host is down)"
        assert outcome.job is not None and outcome.job.state is JobState.PENDING


def test_the_last_allowed_failure_fails_the_job_with_a_readable_reason(tmp_path: Path) -> None:
    with job_core(tmp_path, retry=RetryPolicy(attempts=0), sources=FlakyShare()) as core:
        job = core.lifecycle.create(core.mbox_account(tmp_path / "share" / "mail.mbox"), 100,
                                    "manual")

        outcome = core.scans.run(job.id, WORKER, threading.Event())

        assert outcome.action is Next.DONE
        failed = core.job(job.id)
        assert failed.state is JobState.FAILED and failed.next_attempt_at is None
        assert failed.error == ("A file or network operation failed (Host is down) "
                                "(gave up after 1 attempt).")
        assert core.log.states(job.id) == [JobState.PENDING, JobState.IN_PROGRESS, JobState.FAILED]


def test_a_permanent_failure_is_never_retried(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: milk, eggs\n")
    with job_core(tmp_path) as core:
        job = core.lifecycle.create(core.mbox_account(notes), 100, "manual")

        outcome = core.scans.run(job.id, WORKER, threading.Event())

        assert outcome.action is Next.DONE
        failed = core.job(job.id)
        assert failed.state is JobState.FAILED and failed.attempts == 1
        assert failed.error == f"{notes} is not an mbox file or a folder of .eml files."


def test_a_moved_mailbox_fails_at_once_and_the_account_says_so(tmp_path: Path) -> None:
    mbox = tmp_path / "mail.mbox"
    write_mbox(mbox, 3)
    with job_core(tmp_path) as core:
        account = core.mbox_account(mbox)
        mbox.rename(tmp_path / "moved.mbox")
        job = core.lifecycle.create(account, 100, "manual")

        outcome = core.scans.run(job.id, WORKER, threading.Event())

        assert outcome.action is Next.DONE and core.delayed() == []  # no retry queued
        failed = core.job(job.id)
        assert (failed.state, failed.attempts) == (JobState.FAILED, 1)
        assert failed.error == (f"The mailbox {mbox} is not available — was it moved, renamed or "
                                "on a drive that is not mounted?")
        assert failed.account_label == "mail.mbox"
        stored = core.repository.get_account(account)
        assert stored is not None and stored.status is AccountStatus.UNAVAILABLE
        assert stored.status_message == failed.error
        (tmp_path / "moved.mbox").rename(mbox)  # back where it was: the next scan clears it
        again = core.lifecycle.create(account, 100, "manual")
        core.scans.run(again.id, WORKER, threading.Event())
        assert core.job(again.id).state is JobState.COMPLETED
        healed = core.repository.get_account(account)
        assert healed is not None and (healed.status, healed.status_message) == (
            AccountStatus.OK, "")


class _Revoked:
    """A source whose sign-in was withdrawn (as Gmail's invalid_grant)."""

    def open(self, account: Account) -> MailSource:
        raise ReconnectNeeded(f"Sign in to {account.address} again: access was withdrawn.")


class _Broken:
    """A source with a bug in it."""

    def open(self, account: Account) -> MailSource:
        raise ZeroDivisionError("division by zero")


def test_a_withdrawn_sign_in_fails_the_job_and_flags_the_account(tmp_path: Path) -> None:
    with job_core(tmp_path, sources=_Revoked()) as core:
        account = core.mbox_account(tmp_path / "m.mbox")
        job = core.lifecycle.create(account, 100, "manual")

        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE

        failed = core.job(job.id)
        assert failed.state is JobState.FAILED and failed.attempts == 1
        assert failed.error == "Sign in to " + str(tmp_path / "m.mbox") + " again: access was withdrawn."
        stored = core.repository.get_account(account)
        assert stored is not None and stored.status is AccountStatus.NEEDS_RECONNECT


def test_a_bug_fails_the_job_once_and_points_to_the_log(tmp_path: Path) -> None:
    with job_core(tmp_path, sources=_Broken()) as core:
        job = core.lifecycle.create(core.mbox_account(tmp_path / "m.mbox"), 100, "manual")

        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE

        failed = core.job(job.id)
        assert failed.state is JobState.FAILED and failed.attempts == 1
        assert failed.error == ("Unexpected error: ZeroDivisionError: division by zero. "
                                "Details are in the log.")


def test_checkpoints_come_every_50_messages_while_time_stands_still(tmp_path: Path) -> None:
    mbox = tmp_path / "m.mbox"
    codes = write_mbox(mbox, 120)
    with job_core(tmp_path) as core:
        job = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")

        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE

        assert _progress(core, job.id) == [0, 50, 100, 120]
        done = core.job(job.id)
        assert done.state is JobState.COMPLETED
        assert (done.total, done.scanned, done.codes_found, done.codes_new) == (120, 120, 120, 120)
        assert {c.code for c in core.repository.list_codes()} == codes


class _SlowExtractor:
    """The real pipeline, with each message taking ``seconds`` of the test's clock."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock = clock
        self.seconds = seconds
        self.inner = ExtractionPipeline()

    def examine(self, message: MailMessage) -> Extraction:
        self.clock.advance(self.seconds)
        return self.inner.examine(message)

    def extract(self, message: MailMessage) -> list[FoundCode]:
        return list(self.examine(message).codes)


def test_slow_messages_are_checkpointed_every_half_second(tmp_path: Path) -> None:
    mbox = tmp_path / "m.mbox"
    write_mbox(mbox, 7)
    clock = Clock()
    with job_core(tmp_path, clock=clock, extractor=_SlowExtractor(clock, 0.2)) as core:
        job = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")

        core.scans.run(job.id, WORKER, threading.Event())

        assert _progress(core, job.id) == [0, 3, 6, 7]  # 0.2 s a message: due on the 3rd


def test_a_cancel_seen_at_a_checkpoint_stops_the_scan_and_keeps_what_was_found(
    tmp_path: Path,
) -> None:
    mbox = tmp_path / "m.mbox"
    write_mbox(mbox, 120)
    with job_core(tmp_path) as core:
        job = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")
        asked: list[int] = []

        def cancel_once_50_are_scanned(event: JobEvent) -> None:
            if event.state is JobState.IN_PROGRESS and event.scanned >= 50 and not asked:
                asked.append(event.job_id)
                core.lifecycle.request_cancel(event.job_id)  # the user, seeing 50 scanned

        core.bus.add_listener(cancel_once_50_are_scanned)

        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE

        cancelled = core.job(job.id)
        assert cancelled.state is JobState.CANCELLED
        assert cancelled.scanned == 100  # stopped at the next checkpoint, not at the end
        assert cancelled.error == "Cancelled by you after 100 of 120 messages."
        assert core.repository.count_codes() == 100


def test_a_shutdown_pauses_the_scan_at_the_next_message_and_the_rerun_resumes(
    tmp_path: Path,
) -> None:
    mbox = tmp_path / "m.mbox"
    codes = write_mbox(mbox, 120)
    with job_core(tmp_path) as core:
        job = core.lifecycle.create(core.mbox_account(mbox), 100, "manual")
        stopping = threading.Event()

        def quit_after_50(event: JobEvent) -> None:
            if event.state is JobState.IN_PROGRESS and event.scanned >= 50:
                stopping.set()

        core.bus.add_listener(quit_after_50)
        outcome = core.scans.run(job.id, WORKER, stopping)

        assert (outcome.action, outcome.delay) == (Next.REQUEUE, 0.0)
        paused = core.job(job.id)
        assert paused.state is JobState.PENDING and paused.worker_id == ""
        assert (paused.scanned, paused.error) == (50, "Paused while Guard Inbox shut down.")
        assert paused.next_attempt_at is None  # no waiting: it runs as soon as a worker is back

        core.bus.remove_listener(quit_after_50)
        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE
        done = core.job(job.id)
        assert done.state is JobState.COMPLETED and done.attempts == 2
        assert (done.total, done.scanned, done.codes_new) == (120, 120, 120)
        assert {c.code for c in core.repository.list_codes()} == codes


def test_a_second_scan_of_a_busy_account_waits_and_does_not_count_an_attempt(
    tmp_path: Path,
) -> None:
    mbox = tmp_path / "m.mbox"
    write_mbox(mbox, 5)
    with job_core(tmp_path, stale_after=20.0) as core:
        account = core.mbox_account(mbox)
        first = core.lifecycle.create(account, 100, "manual")
        second = core.lifecycle.create(account, 100, "manual")
        assert core.lifecycle.claim(first.id, "other-host:7:bbbbbbbb") is not None

        outcome = core.scans.run(second.id, WORKER, threading.Event())

        assert (outcome.action, outcome.delay) == (Next.REQUEUE, BUSY_RETRY_SECONDS)
        waiting = core.job(second.id)
        assert waiting.state is JobState.PENDING and waiting.attempts == 0

        core.clock.advance(19.9)  # the other worker's heartbeat is still fresh enough
        assert core.scans.run(second.id, WORKER, threading.Event()).action is Next.REQUEUE
        core.clock.advance(0.2)  # 20.1 s without a heartbeat: that worker is taken for gone
        assert core.scans.run(second.id, WORKER, threading.Event()).action is Next.DONE
        assert core.job(second.id).state is JobState.COMPLETED


def test_a_scan_of_another_account_is_not_held_up(tmp_path: Path) -> None:
    busy, free = tmp_path / "busy.mbox", tmp_path / "free.mbox"
    write_mbox(busy, 3)
    write_mbox(free, 3)
    with job_core(tmp_path) as core:
        running = core.lifecycle.create(core.mbox_account(busy), 100, "manual")
        assert core.lifecycle.claim(running.id, "other-host:7:bbbbbbbb") is not None
        other = core.lifecycle.create(core.mbox_account(free), 100, "manual")

        assert core.scans.run(other.id, WORKER, threading.Event()).action is Next.DONE
        assert core.job(other.id).state is JobState.COMPLETED


def test_each_job_counts_the_ai_tokens_its_own_messages_cost(tmp_path: Path) -> None:
    first, second = tmp_path / "first.mbox", tmp_path / "second.mbox"
    write_mbox(first, 3)
    write_mbox(second, 2)
    with FakeOpenAI() as fake, AiExtractor(AiSettings(
        enabled=True, base_url=fake.base_url, api_key=fake.api_key, all_messages=True,
    )) as ai:
        fake.usage = (100, 20)
        with job_core(tmp_path, extractor=ExtractionPipeline(ai=ai)) as core:
            jobs = [core.lifecycle.create(core.mbox_account(mbox), 100, "manual") for mbox in (first, second)]
            for job in jobs:  # one after the other, as on one worker thread
                assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE

            assert [core.job(job.id).tokens_used for job in jobs] == [3 * 120, 2 * 120]


class _Listing:
    """A source that lists and reads the given messages (for unreadable ones)."""

    def __init__(self, items: Sequence[MailMessage | UnreadableMessage]) -> None:
        self.items = {item.provider_id: item for item in items}

    def open(self, account: Account) -> MailSource:
        return self

    def list_ids(self, already_scanned: frozenset[str]) -> Sequence[str]:
        return [i for i in self.items if i not in already_scanned]

    def fetch(self, ids: Sequence[str]) -> Iterator[MailMessage | UnreadableMessage]:
        return (self.items[i] for i in ids)

    def sync_state(self) -> str:
        return "cursor-1"


def test_an_unreadable_message_is_counted_and_skipped_and_the_cursor_is_kept(
    tmp_path: Path,
) -> None:
    items: list[MailMessage | UnreadableMessage] = [
        UnreadableMessage("bad-1", "broken bytes"),
        MailMessage(provider_id="ok-1", subject="Spring sale", sender="Shop <s@shop.example>",
                    text="Take 20% off with code SPRING2026 at checkout."),
    ]
    with job_core(tmp_path, sources=_Listing(items)) as core:
        account = core.mbox_account(tmp_path / "m.mbox")
        job = core.lifecycle.create(account, 100, "manual")

        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE

        done = core.job(job.id)
        assert (done.state, done.scanned) == (JobState.COMPLETED, 2)
        assert core.repository.scanned_ids(account) == {"bad-1", "ok-1"}
        stored = core.repository.get_account(account)
        assert stored is not None and stored.sync_state == "cursor-1"
