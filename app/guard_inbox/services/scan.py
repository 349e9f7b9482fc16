"""Run one scan job: list, fetch, extract, checkpoint, report — and decide what happens next.

Huey-free on purpose: the task in jobs/ only turns the returned ``Outcome``
into queue calls, so every rule here is testable without a broker.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from guard_inbox.domain.errors import (
    AccountBusy,
    KnownError,
    PermanentError,
    ReconnectNeeded,
    ScanCancelled,
    ScanInterrupted,
    ScanLost,
    SourceMissing,
    SourceUnavailable,
    StorageFull,
    TransientError,
)
from guard_inbox.domain.models import (
    AccountStatus,
    Extraction,
    Job,
    JobState,
    MailMessage,
    UnreadableMessage,
)
from guard_inbox.domain.ports import Extractor, SourceFactory
from guard_inbox.services.lifecycle import JobLifecycle
from guard_inbox.storage.repository import Repository, ScanResult

log = logging.getLogger("guard_inbox.jobs")

FETCH_CHUNK = 50
PROGRESS_EVERY_MESSAGES = 50
PROGRESS_EVERY_SECONDS = 0.5
BUSY_RETRY_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries after transient failures only: base, base*factor, base*factor^2 ..."""

    attempts: int = 3
    base_seconds: float = 5.0
    factor: float = 2.0

    def delay_after(self, attempt: int) -> float | None:
        """Delay before the next try after failed attempt number ``attempt`` (1-based)."""
        if attempt > self.attempts:
            return None
        return self.base_seconds * self.factor ** (attempt - 1)


class Next(enum.Enum):
    """What becomes of a scan task after a run."""

    DONE = "done"  # finished, failed or cancelled: nothing more to queue
    RETRY = "retry"  # a transient failure: queue it again after the delay
    REQUEUE = "requeue"  # not run to the end through no fault (busy account, shutdown): queue again


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the queue should do with the task after a run."""

    action: Next
    delay: float = 0.0
    job: Job | None = None


DONE = Outcome(Next.DONE)


class ScanService:
    def __init__(
        self,
        repository: Repository,
        lifecycle: JobLifecycle,
        sources: SourceFactory,
        extractor: Extractor,
        retry: RetryPolicy,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``now`` (aware UTC) dates retries; ``monotonic`` paces checkpoints. Tests move both."""
        self.repository = repository
        self.lifecycle = lifecycle
        self.sources = sources
        self.extractor = extractor
        self.retry = retry
        self.now = now
        self.monotonic = monotonic

    def run(self, job_id: int, worker_id: str, shutting_down: threading.Event) -> Outcome:
        try:
            job = self.lifecycle.claim(job_id, worker_id)
        except AccountBusy as busy:
            log.info("Job %s waits: %s", job_id, busy)
            return Outcome(Next.REQUEUE, BUSY_RETRY_SECONDS)
        if job is None:
            return DONE  # cancelled, finished or claimed elsewhere meanwhile
        owner = job.worker_id
        try:
            self._scan(job, shutting_down)
        except ScanLost:
            log.warning("Job %s was taken over by another worker while this one (%s) stalled; "
                        "it stops here without writing", job.id, owner)
            return DONE
        except ScanCancelled:
            latest = self.lifecycle.jobs.get(job.id)
            done = f"{latest.scanned} of {latest.total}" if latest else "some"
            self.lifecycle.cancelled(job.id, f"Cancelled by you after {done} messages.", owner)
            return DONE
        except ScanInterrupted:
            released = self.lifecycle.release(job.id, "Paused while Guard Inbox shut down.", owner=owner)
            return Outcome(Next.REQUEUE, 0.0, released)
        except ReconnectNeeded as exc:
            self.repository.set_account_status(job.account_id, AccountStatus.NEEDS_RECONNECT, str(exc))
            self.lifecycle.fail(job.id, str(exc), owner)
            return DONE
        except (SourceMissing, SourceUnavailable) as exc:
            # Final at once: retrying cannot bring a moved mailbox back. The account says so
            # (and offers to locate it) until a scan reads it again.
            self.repository.set_account_status(job.account_id, AccountStatus.UNAVAILABLE, str(exc))
            self.lifecycle.fail(job.id, str(exc), owner)
            return DONE
        except StorageFull as exc:
            try:
                self.lifecycle.fail(job.id, str(exc), owner)
            except StorageFull:
                # Not even the failure fits on the disk: tell followers anyway. The row stays
                # IN_PROGRESS and is released like any orphan once this worker has gone.
                log.error("Job %s failed and the full disk could not record it: %s", job.id, exc)
                self.lifecycle.unrecorded(job, JobState.FAILED, str(exc))
            return DONE
        except PermanentError as exc:
            self.lifecycle.fail(job.id, str(exc), owner)
            return DONE
        except (TransientError, OSError, ConnectionError, TimeoutError) as exc:
            return self._retry_or_fail(job, _sentence(exc))
        except KnownError as exc:
            self.lifecycle.fail(job.id, str(exc), owner)
            return DONE
        except Exception as exc:
            log.exception("Job %s hit an unexpected error", job.id)
            self.lifecycle.fail(
                job.id, f"Unexpected error: {type(exc).__name__}: {exc}. Details are in the log.", owner
            )
            return DONE
        self.lifecycle.complete(job.id, owner)
        return DONE

    def _retry_or_fail(self, job: Job, reason: str) -> Outcome:
        delay = self.retry.delay_after(job.attempts)
        if delay is None:
            tries = "attempt" if job.attempts == 1 else "attempts"
            self.lifecycle.fail(job.id, f"{reason} (gave up after {job.attempts} {tries}).", job.worker_id)
            return DONE
        retry_at = self.now() + timedelta(seconds=delay)
        log.warning("Job %s will retry in %.0f s: %s", job.id, delay, reason)
        released = self.lifecycle.release(job.id, f"Retrying in {delay:g} s: {reason}", retry_at,
                                          owner=job.worker_id)
        return Outcome(Next.RETRY, delay, released)

    def _scan(self, job: Job, shutting_down: threading.Event) -> None:
        account = self.repository.get_account(job.account_id)
        if account is None or account.removed:
            raise PermanentError("The account of this scan was removed.")
        source = self.sources.open(account)
        ids = source.list_ids(self.repository.scanned_ids(account.id))
        progress = _Progress(job, self.repository, self.lifecycle, total=job.scanned + len(ids),
                             monotonic=self.monotonic)
        progress.flush(force=True)
        for start in range(0, len(ids), FETCH_CHUNK):
            chunk = ids[start : start + FETCH_CHUNK]
            for item in source.fetch(chunk):
                if shutting_down.is_set():
                    progress.flush(force=True)
                    raise ScanInterrupted()
                progress.add(item, self._extract(item))
                if progress.due():
                    progress.flush()
        progress.flush(force=True)
        self.repository.finish_account_scan(account.id, source.sync_state() or None)
        if account.status is not AccountStatus.OK:
            self.repository.set_account_status(account.id, AccountStatus.OK)

    def _extract(self, item: MailMessage | UnreadableMessage) -> Extraction:
        if isinstance(item, UnreadableMessage):
            log.warning("Skipped unreadable message %s: %s", item.provider_id, item.reason)
            return Extraction()
        try:
            return self.extractor.examine(item)
        except Exception:  # one bad email never kills the scan
            log.exception("Extraction failed on message %s; skipped", item.provider_id)
            return Extraction()


class _Progress:
    """Buffers results and their AI tokens; writes checkpoint + progress every 50 messages or 0.5 s."""

    def __init__(
        self, job: Job, repository: Repository, lifecycle: JobLifecycle, total: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job = job
        self.monotonic = monotonic
        self.repository = repository
        self.lifecycle = lifecycle
        self.total = total
        self.scanned = job.scanned
        self.found = job.codes_found
        self.new = job.codes_new
        self.pending: list[ScanResult] = []
        self.ai_tokens = 0  # spent on the pending messages
        self.last_flush = self.monotonic()

    def add(self, item: MailMessage | UnreadableMessage, result: Extraction) -> None:
        self.pending.append((item, result.codes))
        self.ai_tokens += result.ai_tokens

    def due(self) -> bool:
        return (
            len(self.pending) >= PROGRESS_EVERY_MESSAGES
            or self.monotonic() - self.last_flush >= PROGRESS_EVERY_SECONDS
        )

    def flush(self, force: bool = False) -> None:
        if not self.pending and not force:
            return
        if self.pending:
            found, new = self.repository.record_scan_results(
                self.job.account_id, self.job.id, self.pending, owner=self.job.worker_id
            )
            self.scanned += len(self.pending)
            self.found += found
            self.new += new
            self.pending = []
        self.last_flush = self.monotonic()
        if self.ai_tokens:
            self.lifecycle.jobs.add_tokens(self.job.id, self.ai_tokens)
            self.ai_tokens = 0
        if self.lifecycle.progress(self.job, self.total, self.scanned, self.found, self.new):
            raise ScanCancelled()


def _sentence(exc: BaseException) -> str:
    if isinstance(exc, KnownError):
        return str(exc).rstrip(".")
    if isinstance(exc, ConnectionError | TimeoutError):
        return f"A connection failed ({exc})"
    if isinstance(exc, OSError):
        return f"A file or network operation failed ({exc.strerror or exc})"
    return str(exc)
